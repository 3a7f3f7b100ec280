"""Common machinery of suggesters: registry, shared unit inputs, score tables, span merging."""
from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import ClassVar, TypeVar

import numpy as np

from coding.codebook import Codebook, CodeDef
from coding.embedding import Embedder
from coding.lemmas import lemmatise
from coding.units import Example, Proposal, Unit


class SuggesterError(ValueError):
    """Base class of the suggestion engine's errors."""


class EmptyCodebookError(SuggesterError):
    """The codebook has no codable code to suggest."""


class NotFittedError(SuggesterError):
    """``suggest`` was called before ``fit``."""


class UnknownCodeError(SuggesterError, KeyError):
    """A code uid passed in ``codes`` is not in the fitted codebook."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])


class UnknownSuggesterError(SuggesterError, KeyError):
    """No suggester is registered under that name."""

    def __str__(self) -> str:
        return str(self.args[0])


_REGISTRY: dict[str, type[Suggester]] = {}
S = TypeVar("S", bound="type[Suggester]")


def register(name: str) -> Callable[[S], S]:
    """Class decorator: register a suggester under a versioned name such as ``"lexical.v1"``."""

    def decorate(cls: S) -> S:
        if name in _REGISTRY and _REGISTRY[name] is not cls:
            raise SuggesterError(f"a suggester is already registered as {name!r}")
        cls.name = name
        _REGISTRY[name] = cls
        return cls

    return decorate


def registered() -> dict[str, type[Suggester]]:
    """Return a copy of the registry (name -> class)."""
    return dict(_REGISTRY)


@dataclass
class UnitBatch:
    """Units to score with the per-unit inputs computed once and shared by suggesters."""

    units: Sequence[Unit]
    embeddings: np.ndarray | None = None  # n_units x dim, L2-normalised
    lemmas: list[list[str]] | None = None


@dataclass
class ScoreTable:
    """Scores of units (rows) for codes (columns) in [0, 1], the per-code thresholds, extra features."""

    code_uids: list[str]
    scores: np.ndarray  # n_units x n_codes, float32
    thresholds: np.ndarray  # n_codes; a unit is suggested when score >= threshold
    features: dict[str, np.ndarray] = field(default_factory=dict)  # for the ensemble
    allowed: np.ndarray | None = None  # n_units x n_codes; False where a per-unit cap leaves the code out

    def decisions(self) -> np.ndarray:
        """Units x codes: suggested (at or over the code's threshold, and not capped out)."""
        out = self.scores >= self.thresholds[np.newaxis, :]
        return out if self.allowed is None else out & self.allowed


class Suggester(ABC):
    """A fitted codebook model that proposes codes for units; subclasses fill in scores and reasons."""

    name: ClassVar[str] = "abstract"
    needs_embeddings: ClassVar[bool] = False
    needs_lemmas: ClassVar[bool] = False
    merge_adjacent: bool = True

    @abstractmethod
    def fit(self, codebook: Codebook, examples: Iterable[Example] = (), codes: Sequence[str] | None = None):
        """Learn from the codebook (and examples) and return self; with ``codes``, refit only those codes."""

    @abstractmethod
    def score(self, batch: UnitBatch, codes: Sequence[str]) -> ScoreTable:
        """Score every unit of the batch for the given (fitted, not skipped) code uids."""

    @abstractmethod
    def reason(self, batch: UnitBatch, unit_index: int, code_uid: str) -> str:
        """Explain in words why unit ``unit_index`` is proposed for the code."""

    @property
    def model_name(self) -> str | None:
        """Name of the embedding model the scores depend on (None if none)."""
        return None

    def prepare(self, units: Sequence[Unit], codes: Sequence[str] | None = None) -> UnitBatch:
        """Compute the per-unit inputs this suggester needs (embeddings, lemmas), using the caches.

        ``codes``: the batch will be scored for these codes only; a unit's lemmas may then be left empty when it
        holds none of their words (it scores nothing for them either way), which spares reading them."""
        texts = [u.text for u in units]
        embeddings = self.embedder_.encode(texts) if self.needs_embeddings else None
        lemmas = lemmatise(texts, cache=getattr(self, "lemma_cache", None),
                           containing=self.lemma_words(codes)) if self.needs_lemmas else None
        return UnitBatch(units, embeddings, lemmas)

    def lemma_words(self, codes: Sequence[str] | None) -> frozenset[str] | None:
        """The lemmas a unit must hold for its lemma list to matter when scoring ``codes`` (None: every unit's)."""
        return None

    def suggest(self, units: Sequence[Unit], codes: Sequence[str] | None = None) -> list[Proposal]:
        """Propose codes for units (document order); ``codes`` restricts to those code uids."""
        active = self.active_codes(codes)
        if not active or not units:
            return []
        batch = self.prepare(units)
        return self.to_suggestions(batch, self.score(batch, active))

    def active_codes(self, codes: Sequence[str] | None) -> list[str]:
        """The fitted, non-skipped code uids to score (all of them, or those of ``codes``)."""
        fitted: list[str] = getattr(self, "code_uids_", None)
        if fitted is None:
            raise NotFittedError(f"{self.name}: call fit(codebook, examples) before suggest()")
        if codes is None:
            return list(fitted)
        known = set(self.codebook_uids_)
        unknown = [c for c in codes if c not in known]
        if unknown:
            raise UnknownCodeError(f"{self.name}: code uid(s) not in the fitted codebook: {', '.join(unknown)}")
        wanted = set(codes)
        return [c for c in fitted if c in wanted]

    def to_suggestions(self, batch: UnitBatch, table: ScoreTable) -> list[Proposal]:
        """Threshold a score table, merge adjacent units per code, and attach reasons."""
        rows, cols = np.nonzero(table.decisions())
        if rows.size == 0:
            return []
        order = np.lexsort((rows, cols))
        rows, cols = rows[order], cols[order]
        groups = _runs(batch.units, rows, cols) if self.merge_adjacent else [(i, i) for i in range(rows.size)]
        values = table.scores[rows, cols].tolist()
        rows_list, cols_list = rows.tolist(), cols.tolist()
        model = self.model_name
        out: list[Proposal] = []
        for first, last in groups:
            best = max(range(first, last + 1), key=values.__getitem__)
            code = table.code_uids[cols_list[first]]
            head, tail = batch.units[rows_list[first]], batch.units[rows_list[last]]
            out.append(
                Proposal(
                    source_id=head.source_id,
                    start=head.start,
                    end=tail.end,
                    code_uid=code,
                    score=min(1.0, max(0.0, values[best])),
                    reason=self.reason(batch, rows_list[best], code),
                    suggester=self.name,
                    model=model,
                )
            )
        out.sort(key=lambda s: (s.source_id, s.start, s.code_uid))
        return out


class EmbeddingSuggester(Suggester, ABC):
    """A suggester whose scores depend on an embedding model (``self.embedder``, or the default one)."""

    embedder: Embedder | None = None

    @property
    def model_name(self) -> str | None:
        """The embedding model's name."""
        return (self.embedder or Embedder()).model_name


def _runs(units: Sequence[Unit], rows: np.ndarray, cols: np.ndarray) -> list[tuple[int, int]]:
    """Split sorted (code, unit) hits into runs of consecutive units of one source and one code."""
    sources = np.fromiter((units[i].source_id for i in rows), dtype=np.int64, count=rows.size)
    groups = np.fromiter((-1 if units[i].group is None else units[i].group for i in rows), dtype=np.int64,
                         count=rows.size)
    breaks = np.ones(rows.size, dtype=bool)
    breaks[1:] = ((cols[1:] != cols[:-1]) | (rows[1:] != rows[:-1] + 1) | (sources[1:] != sources[:-1])
                  | (groups[1:] != groups[:-1]))
    starts = np.flatnonzero(breaks)
    ends = np.append(starts[1:] - 1, rows.size - 1)
    return list(zip(starts.tolist(), ends.tolist()))


def codable_codes(codebook: Codebook) -> list[CodeDef]:
    """Codable codes of the codebook, or EmptyCodebookError if there is none."""
    codes = [c for c in codebook.codes if c.codable]
    if not codes:
        raise EmptyCodebookError(f"codebook {codebook.name!r} has no codable code to suggest")
    return codes


def truncate(text: str, limit: int = 80) -> str:
    """Shorten text to at most ``limit`` characters at a word boundary, with an ellipsis."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:.") + "…"

