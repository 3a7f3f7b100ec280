"""Inter-coder reliability: from coded spans to units to per-code agreement statistics.

For each code every unit gets, per coder, 1.0 (the coder applied the code to a
span sharing at least one character with the unit; for segments optionally at
least ``min_overlap`` of the unit's characters), 0.0 (they did not), or NaN
(the coder did not code that source at all, so a partially double-coded
project works).

Units are either caller-supplied segments (speaker turns, sentences) or single
characters. The character level never materialises characters: per code, the
boundaries of all coders' spans and of the sources cut the text into
elementary intervals on which every coder's decision is constant, and each
interval is weighted by its length. Weighted statistics over these intervals
equal the statistics over individual characters.

Overall figures pool all codes: every code × unit decision becomes one binary
unit of a single stacked matrix, on which percent agreement, kappa and alpha
are computed (so frequent codes weigh more than rare ones, and overall alpha is
not an average of per-code alphas).
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from coding.agreement import alpha_from_counts, kappa_from_confusion, percent_agreement_from_counts
from workbench.errors import WorkbenchError

UNIT_KINDS: tuple[str, ...] = ("segment", "character")
MAX_CODERS = 39  # disagreement patterns are base-3 numbers in int64

_INT = np.int64


class ReliabilityError(WorkbenchError, ValueError):
    """Reliability input is inconsistent: bad spans or units, unknown unit kind, missing lengths, too few coders."""


@dataclass(frozen=True)
class CodedSpan:
    """One coding: ``code`` applied by ``coder`` to ``[start, end)`` of a source's text (code points)."""

    source_id: int
    start: int
    end: int
    code: str
    coder: str


@dataclass(frozen=True)
class Unit:
    """A unit of analysis: ``[start, end)`` of a source's text, e.g. a speaker turn or a sentence."""

    source_id: int
    start: int
    end: int


@dataclass(frozen=True)
class Disagreement:
    """A contiguous stretch where some coders applied ``code`` and others did not."""

    source_id: int
    start: int
    end: int
    code: str
    coded_by: tuple[str, ...]
    not_coded_by: tuple[str, ...]


@dataclass(frozen=True)
class Figures:
    """Agreement figures over pairable units; n_units counts segments, or characters at character level."""

    n_units: int
    percent_agreement: float
    cohen_kappa: float | None  # only with exactly two coders; None also where it is undefined (chance agreement 1)
    krippendorff_alpha: float  # nominal


@dataclass(frozen=True)
class CodeReliability(Figures):
    """Agreement figures for one code."""

    code: str


@dataclass(frozen=True, eq=False)
class CodeMatrix:
    """Reliability data of one code: coders × units of 1.0 / 0.0 / NaN, units ordered by source then start."""

    code: str
    values: np.ndarray  # shape (coders, units)
    weights: np.ndarray  # characters per unit at character level, 1.0 per segment
    source_ids: np.ndarray
    starts: np.ndarray
    ends: np.ndarray


@dataclass(frozen=True)
class ReliabilityReport:
    """Per-code and pooled agreement figures plus the merged list of disagreements."""

    coders: tuple[str, ...]
    unit: str
    ignore_uncoded: bool
    per_code: tuple[CodeReliability, ...]
    overall: Figures
    all_disagreements: tuple[Disagreement, ...]
    coded: Figures | None = None  # pooled over the units at least one coder coded (the headline)

    def code(self, code: str) -> CodeReliability:
        """The figures of one code; ReliabilityError if the code was not analysed."""
        for row in self.per_code:
            if row.code == code:
                return row
        raise ReliabilityError(f"code {code!r} is not in this report")

    def disagreements(self, code: str | None = None, source_id: int | None = None) -> list[Disagreement]:
        """Disagreements, optionally only for one code and/or one source, ordered by source and position."""
        return [
            d
            for d in self.all_disagreements
            if (code is None or d.code == code) and (source_id is None or d.source_id == source_id)
        ]


