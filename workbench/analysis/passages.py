"""Distinct coded passages: codings of the same words (two coders, or one coding inside another) count once.

The rule is the evidence report's (``workbench/export/report/select.py``), so the Compare page and
the report give the same numbers: within one source, codings are taken best first (a readable
length of 150-450 characters, then source name, position and coder); a coding that covers half or
more of a kept coding's words (or of its own, whichever is shorter) joins that passage, any other
starts a passage of its own.
"""
from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

IDEAL_MIN = 150
IDEAL_MAX = 450


def length_score(length: int) -> float:
    """How readable a quote of ``length`` characters is: 1.0 inside the ideal band."""
    if length < IDEAL_MIN:
        return length / IDEAL_MIN
    if length > IDEAL_MAX:
        return max(0.2, IDEAL_MAX / length)
    return 1.0


def same_passage(a: tuple[int, int, int], b: tuple[int, int, int]) -> bool:
    """Whether two (source, start, end) spans cover mostly the same words (half of the shorter or more)."""
    if a[0] != b[0]:
        return False
    shared = min(a[2], b[2]) - max(a[1], b[1])
    shorter = min(a[2] - a[1], b[2] - b[1])
    return shared > 0 and shared * 2 >= shorter


@dataclass(frozen=True)
class Span:
    """One coding as the passage rule sees it."""

    key: int  # the caller's id (a coding id, or a line of a table)
    source_id: int
    source_name: str
    start: int
    end: int
    coder: str
    length: int  # characters of the coded words without surrounding white space


def group_passages(spans: Sequence[Span]) -> dict[int, int]:
    """Each span's passage: the key of the kept span it joins (a kept span maps to itself)."""
    if not spans:
        return {}
    names = {name: n for n, name in enumerate(sorted({s.source_name for s in spans}))}
    found = passage_keys(np.array([names[s.source_name] for s in spans]), np.array([s.start for s in spans]),
                         np.array([s.end for s in spans]), np.array([s.length for s in spans]),
                         [s.coder for s in spans], np.array([s.key for s in spans]))
    return {s.key: int(k) for s, k in zip(spans, found)}


def length_scores(lengths: np.ndarray) -> np.ndarray:
    """``length_score`` of many lengths at once."""
    lengths = np.asarray(lengths, dtype=float)
    return np.where(lengths < IDEAL_MIN, lengths / IDEAL_MIN,
                    np.where(lengths > IDEAL_MAX, np.maximum(0.2, IDEAL_MAX / np.maximum(lengths, 1.0)), 1.0))


def passage_keys(groups: np.ndarray, starts: np.ndarray, ends: np.ndarray, lengths: np.ndarray,
                 coders: Sequence[str], keys: np.ndarray) -> np.ndarray:
    """For parallel arrays, one line per coding, the key of the line each line's passage is shown by.

    ``groups`` numbers the lines that may share a passage (one source; in a matrix, one row and
    column too), in the order the report ranks sources. Kept spans never contain one another (that
    would make them one passage), so sorted by start they are sorted by end as well, and the kept
    spans a new one meets form one run, found by bisection.
    """
    n = len(keys)
    result = np.empty(n, dtype=np.int64)
    if n == 0:
        return result
    coder_rank = np.unique(np.asarray(coders, dtype=object).astype(str), return_inverse=True)[1]
    order = np.lexsort((coder_rank, ends, starts, -length_scores(lengths), groups))
    group_of, start_of, end_of, key_of = (a.tolist() for a in (np.asarray(groups), np.asarray(starts),
                                                                np.asarray(ends), np.asarray(keys)))
    current = None
    kept_starts: list[int] = []
    kept_ends: list[int] = []
    kept_keys: list[tuple[int, int]] = []  # (order kept, key)
    for i in order.tolist():
        if group_of[i] != current:
            current, kept_starts, kept_ends, kept_keys = group_of[i], [], [], []
        s, e = start_of[i], end_of[i]
        lo, hi = bisect_right(kept_ends, s), bisect_left(kept_starts, e)
        homes = [kept_keys[j] for j in range(lo, hi) if same_passage((0, s, e), (0, kept_starts[j], kept_ends[j]))]
        if homes:
            result[i] = min(homes)[1]  # the first kept passage it overlaps, as the report decides
            continue
        at = bisect_left(kept_starts, s)
        kept_starts.insert(at, s)
        kept_ends.insert(at, e)
        kept_keys.insert(at, (len(kept_keys), key_of[i]))
        result[i] = key_of[i]
    return result
