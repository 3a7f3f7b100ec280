"""Distinct coded passages: codings of the same words (two coders, or one coding inside another) count once.

The rule is the evidence report's (``workbench/export/report/select.py``), so the Compare page and
the report give the same numbers: within one source, codings are taken best first (a readable
length of 150-450 characters, then source name, position and coder); a coding that covers half or
more of a kept coding's words (or of its own, whichever is shorter) joins that passage, any other
starts a passage of its own.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

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
    kept: list[Span] = []
    passage: dict[int, int] = {}
    ranked = sorted(spans, key=lambda s: (-length_score(s.length), s.source_name, s.start, s.end, s.coder))
    for span in ranked:
        home = next((k for k in kept if same_passage((span.source_id, span.start, span.end),
                                                     (k.source_id, k.start, k.end))), None)
        if home is None:
            kept.append(span)
            home = span
        passage[span.key] = home.key
    return passage