@dataclass(frozen=True, eq=False)
class _SpanTable:
    """Spans of the selected coders as parallel arrays; code is -1 for codes not analysed."""

    source: np.ndarray
    start: np.ndarray
    end: np.ndarray
    code: np.ndarray
    coder: np.ndarray


@dataclass(frozen=True, eq=False)
class _Layout:
    """Sources laid end to end on one global axis: source i occupies [bases[i], bases[i + 1])."""

    source_ids: np.ndarray
    bases: np.ndarray

    def index(self, sources: np.ndarray) -> np.ndarray:
        """Position of each source id in source_ids (which must contain them)."""
        return np.searchsorted(self.source_ids, sources)

    def contains(self, sources: np.ndarray) -> np.ndarray:
        """Whether each source id is laid out."""
        idx = np.minimum(self.index(sources), max(self.source_ids.size - 1, 0))
        return (self.source_ids.size > 0) & (self.source_ids[idx] == sources)


_Intervals = dict[tuple[int, int], tuple[np.ndarray, np.ndarray]]


def reliability(
    spans: Iterable[CodedSpan],
    coders: Sequence[str],
    units: Sequence[Unit] | None = None,
    *,
    unit: str = "segment",
    source_lengths: Mapping[int, int] | None = None,
    codes: Sequence[str] | None = None,
    ignore_uncoded: bool = False,
    coders_by_source: Mapping[int, set[str]] | None = None,
    min_overlap: float = 0.0,
) -> ReliabilityReport:
    """Per-code and pooled agreement of ``coders`` (kappa uses coders[0] vs coders[1]).

    ``ignore_uncoded=True`` leaves out, per code, the units that no coder coded
    with that code, so vast uncoded text does not inflate agreement. Caution:
    with the "neither coded" cell removed, two-coder kappa and alpha on this
    presence/absence data are never positive unless every kept unit agrees (kappa = -2bc/n², alpha =
    (1 - n0)/n1 with n0 the 0-values and n1 the 1-values); percent agreement is
    the figure to read there (for two coders: units both coded / units either
    coded). See ``code_matrices`` for the other parameters.
    """
    matrices = code_matrices(
        spans, coders, units, unit=unit, source_lengths=source_lengths, codes=codes,
        coders_by_source=coders_by_source, min_overlap=min_overlap,
    )
    kept = [_pairable(m.values, m.weights, ignore_uncoded) for m in matrices]
    per_code = tuple(CodeReliability(code=m.code, **vars(_figures(v, w))) for m, (v, w) in zip(matrices, kept))
    n_coders = len(tuple(coders))
    return ReliabilityReport(
        coders=tuple(coders),
        unit=unit,
        ignore_uncoded=ignore_uncoded,
        per_code=per_code,
        overall=_pooled(kept, n_coders),
        all_disagreements=find_disagreements(matrices, tuple(coders)),
        coded=_pooled([_pairable(m.values, m.weights, True) for m in matrices], n_coders),
    )


def _pooled(kept: list[tuple[np.ndarray, np.ndarray]], n_coders: int) -> Figures:
    """Figures over every code's kept units together."""
    values = np.concatenate([v for v, _ in kept], axis=1) if kept else np.empty((n_coders, 0))
    weights = np.concatenate([w for _, w in kept]) if kept else np.empty(0)
    return _figures(values, weights)


