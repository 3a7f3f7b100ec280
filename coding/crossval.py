"""Cross-validation of the suggesters on coded texts, with folds that never split a group.

A group is whatever must not sit on both sides of a split: a participant (case), a source, or (on the
development set) a text. Groups are dealt to K folds, each fold in turn is the test set and the
others the training set. Per fold and configuration we score sentence decisions (``coding.evaluation``)
and report the mean and standard deviation over folds, the codes suggested and given per sentence, and
calibration bins of the ensemble's probability against the observed rate.

Configurations: ``lexical.v1`` (keyword baseline, zero-shot), ``ensemble.v1`` given k codings per code
from the training texts (k = 0: zero-shot), with ``calibrated`` also ``ensemble.v1+calibrated`` (at the
largest k: the ensemble with the project's combiner, ``coding.teaching.calibrate``, fitted on a held-out
slice of the training groups, the learned models on the rest), and, with a folder for models,
``ensemble.v1+tuned``: the
ensemble with a model tuned on the training texts (at the largest k only: one tuning per fold) (``coding.teaching.teach``, which holds out a slice
of the training groups to check it and set its threshold; when the tuned model is not better there it
is not kept and the row equals the plain ensemble's, as in the product).
"""
from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from coding.devset import DevSet
from coding.embedding import DictCache, EmbeddingCache
from coding.evaluation import Scores, score_decisions, text_units, unit_decisions
from coding.suggesters import make_suggester
from coding.suggesters.ensemble import DEFAULT_WEIGHTS
from coding.teaching import calibrate, holdout_probabilities, holdout_scores, teach
from coding.tuning import TuningParams

JSON_FIELDS = ("suggester", "codings_per_code", "precision", "recall", "f1", "kappa", "alpha",
               "suggested_per_unit", "human_per_unit")
METRICS = ("precision", "recall", "f1", "kappa", "alpha", "suggested_per_unit", "human_per_unit")


class CrossValidationError(ValueError):
    """Cross-validation cannot run: too few groups for the folds asked for."""


@dataclass
class FoldRow:
    """One configuration scored on one fold's test texts."""

    suggester: str
    k: int
    fold: int
    scores: Scores
    units: int

    def value(self, metric: str) -> float:
        """A metric of this row by name (rates per sentence included)."""
        if metric == "suggested_per_unit":
            return self.scores.predicted / self.units if self.units else math.nan
        if metric == "human_per_unit":
            return self.scores.support / self.units if self.units else math.nan
        return float(getattr(self.scores, metric))


@dataclass
class CalibrationBin:
    """Decisions whose predicted probability fell in [low, high): how many, mean predicted, observed rate."""

    low: float
    high: float
    n: int
    predicted: float
    observed: float


