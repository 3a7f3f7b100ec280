"""Unit-level evaluation of suggesters against human codings, and learning curves on the dev set.

A unit (a sentence) is positive for a code under a coder or suggester when one of its spans
with that code overlaps the unit. Per code and pooled over all (unit, code) decisions
(micro) we report precision, recall, F1, Cohen's kappa and Krippendorff's alpha (nominal, on
the binary decisions), with support = units the reference marks positive.
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from coding.agreement import cohen_kappa, krippendorff_alpha

from coding.devset import DevSet
from coding.embedding import DictCache, Embedder
from coding.suggesters import make_suggester
from coding.suggesters.base import UnitBatch
from coding.suggesters.ensemble import DEFAULT_WEIGHTS, EnsembleSuggester, EnsembleWeights, zero_shot_logit
from coding.suggesters.learned import LearnedSuggester, best_f1_threshold
from coding.units import Example, Unit, sentence_units_many

SpanLike = tuple[int, int, int, str]  # (source id, start, end, code uid) or an object with those fields


@dataclass(frozen=True)
class Scores:
    """Agreement of a candidate with a reference on binary unit decisions."""

    precision: float
    recall: float
    f1: float
    kappa: float
    alpha: float
    support: int  # units the reference marks positive
    predicted: int  # units the candidate marks positive
    n: int  # decisions compared


@dataclass
class EvaluationReport:
    """Per-code and pooled (micro) scores, plus the macro F1 over codes with support."""

    code_uids: list[str]
    per_code: dict[str, Scores]
    micro: Scores
    macro_f1: float

    def table(self, names: dict[str, str] | None = None, title: str = "") -> str:
        """A fixed-width text table, one row per code then the micro row."""
        names = names or {}
        rows = [(names.get(uid, uid), self.per_code[uid]) for uid in self.code_uids]
        rows.sort(key=lambda r: (-r[1].support, r[0]))
        lines = [title] if title else []
        lines.append(_header("code"))
        lines += [_row(n, s) for n, s in rows]
        lines.append(_row("ALL (micro)", self.micro))
        lines.append(f"macro F1 over codes with support: {self.macro_f1:.3f}")
        return "\n".join(lines)


def _header(first: str) -> str:
    """Column headings of a scores table."""
    return f"{first:<38} {'P':>6} {'R':>6} {'F1':>6} {'kappa':>6} {'alpha':>6} {'supp':>5} {'pred':>5}"


def _row(label: str, s: Scores) -> str:
    """One table row."""
    return (
        f"{label[:38]:<38} {_f(s.precision)} {_f(s.recall)} {_f(s.f1)} {_f(s.kappa)} {_f(s.alpha)} "
        f"{s.support:>5} {s.predicted:>5}"
    )


def _f(x: float) -> str:
    """A score with three decimals, or a dash when undefined."""
    return f"{x:>6.3f}" if not math.isnan(x) else f"{'-':>6}"


def _span(x) -> SpanLike:
    """Coerce a tuple or a Proposal-like object to (source id, start, end, code uid)."""
    if isinstance(x, tuple):
        return x
    return (x.source_id, x.start, x.end, x.code_uid)


def unit_decisions(spans: Iterable, units: Sequence[Unit], code_uids: Sequence[str]) -> np.ndarray:
    """Units x codes boolean matrix: True where a span with the code overlaps the unit."""
    column = {uid: k for k, uid in enumerate(code_uids)}
    out = np.zeros((len(units), len(code_uids)), dtype=bool)
    by_source: dict[int, list[int]] = {}
    for i, u in enumerate(units):
        by_source.setdefault(u.source_id, []).append(i)
    bounds = {
        sid: (np.array([units[i].start for i in idx]), np.array([units[i].end for i in idx]), np.array(idx))
        for sid, idx in by_source.items()
    }
    for source, start, end, uid in map(_span, spans):
        if uid not in column or source not in bounds:
            continue
        starts, ends, idx = bounds[source]
        out[idx[(starts < end) & (ends > start)], column[uid]] = True
    return out


def score_decisions(reference: np.ndarray, candidate: np.ndarray) -> Scores:
    """Precision, recall, F1, kappa and alpha of two boolean decision vectors."""
    ref, cand = np.asarray(reference, bool).ravel(), np.asarray(candidate, bool).ravel()
    tp = int((ref & cand).sum())
    support, predicted = int(ref.sum()), int(cand.sum())
    precision = tp / predicted if predicted else float("nan")
    recall = tp / support if support else float("nan")
    f1 = 2 * tp / (support + predicted) if support else float("nan")
    kappa = cohen_kappa(ref.astype(int), cand.astype(int)) if ref.size else float("nan")
    alpha = krippendorff_alpha(np.vstack([ref, cand]).astype(float)) if ref.size else float("nan")
    return Scores(precision, recall, f1, kappa, alpha, support, predicted, int(ref.size))


def evaluate(
    reference: Iterable, candidate: Iterable, units: Sequence[Unit], code_uids: Sequence[str]
) -> EvaluationReport:
    """Compare candidate spans (e.g. suggestions) with reference spans on unit decisions."""
    ref = unit_decisions(reference, units, code_uids)
    cand = unit_decisions(candidate, units, code_uids)
    per_code = {uid: score_decisions(ref[:, k], cand[:, k]) for k, uid in enumerate(code_uids)}
    f1s = [s.f1 for s in per_code.values() if s.support]
    macro = float(np.mean(f1s)) if f1s else float("nan")
    return EvaluationReport(list(code_uids), per_code, score_decisions(ref, cand), macro)


def split_texts(n_texts: int, train_fraction: float = 0.6, seed: int = 0) -> tuple[list[int], list[int]]:
    """Random split of text indices into (train, test), sorted, reproducible by seed."""
    order = np.random.default_rng(seed).permutation(n_texts)
    cut = int(round(train_fraction * n_texts))
    return sorted(order[:cut].tolist()), sorted(order[cut:].tolist())


def text_units(texts: Sequence[str], indices: Sequence[int]) -> list[Unit]:
    """Sentence units of the selected texts; a unit's source_id is its text index."""
    return sentence_units_many((i, texts[i]) for i in indices)


