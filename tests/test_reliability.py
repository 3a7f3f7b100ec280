"""Tests for workbench.analysis.reliability: spans to units, weighted character level, disagreements."""
from __future__ import annotations

import warnings

import krippendorff
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import cohen_kappa_score

from coding.agreement import krippendorff_alpha, percent_agreement
from workbench.analysis.reliability import (
    CodedSpan,
    Disagreement,
    ReliabilityError,
    ReliabilityReport,
    Unit,
    code_matrices,
    reliability,
)

NAN = np.nan

# Source 1 has 50 characters in 5 sentence units of 10; source 2 has 20 characters in 2 units.
UNITS = [Unit(1, i, i + 10) for i in range(0, 50, 10)] + [Unit(2, 0, 10), Unit(2, 10, 20)]
LENGTHS = {1: 50, 2: 20}
SPANS = [
    CodedSpan(1, 0, 15, "hope", "ana"),
    CodedSpan(1, 5, 10, "hope", "ben"),
    CodedSpan(1, 30, 35, "loss", "ana"),
    CodedSpan(1, 30, 40, "loss", "ben"),
    CodedSpan(2, 0, 5, "hope", "ana"),
]


def _expected(values: np.ndarray) -> tuple[float, float, float]:
    """Percent agreement, kappa (sklearn) and alpha (krippendorff package) of 2-coder data, pairable units only."""
    both = values[:, ~np.isnan(values).any(axis=0)]
    kappa = cohen_kappa_score(both[0], both[1]) if len(np.unique(both)) > 1 else None  # undefined
    return float((both[0] == both[1]).mean()), kappa, _reference_alpha(values)


