"""The codebook format: typed records, YAML load/dump and validation.

(Contract written first; loading, dumping and validation are filled in below.)
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class CodeDef:
    """One code of a codebook as a researcher writes it (not yet in a project)."""

    uid: str  # stable GUID (uppercase 8-4-4-4-12 hex, as REFI-QDA writes them)
    name: str
    parent_uid: str | None = None
    definition: str = ""
    use_when: str = ""
    dont_use_when: str = ""
    examples: list[str] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)
    color: str | None = None  # "#RRGGBB"
    codable: bool = True


@dataclass
class Codebook:
    """A whole codebook: codes in display order, parents before their children."""

    name: str
    codes: list[CodeDef] = field(default_factory=list)
    description: str = ""
    version: str = ""
    origin: str = ""  # where it came from (file name, tool)
