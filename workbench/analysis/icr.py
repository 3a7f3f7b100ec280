"""Inter-coder reliability of a project's coders (or of a suggester against them), with the words behind
every disagreement.

Glue between the store and ``workbench.analysis.reliability``: the units are the project's structural segments,
its sentences, or its characters; a coder counts only on the sources they coded (a source with at least
one of their codings of any code, among the origins asked for), so a partly double-coded project works. A suggester is compared as
the pseudo-coder ``suggester:NAME`` whose codings are its pending and accepted suggestions, on the
sources it ran over.

With ``ignore_uncoded=True`` the units neither coder coded with a code are left out; percent agreement
is then the share of coded units both coders coded, and two-coder kappa and alpha cannot be positive
by construction (they lose the "neither" cell they need) — read percent agreement in that mode.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from workbench.errors import WorkbenchError
from workbench.analysis.reliability import CodedSpan, Disagreement, Figures, ReliabilityReport, Unit, reliability
from workbench.store import Store

UNITS = ("segment", "sentence", "character")
SUGGESTER_PREFIX = "suggester:"
IGNORE_UNCODED_NOTE = ("Uncoded units left out: percent agreement is the share of units someone coded that both "
                       "coded. Kappa and alpha cannot be positive in this mode (the 'neither coded' cell they need "
                       "is removed), so read percent agreement.")

CODED_UNITS_NOTE = ("Agreement where someone coded: of the units at least one coder gave a code, the share that "
                    "every coder gave it (the figure to report).")
ALL_UNITS_NOTE = ("Agreement over all units also counts units nobody coded as agreement, so it grows with the "
                  "amount of uncoded text; kappa and alpha correct for that by chance.")


def kappa_text(kappa: float | None, n_coders: int) -> str:
    """Cohen's kappa as shown: three decimals, "undefined" for two coders where it has no value, "–" for more."""
    if n_coders != 2:
        return "–"
    return "undefined" if kappa is None else f"{kappa:.3f}"


class ICRError(WorkbenchError):
    """Coders or units for a reliability check are not usable (unknown coder, unit or code, nothing shared)."""


@dataclass
class DisagreementRow:
    """A stretch where some coders applied a code and others did not, with the words."""

    code: str
    code_id: int
    source_id: int
    source_name: str
    start: int
    end: int
    text: str
    coded_by: tuple[str, ...]
    not_coded_by: tuple[str, ...]
    coded_words: str  # the words of the coding(s) that applied the code here