def _reference_alpha(values: np.ndarray) -> float:
    """krippendorff package alpha, NaN where it declares alpha undefined."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return float(krippendorff.alpha(reliability_data=values, level_of_measurement="nominal"))
    except ValueError:
        return NAN


def test_segment_values_per_code() -> None:
    # ben never coded source 2, so source 2's units are missing for ben.
    matrices = {m.code: m for m in code_matrices(SPANS, ["ana", "ben"], UNITS)}
    np.testing.assert_array_equal(
        matrices["hope"].values, [[1, 1, 0, 0, 0, 1, 0], [1, 0, 0, 0, 0, NAN, NAN]]
    )
    np.testing.assert_array_equal(matrices["loss"].values[1], [0, 0, 0, 1, 0, NAN, NAN])


def test_segment_figures_match_reference_libraries() -> None:
    report = reliability(SPANS, ["ana", "ben"], UNITS)
    hope = report.code("hope")
    values = np.array([[1, 1, 0, 0, 0], [1, 0, 0, 0, 0]], dtype=float)
    pa, kappa, alpha = _expected(values)
    assert (hope.n_units, hope.percent_agreement) == (5, pytest.approx(pa))
    assert hope.cohen_kappa == pytest.approx(kappa)
    assert hope.krippendorff_alpha == pytest.approx(alpha)
    assert report.code("loss").krippendorff_alpha == pytest.approx(1.0)


def test_overall_pools_code_unit_decisions() -> None:
    report = reliability(SPANS, ["ana", "ben"], UNITS)
    stacked = np.concatenate([m.values[:, :5] for m in code_matrices(SPANS, ["ana", "ben"], UNITS)], axis=1)
    assert report.overall.n_units == 10
    assert report.overall.krippendorff_alpha == pytest.approx(krippendorff_alpha(stacked))
    assert report.overall.percent_agreement == pytest.approx(percent_agreement(stacked.T))


@pytest.mark.parametrize(
    ("min_overlap", "ana_row"),
    [(0.0, [1, 1, 0, 0, 0]), (0.5, [1, 1, 0, 0, 0]), (0.6, [1, 0, 0, 0, 0]), (1.0, [1, 0, 0, 0, 0])],
)
def test_min_overlap_is_share_of_unit_covered(min_overlap: float, ana_row: list[int]) -> None:
    hope = code_matrices(SPANS, ["ana", "ben"], UNITS, codes=["hope"], min_overlap=min_overlap)[0]
    np.testing.assert_array_equal(hope.values[0, :5], ana_row)


def test_min_overlap_counts_union_of_a_coders_spans() -> None:
    spans = [CodedSpan(1, 0, 4, "c", "a"), CodedSpan(1, 4, 10, "c", "a"), CodedSpan(1, 0, 1, "c", "b")]
    matrix = code_matrices(spans, ["a", "b"], [Unit(1, 0, 10)], min_overlap=1.0)[0]
    np.testing.assert_array_equal(matrix.values[:, 0], [1, 0])


def test_ignore_uncoded_drops_units_nobody_coded() -> None:
    report = reliability(SPANS, ["ana", "ben"], UNITS, ignore_uncoded=True)
    assert [report.code("hope").n_units, report.code("loss").n_units] == [2, 1]
    assert report.code("hope").percent_agreement == pytest.approx(0.5)
    assert reliability(SPANS, ["ana", "ben"], UNITS).code("hope").percent_agreement == pytest.approx(0.8)


def test_coders_by_source_makes_uncoded_source_count() -> None:
    both = {1: {"ana", "ben"}, 2: {"ana", "ben"}}
    report = reliability(SPANS, ["ana", "ben"], UNITS, coders_by_source=both)
    assert report.code("hope").n_units == 7  # ben coded source 2 and found nothing
    assert report.disagreements(code="hope", source_id=2) == [
        Disagreement(2, 0, 10, "hope", ("ana",), ("ben",))
    ]


def test_coders_by_source_contradicting_codings_is_an_error() -> None:
    with pytest.raises(ReliabilityError, match="coders_by_source"):
        reliability(SPANS, ["ana", "ben"], UNITS, coders_by_source={1: {"ana"}, 2: {"ana"}})


def test_three_coders_have_no_kappa() -> None:
    spans = SPANS + [CodedSpan(1, 0, 10, "hope", "cy")]
    report = reliability(spans, ["ana", "ben", "cy"], UNITS)
    assert report.code("hope").cohen_kappa is None and report.overall.cohen_kappa is None
    # source 2 has only ana's codings, so its units are not pairable
    assert report.code("hope").n_units == 5
    # units: ana 1,1,0,0,0; ben 1,0,0,0,0; cy 1,0,0,0,0 -> pairs agree 3/3, 1/3, 1, 1, 1
    assert report.code("hope").percent_agreement == pytest.approx((4 + 1 / 3) / 5)
    assert report.disagreements(code="hope") == [Disagreement(1, 10, 20, "hope", ("ana",), ("ben", "cy"))]


def test_disagreements_are_merged_into_contiguous_stretches() -> None:
    spans = [CodedSpan(1, 0, 30, "c", "a"), CodedSpan(1, 25, 30, "c", "b")]
    units = [Unit(1, 0, 10), Unit(1, 10, 20), Unit(1, 20, 30), Unit(1, 30, 40)]
    report = reliability(spans, ["a", "b"], units)
    assert report.disagreements() == [Disagreement(1, 0, 20, "c", ("a",), ("b",))]
    chars = reliability(spans, ["a", "b"], unit="character", source_lengths={1: 40})
    assert chars.disagreements() == [Disagreement(1, 0, 25, "c", ("a",), ("b",))]


def test_disagreements_sorted_by_source_position_and_filterable() -> None:
    report = reliability(SPANS, ["ana", "ben"], unit="character", source_lengths=LENGTHS)
    assert report.disagreements() == [
        Disagreement(1, 0, 5, "hope", ("ana",), ("ben",)),
        Disagreement(1, 10, 15, "hope", ("ana",), ("ben",)),
        Disagreement(1, 35, 40, "loss", ("ben",), ("ana",)),
    ]
    assert report.disagreements(code="loss") == report.disagreements()[2:]


def test_character_figures_by_hand() -> None:
    report = reliability(SPANS, ["ana", "ben"], unit="character", source_lengths=LENGTHS)
    hope = report.code("hope")
    assert (hope.n_units, hope.percent_agreement) == (50, pytest.approx(40 / 50))
    assert report.overall.n_units == 100


def test_codes_parameter_sets_order_and_includes_unused_codes() -> None:
    report = reliability(SPANS, ["ana", "ben"], UNITS, codes=["loss", "unused"])
    assert [c.code for c in report.per_code] == ["loss", "unused"]
    unused = report.code("unused")
    assert (unused.percent_agreement, unused.cohen_kappa) == (1.0, None)  # chance agreement 1: undefined
    assert np.isnan(unused.krippendorff_alpha)


def test_no_pairable_units_gives_nan_figures() -> None:
    spans = [CodedSpan(1, 0, 5, "c", "a"), CodedSpan(2, 0, 5, "c", "b")]
    figures = reliability(spans, ["a", "b"], [Unit(1, 0, 5), Unit(2, 0, 5)]).code("c")
    assert figures.n_units == 0
    assert np.isnan([figures.percent_agreement, figures.krippendorff_alpha]).all() and figures.cohen_kappa is None


def test_unknown_code_in_report_is_an_error() -> None:
    with pytest.raises(ReliabilityError, match="not in this report"):
        reliability(SPANS, ["ana", "ben"], UNITS).code("joy")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"coders": ["ana"]}, "at least two coders"),
        ({"coders": ["ana", "ana"]}, "distinct"),
        ({"unit": "word"}, "unknown unit"),
        ({"units": None}, "needs the units"),
        ({"units": None, "unit": "character"}, "source_lengths"),
        ({"unit": "character", "source_lengths": LENGTHS}, "only used with unit='segment'"),
        ({"units": None, "unit": "character", "source_lengths": {1: 50}}, "no entry in source_lengths"),
        ({"units": None, "unit": "character", "source_lengths": {1: 30, 2: 20}}, "runs past the end"),
        ({"units": [Unit(1, 5, 5)]}, "invalid range"),
        ({"spans": [CodedSpan(1, 4, 2, "c", "ana")]}, "invalid range"),
        ({"spans": [CodedSpan(1, -1, 2, "c", "ana")]}, "invalid range"),
        ({"min_overlap": 1.5}, "min_overlap"),
    ],
)
def test_invalid_input_raises(kwargs: dict, message: str) -> None:
    args = {"spans": SPANS, "coders": ["ana", "ben"], "units": UNITS} | kwargs
    with pytest.raises(ReliabilityError, match=message):
        reliability(args.pop("spans"), args.pop("coders"), args.pop("units"), **args)


# ---- character level over elementary intervals == character by character ----


@st.composite
def projects(draw: st.DrawFn) -> tuple[list[CodedSpan], list[str], dict[int, int]]:
    """Small random projects: a few sources, 2-3 coders, 1-3 codes, spans anywhere (overlaps allowed)."""
    lengths = {s: draw(st.integers(1, 25)) for s in range(draw(st.integers(1, 3)))}
    coders = ["a", "b", "c"][: draw(st.integers(2, 3))]
    spans = []
    for _ in range(draw(st.integers(0, 12))):
        source = draw(st.sampled_from(sorted(lengths)))
        start = draw(st.integers(0, lengths[source] - 1))
        end = draw(st.integers(start + 1, lengths[source]))
        spans.append(CodedSpan(source, start, end, draw(st.sampled_from("xyz")), draw(st.sampled_from(coders))))
    return spans, coders, lengths


def _per_character(
    spans: list[CodedSpan], coders: list[str], lengths: dict[int, int], code: str
) -> np.ndarray:
    """Coders × characters, built naively one character at a time (NaN where a coder has no coding in a source)."""
    columns = []
    for source in sorted(lengths):
        for position in range(lengths[source]):
            column = []
            for coder in coders:
                own = [s for s in spans if s.coder == coder and s.source_id == source]
                hit = any(s.code == code and s.start <= position < s.end for s in own)
                column.append(float(hit) if own else NAN)
            columns.append(column)
    return np.array(columns, dtype=float).T.reshape(len(coders), -1)


def _drop_uncoded(values: np.ndarray) -> np.ndarray:
    """Columns where at least one coder has a 1."""
    return values[:, np.nansum(values, axis=0) > 0]


def _assert_figures(report_figures: object, values: np.ndarray) -> None:
    """Report figures equal the statistics on the expanded per-character matrix."""
    pairable = values[:, (~np.isnan(values)).sum(axis=0) >= 2]
    assert report_figures.n_units == pairable.shape[1]
    np.testing.assert_allclose(report_figures.krippendorff_alpha, _reference_alpha(pairable), atol=1e-9)
    np.testing.assert_allclose(report_figures.percent_agreement, percent_agreement(pairable.T), atol=1e-9)
    if values.shape[0] == 2 and pairable.size:
        if len(np.unique(pairable)) > 1:
            np.testing.assert_allclose(report_figures.cohen_kappa, cohen_kappa_score(pairable[0], pairable[1]),
                                       atol=1e-9)
        else:  # chance agreement 1: undefined (issue 12 item 5)
            assert report_figures.cohen_kappa is None


@settings(max_examples=150, deadline=None)
@given(projects(), st.booleans())
def test_character_level_equals_per_character_expansion(project: tuple, ignore_uncoded: bool) -> None:
    spans, coders, lengths = project
    report = reliability(spans, coders, unit="character", source_lengths=lengths, ignore_uncoded=ignore_uncoded)
    pooled = []
    for row in report.per_code:
        values = _per_character(spans, coders, lengths, row.code)
        values = _drop_uncoded(values) if ignore_uncoded else values
        _assert_figures(row, values)
        pooled.append(values)
    if pooled:
        _assert_figures(report.overall, np.concatenate(pooled, axis=1))


@settings(max_examples=100, deadline=None)
@given(projects(), st.booleans())
def test_character_level_equals_one_character_segments(project: tuple, ignore_uncoded: bool) -> None:
    spans, coders, lengths = project
    units = [Unit(s, i, i + 1) for s in sorted(lengths) for i in range(lengths[s])]
    chars = reliability(spans, coders, unit="character", source_lengths=lengths, ignore_uncoded=ignore_uncoded)
    segments = reliability(spans, coders, units, ignore_uncoded=ignore_uncoded)
    _assert_same(chars, segments)


def _assert_same(left: ReliabilityReport, right: ReliabilityReport) -> None:
    """Same figures (NaN-aware, to 1e-9) and same disagreements."""
    for a, b in zip((*left.per_code, left.overall), (*right.per_code, right.overall)):
        assert a.n_units == b.n_units
        figures_a = [a.percent_agreement, a.krippendorff_alpha, np.nan if a.cohen_kappa is None else a.cohen_kappa]
        figures_b = [b.percent_agreement, b.krippendorff_alpha, np.nan if b.cohen_kappa is None else b.cohen_kappa]
        np.testing.assert_allclose(figures_a, figures_b, atol=1e-9)
    assert left.disagreements() == right.disagreements()


@settings(max_examples=60, deadline=None)
@given(projects())
def test_character_disagreements_cover_exactly_the_disagreeing_characters(project: tuple) -> None:
    spans, coders, lengths = project
    report = reliability(spans, coders, unit="character", source_lengths=lengths)
    for row in report.per_code:
        values = _per_character(spans, coders, lengths, row.code)
        offsets = np.concatenate([[0], np.cumsum([lengths[s] for s in sorted(lengths)])])
        base = dict(zip(sorted(lengths), offsets.tolist()))
        marked = np.zeros(values.shape[1], dtype=bool)
        for d in report.disagreements(code=row.code):
            marked[base[d.source_id] + d.start : base[d.source_id] + d.end] = True
        present = ~np.isnan(values)
        applied = np.nansum(values, axis=0)
        np.testing.assert_array_equal(marked, (applied > 0) & (applied < present.sum(axis=0)))


@settings(max_examples=60, deadline=None)
@given(projects())
def test_ignore_uncoded_two_coder_kappa_and_alpha_are_never_positive(project: tuple) -> None:
    # Documented property: without "neither coded" units, kappa = -2bc/n^2 and alpha = (1 - n0)/n1.
    spans, _, lengths = project
    report = reliability(spans, ["a", "b"], unit="character", source_lengths=lengths, ignore_uncoded=True)
    for row in (*report.per_code, report.overall):
        if np.isnan(row.krippendorff_alpha):  # no variation: every kept unit coded by both or none
            assert row.cohen_kappa is None  # undefined (issue 12 item 5)
            continue
        assert row.krippendorff_alpha <= 1e-12 and row.cohen_kappa <= 1e-12


def test_ignore_uncoded_all_agreeing_units_give_nan_alpha_and_undefined_kappa() -> None:
    spans = [CodedSpan(1, 0, 5, "c", "a"), CodedSpan(1, 0, 5, "c", "b")]
    row = reliability(spans, ["a", "b"], unit="character", source_lengths={1: 9}, ignore_uncoded=True).code("c")
    assert (row.n_units, row.percent_agreement, row.cohen_kappa) == (5, 1.0, None)
    assert np.isnan(row.krippendorff_alpha)
