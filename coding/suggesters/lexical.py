"""lexical.v1: propose a code where a unit contains the code's keywords or defining words (as lemmas).

Terms of a code and their weights:
- each keyword (multi-word keywords as lemma sequences): ``keyword_weight``;
- content words of the name: ``name_weight`` x idf;
- content words of definition and use_when: ``definition_weight`` x idf;
where idf = log(N / df) / log(N) over the N codes (df = codes whose name/definition use the
word), so words every code's definition uses ("participants", "moments") weigh nothing.
Score = 1 - exp(-sum of the weights of the distinct terms found), in [0, 1).
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from coding.codebook import Codebook, CodeDef
from coding.lemmas import LemmaCache, lemmatise, stop_words
from coding.suggesters.base import ScoreTable, Suggester, UnitBatch, codable_codes, register
from coding.units import Example

MIN_WORD_LENGTH = 3


@dataclass(frozen=True)
class Term:
    """A lemma sequence that signals a code, with its weight and what it came from."""

    lemmas: tuple[str, ...]
    label: str  # as shown in reasons
    weight: float
    kind: str  # "keyword", "name" or "definition"
    column: int  # index of the code in code_uids_


@register("lexical.v1")
class LexicalSuggester(Suggester):
    """Keyword and defining-word matching on lemmas; the transparent baseline."""

    needs_lemmas = True

    def __init__(
        self,
        keyword_weight: float = 1.0,
        name_weight: float = 0.6,
        definition_weight: float = 0.25,
        min_score: float = 0.15,
        lemma_cache: LemmaCache | None = None,
        merge_adjacent: bool = True,
    ) -> None:
        self.keyword_weight = keyword_weight
        self.name_weight = name_weight
        self.definition_weight = definition_weight
        self.min_score = min_score
        self.lemma_cache = lemma_cache
        self.merge_adjacent = merge_adjacent

    def fit(self, codebook: Codebook, examples: Iterable[Example] = (), codes: Sequence[str] | None = None):
        """Build the term index of every codable code (cheap, so ``codes`` refits everything)."""
        defs = codable_codes(codebook)
        per_code = self._terms_per_code(defs)
        self.codebook_uids_ = [c.uid for c in defs]
        self.skipped_codes_ = {
            c.uid: "no keywords, name or definition words to match" for c in defs if not per_code[c.uid]
        }
        self.code_uids_ = [c.uid for c in defs if per_code[c.uid]]
        self.column_of_ = {uid: i for i, uid in enumerate(self.code_uids_)}
        self.terms_ = [
            Term(t.lemmas, t.label, t.weight, t.kind, self.column_of_[uid])
            for uid in self.code_uids_
            for t in per_code[uid]
        ]
        self.terms_by_code_ = {
            uid: [t for t in self.terms_ if t.column == self.column_of_[uid]] for uid in self.code_uids_
        }
        return self

    def _terms_per_code(self, defs: list[CodeDef]) -> dict[str, list[Term]]:
        """Weighted, de-duplicated terms of each code (column filled in later)."""
        keywords = [(c.uid, k) for c in defs for k in c.keywords if k.strip()]
        kw_lemmas = lemmatise([k for _, k in keywords], cache=self.lemma_cache)
        names = lemmatise([c.name for c in defs], cache=self.lemma_cache)
        bodies = lemmatise([f"{c.definition} {c.use_when}" for c in defs], cache=self.lemma_cache)
        stop = stop_words(self.lemma_cache)  # cached too: a process with every lemma cached never imports spaCy
        name_words = [_content(n, stop) for n in names]
        body_words = [_content(b, stop) for b in bodies]
        idf = _idf([set(n) | set(b) for n, b in zip(name_words, body_words)])
        best: dict[str, dict[tuple[str, ...], Term]] = {c.uid: {} for c in defs}
        for (uid, label), lem in zip(keywords, kw_lemmas):
            _keep(best[uid], Term(tuple(lem), label.strip(), self.keyword_weight, "keyword", -1))
        for code, nw, bw in zip(defs, name_words, body_words):
            for word in bw:
                _keep(best[code.uid], Term((word,), word, self.definition_weight * idf[word], "definition", -1))
            for word in nw:
                _keep(best[code.uid], Term((word,), word, self.name_weight * idf[word], "name", -1))
        return {uid: [t for t in terms.values() if t.weight > 1e-9 and t.lemmas] for uid, terms in best.items()}

    def score(self, batch: UnitBatch, codes: Sequence[str]) -> ScoreTable:
        """Sum the weights of the distinct terms found in each unit, per code."""
        columns = {self.column_of_[c]: k for k, c in enumerate(codes)}
        index = self._index(columns)
        weights = np.zeros((len(batch.units), len(codes)), dtype=np.float32)
        vocab = frozenset(index)
        for i, lemmas in enumerate(batch.lemmas):
            if vocab.isdisjoint(lemmas):
                continue
            for first in vocab.intersection(lemmas):
                for term in index[first]:
                    if len(term.lemmas) == 1 or _contains(lemmas, term.lemmas):
                        weights[i, columns[term.column]] += term.weight
        scores = (1.0 - np.exp(-weights)).astype(np.float32)
        thresholds = np.full(len(codes), self.min_score, dtype=np.float32)
        return ScoreTable(list(codes), scores, thresholds, {"weight": weights})

    def lemma_words(self, codes: Sequence[str] | None) -> frozenset[str] | None:
        """First lemmas of the codes' terms: a unit holding none of them scores 0 for every one of the codes."""
        if codes is None:
            return None
        columns = {self.column_of_[c] for c in codes if c in self.column_of_}
        return frozenset(t.lemmas[0] for t in self.terms_ if t.column in columns)

    def _index(self, columns: dict[int, int]) -> dict[str, list[Term]]:
        """First lemma -> terms, for the terms of the selected columns."""
        index: dict[str, list[Term]] = {}
        for term in self.terms_:
            if term.column in columns:
                index.setdefault(term.lemmas[0], []).append(term)
        return index

    def matches(self, lemmas: list[str], code_uid: str) -> list[Term]:
        """The code's terms found in a lemma list, heaviest first."""
        present = set(lemmas)
        found = [
            t
            for t in self.terms_by_code_[code_uid]
            if t.lemmas[0] in present and (len(t.lemmas) == 1 or _contains(lemmas, t.lemmas))
        ]
        return sorted(found, key=lambda t: (-t.weight, t.label))

    def reason(self, batch: UnitBatch, unit_index: int, code_uid: str) -> str:
        """``matched "lonely", "on my own"`` (heaviest terms first, at most five)."""
        found = self.matches(batch.lemmas[unit_index], code_uid)
        if not found:
            return "no keyword matched"
        return "matched " + ", ".join(f'"{t.label}"' for t in found[:5])


