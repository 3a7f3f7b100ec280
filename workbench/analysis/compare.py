"""Comparison matrices: codes (or themes) × the values of an attribute (sites, roles, waves, kinds, coders).

A coding's value of an attribute is its *effective* attribute: the survey respondent's (its segment's
case), else its source's case's, else its source's (the same precedence as ``quotes.Context``). The
built-ins ``kind``, ``coder``, ``speaker`` and ``case`` are always available. Everything is computed
with pandas group-bys over column frames read in bulk from the store.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pandas as pd

from workbench.errors import WorkbenchError
from workbench.analysis.passages import passage_keys
from workbench.analysis.quotes import Quote, build_quotes
from workbench.analysis.tables import frame_to_csv, frames_to_xlsx
from workbench.store import Store

MEASURES = ("passages", "codings", "sources", "participants", "per_1000_words")
BUILT_INS = ("kind", "coder", "speaker", "case")
NONE = "(none)"
JOIN = " · "  # between the values of two or more attributes in one column: "1 · Northgate"
MEASURE_LABELS = {
    "passages": "distinct coded passages (coded by two coders, it counts once)",
    "codings": "codings by coder (coded by two coders, a passage counts twice)",
    "sources": "number of sources with the code",
    "participants": "share of participants with that value who have at least one coding",
    "per_1000_words": "codings per 1,000 words of text with that value",
}


class CompareError(WorkbenchError):
    """A comparison was asked for with an unknown measure, attribute, row or column."""


# -- shared column frames -----------------------------------------------------------------------
@dataclass
class Lookups:
    """Per-request lookups: source names, kinds and words, attributes of sources and cases, case names."""

    sources: dict[int, tuple[str, str, int, int | None]]
    source_attributes: dict[int, dict[str, str]]
    case_attributes: dict[int, dict[str, str]]
    case_names: dict[int, str]

    @classmethod
    def load(cls, store: Store) -> "Lookups":
        """Read the lookups from the store (four queries)."""
        return cls(store.source_index(), store.all_attributes("source"), store.all_attributes("case"),
                   store.case_names())

    def attribute_names(self) -> list[str]:
        """Built-ins first, then every attribute key used on sources or cases."""
        keys = {k for values in (*self.source_attributes.values(), *self.case_attributes.values()) for k in values}
        return list(BUILT_INS) + sorted(keys - set(BUILT_INS))

    def column(self, frame: pd.DataFrame, attribute: str) -> pd.Series:
        """Each row's effective value of ``attribute`` (NaN where it has none); rows need source and case ids."""
        if attribute == "kind":
            return frame["source_id"].map({i: s[1] for i, s in self.sources.items()})
        if attribute in ("coder", "speaker"):
            return frame[attribute] if attribute in frame else pd.Series(np.nan, index=frame.index, dtype=object)
        if attribute == "case":
            return frame["case_id"].map(self.case_names)
        key = attribute.strip().lower()
        by_case = {i: a[key] for i, a in self.case_attributes.items() if key in a}
        by_source = {i: a[key] for i, a in self.source_attributes.items() if key in a}
        value = frame["segment_case_id"].map(by_case)
        value = value.combine_first(frame["source_case_id"].map(by_case))
        return value.combine_first(frame["source_id"].map(by_source))

    def where_mask(self, frame: pd.DataFrame, where: Mapping[str, str] | None) -> pd.Series:
        """Rows whose effective attributes equal every ``where`` value; CompareError for an unknown attribute."""
        mask = pd.Series(True, index=frame.index)
        known = self.attribute_names()
        for key, value in (where or {}).items():
            if key.strip().lower() not in known:
                raise CompareError(f"no attribute {key!r} to filter on; the project has {', '.join(known)}")
            mask &= self.column(frame, key).astype(object) == value
        return mask


_SEGMENT_COLUMNS = ["segment_id", "source_id", "kind", "start", "end", "speaker", "start_time", "entry_date",
                    "segment_case_id", "label", "parent_id"]
_CODING_COLUMNS = ["coding_id", "code_id", "source_id", "start", "end", "coder", "origin"]


