"""Agreement statistics: percent agreement, Cohen's kappa, Krippendorff's alpha.

Pure, vectorised NumPy functions; no database. Every function takes optional
``weights``: non-negative frequency weights per unit (a unit of weight 7 counts
exactly as 7 identical units). The reliability module uses them to compute
character-level statistics over run-length intervals instead of characters.

Layouts follow the conventions of each statistic's literature:
``percent_agreement`` takes units × coders, ``krippendorff_alpha`` takes
coders × units (as Krippendorff and the ``krippendorff`` package do). Missing
values are NaN in both.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

LEVELS: tuple[str, ...] = ("nominal", "ordinal", "interval", "ratio")


class AgreementError(ValueError):
    """Input to an agreement statistic is malformed (shape, length, level, weights)."""


def percent_agreement(data: np.ndarray, *, weights: Sequence[float] | np.ndarray | None = None) -> float:
    """Mean proportion of agreeing coder pairs per unit, for a units × coders matrix (NaN = missing).

    Units with fewer than two values are skipped. For two coders this is the
    share of units on which both coders gave the same value. Returns NaN when
    no unit has two values.
    """
    counts, _ = value_counts(_as_matrix(data).T)
    return percent_agreement_from_counts(counts, weights=_unit_weights(weights, counts.shape[0]))


def cohen_kappa(a: Sequence, b: Sequence, *, weights: Sequence[float] | np.ndarray | None = None) -> float:
    """Cohen's kappa for two raters on nominal labels (any sortable labels, no missing values).

    When expected agreement is 1 (both raters used one and the same single
    label throughout) kappa is undefined (0/0) and NaN is returned, as
    scikit-learn does; NaN also for empty input.
    """
    left, right = np.asarray(a), np.asarray(b)
    if left.ndim != 1 or left.shape != right.shape:
        raise AgreementError(f"cohen_kappa needs two 1-D sequences of equal length, got {left.shape} and {right.shape}")
    if left.size == 0:
        return float("nan")
    _reject_nan(left)
    _reject_nan(right)
    labels, codes = _encode_labels(np.concatenate([left, right]))
    k = labels.size
    w = _unit_weights(weights, left.size)
    confusion = np.bincount(codes[: left.size] * k + codes[left.size :], weights=w, minlength=k * k)
    return kappa_from_confusion(confusion.reshape(k, k))


def kappa_from_confusion(confusion: np.ndarray) -> float:
    """Cohen's kappa from a (weighted) k × k confusion matrix, rows rater A, columns rater B; NaN when it is
    undefined (no units, or chance agreement 1: then 1.0 would claim agreement beyond chance that cannot exist)."""
    table = np.asarray(confusion, dtype=float)
    if table.ndim != 2 or table.shape[0] != table.shape[1]:
        raise AgreementError(f"confusion matrix must be square, got shape {table.shape}")
    total = table.sum()
    if total <= 0:
        return float("nan")
    observed = np.trace(table) / total
    expected = float(table.sum(axis=1) @ table.sum(axis=0)) / total**2
    if np.isclose(expected, 1.0, rtol=0.0, atol=1e-12):
        return float("nan")
    return float((observed - expected) / (1.0 - expected))


def krippendorff_alpha(
    data: np.ndarray,
    level: str = "nominal",
    *,
    weights: Sequence[float] | np.ndarray | None = None,
) -> float:
    """Krippendorff's alpha for reliability data as coders × units (NaN = missing), any number of coders.

    ``level`` is "nominal", "ordinal", "interval" or "ratio". Units with fewer
    than two values are not pairable and drop out. Returns NaN when alpha is
    undefined: no pairable unit, or no variation at all among pairable values
    (expected disagreement is zero).
    """
    _check_level(level)
    counts, domain = value_counts(_as_matrix(data))
    return alpha_from_counts(counts, domain=domain, level=level, weights=_unit_weights(weights, counts.shape[0]))


def value_counts(data: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-unit value counts (units × values) and the sorted value domain, from coders × units data."""
    matrix = _as_matrix(data)
    present = ~np.isnan(matrix)
    domain = np.unique(matrix[present])
    n_units = matrix.shape[1]
    unit_index = np.broadcast_to(np.arange(n_units), matrix.shape)[present]
    value_index = np.searchsorted(domain, matrix[present])
    flat = np.bincount(unit_index * domain.size + value_index, minlength=n_units * domain.size)
    return flat.reshape(n_units, domain.size).astype(float), domain


def percent_agreement_from_counts(counts: np.ndarray, *, weights: np.ndarray | None = None) -> float:
    """Weighted mean over pairable units of the share of agreeing pairs, from units × values counts."""
    table = np.asarray(counts, dtype=float)
    pairs = table.sum(axis=1) * (table.sum(axis=1) - 1)
    keep = pairs > 0
    if not keep.any():
        return float("nan")
    agreeing = (table[keep] * (table[keep] - 1)).sum(axis=1)
    w = _unit_weights(weights, table.shape[0])[keep]
    if w.sum() <= 0:
        return float("nan")
    return float(np.average(agreeing / pairs[keep], weights=w))