def _content(lemmas: list[str], stop: frozenset[str]) -> list[str]:
    """Content words: not stop words, at least MIN_WORD_LENGTH letters, first occurrence order."""
    return list(dict.fromkeys(w for w in lemmas if w not in stop and len(w) >= MIN_WORD_LENGTH))


def _idf(word_sets: list[set[str]]) -> dict[str, float]:
    """Normalised inverse document frequency of words over codes, in [0, 1]."""
    n = len(word_sets)
    df: dict[str, int] = {}
    for words in word_sets:
        for w in words:
            df[w] = df.get(w, 0) + 1
    if n < 2:
        return {w: 1.0 for w in df}
    return {w: math.log(n / d) / math.log(n) for w, d in df.items()}


def _keep(terms: dict[tuple[str, ...], Term], term: Term) -> None:
    """Keep the heavier of two terms with the same lemmas."""
    if term.lemmas and (term.lemmas not in terms or terms[term.lemmas].weight < term.weight):
        terms[term.lemmas] = term


def _contains(seq: list[str], sub: tuple[str, ...]) -> bool:
    """True if ``sub`` occurs as a contiguous run in ``seq``."""
    n = len(sub)
    return any(tuple(seq[j : j + n]) == sub for j, w in enumerate(seq) if w == sub[0])