def segment_frame(store: Store, lookups: Lookups, *, sentences: bool = False,
                  source_ids: Sequence[int] | None = None) -> pd.DataFrame:
    """Structural segments (or sentences) with their source's case and effective case, by source and start."""
    frame = pd.DataFrame(store.segment_rows(sentences=sentences, source_ids=source_ids), columns=_SEGMENT_COLUMNS)
    frame["source_case_id"] = frame["source_id"].map({i: s[3] for i, s in lookups.sources.items()})
    frame["case_id"] = frame["segment_case_id"].combine_first(frame["source_case_id"])
    return frame


def coding_frame(store: Store, lookups: Lookups, *, coders: Sequence[str] | None = None,
                 origins: Sequence[str] | None = None, code_ids: Sequence[int] | None = None,
                 segments: pd.DataFrame | None = None) -> pd.DataFrame:
    """Codings with the structural segment each starts in (speaker, time, respondent) and their case."""
    frame = pd.DataFrame(store.coding_rows(coders=coders, origins=origins, code_ids=code_ids),
                         columns=_CODING_COLUMNS)
    segments = segment_frame(store, lookups) if segments is None else segments
    at = locate(segments["source_id"].to_numpy(), segments["start"].to_numpy(),
                frame["source_id"].to_numpy(), frame["start"].to_numpy())
    found = at >= 0
    for column in ("segment_id", "segment_case_id", "speaker", "start_time", "entry_date"):
        values = segments[column].to_numpy(dtype=object)[np.maximum(at, 0)] if len(segments) else np.full(
            len(frame), None, dtype=object)
        frame[column] = pd.Series(np.where(found, values, None), index=frame.index, dtype=object)
    frame["segment_case_id"] = pd.to_numeric(frame["segment_case_id"])
    frame["source_case_id"] = frame["source_id"].map({i: s[3] for i, s in lookups.sources.items()})
    frame["case_id"] = frame["segment_case_id"].combine_first(frame["source_case_id"])
    return frame


def locate(seg_source: np.ndarray, seg_start: np.ndarray, source: np.ndarray, start: np.ndarray) -> np.ndarray:
    """Index of the last segment (sorted by source, start) of the same source starting at or before
    ``start``, or -1."""
    seg_key = _key(seg_source, seg_start)
    key = _key(source, start)
    at = np.searchsorted(seg_key, key, side="right") - 1
    ok = (at >= 0) & (seg_source[np.maximum(at, 0)] == source) if seg_key.size else np.zeros(key.size, bool)
    return np.where(ok, at, -1)


def _key(source: np.ndarray, offset: np.ndarray) -> np.ndarray:
    """One sortable int64 per (source, offset)."""
    return np.asarray(source, dtype=np.int64) * (1 << 32) + np.asarray(offset, dtype=np.int64)


# -- rows: codes in tree order, or themes -------------------------------------------------------
@dataclass
class Rows:
    """Matrix rows and which codes feed each row (``members``: row position, code id)."""

    ids: list[int]
    labels: list[str]
    paths: list[str]
    depths: list[int]
    members: pd.DataFrame


def code_rows(store: Store, *, codes: Sequence[int] | None = None, rollup: bool = True) -> Rows:
    """Codes in tree order; with ``rollup`` a row also takes the codings of everything under it."""
    all_codes = store.codes()
    parent = {c.id: c.parent_id for c in all_codes}
    paths: dict[int, str] = {}
    depth: dict[int, int] = {}
    for code in all_codes:
        up = code.parent_id
        paths[code.id] = f"{paths[up]}/{code.name}" if up else code.name
        depth[code.id] = depth[up] + 1 if up else 0
    chosen = [c for c in all_codes if codes is None or c.id in set(codes)]
    wanted = {c.id: i for i, c in enumerate(chosen)}
    pairs = []
    for code in all_codes:
        node: int | None = code.id
        while node is not None:
            if node in wanted:
                pairs.append((wanted[node], code.id))
            node = parent[node] if rollup else None
    return Rows([c.id for c in chosen], [c.name for c in chosen], [paths[c.id] for c in chosen],
                [depth[c.id] for c in chosen], pd.DataFrame(pairs, columns=["row", "code_id"], dtype=np.int64))


def theme_rows(store: Store, *, include_discarded: bool = False) -> Rows:
    """Themes; a theme's codings are those of its codes and of everything under them."""
    themes = store.themes(include_discarded=include_discarded)
    pairs = {(i, code) for i, theme in enumerate(themes) for c in theme.code_ids for code in store.descendants(c)}
    members = pd.DataFrame(sorted(pairs), columns=["row", "code_id"], dtype=np.int64)
    names = [t.name for t in themes]
    return Rows([t.id for t in themes], names, names, [0] * len(themes), members)


