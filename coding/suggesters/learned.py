"""learned.v1: a logistic regression per code on sentence embeddings of the researchers' codings.

For code c, positives are the texts coded with c; negatives are suggestions of c that were
rejected plus texts coded only with other codes. A code gets a model once it has at least
``min_examples`` positives (and two negatives). The decision threshold of each code is the one
that maximises F1 on out-of-fold probabilities of a stratified cross-validation.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from coding.codebook import Codebook
from coding.embedding import Embedder
from coding.lemmas import text_hash
from coding.suggesters.base import EmbeddingSuggester, ScoreTable, UnitBatch, codable_codes, register
from coding.units import Example


@dataclass(frozen=True)
class CodeModel:
    """A fitted linear model of one code."""

    coef: np.ndarray  # dim
    intercept: float
    threshold: float  # on the probability
    n_positive: int
    n_negative: int
    fingerprint: str  # of the training texts and parameters; equal -> refitting would give this model


class CodeModelCache(Protocol):
    """Storage of fitted code models by fingerprint (a fingerprint fixes the model: same texts, same parameters)."""

    def get_models(self, fingerprints: list[str]) -> dict[str, CodeModel]:
        """The stored models among those fingerprints."""

    def put_models(self, models: list[CodeModel]) -> None:
        """Store models under their fingerprints."""


def best_f1_threshold(labels: np.ndarray, probs: np.ndarray) -> float:
    """The probability cut-off maximising F1 (midpoint between neighbouring scores)."""
    order = np.argsort(-probs)
    p, y = probs[order], labels[order].astype(bool)
    tp = np.cumsum(y)
    f1 = 2 * tp / (np.arange(1, len(y) + 1) + y.sum())
    last = np.flatnonzero(np.r_[p[1:] != p[:-1], True])  # cut only between distinct scores
    k = int(last[np.argmax(f1[last])])
    return float((p[k] + p[k + 1]) / 2) if k + 1 < len(p) else float(p[k] / 2)


@register("learned.v1")
class LearnedSuggester(EmbeddingSuggester):
    """Per-code logistic regression (class_weight="balanced") on the embeddings of examples."""

    needs_embeddings = True

    def __init__(
        self,
        embedder: Embedder | None = None,
        min_examples: int = 5,
        C: float = 1.0,
        cv_folds: int = 5,
        random_state: int = 0,
        merge_adjacent: bool = True,
        model_cache: CodeModelCache | None = None,
    ) -> None:
        self.embedder = embedder
        self.model_cache = model_cache
        self.min_examples = min_examples
        self.C = C
        self.cv_folds = cv_folds
        self.random_state = random_state
        self.merge_adjacent = merge_adjacent

    def fit(self, codebook: Codebook, examples: Iterable[Example] = (), codes: Sequence[str] | None = None):
        """Fit a model per code with enough positives; ``codes``: refit only those whose texts changed."""
        defs = codable_codes(codebook)
        self.embedder_ = self.embedder or Embedder()
        examples = list(examples)
        self.codebook_uids_ = [c.uid for c in defs]
        previous = getattr(self, "models_", {}) if codes is not None else {}
        refit = set(self.codebook_uids_) if codes is None else set(codes)
        vectors, hashes = self._embed(examples)
        positives = _positives_by_code(examples, hashes)
        self.models_ = {uid: m for uid, m in previous.items() if uid in self.codebook_uids_ and uid not in refit}
        self.skipped_codes_ = {}
        todo: dict[str, tuple[list[int], list[int], str]] = {}
        for uid in self.codebook_uids_:
            if uid in self.models_:
                continue
            pos, neg = _training_rows(uid, examples, hashes, positives)
            if len(pos) < self.min_examples or len(neg) < 2:
                self.skipped_codes_[uid] = (
                    f"{len(pos)} coded and {len(neg)} counter-examples; needs {self.min_examples} and 2"
                )
                continue
            todo[uid] = (pos, neg, self._fingerprint([hashes[i] for i in pos], [hashes[i] for i in neg]))
        known, stored = self._known_models({uid: fp for uid, (_p, _n, fp) in todo.items()}, previous)
        for uid, (pos, neg, fingerprint) in todo.items():
            if fingerprint in known:  # e.g. only the definition was edited
                self.models_[uid] = known[fingerprint]
            else:
                self.models_[uid] = self._fit_code(vectors[pos], vectors[neg], fingerprint)
            _remember(self.models_[uid])
        unstored = [self.models_[uid] for uid in todo if self.models_[uid].fingerprint not in stored]
        if unstored and self.model_cache is not None:  # fitted now, or known only to this process so far
            self.model_cache.put_models(unstored)
        self.code_uids_ = [uid for uid in self.codebook_uids_ if uid in self.models_]
        self._stack()
        return self

    def _known_models(self, fingerprints: dict[str, str],
                      previous: dict[str, CodeModel]) -> tuple[dict[str, CodeModel], set[str]]:
        """Models already fitted on the same texts with the same parameters, by fingerprint (this suggester's last
        ones, this process's, the cache's: ``model_cache``, e.g. the project's, kept from earlier processes), and
        the fingerprints the cache holds."""
        known: dict[str, CodeModel] = {}
        for uid, fingerprint in fingerprints.items():
            same = previous.get(uid) or _FITTED.get(fingerprint)
            if same is not None and same.fingerprint == fingerprint:
                known[fingerprint] = same
        cached = (self.model_cache.get_models(list(fingerprints.values()))
                  if self.model_cache is not None and fingerprints else {})
        known.update({fp: m for fp, m in cached.items() if fp not in known})
        return known, set(cached)

    def _embed(self, examples: list[Example]) -> tuple[np.ndarray, list[str]]:
        """Embeddings of the example texts (each distinct text once) and their text hashes."""
        hashes = [text_hash(e.text) for e in examples]
        texts = list(dict(zip(hashes, (e.text for e in examples))).items())
        matrix = self.embedder_.encode([t for _, t in texts]) if texts else np.empty((0, 0), np.float32)
        row = {h: i for i, (h, _) in enumerate(texts)}
        return matrix[[row[h] for h in hashes]] if hashes else matrix, hashes

    def _fingerprint(self, pos: list[str], neg: list[str]) -> str:
        """Hash of a code's training texts and the parameters that shape its model."""
        params = f"{self.embedder_.model_name}|{self.C}|{self.cv_folds}|{self.random_state}"
        return text_hash("|".join([params, *sorted(pos), "/", *sorted(neg)]))

    def _fit_code(self, pos: np.ndarray, neg: np.ndarray, fingerprint: str) -> CodeModel:
        """Logistic regression with a cross-validated F1-maximising threshold."""
        from sklearn.linear_model import LogisticRegression
        from sklearn.model_selection import StratifiedKFold, cross_val_predict

        X = np.vstack([pos, neg])
        y = np.r_[np.ones(len(pos)), np.zeros(len(neg))]
        model = LogisticRegression(C=self.C, class_weight="balanced", max_iter=1000)
        folds = min(self.cv_folds, len(pos), len(neg))
        threshold = 0.5
        if folds >= 2:
            cv = StratifiedKFold(folds, shuffle=True, random_state=self.random_state)
            oof = cross_val_predict(model, X, y, cv=cv, method="predict_proba")[:, 1]
            threshold = best_f1_threshold(y, oof)
        model.fit(X, y)
        return CodeModel(
            model.coef_[0].astype(np.float32), float(model.intercept_[0]), threshold, len(pos), len(neg), fingerprint
        )

    def _stack(self) -> None:
        """Stack the code models into one weight matrix for vectorised scoring."""
        models = [self.models_[uid] for uid in self.code_uids_]
        self.column_of_ = {uid: i for i, uid in enumerate(self.code_uids_)}
        dim = models[0].coef.size if models else 0
        self.coef_ = np.stack([m.coef for m in models]) if models else np.empty((0, dim), np.float32)
        self.intercept_ = np.array([m.intercept for m in models], dtype=np.float32)
        self.thresholds_ = np.array([m.threshold for m in models], dtype=np.float32)

    def probabilities(self, embeddings: np.ndarray, codes: Sequence[str]) -> np.ndarray:
        """Units x codes probabilities of the fitted codes."""
        cols = [self.column_of_[c] for c in codes]
        logits = embeddings @ self.coef_[cols].T + self.intercept_[cols]
        return (1.0 / (1.0 + np.exp(-logits))).astype(np.float32)

    def score(self, batch: UnitBatch, codes: Sequence[str]) -> ScoreTable:
        """Probabilities with each code's cross-validated threshold; feature "margin" = logit gap."""
        probs = self.probabilities(batch.embeddings, codes)
        thresholds = self.thresholds_[[self.column_of_[c] for c in codes]]
        margin = _logit(probs) - _logit(thresholds)
        return ScoreTable(list(codes), probs, thresholds, {"margin": margin})

    def reason(self, batch: UnitBatch, unit_index: int, code_uid: str) -> str:
        """``learned from N codings``."""
        return f"learned from {self.models_[code_uid].n_positive} codings"


# Models fitted in this process by fingerprint (training texts + parameters): a new suggester for the same
# project (the next run in a running app) reuses them instead of refitting codes whose examples did not change.
_FITTED: OrderedDict[str, CodeModel] = OrderedDict()
_FITTED_MAX = 4096
_FITTED_LOCK = threading.Lock()


def _remember(model: CodeModel) -> None:
    with _FITTED_LOCK:
        _FITTED[model.fingerprint] = model
        _FITTED.move_to_end(model.fingerprint)
        while len(_FITTED) > _FITTED_MAX:
            _FITTED.popitem(last=False)


def forget_fitted() -> None:
    """Forget the code models fitted in this process (the next fit reads its cache or refits)."""
    with _FITTED_LOCK:
        _FITTED.clear()


def _logit(p: np.ndarray) -> np.ndarray:
    """log(p / (1 - p)) with p clipped away from 0 and 1."""
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


def _positives_by_code(examples: list[Example], hashes: list[str]) -> dict[str, set[str]]:
    """Code uid -> hashes of the texts coded with it."""
    out: dict[str, set[str]] = {}
    for e, h in zip(examples, hashes):
        if e.positive:
            out.setdefault(e.code_uid, set()).add(h)
    return out


def _training_rows(
    uid: str, examples: list[Example], hashes: list[str], positives: dict[str, set[str]]
) -> tuple[list[int], list[int]]:
    """Rows of positives and negatives for a code (each distinct text once per side)."""
    mine = positives.get(uid, set())
    pos: dict[str, int] = {}
    neg: dict[str, int] = {}
    for i, (e, h) in enumerate(zip(examples, hashes)):
        if e.code_uid == uid and e.positive:
            pos.setdefault(h, i)
        elif h not in mine and (e.code_uid == uid) != e.positive:  # rejected for uid, or coded otherwise
            neg.setdefault(h, i)
    return list(pos.values()), list(neg.values())