@dataclass
class CrossValidation:
    """Per-fold rows, calibration bins per configuration, notes (e.g. tuned models not kept)."""

    folds: int
    by: str
    groups: int
    rows: list[FoldRow]
    calibration: dict[str, list[CalibrationBin]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def configurations(self) -> list[tuple[str, int]]:
        """(suggester, k) in the order first measured."""
        return list(dict.fromkeys((r.suggester, r.k) for r in self.rows))

    def summary(self) -> list[dict]:
        """One dict per configuration: the JSON fields (means over folds), plus ``folds`` and ``sd``."""
        out = []
        for name, k in self.configurations():
            rows = [r for r in self.rows if (r.suggester, r.k) == (name, k)]
            values = {m: np.array([r.value(m) for r in rows], dtype=float) for m in METRICS}
            entry: dict = {"suggester": name, "codings_per_code": k}
            entry.update({m: _round(np.nanmean(v)) for m, v in values.items()})
            entry["folds"] = len(rows)
            entry["sd"] = {m: _round(np.nanstd(v, ddof=1)) if len(v) > 1 else None for m, v in values.items()}
            out.append(entry)
        return out

    def to_json(self) -> dict:
        """``{"rows": [...], "folds": K, "by": ...}`` with the fields of ``JSON_FIELDS`` in every row."""
        return {"folds": self.folds, "by": self.by, "groups": self.groups, "rows": self.summary(),
                "calibration": {name: [{"low": round(b.low, 2), "high": round(b.high, 2), "n": b.n,
                                        "predicted": _round(b.predicted), "observed": _round(b.observed)}
                                       for b in bins] for name, bins in self.calibration.items()}}

    def text(self) -> str:
        """The mean ± sd table, the calibration bins and the notes."""
        lines = [f"{self.folds}-fold cross-validation by {self.by} ({self.groups} groups; no group on both sides); "
                 "mean ± sd over folds, per sentence",
                 f"{'suggester':<19} {'k':>3} {'P':>13} {'R':>13} {'F1':>13} {'kappa':>13} {'alpha':>13} "
                 f"{'sugg/unit':>9} {'human/unit':>10}"]
        for entry in self.summary():
            cells = " ".join(f"{_pm(entry[m], entry['sd'][m]):>13}" for m in ("precision", "recall", "f1", "kappa",
                                                                            "alpha"))
            lines.append(f"{entry['suggester']:<19} {entry['codings_per_code']:>3} {cells} "
                         f"{entry['suggested_per_unit']:>9.3f} {entry['human_per_unit']:>10.3f}")
        for name, bins in self.calibration.items():
            lines += ["", f"calibration of {name}: predicted probability against the observed rate",
                      f"{'bin':>11} {'n':>7} {'predicted':>9} {'observed':>9}"]
            lines += [f"{b.low:.1f}-{b.high:.1f}   {b.n:>7} {b.predicted:>9.3f} {b.observed:>9.3f}" for b in bins if b.n]
        lines += self.notes
        return "\n".join(lines)


def _round(x: float) -> float | None:
    return None if x is None or math.isnan(x) else round(float(x), 4)


def _pm(mean: float | None, sd: float | None) -> str:
    if mean is None:
        return "-"
    return f"{mean:.3f}±{sd:.3f}" if sd is not None else f"{mean:.3f}"


def group_folds(groups: Sequence[Hashable], folds: int, seed: int = 0) -> list[list[int]]:
    """Text indices per fold: every text of a group in the same fold, folds as even in texts as possible."""
    distinct = sorted(set(groups), key=repr)
    if folds < 2:
        raise CrossValidationError("cross-validation needs at least 2 folds")
    if len(distinct) < folds:
        raise CrossValidationError(f"only {len(distinct)} groups to split into {folds} folds; use at most "
                                   f"{len(distinct)} folds")
    members: dict[Hashable, list[int]] = {}
    for i, g in enumerate(groups):
        members.setdefault(g, []).append(i)
    shuffled = [distinct[i] for i in np.random.default_rng(seed).permutation(len(distinct))]
    shuffled.sort(key=lambda g: -len(members[g]))  # largest first (stable: ties stay shuffled)
    out: list[list[int]] = [[] for _ in range(folds)]
    for g in shuffled:
        min(out, key=len).extend(members[g])
    return [sorted(f) for f in out]


def cross_validate(devset: DevSet, folds: int = 5, groups: Sequence[Hashable] | None = None, by: str = "text",
                   sizes: Sequence[int] = (0, 20), seed: int = 0, cache: EmbeddingCache | None = None,
                   tune_dir: str | Path | None = None, params: TuningParams = TuningParams(),
                   holdout_fraction: float = 0.2, calibrated: bool = False,
                   on_fold: Callable[[int, int], None] | None = None) -> CrossValidation:
    """Score lexical.v1, ensemble.v1 (each k of ``sizes``) and, with ``tune_dir``, the ensemble with a tuned
    model (each k > 0) on K folds of ``groups`` (default: every text its own group)."""
    groups = list(groups) if groups is not None else list(range(len(devset.texts)))
    if len(groups) != len(devset.texts):
        raise CrossValidationError(f"{len(groups)} groups given for {len(devset.texts)} texts")
    cache = cache if cache is not None else DictCache()
    uids = [c.uid for c in devset.codebook.codes if c.codable]
    split = group_folds(groups, folds, seed)
    rows: list[FoldRow] = []
    pairs: dict[str, list[tuple[np.ndarray, np.ndarray]]] = {}
    notes: list[str] = []
    lexical = make_suggester("lexical.v1").fit(devset.codebook)
    for f, test in enumerate(split):
        if on_fold is not None:
            on_fold(f, len(split))
        train = sorted(i for g in split[:f] + split[f + 1:] for i in g)
        units = text_units(devset.texts, test)
        labels = unit_decisions([s for s in devset.spans if s[0] in set(test)], units, uids)
        rows.append(FoldRow("lexical.v1", 0, f, score_decisions(labels, unit_decisions(
            lexical.suggest(units), units, uids)), len(units)))
        for k in sizes:
            probs, _ = holdout_probabilities(devset, train, test, k, None, cache, seed)
            rows.append(FoldRow("ensemble.v1", k, f, score_decisions(labels, probs >= DEFAULT_WEIGHTS.threshold),
                                len(units)))
            pairs.setdefault(f"ensemble.v1 k={k}", []).append((probs, labels))
            if k == 0 or k != max(sizes):
                continue
            inner, holdout = holdout_split(train, groups, holdout_fraction, seed)
            if calibrated:
                combiner = calibrate(devset, inner, holdout, k, cache, seed)
                cal_probs, decided, _ = (holdout_scores(devset, train, test, k, None, cache, seed, combiner)
                                         if combiner is not None else (probs, probs >= DEFAULT_WEIGHTS.threshold, None))
                rows.append(FoldRow("ensemble.v1+calibrated", k, f, score_decisions(labels, decided), len(units)))
                pairs.setdefault(f"ensemble.v1+calibrated k={k}", []).append((cal_probs, labels))
            if tune_dir is None:  # one tuning per fold, at the largest k
                continue
            result = teach(devset, inner, holdout, tune_dir, params=params, k=k, cache=cache, seed=seed)
            notes.append(f"fold {f + 1}, k={k}: tuned {result.model.id} on {result.passages} passages; held-out kappa "
                         f"{result.before.kappa:.3f} -> {result.after.kappa:.3f}: "
                         + ("kept" if result.kept else "not kept"))
            tuned_probs, decided = probs, probs >= DEFAULT_WEIGHTS.threshold
            if result.kept:
                tuned_probs, decided, _ = holdout_scores(devset, train, test, k, result.model, cache, seed)
            rows.append(FoldRow("ensemble.v1+tuned", k, f, score_decisions(labels, decided), len(units)))
            pairs.setdefault(f"ensemble.v1+tuned k={k}", []).append((tuned_probs, labels))
    calibration = {name: calibration_bins(np.concatenate([p.ravel() for p, _ in got]),
                                          np.concatenate([y.ravel() for _, y in got])) for name, got in pairs.items()}
    return CrossValidation(len(split), by, len(set(groups)), rows, calibration, notes)


def holdout_split(train: Sequence[int], groups: Sequence[Hashable], fraction: float, seed: int) -> tuple[list[int], list[int]]:
    """Split training texts by group into (inner training, held-out) with about ``fraction`` held out."""
    distinct = sorted({groups[i] for i in train}, key=repr)
    n_out = max(1, int(round(fraction * len(distinct))))
    out = {distinct[i] for i in np.random.default_rng(seed + 1).permutation(len(distinct))[:n_out]}
    return [i for i in train if groups[i] not in out], [i for i in train if groups[i] in out]


def calibration_bins(probs: np.ndarray, labels: np.ndarray, bins: int = 10) -> list[CalibrationBin]:
    """Equal-width probability bins: count, mean predicted probability, observed rate of positives."""
    edges = np.linspace(0.0, 1.0, bins + 1)
    index = np.clip(np.digitize(probs, edges[1:-1]), 0, bins - 1)
    out = []
    for b in range(bins):
        mask = index == b
        n = int(mask.sum())
        out.append(CalibrationBin(float(edges[b]), float(edges[b + 1]), n,
                                  float(probs[mask].mean()) if n else math.nan,
                                  float(labels[mask].mean()) if n else math.nan))
    return out