def code_matrices(
    spans: Iterable[CodedSpan],
    coders: Sequence[str],
    units: Sequence[Unit] | None = None,
    *,
    unit: str = "segment",
    source_lengths: Mapping[int, int] | None = None,
    codes: Sequence[str] | None = None,
    coders_by_source: Mapping[int, set[str]] | None = None,
    min_overlap: float = 0.0,
) -> list[CodeMatrix]:
    """Reliability data per code (coders × units) from coded spans.

    ``unit="segment"`` needs ``units``; ``unit="character"`` needs
    ``source_lengths`` (characters per source id). ``codes`` defaults to every
    code the selected coders used, sorted. ``coders_by_source`` says which
    coders coded which source; when None a coder counts as having coded every
    source holding at least one of their codings (any code). Spans of other
    coders are ignored. ``min_overlap`` (segments only) is the share of a
    unit's characters a coder's spans of the code must cover; 0 means one
    shared character suffices.
    """
    coder_list = _check_coders(coders)
    _check_unit_args(unit, units, source_lengths, min_overlap)
    table, code_list = _span_table(spans, coder_list, codes)
    if unit == "character":
        layout = _character_layout(source_lengths or {}, table)
    else:
        unit_table = _unit_table(units or [])
        layout = _segment_layout(table, unit_table)
    coverage = _coverage(table, layout, coder_list, coders_by_source)
    g_start, g_end = _to_global(layout, table.source, table.start), _to_global(layout, table.source, table.end)
    intervals = _merged_intervals(table, g_start, g_end, len(code_list))
    if unit == "character":
        return [_character_matrix(c, k, intervals, layout, coverage) for k, c in enumerate(code_list)]
    return _segment_matrices(code_list, intervals, layout, coverage, unit_table, min_overlap)


def find_disagreements(matrices: Sequence[CodeMatrix], coders: Sequence[str]) -> tuple[Disagreement, ...]:
    """Units where coders with a value differ, merged into contiguous stretches, by source, start, end, code."""
    parts = [_disagreement_runs(m, k) for k, m in enumerate(matrices)]
    if not parts:
        return ()
    src, start, end, code, pattern = (np.concatenate(p) for p in zip(*parts))
    order = np.lexsort((code, end, start, src))
    names = _pattern_names(np.unique(pattern), tuple(coders))
    return tuple(
        Disagreement(int(src[i]), int(start[i]), int(end[i]), matrices[code[i]].code, *names[int(pattern[i])])
        for i in order
    )


def _check_coders(coders: Sequence[str]) -> list[str]:
    """At least two distinct coders, as a list."""
    coder_list = list(coders)
    if len(coder_list) < 2:
        raise ReliabilityError(f"reliability needs at least two coders, got {coder_list!r}")
    if len(coder_list) > MAX_CODERS:
        raise ReliabilityError(f"at most {MAX_CODERS} coders can be compared at once, got {len(coder_list)}")
    if len(set(coder_list)) != len(coder_list):
        raise ReliabilityError(f"coders must be distinct, got {coder_list!r}")
    return coder_list


def _check_unit_args(
    unit: str, units: Sequence[Unit] | None, source_lengths: Mapping[int, int] | None, min_overlap: float
) -> None:
    """Validate the unit kind and the arguments it requires."""
    if unit not in UNIT_KINDS:
        raise ReliabilityError(f"unknown unit {unit!r}; expected one of {', '.join(UNIT_KINDS)}")
    if unit == "segment" and units is None:
        raise ReliabilityError("unit='segment' needs the units (segments) to compare")
    if unit == "character" and source_lengths is None:
        raise ReliabilityError("unit='character' needs source_lengths (characters per source id)")
    if unit == "character" and units is not None:
        raise ReliabilityError("units are only used with unit='segment'")
    if not 0.0 <= min_overlap <= 1.0:
        raise ReliabilityError(f"min_overlap must be a fraction between 0 and 1, got {min_overlap}")


def _span_table(
    spans: Iterable[CodedSpan], coders: list[str], codes: Sequence[str] | None
) -> tuple[_SpanTable, list[str]]:
    """Arrays of the selected coders' spans and the ordered list of codes to analyse."""
    coder_pos = {name: i for i, name in enumerate(coders)}
    seen: dict[str, int] = {}
    rows = [
        (s.source_id, s.start, s.end, seen.setdefault(s.code, len(seen)), coder_pos[s.coder])
        for s in spans
        if s.coder in coder_pos
    ]
    data = np.array(rows, dtype=_INT).reshape(-1, 5)
    code_list = sorted(seen) if codes is None else list(dict.fromkeys(codes))
    final_pos = {name: i for i, name in enumerate(code_list)}
    remap = np.array([final_pos.get(name, -1) for name in seen], dtype=_INT)
    table = _SpanTable(data[:, 0], data[:, 1], data[:, 2], remap[data[:, 3]], data[:, 4])
    _check_ranges("span", table.source, table.start, table.end)
    return table, code_list


