"""Keeping codings on their words when a source's text is edited.

The old and new texts are compared word by word (difflib on tokens, so a 20,000-word transcript
diffs in well under a second); every `[start, end)` is mapped through the matching blocks. A
coding whose characters all disappeared cannot be re-anchored: it is reported, never guessed.
"""
from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from difflib import SequenceMatcher

_TOKEN = re.compile(r"\w+|\s+|[^\w\s]", re.UNICODE)


@dataclass(frozen=True)
class Block:
    """A stretch of characters that is the same in both texts: old[a:a+size] == new[b:b+size]."""

    a: int
    b: int
    size: int


@dataclass(frozen=True)
class Anchored:
    """Where a span lands in the new text; ``kept`` is the share of its characters that survived."""

    start: int
    end: int
    kept: float

    @property
    def lost(self) -> bool:
        """True when none of the span's characters survived the edit."""
        return self.kept == 0.0 or self.end <= self.start


def _tokens(text: str) -> tuple[list[str], list[int]]:
    tokens, starts = [], []
    for match in _TOKEN.finditer(text):
        tokens.append(match.group())
        starts.append(match.start())
    return tokens, starts


def matching_blocks(old: str, new: str) -> list[Block]:
    """Character blocks common to both texts, in order, found by a word-level diff."""
    old_tokens, old_starts = _tokens(old)
    new_tokens, new_starts = _tokens(new)
    matcher = SequenceMatcher(None, old_tokens, new_tokens, autojunk=False)
    blocks = []
    for i, j, n in matcher.get_matching_blocks():
        if n == 0:
            continue
        a, b = old_starts[i], new_starts[j]
        end_a = old_starts[i + n] if i + n < len(old_starts) else len(old)
        blocks.append(Block(a, b, end_a - a))
    return blocks


class OffsetMap:
    """Maps positions of the old text onto the new one through the matching blocks."""

    def __init__(self, old: str, new: str) -> None:
        self.blocks = matching_blocks(old, new)
        self._starts = [blk.a for blk in self.blocks]
        self.new_length = len(new)

    def _block_at(self, position: int) -> int:
        """Index of the last block starting at or before ``position`` (-1 if none)."""
        return bisect.bisect_right(self._starts, position) - 1

    def start(self, position: int) -> int:
        """Where a span starting at ``position`` starts now (the next surviving character)."""
        i = self._block_at(position)
        if i >= 0 and position < self.blocks[i].a + self.blocks[i].size:
            return self.blocks[i].b + position - self.blocks[i].a
        nxt = self.blocks[i + 1] if i + 1 < len(self.blocks) else None
        return nxt.b if nxt else self.new_length

    def end(self, position: int) -> int:
        """Where a span ending at ``position`` ends now (just after the last surviving character)."""
        i = self._block_at(position - 1)
        if i >= 0 and position - 1 < self.blocks[i].a + self.blocks[i].size:
            return self.blocks[i].b + position - self.blocks[i].a
        return self.blocks[i].b + self.blocks[i].size if i >= 0 else 0

    def surviving(self, start: int, end: int) -> int:
        """How many characters of old[start:end] are in a matching block."""
        total = 0
        for blk in self.blocks[max(self._block_at(start), 0):]:
            if blk.a >= end:
                break
            total += max(0, min(end, blk.a + blk.size) - max(start, blk.a))
        return total

    def anchor(self, start: int, end: int) -> Anchored:
        """Map a span; report how much of it survived."""
        kept = self.surviving(start, end) / (end - start) if end > start else 0.0
        if kept == 0.0:
            return Anchored(self.start(start), self.start(start), 0.0)
        return Anchored(self.start(start), self.end(end), kept)
