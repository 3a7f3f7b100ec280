"""Errors raised by loaders."""
from __future__ import annotations

from pathlib import Path


class IngestError(ValueError):
    """A file could not be loaded; carries the file and a reason a researcher can act on."""

    def __init__(self, path: str | Path, reason: str) -> None:
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")