# -- the matrix -----------------------------------------------------------------------------------
@dataclass
class Matrix:
    """A comparison matrix: ``values[row, column]`` of one measure, with the codings behind each cell."""

    by: str
    measure: str
    row_kind: str  # code | theme
    row_ids: list[int]
    row_labels: list[str]
    row_paths: list[str]
    row_depths: list[int]
    columns: list[str]
    values: np.ndarray
    observed: np.ndarray  # counts behind the measure (codings, sources or participants)
    exposure: np.ndarray  # per column: what a row's count is expected to follow (see ``residuals``)
    cells: pd.DataFrame = field(repr=False)  # row, column, coding_id, code_id, passage (a line per coding per row)
    filters: dict[str, str] = field(default_factory=dict)

    def row_index(self, row: int | str) -> int:
        """A row's position from its position, label or path."""
        if isinstance(row, (int, np.integer)):
            if not 0 <= row < len(self.row_ids):
                raise CompareError(f"row {row} is outside the matrix (it has {len(self.row_ids)} rows)")
            return int(row)
        for names in (self.row_paths, self.row_labels):
            matches = [i for i, name in enumerate(names) if name.lower() == row.lower()]
            if len(matches) == 1:
                return matches[0]
        raise CompareError(f"no single row called {row!r} in this matrix")

    def column_index(self, column: int | str) -> int:
        """A column's position from its position or value."""
        if isinstance(column, (int, np.integer)) and 0 <= column < len(self.columns):
            return int(column)
        if str(column) in self.columns:
            return self.columns.index(str(column))
        raise CompareError(f"no column {column!r}; the columns are {', '.join(self.columns)}")

    def cell_coding_ids(self, row: int | str, column: int | str) -> list[int]:
        """The codings counted in one cell (for drill-down to quotes)."""
        r, c = self.row_index(row), self.column_index(column)
        hit = self.cells[(self.cells["row"] == r) & (self.cells["column"] == c)]
        return sorted(hit["coding_id"].astype(int).tolist())

    def cell_passages(self, row: int | str, column: int | str) -> list[list[int]]:
        """The distinct passages of one cell, each as its coding ids (the one the passage is shown by first)."""
        r, c = self.row_index(row), self.column_index(column)
        hit = self.cells[(self.cells["row"] == r) & (self.cells["column"] == c)]
        groups: dict[int, list[int]] = {}
        for coding_id, passage in zip(hit["coding_id"].astype(int).tolist(), hit["passage"].astype(int).tolist()):
            groups.setdefault(passage, []).append(coding_id)
        return [[p, *sorted(i for i in ids if i != p)] for p, ids in sorted(groups.items())]

    def to_frame(self, *, labels: str = "path") -> pd.DataFrame:
        """The matrix as a DataFrame (index: code paths or names, columns: attribute values)."""
        index = pd.Index(self.row_paths if labels == "path" else self.row_labels, name=self.row_kind)
        return pd.DataFrame(self.values, index=index, columns=pd.Index(self.columns, name=self.by))

    def to_long(self) -> pd.DataFrame:
        """One line per cell: row position, label, path, column, value, count behind it, residual (for charts)."""
        n_rows, n_cols = self.values.shape
        return pd.DataFrame({
            "row": np.repeat(np.arange(n_rows), n_cols), "label": np.repeat(self.row_labels, n_cols),
            "path": np.repeat(self.row_paths, n_cols), "column": np.tile(self.columns, n_rows),
            "value": self.values.ravel(), "count": self.observed.ravel(), "residual": self.residuals().ravel()})

    def to_csv(self, path: str | Path | None = None) -> str | None:
        """Write the matrix as CSV to ``path``, or return the CSV text when no path is given."""
        return frame_to_csv(self.to_frame(), path)

    def to_xlsx(self, path: str | Path | BinaryIO) -> None:
        """Write the matrix (and a sheet saying what it measures) as an Excel workbook (a path or a buffer)."""
        about = pd.DataFrame({"setting": ["rows", "columns", "measure", *self.filters],
                              "value": [self.row_kind + "s", self.by, MEASURE_LABELS[self.measure],
                                        *self.filters.values()]})
        frames_to_xlsx(path, {"matrix": (self.to_frame(), True), "about": (about, False)})

    def residuals(self) -> np.ndarray:
        """Pearson residuals (O − E) / √E per cell; E spreads each row's total over the columns in
        proportion to the column's exposure (its codings, sources, participants or words)."""
        total = self.exposure.sum()
        if total <= 0:
            return np.zeros_like(self.observed, dtype=float)
        expected = self.observed.sum(axis=1, keepdims=True) * (self.exposure / total)[np.newaxis, :]
        with np.errstate(divide="ignore", invalid="ignore"):
            result = (self.observed - expected) / np.sqrt(expected)
        return np.where(expected > 0, result, 0.0)

    def differences(self, *, threshold: float = 2.0, limit: int | None = None) -> list[CellDifference]:
        """Cells that stand out from their row (|residual| ≥ threshold), strongest first."""
        res = self.residuals()
        rows, cols = np.nonzero(np.abs(res) >= threshold)
        found = [CellDifference(self.row_labels[r], self.row_paths[r], self.columns[c], float(self.values[r, c]),
                                float(res[r, c])) for r, c in zip(rows.tolist(), cols.tolist())]
        found.sort(key=lambda d: -abs(d.residual))
        return found[:limit] if limit is not None else found