@dataclass
class CoderReliability:
    """A reliability report with the project's names and words."""

    report: ReliabilityReport
    code_ids: dict[str, int]
    source_names: dict[int, str]
    sources_per_coder: dict[str, int]
    shared_sources: int
    texts: dict[int, str] = field(repr=False)
    spans: pd.DataFrame = field(repr=False)  # source_id, start, end, code_id, code, coder
    _index: tuple | None = field(default=None, init=False, repr=False)

    @property
    def overall(self) -> Figures:
        """Pooled figures over all codes."""
        return self.report.overall

    @property
    def coded(self) -> Figures:
        """Pooled figures over the units at least one coder coded (the headline percent agreement)."""
        return self.report.coded

    @property
    def note(self) -> str:
        """What to keep in mind reading these figures (empty when nothing special applies)."""
        return IGNORE_UNCODED_NOTE if self.report.ignore_uncoded else ""

    def per_code_frame(self) -> pd.DataFrame:
        """One line per code: units, % agreement, kappa (two coders), alpha, disagreements."""
        counts = pd.Series([d.code for d in self.report.all_disagreements], dtype=object).value_counts()
        return pd.DataFrame([{"code": r.code, "units": r.n_units, "% agreement": 100 * r.percent_agreement,
                              "kappa": r.cohen_kappa, "alpha": r.krippendorff_alpha,
                              "disagreements": int(counts.get(r.code, 0))} for r in self.report.per_code],
                            columns=["code", "units", "% agreement", "kappa", "alpha", "disagreements"])

    def disagreements(self, code: str | None = None, *, limit: int | None = None) -> list[DisagreementRow]:
        """Disagreements (optionally of one code) by source and position, with their words."""
        found = self.report.disagreements(code=code)
        if limit is not None:
            found = found[:limit]
        return [self._row(d) for d in found]

    def _span_index(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Spans sorted by (source, code id) with their keys, built on first use."""
        if self._index is None:
            spans = self.spans.sort_values(["source_id", "code_id", "start"])
            keys = (spans["source_id"].to_numpy(dtype=np.int64) << 32) + spans["code_id"].to_numpy(dtype=np.int64)
            self._index = (keys, spans["start"].to_numpy(), spans["end"].to_numpy(),
                           spans["coder"].to_numpy(dtype=object))
        return self._index

    def _row(self, d: Disagreement) -> DisagreementRow:
        text = self.texts.get(d.source_id, "")
        keys, starts, ends, coders = self._span_index()
        key = (d.source_id << 32) + self.code_ids.get(d.code, -1)
        lo, hi = int(np.searchsorted(keys, key, "left")), int(np.searchsorted(keys, key, "right"))
        spans = [(a, b) for a, b, coder in zip(starts[lo:hi].tolist(), ends[lo:hi].tolist(), coders[lo:hi])
                 if coder in d.coded_by and a < d.end and b > d.start]
        words = " … ".join(dict.fromkeys(text[a:b] for a, b in spans))
        return DisagreementRow(d.code, self.code_ids.get(d.code, -1), d.source_id,
                               self.source_names.get(d.source_id, "?"), d.start, d.end, text[d.start:d.end],
                               d.coded_by, d.not_coded_by, words)


def available_coders(store: Store) -> list[str]:
    """Everyone who coded, then every suggester as ``suggester:NAME``."""
    return store.coders() + [SUGGESTER_PREFIX + name for name in store.suggesters()]


def coder_reliability(store: Store, coders: Sequence[str], unit: str = "segment", *,
                      codes: Sequence[int | str] | None = None, ignore_uncoded: bool = False,
                      origins: Sequence[str] | None = None, min_overlap: float = 0.0) -> CoderReliability:
    """Agreement of ``coders`` (people or ``suggester:NAME``) per code and overall, on shared sources.

    ``origins`` limits the people's codings (e.g. ``["manual"]`` leaves out accepted suggestions when
    comparing a suggester); ``codes`` are ids or names (default: every code any of them applied).
    """
    if unit not in UNITS:
        raise ICRError(f"unknown unit {unit!r}; choose one of {', '.join(UNITS)}")
    coders = list(dict.fromkeys(coders))
    if len(coders) < 2:
        raise ICRError("choose at least two coders (or a coder and a suggester) to compare")
    labels = _code_labels(store)
    spans, coverage = _spans_and_coverage(store, coders, origins)
    shared = sorted(s for s, names in coverage.items() if len(names) >= 2)
    if not shared:
        raise ICRError(f"{' and '.join(coders)} have not coded any source in common; reliability needs "
                       "sources coded by at least two of them")
    spans = spans[spans["source_id"].isin(shared)]
    spans = spans.assign(code=spans["code_id"].map(labels))
    code_list = [labels[c] for c in _resolve_codes(store, codes)] if codes is not None else None
    coded = [CodedSpan(*row) for row in spans[["source_id", "start", "end", "code", "coder"]].itertuples(
        index=False, name=None)]
    kwargs = _unit_arguments(store, unit, shared)
    report = reliability(coded, coders, unit="character" if unit == "character" else "segment", codes=code_list,
                         ignore_uncoded=ignore_uncoded, coders_by_source={s: coverage[s] for s in shared},
                         min_overlap=min_overlap if unit != "character" else 0.0, **kwargs)
    index = store.source_index()
    disagreeing = sorted({d.source_id for d in report.all_disagreements})
    kept = spans[["source_id", "start", "end", "code_id", "code", "coder"]].reset_index(drop=True)
    return CoderReliability(
        report, {label: code_id for code_id, label in labels.items()}, {s: index[s][0] for s in shared},
        {c: sum(c in names for names in coverage.values()) for c in coders}, len(shared),
        store.texts(disagreeing), kept)


def _code_labels(store: Store) -> dict[int, str]:
    """Code id → its name, or its path where several codes share the name."""
    codes = store.codes()
    counts = pd.Series([c.name.lower() for c in codes], dtype=object).value_counts()
    return {c.id: c.name if counts[c.name.lower()] == 1 else store.code_path(c.id) for c in codes}


def _resolve_codes(store: Store, codes: Sequence[int | str]) -> list[int]:
    """Code ids from ids or names."""
    return [int(c) if isinstance(c, (int, np.integer)) else store.find_code(c).id for c in codes]


def _spans_and_coverage(store: Store, coders: list[str],
                        origins: Sequence[str] | None) -> tuple[pd.DataFrame, dict[int, set[str]]]:
    """Every chosen coder's spans (code ids) and which coders coded which source (with codings of ``origins``)."""
    columns = ["source_id", "start", "end", "code_id", "coder"]
    people = [c for c in coders if not c.startswith(SUGGESTER_PREFIX)]
    unknown = sorted(set(people) - set(store.coders()))
    if unknown:
        raise ICRError(f"no codings by {', '.join(unknown)}; coders in this project: {', '.join(store.coders())}")
    rows = pd.DataFrame(store.coding_rows(coders=people), columns=["id", "code_id", "source_id", "start", "end",
                                                                  "coder", "origin"]) if people else None
    coverage: dict[int, set[str]] = {}
    parts = []
    if rows is not None:
        rows = rows[rows["origin"].isin(origins)] if origins is not None else rows
        for source_id, coder in rows[["source_id", "coder"]].drop_duplicates().itertuples(index=False):
            coverage.setdefault(int(source_id), set()).add(coder)
        parts.append(rows)
    for pseudo in (c for c in coders if c.startswith(SUGGESTER_PREFIX)):
        part, covered = _suggester_spans(store, pseudo)
        parts.append(part)
        for source_id in covered:
            coverage.setdefault(source_id, set()).add(pseudo)
    spans = pd.concat([p[columns] for p in parts], ignore_index=True) if parts else pd.DataFrame(columns=columns)
    return spans.astype({"source_id": np.int64, "start": np.int64, "end": np.int64, "code_id": np.int64}), coverage


