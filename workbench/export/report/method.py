"""The facts behind a report's method section, read from the project: material, participants, coding, agreement."""
from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from workbench.analysis.quotes import Context
from workbench.analysis.reliability import CodedSpan, ReliabilityReport, Unit, reliability
from workbench.export.report.data import HUMAN_ORIGINS, NO_SITE
from workbench.store import CodingFact, Store

SEVERAL_SITES = "No single site"
NO_ROLE = "Role not recorded"
MIN_CODINGS_FOR_CODE = 8  # a code's own kappa is only listed when the coders used it often enough


@dataclass
class Agreement:
    """How far two coders agreed on the sources they both coded (segments as units)."""

    coders: tuple[str, str]
    sources: int
    units: int  # segments (turns, entries, answers, posts, paragraphs) of the double-coded sources
    percent: float  # over every unit and code, counting units neither coder coded as agreement
    kappa: float | None
    alpha: float
    unit_kinds: Counter = field(default_factory=Counter)  # segment kind (turn, entry, answer, ...) → units
    weakest: list[tuple[str, float]] = field(default_factory=list)  # (code, kappa), lowest first
    coded_percent: float | None = None  # over the units at least one coder coded (the headline)


@dataclass
class MethodFacts:
    """What the method section reports."""

    sites: list[str]
    sources: dict[str, Counter]  # source kind → site (or SEVERAL_SITES) → number of sources
    participants: dict[str, Counter]  # role → site → number of cases
    coders: Counter  # coder → codings
    origins: Counter  # manual / import / suggestion → codings
    accepts: Counter  # how accepted suggestions were accepted: "one" / "bulk" / None (not recorded) → codings
    bulk: Counter  # (lowest score, accepted by) of each bulk accept → codings
    codebook_name: str
    codes: int
    categories: int
    agreement: Agreement | None


def method_facts(store: Store, sites: Sequence[str] = ()) -> MethodFacts:
    """Read the method section's facts (limited to ``sites`` when given)."""
    context = Context.load(store)
    wanted = set(sites)
    all_sites = sorted({*_source_sites(store, context).values(), *_case_sites(store).values()} - {SEVERAL_SITES})
    shown_sites = [s for s in all_sites if not wanted or s in wanted]
    facts = store.coding_facts()
    codes = store.codes()
    return MethodFacts(
        sites=shown_sites, sources=_sources_table(store, context, wanted),
        participants=_participants_table(store, wanted), coders=Counter(f.coder for f in facts),
        origins=Counter(f.origin for f in facts),
        accepts=Counter(f.accept_mode for f in facts if f.origin == "suggestion"),
        bulk=Counter((f.accept_min_score, f.accepted_by or f.coder) for f in facts
                     if f.origin == "suggestion" and f.accept_mode == "bulk"),
        codebook_name=store.setting("codebook_name") or "",
        codes=sum(1 for c in codes if c.codable), categories=sum(1 for c in codes if not c.codable),
        agreement=double_coding_agreement(store))


def _source_sites(store: Store, context: Context) -> dict[int, str]:
    """Source id → its site: its own attribute, else its case's, else SEVERAL_SITES."""
    result = {}
    for source_id, (_name, _kind, _words, case_id) in context.sources.items():
        site = context.source_attributes.get(source_id, {}).get("site")
        if not site and case_id is not None:
            site = context.case_attributes.get(case_id, {}).get("site")
        result[source_id] = site or SEVERAL_SITES
    return result


def _case_sites(store: Store) -> dict[int, str]:
    return {c.id: c.attributes["site"] for c in store.cases() if c.attributes.get("site")}


def _sources_table(store: Store, context: Context, wanted: set[str]) -> dict[str, Counter]:
    table: dict[str, Counter] = {}
    for source_id, site in _source_sites(store, context).items():
        if wanted and site not in wanted and site != SEVERAL_SITES:
            continue
        table.setdefault(context.sources[source_id][1], Counter())[site] += 1
    return dict(sorted(table.items()))