def _unit_table(units: Sequence[Unit]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Units as (source, start, end) arrays, validated."""
    data = np.array([(u.source_id, u.start, u.end) for u in units], dtype=_INT).reshape(-1, 3)
    _check_ranges("unit", data[:, 0], data[:, 1], data[:, 2])
    return data[:, 0], data[:, 1], data[:, 2]


def _check_ranges(what: str, source: np.ndarray, start: np.ndarray, end: np.ndarray) -> None:
    """Raise ReliabilityError for the first range with start < 0 or end <= start."""
    bad = np.flatnonzero((start < 0) | (end <= start))
    if bad.size:
        i = bad[0]
        raise ReliabilityError(
            f"{what} in source {source[i]} has invalid range [{start[i]}, {end[i]}): "
            "need 0 <= start < end (code points, end exclusive)"
        )


def _character_layout(source_lengths: Mapping[int, int], table: _SpanTable) -> _Layout:
    """Lay sources out by their lengths; every span must fall inside its source."""
    ids = np.array(sorted(source_lengths), dtype=_INT)
    lengths = np.array([source_lengths[i] for i in ids.tolist()], dtype=_INT)
    if (lengths < 0).any():
        raise ReliabilityError("source_lengths must be non-negative")
    layout = _Layout(ids, np.concatenate([[0], np.cumsum(lengths)]).astype(_INT))
    known = layout.contains(table.source)
    if not known.all():
        raise ReliabilityError(f"source {table.source[~known][0]} has codings but no entry in source_lengths")
    too_long = table.end > lengths[layout.index(table.source)]
    if too_long.any():
        i = np.flatnonzero(too_long)[0]
        raise ReliabilityError(
            f"span [{table.start[i]}, {table.end[i]}) runs past the end of source {table.source[i]} "
            f"({lengths[layout.index(table.source[i : i + 1])[0]]} characters)"
        )
    return layout


def _segment_layout(table: _SpanTable, units: tuple[np.ndarray, np.ndarray, np.ndarray]) -> _Layout:
    """Lay out every source holding spans or units, each as long as its furthest end."""
    sources = np.concatenate([table.source, units[0]])
    ends = np.concatenate([table.end, units[2]])
    ids, idx = np.unique(sources, return_inverse=True)
    extent = np.zeros(ids.size, dtype=_INT)
    np.maximum.at(extent, idx.reshape(-1), ends)
    return _Layout(ids, np.concatenate([[0], np.cumsum(extent)]).astype(_INT))


def _to_global(layout: _Layout, source: np.ndarray, offset: np.ndarray) -> np.ndarray:
    """Global axis position of (source, offset) pairs."""
    return layout.bases[layout.index(source)] + offset


def _coverage(
    table: _SpanTable, layout: _Layout, coders: list[str], coders_by_source: Mapping[int, set[str]] | None
) -> np.ndarray:
    """Boolean coders × sources: which coder coded which source (else their values are missing)."""
    from_spans = np.zeros((len(coders), layout.source_ids.size), dtype=bool)
    from_spans[table.coder, layout.index(table.source)] = True
    if coders_by_source is None:
        return from_spans
    declared = np.zeros_like(from_spans)
    for c, name in enumerate(coders):
        sources = np.array([s for s, names in coders_by_source.items() if name in names], dtype=_INT)
        sources = sources[layout.contains(sources)]
        declared[c, layout.index(sources)] = True
    clash = from_spans & ~declared
    if clash.any():
        c, s = np.argwhere(clash)[0]
        raise ReliabilityError(
            f"coder {coders[c]!r} has codings in source {layout.source_ids[s]} "
            "but coders_by_source does not list them as coding it"
        )
    return declared


def _merged_intervals(table: _SpanTable, g_start: np.ndarray, g_end: np.ndarray, n_codes: int) -> _Intervals:
    """Per (coder, code): the union of that coder's spans of that code as sorted disjoint global intervals."""
    selected = table.code >= 0
    coder, code = table.coder[selected], table.code[selected]
    start, end = g_start[selected], g_end[selected]
    order = np.lexsort((start, code, coder))
    coder, code, start, end = coder[order], code[order], start[order], end[order]
    key = coder * n_codes + code
    cuts = np.concatenate([[0], np.flatnonzero(np.diff(key)) + 1, [key.size]])
    return {
        (int(coder[lo]), int(code[lo])): _merge(start[lo:hi], end[lo:hi])
        for lo, hi in zip(cuts[:-1].tolist(), cuts[1:].tolist())
        if hi > lo
    }


def _merge(start: np.ndarray, end: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Union of intervals sorted by start, as disjoint sorted intervals (touching ones merged)."""
    reach = np.maximum.accumulate(end)
    first = np.concatenate([[True], start[1:] > reach[:-1]])
    heads = np.flatnonzero(first)
    return start[heads], np.maximum.reduceat(end, heads)


_NO_INTERVALS = (np.empty(0, dtype=_INT), np.empty(0, dtype=_INT))


def _segment_matrices(
    code_list: list[str],
    intervals: _Intervals,
    layout: _Layout,
    coverage: np.ndarray,
    units: tuple[np.ndarray, np.ndarray, np.ndarray],
    min_overlap: float,
) -> list[CodeMatrix]:
    """One CodeMatrix per code over the caller's segments, sorted by source and start."""
    source, start, end = units
    g_start, g_end = _to_global(layout, source, start), _to_global(layout, source, end)
    order = np.lexsort((g_end, g_start))
    source, start, end, g_start, g_end = source[order], start[order], end[order], g_start[order], g_end[order]
    missing = ~coverage[:, layout.index(source)]
    needed = min_overlap * (g_end - g_start)
    weights = np.ones(source.size)
    matrices = []
    for k, name in enumerate(code_list):
        values = np.empty(missing.shape)
        for c in range(missing.shape[0]):
            covered = _covered_length(*intervals.get((c, k), _NO_INTERVALS), g_start, g_end)
            values[c] = (covered > 0) & (covered >= needed)
        values[missing] = np.nan
        matrices.append(CodeMatrix(name, values, weights, source, start, end))
    return matrices


def _character_matrix(
    name: str, k: int, intervals: _Intervals, layout: _Layout, coverage: np.ndarray
) -> CodeMatrix:
    """CodeMatrix of one code over elementary intervals weighted by their length in characters."""
    n_coders = coverage.shape[0]
    own = [intervals.get((c, k), _NO_INTERVALS) for c in range(n_coders)]
    bounds = np.unique(np.concatenate([layout.bases, *(a for pair in own for a in pair)]))
    left, right = bounds[:-1], bounds[1:]
    source_idx = np.searchsorted(layout.bases, left, side="right") - 1
    values = np.empty((n_coders, left.size))
    for c, (starts, ends) in enumerate(own):
        values[c] = _covered_at(starts, ends, left)
    values[~coverage[:, source_idx]] = np.nan
    base = layout.bases[source_idx]
    weights = (right - left).astype(float)
    return CodeMatrix(name, values, weights, layout.source_ids[source_idx], left - base, right - base)


def _covered_length(starts: np.ndarray, ends: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Characters of [a, b) covered by sorted disjoint intervals, element-wise."""
    if starts.size == 0:
        return np.zeros(a.shape, dtype=_INT)
    before = np.concatenate([[0], np.cumsum(ends - starts)])
    return _covered_upto(starts, ends, before, b) - _covered_upto(starts, ends, before, a)


def _covered_upto(starts: np.ndarray, ends: np.ndarray, before: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Characters of [0, x) covered by sorted disjoint intervals; before[i] = length of intervals < i."""
    count = np.searchsorted(starts, x, side="right")
    last = np.maximum(count - 1, 0)
    partial = np.clip(np.minimum(x, ends[last]) - starts[last], 0, None)
    return np.where(count > 0, before[last] + partial, 0)


def _covered_at(starts: np.ndarray, ends: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Whether position x lies inside one of the sorted disjoint intervals, element-wise."""
    if starts.size == 0:
        return np.zeros(x.shape, dtype=bool)
    last = np.searchsorted(starts, x, side="right") - 1
    return (last >= 0) & (ends[np.maximum(last, 0)] > x)


def _pairable(values: np.ndarray, weights: np.ndarray, ignore_uncoded: bool) -> tuple[np.ndarray, np.ndarray]:
    """Columns with at least two values (and, with ignore_uncoded, at least one 1) and their weights."""
    present = ~np.isnan(values)
    keep = present.sum(axis=0) >= 2
    if ignore_uncoded:
        keep &= np.nansum(values, axis=0) > 0
    return values[:, keep], weights[keep]


def _figures(values: np.ndarray, weights: np.ndarray) -> Figures:
    """Figures for binary coders × units data (pairable columns only) with unit weights."""
    present = ~np.isnan(values)
    applied = np.nansum(values, axis=0)
    counts = np.column_stack([present.sum(axis=0) - applied, applied])
    kappa = _binary_kappa(values, weights) if values.shape[0] == 2 else None
    return Figures(
        n_units=int(round(float(weights.sum()))),
        percent_agreement=percent_agreement_from_counts(counts, weights=weights),
        cohen_kappa=kappa,
        krippendorff_alpha=alpha_from_counts(counts, weights=weights),
    )


def _binary_kappa(values: np.ndarray, weights: np.ndarray) -> float | None:
    """Cohen's kappa of two coders' 0/1 rows over the columns both coded, weighted; None where undefined
    (no such columns, or chance agreement 1: both coders gave every unit the same value)."""
    both = ~np.isnan(values).any(axis=0)
    cells = (2 * values[0, both] + values[1, both]).astype(_INT)
    confusion = np.bincount(cells, weights=weights[both], minlength=4).reshape(2, 2)
    kappa = kappa_from_confusion(confusion)
    return None if np.isnan(kappa) else kappa


def _disagreement_runs(matrix: CodeMatrix, k: int) -> tuple[np.ndarray, ...]:
    """(source, start, end, code index, pattern) of merged disagreement runs of one code."""
    present = ~np.isnan(matrix.values)
    applied = np.nansum(matrix.values, axis=0)
    split = (applied > 0) & (applied < present.sum(axis=0))
    states = np.where(present, np.nan_to_num(matrix.values) + 1, 0).astype(_INT)[:, split]
    pattern = (states * (3 ** np.arange(states.shape[0], dtype=_INT))[:, np.newaxis]).sum(axis=0)
    source, start, end = matrix.source_ids[split], matrix.starts[split], matrix.ends[split]
    fresh = np.ones(source.size, dtype=bool)
    fresh[1:] = (source[1:] != source[:-1]) | (pattern[1:] != pattern[:-1]) | (start[1:] > end[:-1])
    heads = np.flatnonzero(fresh)
    run_end = np.maximum.reduceat(end, heads) if heads.size else end[heads]
    return source[heads], start[heads], run_end, np.full(heads.size, k, dtype=_INT), pattern[heads]


def _pattern_names(patterns: np.ndarray, coders: tuple[str, ...]) -> dict[int, tuple[tuple[str, ...], tuple[str, ...]]]:
    """(coded_by, not_coded_by) coder names for each base-3 pattern (0 missing, 1 not coded, 2 coded)."""
    names = {}
    for p in patterns.tolist():
        digits = [(p // 3**c) % 3 for c in range(len(coders))]
        names[p] = (
            tuple(n for n, d in zip(coders, digits) if d == 2),
            tuple(n for n, d in zip(coders, digits) if d == 1),
        )
    return names
