"""semantic.v1: propose a code where a unit's embedding is close to the code's prototypes.

Prototypes of a code (each embedded separately): its name, and the descriptive prototypes
``"name: definition"``, ``use_when`` and each example. ``dont_use_when`` is a negative prototype.

Similarity of a unit u to a code (all vectors unit length):
- contrast: every prototype p is replaced by p - c, c = the mean of all codes' positive
  prototypes, so what all codes share (e.g. "games", "participants") counts for nothing and a
  unit scores high for the code it fits better than the others (with ``contrast=False``: p);
- sim = (u.name + max over descriptive prototypes of u.p) / 2 (the name alone is the best single
  prototype on the development set; long definitions resemble each other);
- when u is closer to the dont_use_when prototype than ``sim``, sim -= ``negative_penalty`` x gap.
Editing one code moves the centroid c by 1/N of the change, so other codes' scores shift a little.

Thresholds need no labels. Each code's similarities over the units being scored have a mean
and standard deviation, shrunk towards a prior (``prior_mean``, ``prior_std``, weight
``prior_strength`` units) so that a handful of units does not give wild estimates. A unit is
suggested when its similarity is at least ``mean + z_threshold * std`` of its code (it stands
out from the corpus for that code) and at least ``min_similarity`` (it is close in absolute
terms). The priors and both cut-offs were set on the training texts of the development set
(see ``coding.evaluation``); they depend on the embedding model, not on the codebook.
The score shown is sigmoid(2 x (sim - cut) / std): 0.5 at the code's cut, higher above it.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from coding.codebook import Codebook, CodeDef
from coding.embedding import Embedder
from coding.suggesters.base import EmbeddingSuggester, ScoreTable, UnitBatch, codable_codes, register, truncate
from coding.units import Example

KIND_LABELS = {"definition": "definition", "use_when": "use when", "example": "example"}


@dataclass(frozen=True)
class Prototype:
    """A text that stands for a code (positive) or against it (negative, from dont_use_when)."""

    code_uid: str
    kind: str  # "name", "definition", "use_when", "example" or "dont_use_when"
    text: str  # the text embedded
    shown: str  # the text quoted in reasons


def code_prototypes(code: CodeDef) -> tuple[list[Prototype], list[Prototype]]:
    """Name + descriptive prototypes, and negatives; no descriptive one means the code is skipped."""
    definition, use_when, dont = code.definition.strip(), code.use_when.strip(), code.dont_use_when.strip()
    desc: list[Prototype] = []
    if definition:
        desc.append(Prototype(code.uid, "definition", f"{code.name}: {definition}", definition))
    if use_when:
        desc.append(Prototype(code.uid, "use_when", use_when, use_when))
    desc.extend(Prototype(code.uid, "example", e.strip(), e.strip()) for e in code.examples if e.strip())
    if not desc:
        return [], []
    name = Prototype(code.uid, "name", code.name.strip() or definition, code.name.strip())
    neg = [Prototype(code.uid, "dont_use_when", dont, dont)] if dont else []
    return [name, *desc], neg


@register("semantic.v1")
class SemanticSuggester(EmbeddingSuggester):
    """Nearest-prototype similarity of sentence embeddings with label-free per-code thresholds."""

    needs_embeddings = True

    def __init__(
        self,
        embedder: Embedder | None = None,
        contrast: bool = True,
        negative_penalty: float = 0.5,
        z_threshold: float = 0.5,
        min_similarity: float = 0.1,
        prior_mean: float = 0.0,
        prior_std: float = 0.06,
        prior_strength: float = 50.0,
        merge_adjacent: bool = True,
    ) -> None:
        self.embedder = embedder
        self.contrast = contrast
        self.negative_penalty = negative_penalty
        self.z_threshold = z_threshold
        self.min_similarity = min_similarity
        self.prior_mean = prior_mean
        self.prior_std = prior_std
        self.prior_strength = prior_strength
        self.merge_adjacent = merge_adjacent

    def fit(self, codebook: Codebook, examples: Iterable[Example] = (), codes: Sequence[str] | None = None):
        """Embed the prototypes of every codable code (with ``codes``: only of those codes)."""
        defs = codable_codes(codebook)
        self.embedder_ = self.embedder or Embedder()
        previous = getattr(self, "vectors_", {}) if codes is not None else {}
        refit = set(codes) if codes is not None else None
        protos = {c.uid: code_prototypes(c) for c in defs}
        self.codebook_uids_ = [c.uid for c in defs]
        self.skipped_codes_ = {
            uid: "no definition, use_when or examples to compare with" for uid, (pos, _) in protos.items() if not pos
        }
        self.code_uids_ = [uid for uid in self.codebook_uids_ if uid not in self.skipped_codes_]
        todo = [uid for uid in self.code_uids_ if refit is None or uid in refit or uid not in previous]
        self.vectors_ = {uid: previous[uid] for uid in self.code_uids_ if uid not in todo}
        self.vectors_.update(self._embed(todo, protos))
        self.prototypes_ = {uid: protos[uid] for uid in self.code_uids_}
        self.column_of_ = {uid: i for i, uid in enumerate(self.code_uids_)}
        self._centre()
        return self

    def _embed(self, uids: list[str], protos: dict) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """Positive and negative prototype vectors of the given codes, in one encode call."""
        texts = [p.text for uid in uids for side in protos[uid] for p in side]
        vectors = self.embedder_.encode(texts)
        out, k = {}, 0
        for uid in uids:
            pos, neg = protos[uid]
            out[uid] = (vectors[k : k + len(pos)], vectors[k + len(pos) : k + len(pos) + len(neg)])
            k += len(pos) + len(neg)
        return out

    def _centre(self) -> None:
        """Compute the codebook centroid and the (contrasted) prototype matrices used for scoring."""
        means = np.stack([v[0].mean(axis=0) for v in self.vectors_.values()]) if self.vectors_ else None
        centroid = means.mean(axis=0) if means is not None and self.contrast else 0.0
        self.centroid_ = np.asarray(centroid, dtype=np.float32)
        self.scoring_vectors_ = {
            uid: ((pos - centroid).astype(np.float32), (neg - centroid).astype(np.float32))
            for uid, (pos, neg) in self.vectors_.items()
        }

    def similarities(self, embeddings: np.ndarray, codes: Sequence[str]) -> np.ndarray:
        """Units x codes: (name + best descriptive prototype) / 2, minus the dont_use_when penalty."""
        names = np.stack([self.scoring_vectors_[c][0][0] for c in codes])
        sims = (embeddings @ names.T + self._max_over(embeddings, [self.scoring_vectors_[c][0][1:] for c in codes])) / 2
        negatives = [self.scoring_vectors_[c][1] for c in codes]
        if self.negative_penalty and any(len(b) for b in negatives):
            gap = np.maximum(0.0, self._max_over(embeddings, negatives) - sims)
            sims -= self.negative_penalty * gap
        return sims

    @staticmethod
    def _max_over(embeddings: np.ndarray, blocks: list[np.ndarray]) -> np.ndarray:
        """Units x blocks: maximum similarity over the rows of each block (-inf for an empty block)."""
        sizes = np.array([len(b) for b in blocks])
        out = np.full((embeddings.shape[0], len(blocks)), -np.inf, dtype=np.float32)
        has = np.flatnonzero(sizes)
        if has.size == 0:
            return out
        sims = embeddings @ np.concatenate([blocks[k] for k in has]).T
        starts = np.concatenate([[0], np.cumsum(sizes[has])[:-1]])
        out[:, has] = np.maximum.reduceat(sims, starts, axis=1)
        return out

    def statistics(self, sims: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per-code mean and standard deviation of similarities, shrunk towards the prior."""
        n, k = sims.shape[0], self.prior_strength
        mean = (sims.sum(axis=0) + k * self.prior_mean) / (n + k)
        var = (((sims - mean) ** 2).sum(axis=0) + k * self.prior_std**2) / (n + k)
        return mean.astype(np.float32), np.sqrt(var).astype(np.float32)

    def score(self, batch: UnitBatch, codes: Sequence[str]) -> ScoreTable:
        """Scores sigmoid(2 * (sim - threshold) / std): 0.5 at the code's threshold, higher above it."""
        sims = self.similarities(batch.embeddings, codes)
        mean, std = self.statistics(sims)
        z = (sims - mean) / std
        cut = np.maximum(self.min_similarity, mean + self.z_threshold * std)
        scores = 1.0 / (1.0 + np.exp(-2.0 * (sims - cut) / std))
        thresholds = np.full(len(codes), 0.5, dtype=np.float32)
        return ScoreTable(list(codes), scores.astype(np.float32), thresholds, {"sim": sims, "z": z})

    def closest(self, vector: np.ndarray, code_uid: str) -> tuple[Prototype, float]:
        """The code's descriptive prototype that contributes most to a unit's score, and its similarity."""
        sims = self.scoring_vectors_[code_uid][0][1:] @ vector
        best = int(np.argmax(sims))
        return self.prototypes_[code_uid][0][best + 1], float(sims[best])

    def reason(self, batch: UnitBatch, unit_index: int, code_uid: str) -> str:
        """``close to example: "…"`` quoting the closest prototype."""
        proto, _ = self.closest(batch.embeddings[unit_index], code_uid)
        return f'close to {KIND_LABELS[proto.kind]}: "{truncate(proto.shown)}"'
