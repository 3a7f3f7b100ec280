"""A learning curve by review decisions: how fast does the engine learn from accept and reject?

On each cross-validation fold, the training texts are the project a researcher reviews and the test texts
are what the engine is scored on. The zero-shot ensemble suggests codes for the training sentences; a
simulated researcher decides its suggestions one by one, accepting those the gold coder gave and rejecting
the others. After N decisions the ensemble learns from them as it does in a project (accepted: codings,
rejected: negatives; codes without a learned model shift by the offset their decisions ask for,
``decision_offsets``, as ``workbench.assist.suggest`` does) and is scored on the test texts. The same N
decisions are taken in the learn-fastest order (the review queue's, passed in as ``order``, followed as a
reviewer deciding the top of the queue would: ``review_sequence``) and in random orders (several seeds;
their mean), so the curve shows which order teaches faster.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from coding.devset import DevSet
from coding.embedding import DictCache, Embedder, EmbeddingCache
from coding.evaluation import score_decisions, text_units, unit_decisions
from coding.suggesters.ensemble import DEFAULT_WEIGHTS, EnsembleSuggester
from coding.units import Example

DECISION_STEPS = (0, 25, 50, 100, 200)
RANDOM_SEEDS = (0, 1, 2)
PRIOR_SD = 0.5  # how far (in logits) a code's offset may move from 0 before its decisions outweigh the prior


@dataclass(frozen=True)
class Pending:
    """A simulated pending suggestion: a training sentence, a code, its score (what the review queue sees)."""

    unit: int
    code_id: str
    score: float


Order = Callable[[Sequence[Pending], dict], list]  # (pending suggestions, known per code) -> review order


def review_sequence(pending: Sequence[Pending], order: Order, n: int) -> list[Pending]:
    """The first ``n`` suggestions a reviewer decides who always decides the first one of the queue in
    ``order`` (the review queue's, ``workbench.assist.review.learning_order``), the queue worked out afresh
    after each decision as the Suggestions page does. Every decision, accepted (a coding) or rejected,
    adds one to what the engine knows about its code, the order's second argument."""
    left, known, decided = list(pending), {}, []
    while left and len(decided) < n:
        first = order(left, known)[0]
        left.remove(first)
        known[first.code_id] = known.get(first.code_id, 0) + 1
        decided.append(first)
    return decided


@dataclass
class DecisionCurve:
    """Kappa on the test texts after N decisions, per fold: learn-fastest order and mean of random orders."""

    steps: tuple[int, ...]
    fastest: list[list[float]] = field(default_factory=list)  # per fold, per step
    random: list[list[float]] = field(default_factory=list)  # per fold, per step (mean over seeds)
    seeds: int = len(RANDOM_SEEDS)
    pending: list[int] = field(default_factory=list)  # suggestions to decide, per fold

    def summary(self) -> list[dict]:
        """One dict per step: decisions, mean and sd over folds of both orders' kappa."""
        out = []
        for j, n in enumerate(self.steps):
            f = np.array([row[j] for row in self.fastest], float)
            r = np.array([row[j] for row in self.random], float)
            d = f - r  # paired by fold: the folds differ far more than the orders do
            out.append({"decisions": n, "learn_fastest_kappa": _round(np.nanmean(f)),
                        "learn_fastest_sd": _round(np.nanstd(f, ddof=1)) if len(f) > 1 else None,
                        "random_kappa": _round(np.nanmean(r)),
                        "random_sd": _round(np.nanstd(r, ddof=1)) if len(r) > 1 else None,
                        "lead": _round(np.nanmean(d)), "lead_sd": _round(np.nanstd(d, ddof=1)) if len(d) > 1 else None,
                        "folds_ahead": int((d > 0).sum())})
        return out

    def text(self) -> str:
        """The curve as a table."""
        lines = [f"learning curve by review decisions (kappa on the test texts; random: mean of {self.seeds} "
                 "orders; mean ± sd over folds; lead: learn-fastest minus random, fold by fold)",
                 f"{'decisions':>9} {'learn-fastest':>15} {'random':>15} {'lead':>15} {'folds ahead':>11}"]
        for row in self.summary():
            lines.append(f"{row['decisions']:>9} {_pm(row['learn_fastest_kappa'], row['learn_fastest_sd']):>15} "
                         f"{_pm(row['random_kappa'], row['random_sd']):>15} {_pm(row['lead'], row['lead_sd'], '+'):>15} "
                         f"{row['folds_ahead']:>5}/{len(self.fastest)}")
        return "\n".join(lines)


def _round(x: float) -> float | None:
    return None if x is None or math.isnan(x) else round(float(x), 4)


def _pm(mean: float | None, sd: float | None, sign: str = "") -> str:
    if mean is None:
        return "-"
    return f"{mean:{sign}.3f}±{sd:.3f}" if sd is not None else f"{mean:{sign}.3f}"


def decision_offsets(decisions: Sequence[tuple[str, float, bool]], prior_sd: float = PRIOR_SD) -> dict[str, float]:
    """Per code, the logit offset that makes its decided suggestions' scores match what people decided.

    ``decisions``: (code uid, score when suggested, accepted?). The offset maximises the likelihood of the
    decisions under ``sigmoid(logit(score) + offset)`` with a normal prior (sd ``prior_sd``) on the offset,
    so a few rejections lower a code's scores a little and many lower them a lot.
    """
    by_code: dict[str, list[tuple[float, bool]]] = {}
    for code, score, accepted in decisions:
        by_code.setdefault(code, []).append((score, accepted))
    out = {}
    for code, rows in by_code.items():
        p = np.clip(np.array([s for s, _ in rows], float), 1e-4, 1 - 1e-4)
        y = np.array([a for _, a in rows], float)
        z, delta = np.log(p / (1 - p)), 0.0
        for _ in range(25):  # Newton steps on a concave 1-d objective
            q = 1.0 / (1.0 + np.exp(-(z + delta)))
            grad = (y - q).sum() - delta / prior_sd**2
            hess = -(q * (1 - q)).sum() - 1.0 / prior_sd**2
            step = grad / hess
            delta -= step
            if abs(step) < 1e-6:
                break
        out[code] = float(delta)
    return out


def apply_offsets(probs: np.ndarray, codes: Sequence[str], offsets: dict[str, float]) -> np.ndarray:
    """Units x codes probabilities shifted by each code's logit offset (codes without one unchanged)."""
    shift = np.array([offsets.get(c, 0.0) for c in codes], float)
    if not shift.any():
        return probs
    p = np.clip(probs.astype(float), 1e-6, 1 - 1e-6)
    return (1.0 / (1.0 + np.exp(-(np.log(p / (1 - p)) + shift[np.newaxis, :])))).astype(np.float32)


def decision_curve(devset: DevSet, folds: Sequence[Sequence[int]], order: Order,
                   steps: Sequence[int] = DECISION_STEPS, seeds: Sequence[int] = RANDOM_SEEDS,
                   cache: EmbeddingCache | None = None,
                   on_fold: Callable[[int, int], None] | None = None) -> DecisionCurve:
    """Simulate review decisions on each fold's training texts; kappa on its test texts after each step."""
    cache = cache if cache is not None else DictCache()
    embedder = Embedder(cache=cache)
    uids = [c.uid for c in devset.codebook.codes if c.codable]
    curve = DecisionCurve(tuple(steps), seeds=len(seeds))
    threshold = DEFAULT_WEIGHTS.threshold
    for f, test in enumerate(folds):
        if on_fold is not None:
            on_fold(f, len(folds))
        train = sorted(i for g in folds[:f] + list(folds[f + 1:]) for i in g)
        pool = text_units(devset.texts, train)
        gold = unit_decisions([s for s in devset.spans if s[0] in set(train)], pool, uids)
        units = text_units(devset.texts, test)
        labels = unit_decisions([s for s in devset.spans if s[0] in set(test)], units, uids)
        zero_shot = EnsembleSuggester(embedder=embedder).fit(devset.codebook)
        pool_probs = zero_shot.score(zero_shot.prepare(pool), uids).scores
        rows, cols = np.nonzero(pool_probs >= threshold)
        pending = [Pending(int(i), uids[j], float(pool_probs[i, j])) for i, j in zip(rows, cols)]
        curve.pending.append(len(pending))
        batch = zero_shot.prepare(units)

        def kappa_after(decided: Sequence[Pending]) -> float:
            examples = [Example(pool[d.unit].text, d.code_id, bool(gold[d.unit, uids.index(d.code_id)]))
                        for d in decided]
            ensemble = EnsembleSuggester(embedder=embedder).fit(devset.codebook, examples)
            probs = ensemble.score(batch, uids).scores
            learned = set(ensemble.parts_["learned"].code_uids_)  # these learn from the decisions already
            offsets = decision_offsets([(d.code_id, d.score, e.positive) for d, e in zip(decided, examples)
                                        if d.code_id not in learned])
            return score_decisions(labels, apply_offsets(probs, uids, offsets) >= threshold).kappa

        fastest = review_sequence(pending, order, max(steps))
        curve.fastest.append([kappa_after(fastest[:n]) for n in steps])
        runs = []
        for seed in seeds:
            shuffled = [pending[i] for i in np.random.default_rng(seed).permutation(len(pending))]
            runs.append([kappa_after(shuffled[:n]) for n in steps])
        curve.random.append(np.mean(np.array(runs), axis=0).tolist())
    return curve