def devset_examples(devset: DevSet, text_indices: Iterable[int], k: int, seed: int = 0) -> list[Example]:
    """Up to k human codings per code from the given texts, as positive Examples (nested in k)."""
    chosen = set(text_indices)
    by_code: dict[str, list[tuple[int, int, int]]] = {}
    for t, start, end, uid in devset.spans:
        if t in chosen:
            by_code.setdefault(uid, []).append((t, start, end))
    rng = np.random.default_rng(seed)
    out: list[Example] = []
    for uid in sorted(by_code):
        spans = sorted(set(by_code[uid]))
        picked = sorted(rng.permutation(len(spans))[:k])
        out += [Example(devset.texts[t][a:b], uid, True, t) for t, a, b in (spans[i] for i in picked)]
    return out


def _reference(devset: DevSet, text_indices: Iterable[int]) -> list[SpanLike]:
    """The human spans of the given texts."""
    chosen = set(text_indices)
    return [s for s in devset.spans if s[0] in chosen]


def _subset(batch: UnitBatch, mask: np.ndarray) -> UnitBatch:
    """The units of a batch selected by a boolean mask, with their embeddings and lemmas."""
    idx = np.flatnonzero(mask)
    lemmas = [batch.lemmas[i] for i in idx] if batch.lemmas is not None else None
    return UnitBatch([batch.units[i] for i in idx], batch.embeddings[idx], lemmas)


def _logistic(columns: list[np.ndarray], labels: np.ndarray) -> tuple[np.ndarray, float]:
    """Coefficients and intercept of an (almost unregularised) logistic regression."""
    from sklearn.linear_model import LogisticRegression

    X = np.stack([c.ravel() for c in columns], axis=1)
    model = LogisticRegression(C=100.0, max_iter=2000).fit(X, labels.ravel())
    return model.coef_[0], float(model.intercept_[0])


def calibrate_ensemble(
    devset: DevSet,
    train: Sequence[int],
    embedder: Embedder | None = None,
    sizes: Sequence[int] = (5, 10, 20),
    seed: int = 0,
) -> EnsembleWeights:
    """Fit the ensemble's combiner weights and threshold on the given (training) texts only."""
    embedder = embedder or Embedder(cache=DictCache())
    uids = [c.uid for c in devset.codebook.codes if c.codable]
    units = text_units(devset.texts, train)
    labels = unit_decisions(_reference(devset, train), units, uids)
    ensemble = EnsembleSuggester(embedder=embedder).fit(devset.codebook)
    batch = ensemble.prepare(units)
    feats = ensemble.features(batch, uids)
    (w_sim, w_lex), b = _logistic([feats.sim, feats.lexical], labels)
    weights = replace(DEFAULT_WEIGHTS, intercept=b, sim=float(w_sim), lexical=float(w_lex))
    zero_shot = zero_shot_logit(feats, weights)
    zs, margin, y = _cross_fit_learned(devset, train, batch, zero_shot, labels, uids, embedder, sizes, seed)
    (a, w_l), b_l = _logistic([zs, margin], y)
    weights = replace(weights, learned_zero_shot=float(a), learned=float(w_l), learned_bias=b_l)
    probs = 1.0 / (1.0 + np.exp(-np.concatenate([zero_shot.ravel(), a * zs + w_l * margin + b_l])))
    return replace(weights, threshold=best_f1_threshold(np.concatenate([labels.ravel(), y]), probs))


