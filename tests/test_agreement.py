"""Tests for coding.agreement: published examples, reference libraries, properties."""
from __future__ import annotations

import warnings

import hypothesis.extra.numpy as hnp
import krippendorff
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import cohen_kappa_score

from coding.agreement import (
    AgreementError,
    alpha_from_counts,
    coincidence_matrix,
    cohen_kappa,
    kappa_from_confusion,
    krippendorff_alpha,
    percent_agreement,
    value_counts,
)

NAN = np.nan

# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", section C:
# 4 observers x 12 units, values 1..5, missing data.
KRIPPENDORFF_4X12 = np.array(
    [
        [1, 2, 3, 3, 2, 1, 4, 1, 2, NAN, NAN, NAN],
        [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, NAN, 3],
        [NAN, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, NAN],
        [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, NAN],
    ]
)

# Same paper, section A: binary data, two observers, no missing data.
KRIPPENDORFF_BINARY = np.array(
    [
        [0, 1, 0, 0, 0, 0, 0, 0, 1, 0],
        [1, 1, 1, 0, 0, 1, 0, 0, 0, 0],
    ]
)


def _table_to_ratings(yes_yes: int, yes_no: int, no_yes: int, no_no: int) -> tuple[list[str], list[str]]:
    """Rater A and B label lists from a 2 x 2 table (A's answer first)."""
    a = ["yes"] * (yes_yes + yes_no) + ["no"] * (no_yes + no_no)
    b = ["yes"] * yes_yes + ["no"] * yes_no + ["yes"] * no_yes + ["no"] * no_no
    return a, b


@pytest.mark.parametrize(
    ("level", "published"),
    [("nominal", 0.743), ("ordinal", 0.815), ("interval", 0.849), ("ratio", 0.797)],
)
def test_alpha_matches_krippendorff_4x12_example(level: str, published: float) -> None:
    assert round(krippendorff_alpha(KRIPPENDORFF_4X12, level), 3) == published


def test_alpha_matches_krippendorff_binary_example() -> None:
    assert round(krippendorff_alpha(KRIPPENDORFF_BINARY), 3) == 0.095


def test_binary_example_coincidences_match_paper() -> None:
    counts, _ = value_counts(KRIPPENDORFF_BINARY)
    np.testing.assert_allclose(coincidence_matrix(counts), [[10, 4], [4, 2]])


@pytest.mark.parametrize(
    ("table", "published"),
    [
        ((20, 5, 10, 15), 0.40),  # Wikipedia "Cohen's kappa", simple example (p_o = 0.70)
        ((45, 15, 25, 15), 0.1304),  # Wikipedia, same p_o = 0.60, unbalanced marginals
        ((25, 35, 5, 35), 0.2593),  # Wikipedia, same p_o = 0.60
    ],
)
def test_kappa_matches_published_examples(table: tuple[int, int, int, int], published: float) -> None:
    a, b = _table_to_ratings(*table)
    assert round(cohen_kappa(a, b), 4) == published
    confusion = np.array(table).reshape(2, 2)
    assert kappa_from_confusion(confusion) == pytest.approx(cohen_kappa(a, b))


@settings(max_examples=150, deadline=None)
@given(st.integers(1, 60).flatmap(lambda n: st.tuples(
    st.lists(st.sampled_from("abcd"), min_size=n, max_size=n),
    st.lists(st.sampled_from("abcd"), min_size=n, max_size=n),
)))
def test_kappa_matches_sklearn(pair: tuple[list[str], list[str]]) -> None:
    a, b = pair
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = cohen_kappa_score(a, b)
    if np.isnan(expected):  # sklearn: 0/0 when both raters used one single label (undefined, issue 12 item 5)
        assert np.isnan(cohen_kappa(a, b))
    else:
        assert cohen_kappa(a, b) == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        (["x", "x", "x"], ["x", "x", "x"], NAN),  # expected agreement 1: undefined, not 1.0 (issue 12 item 5)
        ([1, 1], [1, 1], NAN),
        ([], [], NAN),
    ],
)
def test_kappa_degenerate_cases(a: list, b: list, expected: float) -> None:
    np.testing.assert_equal(cohen_kappa(a, b), expected)


def test_kappa_perfect_disagreement_on_two_labels_is_minus_one() -> None:
    assert cohen_kappa([0, 1, 0, 1], [1, 0, 1, 0]) == pytest.approx(-1.0)