def _suggester_spans(store: Store, pseudo: str) -> tuple[pd.DataFrame, set[int]]:
    """A suggester's pending and accepted suggestions as spans, and every source it made suggestions on."""
    name = pseudo[len(SUGGESTER_PREFIX):]
    if name not in store.suggesters():
        raise ICRError(f"no suggestions by {name!r}; suggesters in this project: {', '.join(store.suggesters())}")
    mine = [s for s in store.suggestions(status=None) if s.suggester == name]
    kept = [(s.source_id, s.start, s.end, s.code_id, pseudo) for s in mine if s.status in ("pending", "accepted")]
    return (pd.DataFrame(kept, columns=["source_id", "start", "end", "code_id", "coder"]),
            {s.source_id for s in mine})


def _unit_arguments(store: Store, unit: str, sources: list[int]) -> dict:
    """``units`` (segments or sentences) or ``source_lengths`` (characters) for the shared sources."""
    if unit == "character":
        lengths = store.source_lengths()
        return {"source_lengths": {s: lengths[s] for s in sources}}
    if unit == "sentence":
        rows = store.sentence_units(sources)
        return {"units": [Unit(source_id, start, end) for _id, source_id, start, end in rows if end > start]}
    rows = store.segment_rows(source_ids=sources)
    return {"units": [Unit(r[1], r[3], r[4]) for r in rows if r[4] > r[3]]}
