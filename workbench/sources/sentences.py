"""Sentence boundaries with spaCy's rule-based sentencizer (no trained model needed)."""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from functools import lru_cache

import spacy
from spacy.language import Language

CHUNK_CHARS = 200_000  # texts are split into docs of about this size: few docs, bounded memory


@lru_cache(maxsize=1)
def sentencizer() -> Language:
    """A blank English pipeline with only the sentencizer (loaded once per process)."""
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    nlp.max_length = 50_000_000  # a blank pipeline keeps no per-token model state; long texts are fine
    return nlp


def _chunks(spans: Sequence[tuple[int, int]]) -> Iterator[tuple[int, int, int, int]]:
    """Runs of consecutive spans: (first span index, last index + 1, text start, text end)."""
    first = 0
    for i in range(1, len(spans) + 1):
        if i == len(spans) or spans[i - 1][1] - spans[first][0] >= CHUNK_CHARS:
            yield first, i, spans[first][0], spans[i - 1][1]
            first = i


def split_sentences(text: str, spans: Sequence[tuple[int, int]]) -> list[list[tuple[int, int]]]:
    """For each ``[start, end)`` span of ``text`` (in order, not overlapping), its sentences.

    The sentencizer runs over whole stretches of text (one doc per ~200k characters rather than one
    per turn, which is much faster); its sentences are then clipped to each span and trimmed of
    white space, so a speaker label or a turn without final punctuation never joins two turns.
    """
    nlp = sentencizer()
    result: list[list[tuple[int, int]]] = [[] for _ in spans]
    chunks = list(_chunks(spans))
    docs = nlp.pipe((text[a:b] for _, _, a, b in chunks), batch_size=8)
    for (first, last, offset, _), doc in zip(chunks, docs):
        bounds = [(offset + s.start_char, offset + s.end_char) for s in doc.sents]
        j = 0
        for i in range(first, last):
            seg_start, seg_end = spans[i]
            while j < len(bounds) and bounds[j][1] <= seg_start:
                j += 1
            k = j
            while k < len(bounds) and bounds[k][0] < seg_end:
                start, end = max(bounds[k][0], seg_start), min(bounds[k][1], seg_end)
                while start < end and text[start].isspace():
                    start += 1
                while end > start and text[end - 1].isspace():
                    end -= 1
                if end > start:
                    result[i].append((start, end))
                k += 1
    return result
