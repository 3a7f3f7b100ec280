"""Where a selection is: positions as other tools count them, mapped onto our ``\\n`` text and back.

REFI-QDA says positions count Unicode code points from 0. Tools disagree: ATLAS.ti counts CR+LF as
one position and NVivo for Windows as two, and NVivo for Windows counts UTF-16 code units (an emoji
is two). A ``PositionScheme`` names one convention; ``NormalisedText`` keeps where the characters
that some conventions count twice are; ``PositionMap`` turns a position under a scheme into an
offset of the normalised text; ``choose_scheme`` picks the convention under which a tool's
selections land on word boundaries (and on the text a tool wrote into a selection's ``name``).
``UnitCounter`` goes the other way, for export.
"""
from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass

_SPECIAL_RE = re.compile("\r\n|\r|[\U00010000-\U0010FFFF]")
_NEWLINE_RE = re.compile("\r\n?")
_ASTRAL_RE = re.compile("[\U00010000-\U0010FFFF]")
NAME_MATCH_SCORE = 10
MID_CHARACTER_PENALTY = 3


@dataclass(frozen=True)
class PositionScheme:
    """How a tool counted positions: CR+LF as one or two, code points or UTF-16 code units."""

    crlf_units: int = 2
    utf16: bool = False


# The standard's reading (code points; CR and LF are two code points) first: it wins ties.
SCHEMES = (PositionScheme(2, False), PositionScheme(1, False), PositionScheme(2, True), PositionScheme(1, True))


@dataclass
class NormalisedText:
    """A text with ``\\n`` line endings, and where the characters that tools may count twice are."""

    text: str
    crlf: list[int]  # offsets (in ``text``) of the newlines that were CR+LF
    astral: list[int]  # offsets of characters outside the BMP (two UTF-16 code units)

    @classmethod
    def from_raw(cls, raw: str) -> "NormalisedText":
        """Normalise CR+LF and lone CR to LF, remembering what was there."""
        crlf: list[int] = []
        astral: list[int] = []
        shift = 0
        for match in _SPECIAL_RE.finditer(raw):
            token = match.group()
            if token == "\r\n":
                crlf.append(match.start() - shift)
                shift += 1
            elif token != "\r":
                astral.append(match.start() - shift)
        return cls(_NEWLINE_RE.sub("\n", raw), crlf, astral)

    def effective(self, scheme: PositionScheme) -> PositionScheme:
        """The scheme with the distinctions this text cannot show folded to the standard's."""
        return PositionScheme(scheme.crlf_units if self.crlf else 2, scheme.utf16 and bool(self.astral))

    def describe(self, scheme: PositionScheme) -> str:
        """E.g. ``UTF-16 code units, CR+LF counted as two``."""
        scheme = self.effective(scheme)
        units = "UTF-16 code units" if scheme.utf16 else "code points"
        if not self.crlf:
            return units
        return f"{units}, CR+LF counted as {'two' if scheme.crlf_units == 2 else 'one'}"


class PositionMap:
    """Maps positions counted under a scheme onto offsets of the normalised text."""

    def __init__(self, norm: NormalisedText, scheme: PositionScheme) -> None:
        wide = (norm.crlf if scheme.crlf_units == 2 else []) + (norm.astral if scheme.utf16 else [])
        wide.sort()
        self._unit_starts = [offset + i for i, offset in enumerate(wide)]
        self.length = len(norm.text) + len(wide)

    def offset(self, unit: int, *, end: bool) -> tuple[int, bool]:
        """The text offset of a position, and whether it fell inside a character counted twice.

        Such a position snaps outwards: a start to the character's start, an end to its end.
        """
        before = bisect_right(self._unit_starts, unit - 2)
        inside = before < len(self._unit_starts) and self._unit_starts[before] == unit - 1
        offset = unit - before
        return (offset - 1 if inside and not end else offset), inside

    def span(self, start: int, end: int) -> tuple[int, int, int]:
        """``(start, end, characters split)`` of a selection; check ``fits`` first."""
        a, split_a = self.offset(start, end=False)
        b, split_b = self.offset(end, end=True)
        return a, b, int(split_a) + int(split_b)

    def fits(self, start: int, end: int) -> bool:
        """True when ``0 <= start <= end <= length``."""
        return 0 <= start <= end <= self.length


def _at_boundary(text: str, offset: int) -> bool:
    return offset <= 0 or offset >= len(text) or not (text[offset - 1].isalnum() and text[offset].isalnum())


def _collapsed(text: str) -> str:
    return " ".join(text.split())


def names_selected_text(name: str, selected: str) -> bool:
    """True when a selection's ``name`` holds its text (whole, or a truncated start of it)."""
    wanted, got = _collapsed(name), _collapsed(selected)
    if not wanted:
        return False
    if wanted == got:
        return True
    prefix = wanted.rstrip(".…").rstrip()
    return len(prefix) >= 8 and got.startswith(prefix)


def scheme_score(norm: NormalisedText, selections: list[tuple[int, int, str]], scheme: PositionScheme) -> int | None:
    """How well a scheme places ``(start, end, name)`` selections, or None if one falls outside the text."""
    pmap = PositionMap(norm, scheme)
    score = 0
    for start, end, name in selections:
        if not pmap.fits(start, end):
            return None
        a, b, split = pmap.span(start, end)
        score += _at_boundary(norm.text, a) + _at_boundary(norm.text, b) - MID_CHARACTER_PENALTY * split
        if name and names_selected_text(name, norm.text[a:b]):
            score += NAME_MATCH_SCORE
    return score


def choose_scheme(norm: NormalisedText, selections: list[tuple[int, int, str]]) -> PositionScheme | None:
    """The scheme that places the selections best (ties go to the standard's), or None if none fits."""
    best: tuple[int, PositionScheme] | None = None
    seen: set[PositionScheme] = set()
    for scheme in SCHEMES:
        effective = norm.effective(scheme)
        if effective in seen:
            continue
        seen.add(effective)
        score = scheme_score(norm, selections, effective)
        if score is not None and (best is None or score > best[0]):
            best = (score, effective)
    return best[1] if best else None


def normalise_newlines(text: str) -> str:
    """CR+LF and lone CR become LF."""
    return _NEWLINE_RE.sub("\n", text)


class UnitCounter:
    """Positions of a ``\\n`` text as written with CR+LF line endings and/or counted in UTF-16 code units."""

    def __init__(self, text: str, *, crlf: bool = False, utf16: bool = False) -> None:
        wide = [m.start() for m in re.finditer("\n", text)] if crlf else []
        if utf16:
            wide += [m.start() for m in _ASTRAL_RE.finditer(text)]
        wide.sort()
        self._wide = wide

    def units(self, offset: int) -> int:
        """The position of ``offset`` in the written text."""
        return offset + bisect_left(self._wide, offset)