def alpha_from_counts(
    counts: np.ndarray,
    *,
    domain: np.ndarray | None = None,
    level: str = "nominal",
    weights: np.ndarray | None = None,
) -> float:
    """Krippendorff's alpha from units × values counts (domain defaults to 0..V-1); NaN when undefined."""
    _check_level(level)
    table = np.asarray(counts, dtype=float)
    if table.ndim != 2:
        raise AgreementError(f"value counts must be units × values, got shape {table.shape}")
    values = np.arange(table.shape[1], dtype=float) if domain is None else np.asarray(domain, dtype=float)
    if values.shape != (table.shape[1],):
        raise AgreementError(f"domain has {values.size} values but counts have {table.shape[1]} columns")
    coincidences = coincidence_matrix(table, weights=weights)
    marginals = coincidences.sum(axis=1)
    total = marginals.sum()
    delta = _distances(level, values, marginals)
    expected = float(marginals @ delta @ marginals)
    if total <= 0 or expected <= 0:
        return float("nan")
    return float(1.0 - (total - 1.0) * float((coincidences * delta).sum()) / expected)


def coincidence_matrix(counts: np.ndarray, *, weights: np.ndarray | None = None) -> np.ndarray:
    """Krippendorff's (weighted) coincidence matrix from units × values counts; unpairable units add nothing."""
    table = np.asarray(counts, dtype=float)
    pairable = table.sum(axis=1)
    keep = pairable >= 2
    table = table[keep]
    scale = _unit_weights(weights, keep.size)[keep] / (pairable[keep] - 1.0)
    scaled = table * scale[:, np.newaxis]
    return scaled.T @ table - np.diag(scaled.sum(axis=0))


def _distances(level: str, values: np.ndarray, marginals: np.ndarray) -> np.ndarray:
    """Squared distance matrix δ² between domain values for a level of measurement."""
    left, right = values[:, np.newaxis], values[np.newaxis, :]
    if level == "nominal":
        return (left != right).astype(float)
    if level == "interval":
        return (left - right) ** 2
    if level == "ratio":
        total = left + right
        ratio = np.divide(left - right, total, out=np.zeros(np.broadcast(left, right).shape), where=total != 0)
        return ratio**2
    index = np.arange(values.size)
    low, high = np.minimum.outer(index, index), np.maximum.outer(index, index)
    cumulative = np.concatenate([[0.0], np.cumsum(marginals)])
    between = cumulative[high + 1] - cumulative[low]
    return (between - (marginals[low] + marginals[high]) / 2.0) ** 2


def _as_matrix(data: np.ndarray) -> np.ndarray:
    """Validate and convert reliability data to a 2-D float array."""
    try:
        matrix = np.asarray(data, dtype=float)
    except (TypeError, ValueError) as exc:
        raise AgreementError(f"reliability data must be numeric with NaN for missing values: {exc}") from exc
    if matrix.ndim != 2:
        raise AgreementError(f"reliability data must be a 2-D matrix, got {matrix.ndim} dimension(s)")
    if np.isinf(matrix).any():
        raise AgreementError("reliability data contains infinite values")
    return matrix


def _unit_weights(weights: Sequence[float] | np.ndarray | None, n_units: int) -> np.ndarray:
    """Validated per-unit frequency weights (ones when None)."""
    if weights is None:
        return np.ones(n_units)
    w = np.asarray(weights, dtype=float)
    if w.shape != (n_units,):
        raise AgreementError(f"weights must have one entry per unit ({n_units}), got shape {w.shape}")
    if not np.isfinite(w).all() or (w < 0).any():
        raise AgreementError("weights must be finite and non-negative")
    return w


def _check_level(level: str) -> None:
    """Raise AgreementError for an unknown level of measurement."""
    if level not in LEVELS:
        raise AgreementError(f"unknown level of measurement {level!r}; expected one of {', '.join(LEVELS)}")


def _encode_labels(labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sorted distinct labels and each item's index into them; AgreementError for unsortable labels."""
    try:
        distinct, codes = np.unique(labels, return_inverse=True)
    except TypeError as exc:
        raise AgreementError(f"labels must be mutually comparable (e.g. all strings or all numbers): {exc}") from exc
    return distinct, codes.reshape(-1)


def _reject_nan(labels: np.ndarray) -> None:
    """Raise AgreementError if numeric labels contain NaN (cohen_kappa has no missing values)."""
    if labels.dtype.kind == "f" and np.isnan(labels).any():
        raise AgreementError("cohen_kappa does not accept missing values (NaN); drop those items first")
