"""Sentence boundaries with spaCy's rule-based sentencizer (no trained model needed)."""
from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import spacy
from spacy.language import Language


@lru_cache(maxsize=1)
def sentencizer() -> Language:
    """A blank English pipeline with only the sentencizer (loaded once per process)."""
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    nlp.max_length = 50_000_000  # a blank pipeline keeps no per-token model state; long texts are fine
    return nlp


def split_sentences(text: str, spans: Sequence[tuple[int, int]], batch_size: int = 256) -> list[list[tuple[int, int]]]:
    """For each ``[start, end)`` span of ``text``, its sentences as absolute, whitespace-trimmed spans."""
    nlp = sentencizer()
    result: list[list[tuple[int, int]]] = []
    pieces = (text[start:end] for start, end in spans)
    for (start, _end), doc in zip(spans, nlp.pipe(pieces, batch_size=batch_size)):
        sentences = []
        for sent in doc.sents:
            s, e = sent.start_char, sent.end_char
            if e > s and not sent.text.isspace():
                sentences.append((start + s, start + e))
        result.append(sentences)
    return result
