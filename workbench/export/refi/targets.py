"""How each tool counts the positions of a ``.qdpx`` it imports: the choice behind ``export qdpx --for``.

REFI-QDA says positions count characters (code points) of the plain text. Tools differ, so an export
made for one tool writes its texts and positions the way that tool reads them. The table below is
what we could establish, and from what (ARCHITECTURE.md has the same table):

- NVivo for Windows: its own export (fixture ``nvivo-win-12.6``) writes CR+LF texts, and its 97
  selections land on the lines it coded only when CR+LF counts as two and an emoji as two UTF-16
  code units. We write it the same way.
- NVivo for Mac: counted like NVivo for Windows (issue 12's finding). The Mac fixture holds no text
  to confirm it; CR+LF texts with positions counting both characters are also right for any tool
  that counts the characters of the file as written.
- ATLAS.ti counts CR+LF as one position (fixtures README); MAXQDA wants UTF-8 without BOM and LF
  line endings (fixtures README; QualCoder's export for MAXQDA keeps LF-text positions). With LF
  texts the two readings agree, so we write LF and code points. Neither fixture has text with emoji
  to settle code points against UTF-16 units.
- QualCoder reads the plain text with Python's universal newlines and slices it with Python string
  indices (its ``refi.py``): LF and code points, the REFI standard.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Target:
    """A tool's way of reading positions: line endings written (CR+LF counted as two) and units."""

    key: str
    tool: str
    crlf: bool
    utf16: bool

    def describe(self) -> str:
        """E.g. ``UTF-16 code units, CR+LF line endings counted as two``."""
        units = "UTF-16 code units" if self.utf16 else "code points"
        endings = "CR+LF line endings counted as two" if self.crlf else "LF line endings"
        return f"{units}, {endings}"


REFI_STANDARD = Target("refi", "the REFI-QDA standard", crlf=False, utf16=False)
TARGETS: dict[str, Target] = {t.key: t for t in (
    Target("nvivo-win", "NVivo for Windows", crlf=True, utf16=True),
    Target("nvivo-mac", "NVivo for Mac", crlf=True, utf16=True),
    Target("atlasti", "ATLAS.ti", crlf=False, utf16=False),
    Target("maxqda", "MAXQDA", crlf=False, utf16=False),
    Target("qualcoder", "QualCoder", crlf=False, utf16=False),
)}


def target_for(key: str | None, *, crlf: bool | None = None, utf16: bool | None = None) -> Target:
    """The target named ``key`` (the REFI standard when None), with ``crlf``/``utf16`` overriding it when given."""
    if key is not None and key not in TARGETS:
        raise ValueError(f"unknown tool {key!r}; choose one of {', '.join(TARGETS)}")
    base = TARGETS[key] if key else REFI_STANDARD
    if crlf is None and utf16 is None:
        return base
    return Target(base.key, f"{base.tool}, adjusted", crlf=base.crlf if crlf is None else crlf,
                  utf16=base.utf16 if utf16 is None else utf16)