@dataclass
class CellDifference:
    """A cell that differs from what its row's overall spread predicts (residual > 0: more than expected)."""

    row_label: str
    row_path: str
    column: str
    value: float
    residual: float


def compare(store: Store, by: str | Sequence[str] = "site", measure: str = "codings", *,
            codes: Sequence[int] | None = None, themes: bool = False, coders: Sequence[str] | None = None,
            origins: Sequence[str] | None = None, rollup: bool = True,
            where: Mapping[str, str] | None = None) -> Matrix:
    """Codes (or themes) × the values of ``by``, measured as codings, sources, participants or per 1,000 words.

    ``by`` may name several attributes (``["wave", "site"]``): each column is then one combination of their
    values, written ``1 · Northgate``; a coding lacking any of them falls in ``(none)``."""
    if measure not in MEASURES:
        raise CompareError(f"unknown measure {measure!r}; choose one of {', '.join(MEASURES)}")
    lookups = Lookups.load(store)
    bys = [_check_attribute(lookups, b) for b in ([by] if isinstance(by, str) else by)]
    if not bys or len(set(bys)) < len(bys):
        raise CompareError("compare by one attribute, or by several different ones")
    by = " × ".join(bys)
    segments = segment_frame(store, lookups)
    frame = coding_frame(store, lookups, coders=coders, origins=origins, segments=segments)
    frame = frame[lookups.where_mask(frame, where)].copy()
    frame["value"] = _combined(lookups, frame, bys)
    rows = theme_rows(store) if themes else code_rows(store, codes=codes, rollup=rollup)
    units = _units(store, lookups, frame, segments, bys, where)
    columns = _columns(frame["value"], units["value"])
    frame["column"] = frame["value"].map({v: i for i, v in enumerate(columns)}).fillna(len(columns) - 1)
    cells = rows.members.merge(frame[["code_id", "coding_id", "source_id", "case_id", "column"]], on="code_id")
    cells["column"] = cells["column"].astype(np.int64)
    # distinct passages cost a pass over the codings' words: only for the measure that counts them
    cells["passage"] = (_passage_ids(store, lookups, cells, frame) if measure == "passages"
                        else cells["coding_id"].to_numpy())
    shape = (len(rows.ids), len(columns))
    observed, values, exposure = _measure(measure, cells, shape, units, columns, frame)
    filters = {k: str(v) for k, v in {"coders": ", ".join(coders or []), "origins": ", ".join(origins or []),
                                      **(where or {})}.items() if v}
    return Matrix(by, measure, "theme" if themes else "code", rows.ids, rows.labels, rows.paths, rows.depths,
                  columns, values, observed, exposure,
                  cells[["row", "column", "coding_id", "code_id", "passage"]].sort_values(
                      ["row", "column", "coding_id"]),
                  filters)


def attribute_names(store: Store) -> list[str]:
    """What a matrix can compare across: the built-ins, then every attribute used in the project."""
    return Lookups.load(store).attribute_names()


