"""ensemble.v1 (the default): lexical + semantic (+ learned when a code has `MIN_LEARNED` codings, 10).

One logistic combiner turns the parts' evidence into a calibrated probability that a person
would code the unit with the code:

    zero_shot = intercept + sim * (semantic.v1 similarity, contrasted) + lexical * (lexical.v1 weight)
    logit     = zero_shot                                              for codes without a model
    logit     = learned_zero_shot * zero_shot + learned * margin + learned_bias   for codes with one
    margin    = logit(p_learned) - logit(learned.v1's cross-validated threshold)

With the project's calibration (``combiner``, ``coding.combiner``; only without a tuned model) the
combiner's probability, threshold and cap on codes per sentence replace the logit above.

A unit's score depends only on the unit and the codebook (with the calibration, also on its neighbours
in the same turn or answer), not on which other sources are scored, so suggesting one document or the
whole project gives the same scores.

The default weights were fitted by ``coding.evaluation.calibrate_ensemble`` on the TRAINING
texts of the development set only (the LLMCode "games as art" answers, 60/40 split by text,
seed 0): the zero-shot weights on all training sentences x codes; the learned weights by
2-fold cross-fitting within the training texts (learned models fitted on k codings per code
from one half, the combiner on the sentences of the other half, k in 5, 10, 20). The threshold
maximises micro F1 on those same training predictions. ``bench/devset_eval.py`` refits and
prints them; refit them for another embedding model.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from coding.codebook import Codebook
from coding.combiner import Combiner, capped
from coding.embedding import Embedder
from coding.lemmas import LemmaCache, lemmatise, text_hash
from coding.suggesters.base import EmbeddingSuggester, ScoreTable, UnitBatch, codable_codes, register
from coding.suggesters.learned import CodeModelCache, LearnedSuggester
from coding.suggesters.lexical import LexicalSuggester
from coding.suggesters.semantic import SemanticSuggester
from coding.tuning import TunedModel, code_text
from coding.units import Example, Unit


@dataclass(frozen=True)
class EnsembleWeights:
    """Coefficients of the logistic combiner and the decision threshold on its probability."""

    intercept: float
    sim: float
    lexical: float
    learned_zero_shot: float
    learned: float
    learned_bias: float
    threshold: float


DEFAULT_WEIGHTS = EnsembleWeights(  # calibrate_ensemble(load_devset(), train texts, seed 0), all-MiniLM-L6-v2
    intercept=-3.241,
    sim=13.853,
    lexical=1.771,
    learned_zero_shot=0.759,
    learned=0.642,
    learned_bias=0.272,
    threshold=0.179,
)


@dataclass
class EnsembleFeatures:
    """Units x codes evidence of the parts, as the combiner sees it."""

    sim: np.ndarray
    lexical: np.ndarray
    learned: np.ndarray  # margin; 0 where no learned model
    has_learned: np.ndarray  # bool, per code (broadcast over units)
    tuned: np.ndarray | None = None  # the tuned model's logit, when the project has one


def zero_shot_logit(f: EnsembleFeatures, w: EnsembleWeights) -> np.ndarray:
    """The combiner's logit without learned models: the tuned model's own (calibrated by its training)
    when there is one, else semantic + lexical."""
    if f.tuned is not None:
        return f.tuned
    return w.intercept + w.sim * f.sim + w.lexical * f.lexical


def combine(f: EnsembleFeatures, w: EnsembleWeights) -> np.ndarray:
    """Calibrated probabilities from features and weights."""
    zero_shot = zero_shot_logit(f, w)
    with_model = w.learned_zero_shot * zero_shot + w.learned * f.learned + w.learned_bias
    logit = np.where(f.has_learned[np.newaxis, :], with_model, zero_shot)
    return (1.0 / (1.0 + np.exp(-logit))).astype(np.float32)


# Codings a code needs before the ensemble fits its own learned model. Below that, the code's scores move
# only by the offset its review decisions ask for (``coding.decisions``). Measured on the development set
# (5 folds, seeds 0-4): with 10, kappa after 200 review decisions is higher in either order (random
# 0.363 -> 0.368 on seed 0), because a model fitted on 5-9 codings did worse than the offset. The
# cross-validated rows given k codings per code barely move: k=20 0.368 either way, k=40 0.385 -> 0.383,
# and k=5 0.338 -> 0.331, where it now equals zero-shot.
MIN_LEARNED = 10


@register("ensemble.v1")
class EnsembleSuggester(EmbeddingSuggester):
    """Calibrated combination of lexical.v1, semantic.v1 and (per code, when fitted) learned.v1."""

    needs_embeddings = True
    needs_lemmas = True

    def __init__(
        self,
        embedder: Embedder | None = None,
        lemma_cache: LemmaCache | None = None,
        weights: EnsembleWeights = DEFAULT_WEIGHTS,
        min_examples: int = MIN_LEARNED,
        merge_adjacent: bool = True,
        tuned: TunedModel | None = None,
        combiner: Combiner | None = None,
        learned_cache: CodeModelCache | None = None,
    ) -> None:
        self.embedder = embedder
        self.lemma_cache = lemma_cache
        self.weights = weights
        self.min_examples = min_examples
        self.merge_adjacent = merge_adjacent
        self.tuned = tuned
        self.combiner = combiner  # the project's calibration (coding.combiner), used without a tuned model
        self.learned_cache = learned_cache  # fitted learned.v1 code models kept between processes

    def fit(self, codebook: Codebook, examples: Iterable[Example] = (), codes: Sequence[str] | None = None):
        """Fit the three parts (with ``codes``: refit only those codes' state)."""
        defs = codable_codes(codebook)
        examples = list(examples)
        self.embedder_ = self.embedder or self._default_embedder()
        if codes is None or not hasattr(self, "parts_"):
            self.parts_ = {
                "lexical": LexicalSuggester(lemma_cache=self.lemma_cache),
                "semantic": SemanticSuggester(embedder=self.embedder_),
                "learned": LearnedSuggester(embedder=self.embedder_, min_examples=self.min_examples,
                                            model_cache=self.learned_cache),
            }
            codes = None
        for part in self.parts_.values():
            part.fit(codebook, examples, codes)
        lexical, semantic = self.parts_["lexical"], self.parts_["semantic"]
        self.codebook_uids_ = [c.uid for c in defs]
        usable = set(semantic.code_uids_) | set(lexical.code_uids_)
        self.code_uids_ = [uid for uid in self.codebook_uids_ if uid in usable]
        self.skipped_codes_ = {
            uid: semantic.skipped_codes_.get(uid, "") or lexical.skipped_codes_.get(uid, "")
            for uid in self.codebook_uids_
            if uid not in usable
        }
        if self.tuned is not None:
            self.tuned_vectors_ = self.embedder_.encode([code_text(c.name, c.definition) for c in defs])
            self.tuned_column_ = {c.uid: j for j, c in enumerate(defs)}
        return self

    @property
    def model_name(self) -> str | None:
        """The embedding model's name: the tuned model's id when it scores with one."""
        if self.embedder is not None:
            return self.embedder.model_name
        return self.tuned.id if self.tuned is not None else Embedder().model_name

    def _default_embedder(self) -> Embedder:
        """The base model, or the tuned model's folder under its id (so its vectors are cached apart)."""
        if self.tuned is None:
            return Embedder()
        return Embedder(model_name=self.tuned.id, model_path=str(self.tuned.path))

    def prepare(self, units: Sequence[Unit], codes: Sequence[str] | None = None) -> UnitBatch:
        """Embeddings and lemmas of the units, each computed once for all parts (``codes``: see
        ``Suggester.prepare``)."""
        texts = [u.text for u in units]
        hashes = [text_hash(t) for t in texts]
        lemmas = lemmatise(texts, cache=self.lemma_cache, hashes=hashes, containing=self.lemma_words(codes))
        return UnitBatch(units, self.embedder_.encode(texts, hashes), lemmas)

    def lemma_words(self, codes: Sequence[str] | None) -> frozenset[str] | None:
        """The lexical part's words of ``codes``; with the project's calibration every code is scored, so all."""
        if codes is None or (self.combiner is not None and self.tuned is None):
            return None
        return self.parts_["lexical"].lemma_words(codes)

    def features(self, batch: UnitBatch, codes: Sequence[str]) -> EnsembleFeatures:
        """Evidence of every part for the codes (zeros where a part has nothing for a code)."""
        n, k = len(batch.units), len(codes)
        out = EnsembleFeatures(*(np.zeros((n, k), np.float32) for _ in range(3)), np.zeros(k, bool))
        for part, key, target in (("semantic", "sim", out.sim), ("lexical", "weight", out.lexical),
                                  ("learned", "margin", out.learned)):
            fitted = set(self.parts_[part].code_uids_)
            cols = [j for j, c in enumerate(codes) if c in fitted]
            if cols:
                target[:, cols] = self.parts_[part].score(batch, [codes[j] for j in cols]).features[key]
                if part == "learned":
                    out.has_learned[cols] = True
        if self.tuned is not None:
            vectors = self.tuned_vectors_[[self.tuned_column_[c] for c in codes]]
            out.tuned = self.tuned.logits(batch.embeddings, vectors)
        return out

    def score(self, batch: UnitBatch, codes: Sequence[str]) -> ScoreTable:
        """Calibrated probabilities; one threshold for all codes (and, with the project's combiner, at most
        its cap of codes per sentence)."""
        if self.combiner is not None and self.tuned is None:
            return self._calibrated(batch, codes)
        probs = combine(self.features(batch, codes), self.weights)
        threshold = self.tuned.threshold if self.tuned is not None else self.weights.threshold
        thresholds = np.full(len(codes), threshold, dtype=np.float32)
        return ScoreTable(list(codes), probs, thresholds)

    def _calibrated(self, batch: UnitBatch, codes: Sequence[str]) -> ScoreTable:
        """The project's combiner over every code (its gap and cap compare a sentence's codes), then the asked ones."""
        c, every = self.combiner, list(self.code_uids_)
        features = self.features(batch, every)
        probs = c.probabilities(batch.units, every, zero_shot_logit(features, self.weights), features.learned)
        columns = [every.index(code) for code in codes]
        return ScoreTable(list(codes), probs[:, columns], np.full(len(codes), c.threshold, np.float32),
                          allowed=capped(probs, -np.inf, c.cap)[:, columns])

    def reason(self, batch: UnitBatch, unit_index: int, code_uid: str) -> str:
        """The contributing parts' reasons, joined with "; "."""
        reasons = []
        if self.tuned is not None:
            vector = self.tuned_vectors_[self.tuned_column_[code_uid]]
            p = float(self.tuned.probabilities(batch.embeddings[unit_index:unit_index + 1], vector[np.newaxis])[0, 0])
            reasons.append(f"this project's tuned model gives {p:.2f}")
        for name in ("semantic", "lexical", "learned"):
            part = self.parts_[name]
            if code_uid not in part.column_of_:
                continue
            if name == "lexical" and not part.matches(batch.lemmas[unit_index], code_uid):
                continue
            reasons.append(part.reason(batch, unit_index, code_uid))
        return "; ".join(reasons)
