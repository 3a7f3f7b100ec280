"""Teach the suggestions from a project's codings: tune a model on some texts, check it on others.

``teach`` tunes (``coding.tuning``) on the training texts' codings and compares, on a held-out slice of
texts, the ensemble with the current model (the base model or the previous tuned one) against the
ensemble with the new tuned one, both at the sentence level and each at its own best-F1 threshold on
that slice. The new model is kept only when its kappa there is higher. A ``cancel`` event is read between
tuning steps, then between the check's two scorings and its encode chunks, each after calling ``on_check``
(which may set it); ``TuningCancelled`` then: the tuned model stays on disk unchecked, and a new run on the
same data checks it without tuning again. Nothing here knows the store: a project's codings arrive as a
``DevSet`` (texts and spans).
"""
from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from coding.codebook import Codebook
from coding.combiner import Combiner, code_priors, fit_combiner
from coding.devset import DevSet
from coding.embedding import DEFAULT_MODEL, DictCache, Embedder, EmbeddingCache, default_model_path
from coding.evaluation import Scores, devset_examples, score_decisions, text_units, unit_decisions
from coding.suggesters.ensemble import EnsembleSuggester, zero_shot_logit
from coding.suggesters.learned import best_f1_threshold
from coding.tuning import (Passage, TunedModel, TuningCancelled, TuningParams, TuningProgress, code_text, tune,
                           with_threshold)
from coding.units import Example

ALL = 10**9  # "every coding" as a codings-per-code cap
CANCEL_CHUNK = 256  # texts encoded between two looks at a cancel event (a few seconds on 2 cores)
CheckProgress = Callable[[int, int, int], None]  # (scoring 1 or 2, texts encoded, texts to encode)


@dataclass
class TeachResult:
    """What one round of teaching did: the new model, whether it is kept, before/after on the held-out slice."""

    model: TunedModel
    kept: bool
    before: Scores  # the current model (base or previous tuned) on the held-out texts
    after: Scores  # the new tuned model on the same texts
    before_threshold: float
    after_threshold: float
    passages: int
    train_texts: int
    holdout_texts: int
    holdout_units: int
    before_per_code: dict[str, Scores] = field(default_factory=dict)  # code uid -> scores on the held-out slice
    after_per_code: dict[str, Scores] = field(default_factory=dict)


def code_texts(codebook: Codebook) -> dict[str, str]:
    """Code uid -> ``"name: definition"`` of every codable code."""
    return {c.uid: code_text(c.name, c.definition) for c in codebook.codes if c.codable}


def training_passages(devset: DevSet, texts: Iterable[int], k: int = ALL, seed: int = 0,
                      rejected: Sequence[tuple[int, int, int, str]] = (), background: bool = True) -> list[Passage]:
    """Coded spans of the given texts (picked as at most k per code) as passages with all their codes; rejected
    suggestions ``(text index, start, end, code uid)`` as hard negatives; with ``background``, the
    sentences of those texts that no coding touches, as passages with no code (as many as coded ones)."""
    chosen = set(texts)
    examples = devset_examples(devset, chosen, k, seed)
    kept = {e.text for e in examples}
    positives: dict[str, set[str]] = {}
    for t, a, b, uid in devset.spans:  # a chosen passage carries every code people gave it (else it would
        text = devset.texts[t][a:b]     # teach "not B" for a passage coded A and B that was picked for A)
        if t in chosen and text in kept:
            positives.setdefault(text, set()).add(uid)
    negatives: dict[str, set[str]] = {}
    for t, a, b, uid in rejected:
        if t in chosen:
            negatives.setdefault(devset.texts[t][a:b], set()).add(uid)
    out = [Passage(text, frozenset(codes), frozenset(negatives.pop(text, set()) - codes))
           for text, codes in positives.items() if text.strip()]
    out += [Passage(text, frozenset(), frozenset(codes)) for text, codes in negatives.items() if text.strip()]
    if background:
        units = text_units(devset.texts, sorted(chosen))
        touched = unit_decisions([s for s in devset.spans if s[0] in chosen], units, _uids(devset))
        free = [u.text for u, hit in zip(units, touched.any(axis=1)) if not hit and u.text not in positives]
        picked = np.random.default_rng(seed).permutation(len(free))[: len(out)]
        out += [Passage(free[i]) for i in sorted(picked)]
    return out


def _uids(devset: DevSet) -> list[str]:
    return [c.uid for c in devset.codebook.codes if c.codable]


def holdout_probabilities(devset: DevSet, train: Iterable[int], test: Sequence[int], k: int,
                          tuned: TunedModel | None, cache: EmbeddingCache | None = None,
                          seed: int = 0, on_chunk: Callable[[int, int], None] | None = None
                          ) -> tuple[np.ndarray, np.ndarray]:
    """The ensemble's probabilities (with the tuned model, if given) and the reference's decisions,
    sentences x codes of the test texts, learning from at most k codings per code of the training texts."""
    probs, _, labels = holdout_scores(devset, train, test, k, tuned, cache, seed, on_chunk=on_chunk)
    return probs, labels