def _check_attribute(lookups: Lookups, by: str) -> str:
    """The attribute name, normalised; CompareError if the project does not use it."""
    name = by.strip().lower()
    known = lookups.attribute_names()
    if name not in known:
        raise CompareError(f"no attribute {by!r} in this project; choose one of {', '.join(known)}")
    return name


def _combined(lookups: Lookups, frame: pd.DataFrame, bys: Sequence[str]) -> pd.Series:
    """Each row's value of one attribute, or its values of several joined by ``JOIN`` (NaN if any is missing)."""
    parts = [lookups.column(frame, b) for b in bys]
    if len(parts) == 1:
        return parts[0]
    missing = pd.concat([p.isna() for p in parts], axis=1).any(axis=1)
    text = parts[0].astype(object).astype(str)
    for part in parts[1:]:
        text = text + JOIN + part.astype(object).astype(str)
    return text.astype(object).where(~missing, np.nan)


def _columns(values: pd.Series, unit_values: pd.Series) -> list[str]:
    """The values of the codings and of the text, in natural order (numbers by value), ``(none)`` last when
    some codings lack a value."""
    present = {str(v) for v in values.dropna().unique()} | {str(v) for v in unit_values.unique() if v != NONE}
    ordered = sorted(present, key=_natural)
    return ordered + [NONE] if values.isna().any() or not ordered else ordered


def _natural(value: str) -> tuple:
    """Sort key: numbers by value, text case-insensitively; combined values part by part."""
    return tuple(_natural_part(part) for part in value.split(JOIN))


def _natural_part(value: str) -> tuple:
    try:
        return (0, float(value), value)
    except ValueError:
        return (1, value.lower(), value)


def _grid(series: pd.Series, shape: tuple[int, int]) -> np.ndarray:
    """A (row, column)-indexed Series as a dense float array."""
    out = np.zeros(shape)
    if len(series):
        index = series.index
        out[index.get_level_values(0).to_numpy(), index.get_level_values(1).to_numpy()] = series.to_numpy()
    return out