def test_kappa_weights_equal_repetition() -> None:
    a, b, w = [0, 1, 1, 0, 2], [0, 1, 0, 0, 2], [3, 1, 2, 5, 4]
    expanded_a, expanded_b = np.repeat(a, w), np.repeat(b, w)
    assert cohen_kappa(a, b, weights=w) == pytest.approx(cohen_kappa(expanded_a, expanded_b))


@pytest.mark.parametrize(
    ("a", "b"),
    [([1, 2], [1]), ([[1]], [[1]]), ([1.0, NAN], [1.0, 1.0]), ([1, "a"], [None, 2])],
)
def test_kappa_rejects_bad_input(a: list, b: list) -> None:
    with pytest.raises(AgreementError):
        cohen_kappa(a, b)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ([[1, 1], [1, 2], [2, 2], [3, NAN]], 2 / 3),  # last unit has one value: skipped
        ([[1, 1, 1], [1, 1, 2]], (1 + 1 / 3) / 2),  # three coders: share of agreeing pairs
        ([[NAN, 1], [2, NAN]], NAN),  # nothing pairable
        ([[0, 0], [0, 0]], 1.0),
    ],
)
def test_percent_agreement(data: list, expected: float) -> None:
    np.testing.assert_allclose(percent_agreement(np.array(data, dtype=float)), expected)


def test_percent_agreement_weights_equal_repetition() -> None:
    data = np.array([[1, 1], [1, 0], [0, NAN], [0, 0]], dtype=float)
    w = np.array([2, 3, 7, 1])
    assert percent_agreement(data, weights=w) == pytest.approx(percent_agreement(np.repeat(data, w, axis=0)))


@pytest.mark.parametrize(
    "data",
    [
        [[1, 1, 1], [1, 1, 1]],  # no variation at all
        [[1, NAN, 2], [1, 3, NAN]],  # variation only in unpairable units
        [[1, NAN], [NAN, 2]],  # nothing pairable
        np.empty((2, 0)),
    ],
)
def test_alpha_is_nan_when_undefined(data: list) -> None:
    assert np.isnan(krippendorff_alpha(np.array(data, dtype=float)))


def test_alpha_perfect_agreement_is_one() -> None:
    assert krippendorff_alpha(np.array([[1, 2, 3, NAN], [1, 2, 3, 4]])) == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("data", "level", "weights"),
    [
        (KRIPPENDORFF_4X12, "cardinal", None),
        ([1, 2, 3], "nominal", None),
        (KRIPPENDORFF_BINARY, "nominal", [1, 2]),
        (KRIPPENDORFF_BINARY, "nominal", [-1] * 10),
        ([["a", "b"], ["a", "c"]], "nominal", None),
        ([[1, np.inf], [1, 2]], "nominal", None),
    ],
)
def test_alpha_rejects_bad_input(data: object, level: str, weights: list | None) -> None:
    with pytest.raises(AgreementError):
        krippendorff_alpha(data, level, weights=weights)


def test_alpha_from_counts_rejects_mismatched_domain() -> None:
    with pytest.raises(AgreementError):
        alpha_from_counts(np.ones((3, 2)), domain=np.arange(3))


def _reference_alpha(data: np.ndarray, level: str) -> float:
    """The krippendorff package's alpha, NaN where it declares alpha undefined."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return float(krippendorff.alpha(reliability_data=data, level_of_measurement=level))
    except ValueError:
        return NAN


reliability_data = st.tuples(st.integers(2, 5), st.integers(1, 25)).flatmap(
    lambda shape: hnp.arrays(
        np.float64, shape, elements=st.sampled_from([0.0, 1.0, 2.0, 3.0, NAN, NAN])
    )
)


@settings(max_examples=300, deadline=None)
@given(reliability_data, st.sampled_from(["nominal", "ordinal", "interval", "ratio"]))
def test_alpha_matches_krippendorff_package(data: np.ndarray, level: str) -> None:
    np.testing.assert_allclose(krippendorff_alpha(data, level), _reference_alpha(data, level), rtol=0, atol=1e-9)


@settings(max_examples=100, deadline=None)
@given(reliability_data, st.data())
def test_alpha_weights_equal_repeated_units(data: np.ndarray, draw: st.DataObject) -> None:
    w = np.array(draw.draw(st.lists(st.integers(0, 4), min_size=data.shape[1], max_size=data.shape[1])))
    expanded = np.repeat(data, w, axis=1)
    np.testing.assert_allclose(
        krippendorff_alpha(data, weights=w), krippendorff_alpha(expanded), rtol=0, atol=1e-9
    )