def holdout_scores(devset: DevSet, train: Iterable[int], test: Sequence[int], k: int, tuned: TunedModel | None,
                   cache: EmbeddingCache | None = None, seed: int = 0, combiner: Combiner | None = None,
                   on_chunk: Callable[[int, int], None] | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """As ``holdout_probabilities``, with the ensemble's own decisions (its threshold and any cap) in the middle;
    ``combiner``: the project's calibration (``calibrate``), for the ensemble without a tuned model; ``on_chunk``
    is called between encode chunks with the texts encoded so far and the texts to encode (it may raise to stop)."""
    uids = _uids(devset)
    units = text_units(devset.texts, test)
    labels = unit_decisions([s for s in devset.spans if s[0] in set(test)], units, uids)
    examples: list[Example] = devset_examples(devset, train, k, seed) if k else []
    hook = {} if on_chunk is None else {"on_progress": on_chunk, "chunk_size": CANCEL_CHUNK}
    embedder = (Embedder(model_name=tuned.id, model_path=str(tuned.path), cache=cache, **hook) if tuned is not None
                else Embedder(cache=cache, **hook))
    ensemble = EnsembleSuggester(embedder=embedder, tuned=tuned, combiner=combiner).fit(devset.codebook, examples)
    active = ensemble.active_codes(None)
    probs = np.zeros(labels.shape, np.float32)
    decided = np.zeros(labels.shape, bool)
    if units and active:
        table = ensemble.score(ensemble.prepare(units), active)
        columns = [uids.index(c) for c in active]
        probs[:, columns] = table.scores
        decided[:, columns] = table.decisions()
    return probs, decided, labels


def teach(devset: DevSet, train: Sequence[int], holdout: Sequence[int], out_dir: str | Path, *,
          current: TunedModel | None = None, params: TuningParams = TuningParams(), k: int = ALL,
          rejected: Sequence[tuple[int, int, int, str]] = (), cache: EmbeddingCache | None = None, seed: int = 0,
          on_progress: TuningProgress | None = None, on_check: CheckProgress | None = None,
          cancel: threading.Event | None = None) -> TeachResult:
    """Tune from the current model on the training texts; keep the result only if better on the held-out ones.

    With ``cancel``, ``on_check(scoring, done, total)`` is called before each of the check's two scorings
    (1: the current model, 2: the new one; ``done = total = 0``; once more after the second) and between their
    encode chunks (texts encoded so far, texts to encode: cached ones are not encoded again)."""
    cache = cache if cache is not None else DictCache()
    passages = training_passages(devset, train, k, seed, rejected)
    start = current.path if current is not None else Path(default_model_path())
    model = tune(start, code_texts(devset.codebook), passages, out_dir, params,
                 base_id=current.id if current is not None else DEFAULT_MODEL, on_progress=on_progress, cancel=cancel)
    check = _cancel_check(on_check, cancel) if cancel is not None else None

    def scoring(n: int) -> Callable[[int, int], None] | None:
        if check is None:
            return None
        check(n, 0, 0)
        return lambda done, total: check(n, done, total)

    before_p, labels = holdout_probabilities(devset, train, holdout, k, current, cache, seed, scoring(1))
    after_p, _ = holdout_probabilities(devset, train, holdout, k, model, cache, seed, scoring(2))
    if check is not None:
        check(2, 0, 0)
    before_t, before = _best(labels, before_p)
    after_t, after = _best(labels, after_p)
    model = with_threshold(model, after_t)
    kept = bool(after.kappa > before.kappa) if not np.isnan(after.kappa) else False
    uids = _uids(devset)
    return TeachResult(model, kept, before, after, before_t, after_t, len(passages), len(train), len(holdout),
                       labels.shape[0], _per_code(uids, labels, before_p >= before_t),
                       _per_code(uids, labels, after_p >= after_t))


def _cancel_check(on_check: CheckProgress | None, cancel: threading.Event) -> CheckProgress:
    """What the held-out check calls before its scorings and between their encode chunks: ``on_check`` (which
    may set ``cancel``), then ``TuningCancelled`` if ``cancel`` is set."""
    def check(scoring: int, done: int, total: int) -> None:
        if on_check is not None:
            on_check(scoring, done, total)
        if cancel.is_set():
            raise TuningCancelled("training cancelled during the held-out check, after tuning: the current model "
                                  "stays; run it again to check the tuned model without tuning it anew")
    return check


def _per_code(uids: Sequence[str], labels: np.ndarray, decisions: np.ndarray) -> dict[str, Scores]:
    """Each code's scores on these decisions (sentences x codes)."""
    return {uid: score_decisions(labels[:, j], decisions[:, j]) for j, uid in enumerate(uids)}


def calibrate(devset: DevSet, train: Sequence[int], holdout: Sequence[int], k: int = ALL,
              cache: EmbeddingCache | None = None, seed: int = 0) -> Combiner | None:
    """The project's calibration of the ensemble (``coding.combiner``) fitted on the held-out texts: its
    zero-shot evidence and the margins of learned models fitted on at most k codings per code of the
    training texts, each code's prior from the training texts; None when the held-out texts hold too few
    codings."""
    uids = _uids(devset)
    units = text_units(devset.texts, holdout)
    if not units:
        return None
    labels = unit_decisions([s for s in devset.spans if s[0] in set(holdout)], units, uids)
    seen = text_units(devset.texts, train)
    priors, floor = code_priors(unit_decisions([s for s in devset.spans if s[0] in set(train)], seen, uids), uids)
    examples = devset_examples(devset, train, k, seed) if k else []
    ensemble = EnsembleSuggester(embedder=Embedder(cache=cache)).fit(devset.codebook, examples)
    features = ensemble.features(ensemble.prepare(units), uids)
    return fit_combiner(units, uids, zero_shot_logit(features, ensemble.weights), features.learned, labels,
                        priors, floor)


def _best(labels: np.ndarray, probs: np.ndarray) -> tuple[float, Scores]:
    """The best-F1 threshold on these decisions and the scores there."""
    if not labels.any():
        return 0.5, score_decisions(labels, probs >= 0.5)
    threshold = best_f1_threshold(labels.ravel(), probs.ravel())
    return threshold, score_decisions(labels, probs >= threshold)