def _measure(measure: str, cells: pd.DataFrame, shape: tuple[int, int], units: pd.DataFrame,
             columns: list[str], frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(observed counts, shown values, column exposure) of one measure."""
    grouped = cells.groupby(["row", "column"])
    per_column = lambda s: s.reindex(range(len(columns)), fill_value=0).to_numpy(dtype=float)  # noqa: E731
    if measure == "codings":
        observed = _grid(grouped.size(), shape)
        return observed, observed, per_column(frame.groupby("column").size())
    if measure == "passages":
        observed = _grid(grouped["passage"].nunique(), shape)
        return observed, observed, observed.sum(axis=0)
    unit_column = units["value"].map({v: i for i, v in enumerate(columns)})
    if measure == "sources":
        observed = _grid(grouped["source_id"].nunique(), shape)
        return observed, observed, per_column(units.groupby(unit_column)["source_id"].nunique())
    if measure == "participants":
        observed = _grid(grouped["case_id"].nunique(), shape)
        cases = per_column(units.dropna(subset=["case_id"]).groupby(unit_column)["case_id"].nunique())
        with np.errstate(divide="ignore", invalid="ignore"):
            return observed, np.where(cases > 0, observed / cases, np.nan), cases
    observed = _grid(grouped.size(), shape)
    words = per_column(units.groupby(unit_column)["words"].sum())
    with np.errstate(divide="ignore", invalid="ignore"):
        return observed, np.where(words > 0, observed * 1000.0 / words, np.nan), words


def _units(store: Store, lookups: Lookups, frame: pd.DataFrame, segments: pd.DataFrame, bys: Sequence[str],
           where: Mapping[str, str] | None) -> pd.DataFrame:
    """The text behind the columns: (source, cases, speaker, coder, words, value) units, filtered like the codings."""
    if "speaker" in bys or "speaker" in (where or {}):
        units = _segment_units(store, segments)
    else:
        units = _source_units(store, lookups)
    if "coder" in bys or "coder" in (where or {}):
        coded = frame[["source_id", "coder"]].drop_duplicates()
        units = units.drop(columns="coder").merge(coded, on="source_id")
    units = units[lookups.where_mask(units, where)].copy()
    value = _combined(lookups, units, bys).astype(object)
    units["value"] = value.where(value.notna(), NONE)
    return units


def _source_units(store: Store, lookups: Lookups) -> pd.DataFrame:
    """One unit per source (its words outside respondents' answers) plus one per respondent's answer."""
    answers = pd.DataFrame(store.case_segment_words(), columns=["source_id", "segment_case_id", "words"])
    in_answers = answers.groupby("source_id")["words"].sum()
    sources = pd.DataFrame([(i, s[3], s[2]) for i, s in lookups.sources.items()],
                           columns=["source_id", "source_case_id", "words"])
    sources["words"] = (sources["words"] - sources["source_id"].map(in_answers).fillna(0)).clip(lower=0)
    sources["segment_case_id"] = np.nan
    answers["source_case_id"] = answers["source_id"].map({i: s[3] for i, s in lookups.sources.items()})
    units = pd.concat([sources, answers], ignore_index=True)
    units["case_id"] = units["segment_case_id"].combine_first(units["source_case_id"])
    units["speaker"] = None
    units["coder"] = None
    return units


def _segment_units(store: Store, segments: pd.DataFrame) -> pd.DataFrame:
    """One unit per structural segment, with its own word count (needed to compare speakers)."""
    texts = store.texts(sorted(segments["source_id"].unique().tolist()))
    words = [len(texts[s][a:b].split()) for s, a, b in
             zip(segments["source_id"].tolist(), segments["start"].tolist(), segments["end"].tolist())]
    units = segments[["source_id", "segment_case_id", "source_case_id", "case_id", "speaker"]].copy()
    units["words"] = words
    units["coder"] = None
    return units


def _passage_ids(store: Store, lookups: Lookups, cells: pd.DataFrame, frame: pd.DataFrame) -> np.ndarray:
    """Each cell line's passage (the coding id it is shown by): the report's rule, within a row and column."""
    if not len(cells):
        return np.empty(0, dtype=np.int64)
    codings = frame[["coding_id", "source_id", "start", "end", "coder"]].drop_duplicates("coding_id")
    texts = store.texts(sorted(codings["source_id"].unique().tolist()))
    codings = codings.assign(length=[len(texts[s][a:b].strip()) for s, a, b in zip(
        codings["source_id"].tolist(), codings["start"].tolist(), codings["end"].tolist())])
    spans = cells[["row", "column", "coding_id"]].merge(codings, on="coding_id", how="left")
    names = {i: s[0] for i, s in lookups.sources.items()}
    spans["name"] = spans["source_id"].map(names)
    groups = spans.groupby(["row", "column", "name", "source_id"], sort=True).ngroup().to_numpy()
    return passage_keys(groups, spans["start"].to_numpy(), spans["end"].to_numpy(), spans["length"].to_numpy(),
                        spans["coder"].tolist(), spans["coding_id"].to_numpy())


@dataclass
class PassageQuote:
    """One distinct passage of a cell: the quote it is shown by and everyone who coded it."""

    quote: Quote
    coders: list[str]
    coding_ids: list[int]


def passages_for_cell(store: Store, matrix: Matrix, row: int | str, column: int | str) -> list[PassageQuote]:
    """The distinct passages counted in one cell, each quoted once with its coders."""
    groups = matrix.cell_passages(row, column)
    quotes = {q.coding_id: q for q in quotes_for_codings(store, [i for g in groups for i in g])}
    found = [PassageQuote(quotes[g[0]], list(dict.fromkeys(quotes[i].coder for i in g)), g) for g in groups]
    return sorted(found, key=lambda p: (p.quote.source_name, p.quote.start, p.quote.end))


def quotes_for_cell(store: Store, matrix: Matrix, row: int | str, column: int | str) -> list[Quote]:
    """The quotes counted in one cell, with their attribution."""
    return quotes_for_codings(store, matrix.cell_coding_ids(row, column))


def quotes_for_codings(store: Store, coding_ids: Sequence[int]) -> list[Quote]:
    """Quotes of the given codings (in source and text order), with their attribution."""
    wanted = set(int(i) for i in coding_ids)
    if not wanted:
        return []
    rows = store.coding_rows(coding_ids=sorted(wanted))
    facts = store.coding_facts(code_ids=sorted({r[1] for r in rows}), source_ids=sorted({r[2] for r in rows}))
    return build_quotes(store, [f for f in facts if f.coding_id in wanted])