def _cross_fit_learned(devset, train, batch, zero_shot, labels, uids, embedder, sizes, seed):
    """Zero-shot logits, learned margins and labels of units whose learned model never saw their text."""
    order = np.random.default_rng(seed).permutation(sorted(train))
    halves = (set(order[: len(order) // 2].tolist()), set(order[len(order) // 2 :].tolist()))
    source = np.array([u.source_id for u in batch.units])
    zs, margin, y = [], [], []
    for fit_half, eval_half in (halves, halves[::-1]):
        mask = np.isin(source, list(eval_half))
        sub = _subset(batch, mask)
        for k in sizes:
            examples = devset_examples(devset, fit_half, k, seed)
            learned = LearnedSuggester(embedder=embedder).fit(devset.codebook, examples)
            if not learned.code_uids_:
                continue
            cols = [uids.index(c) for c in learned.code_uids_]
            margin.append(learned.score(sub, learned.code_uids_).features["margin"].ravel())
            zs.append(zero_shot[mask][:, cols].ravel())
            y.append(labels[mask][:, cols].ravel())
    return np.concatenate(zs), np.concatenate(margin), np.concatenate(y)


@dataclass
class CurveRow:
    """One evaluated configuration: a suggester given k codings per code (k = 0: zero-shot)."""

    suggester: str
    k: int
    codes_learned: int  # codes with a learned model
    report: EvaluationReport


@dataclass
class LearningCurve:
    """Zero-shot and few-shot results on the same held-out texts."""

    train: list[int]
    test: list[int]
    n_test_units: int
    rows: list[CurveRow]
    weights: EnsembleWeights

    def table(self) -> str:
        """Overall (micro) scores of every row, plus macro F1."""
        head = f"{'suggester':<13} {'k':>3} {'models':>6} " + _header("")[39:] + f" {'macroF1':>7}"
        lines = [head]
        for r in self.rows:
            line = _row("", r.report.micro)[39:]
            lines.append(f"{r.suggester:<13} {r.k:>3} {r.codes_learned:>6} {line} {_f(r.report.macro_f1):>7}")
        return "\n".join(lines)


def learning_curve(
    devset: DevSet,
    sizes: Sequence[int] = (5, 10, 20, 40),
    train_fraction: float = 0.6,
    seed: int = 0,
    embedder: Embedder | None = None,
    weights: EnsembleWeights | None = None,
) -> LearningCurve:
    """Zero-shot (lexical, semantic, ensemble) and k-shot (learned, ensemble) scores on held-out texts."""
    embedder = embedder or Embedder(cache=DictCache())
    train, test = split_texts(len(devset.texts), train_fraction, seed)
    weights = weights or DEFAULT_WEIGHTS
    uids = [c.uid for c in devset.codebook.codes if c.codable]
    units = text_units(devset.texts, test)
    reference = _reference(devset, test)
    rows = []
    for name, params in (("lexical.v1", {}), ("semantic.v1", {"embedder": embedder}),
                         ("ensemble.v1", {"embedder": embedder, "weights": weights})):
        suggester = make_suggester(name, **params).fit(devset.codebook)
        rows.append(CurveRow(name, 0, 0, evaluate(reference, suggester.suggest(units), units, uids)))
    for k in sizes:
        examples = devset_examples(devset, train, k, seed)
        for name, params in (("learned.v1", {"embedder": embedder}),
                             ("ensemble.v1", {"embedder": embedder, "weights": weights})):
            suggester = make_suggester(name, **params).fit(devset.codebook, examples)
            n_models = len(getattr(suggester, "parts_", {"learned": suggester})["learned"].code_uids_)
            rows.append(CurveRow(name, k, n_models, evaluate(reference, suggester.suggest(units), units, uids)))
    return LearningCurve(train, test, len(units), rows, weights)


def devset_subset(devset: DevSet, indices: Sequence[int]) -> DevSet:
    """A development set of only the given texts (renumbered 0..n-1), e.g. to tune on training texts."""
    new_index = {old: new for new, old in enumerate(indices)}
    spans = [(new_index[t], a, b, c) for t, a, b, c in devset.spans if t in new_index]
    return DevSet(devset.codebook, [devset.texts[i] for i in indices], spans, devset.report)