def _participants_table(store: Store, wanted: set[str]) -> dict[str, Counter]:
    table: dict[str, Counter] = {}
    for case in store.cases():
        site = case.attributes.get("site") or NO_SITE
        if wanted and site not in wanted:
            continue
        table.setdefault(case.attributes.get("role") or NO_ROLE, Counter())[site] += 1
    return dict(sorted(table.items(), key=lambda kv: (kv[0] == NO_ROLE, kv[0])))


def double_coding_agreement(store: Store) -> Agreement | None:
    """Agreement of the two coders who double-coded the most sources, or None if nobody double-coded.

    Uses the project's reliability glue (``workbench.analysis.icr``) when the store offers what it needs, else
    ``workbench.analysis.reliability`` directly; either way the units are the structural segments.
    """
    facts = store.coding_facts(origins=HUMAN_ORIGINS)
    pair = _busiest_pair(facts)
    if pair is None:
        return None
    report, shared = _reliability(store, pair, facts)
    segments = [seg for s in shared for seg in store.segments(s, structural_only=True)]
    if not segments:
        return None
    overall = report.overall
    return Agreement(coders=pair, sources=len(shared), units=len(segments), percent=overall.percent_agreement,
                     kappa=overall.cohen_kappa, alpha=overall.krippendorff_alpha,
                     unit_kinds=Counter(seg.kind for seg in segments),
                     coded_percent=report.coded.percent_agreement if report.coded is not None else None,
                     weakest=_weakest(store, report, [f for f in facts if f.source_id in set(shared)]))


def _busiest_pair(facts: Sequence[CodingFact]) -> tuple[str, str] | None:
    """The two coders who share the most sources."""
    by_source: dict[int, set[str]] = {}
    for f in facts:
        by_source.setdefault(f.source_id, set()).add(f.coder)
    pairs: Counter = Counter()
    for coders in by_source.values():
        ordered = sorted(coders)
        pairs.update((a, b) for i, a in enumerate(ordered) for b in ordered[i + 1:])
    if not pairs:
        return None
    return min(pairs.items(), key=lambda kv: (-kv[1], kv[0]))[0]


def _reliability(store: Store, pair: tuple[str, str], facts: Sequence[CodingFact]) -> tuple[ReliabilityReport,
                                                                                         list[int]]:
    """(report, shared source ids) for the pair, over structural segments."""
    if hasattr(store, "coding_rows") and hasattr(store, "segment_rows"):
        from workbench.analysis.icr import coder_reliability

        result = coder_reliability(store, list(pair), "segment", origins=HUMAN_ORIGINS)
        return result.report, sorted(result.source_names)
    a, b = pair
    by_source: dict[int, set[str]] = {}
    for f in facts:
        by_source.setdefault(f.source_id, set()).add(f.coder)
    shared = sorted(s for s, coders in by_source.items() if {a, b} <= coders)
    paths = Context.load(store).code_paths
    spans = [CodedSpan(f.source_id, f.start, f.end, paths.get(f.code_id, str(f.code_id)), f.coder)
             for f in facts if f.source_id in set(shared) and f.coder in pair]
    units = [Unit(s, seg.start, seg.end) for s in shared for seg in store.segments(s, structural_only=True)]
    return reliability(spans, pair, units, unit="segment", coders_by_source={s: set(pair) for s in shared}), shared


def _weakest(store: Store, report: ReliabilityReport, facts: Sequence[CodingFact]) -> list[tuple[str, float]]:
    """Up to three codes with the lowest kappa among those the coders used at least a few times."""
    context = Context.load(store)
    used: Counter = Counter()
    for f in facts:
        used[context.code_names.get(f.code_id, "")] += 1
        used[context.code_paths.get(f.code_id, "")] += 1
    rows = [(r.code, r.cohen_kappa) for r in report.per_code
            if r.cohen_kappa is not None and not math.isnan(r.cohen_kappa) and used[r.code] >= MIN_CODINGS_FOR_CODE]
    return sorted(rows, key=lambda kv: (kv[1], kv[0]))[:3]
