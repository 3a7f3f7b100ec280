"""Loaders: turn research files into LoadedSource records (text + structural segments).

``load_path`` picks the loader from the file extension; every loader raises IngestError,
naming the file and the problem, for anything it cannot read.

The package imports its loaders (and their libraries: python-docx, pypdf, openpyxl, webvtt) only
when one is used, so that importing ``ingest.errors`` or ``ingest.records`` stays cheap.
"""
from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

from ingest.errors import IngestError
from ingest.records import SOURCE_KINDS, LoadedSegment, LoadedSource

# public name -> the module that defines it (imported on first use)
_LAZY = {
    "load_attributes": "ingest.attributes",
    "load_srt": "ingest.captions", "load_vtt": "ingest.captions",
    "load_diary": "ingest.dispatch", "load_md": "ingest.dispatch", "load_transcript": "ingest.dispatch",
    "load_txt": "ingest.dispatch", "resolve_kind": "ingest.dispatch",
    "load_docx": "ingest.docx",
    "load_pdf": "ingest.pdf",
    "load_social": "ingest.social", "looks_like_social": "ingest.social", "social_from_table": "ingest.social",
    "load_survey": "ingest.survey", "survey_from_table": "ingest.survey",
    "read_table": "ingest.tables",
}

__all__ = [
    "SOURCE_KINDS", "SUPPORTED_EXTENSIONS", "IngestError", "LoadedSegment", "LoadedSource",
    "load_attributes", "load_diary", "load_docx", "load_md", "load_path", "load_pdf", "load_social",
    "load_srt", "load_survey", "load_transcript", "load_txt", "load_vtt",
]

_LOADERS: dict[str, str] = {  # extension -> loader name in _LAZY
    ".txt": "load_txt",
    ".md": "load_md",
    ".docx": "load_docx",
    ".pdf": "load_pdf",
    ".vtt": "load_vtt",
    ".srt": "load_srt",
    ".json": "load_social",
}
_TABLE_OPTIONS = frozenset({"id_column", "open_columns", "attribute_columns", "sheet"})
SUPPORTED_EXTENSIONS: tuple[str, ...] = (*_LOADERS, ".csv", ".xlsx")


def __getattr__(name: str) -> Any:
    """Import a loader the first time it is asked for (PEP 562)."""
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'ingest' has no attribute {name!r}")


def load_path(path: Path | str, kind: str | None = None, **options: object) -> list[LoadedSource]:
    """Load one file with the loader for its extension; survey options apply to CSV/XLSX only.

    ``kind`` (one of SOURCE_KINDS) replaces the detected kind without changing the parsing.
    Options for CSV/XLSX: ``id_column``, ``open_columns``, ``attribute_columns``, ``sheet``.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if path.is_dir():
        raise IngestError(path, "is a directory; load_path reads one file at a time")
    if suffix not in SUPPORTED_EXTENSIONS:
        raise IngestError(
            path, f"unsupported file type {suffix or '(no extension)'!r}; supported: {', '.join(SUPPORTED_EXTENSIONS)}"
        )
    if kind is not None:
        __getattr__("resolve_kind")(kind, kind, path)
    unknown = set(options) - _TABLE_OPTIONS
    if unknown or (options and suffix not in (".csv", ".xlsx")):
        raise IngestError(path, f"options {', '.join(sorted(options))} do not apply to {suffix} files")
    if suffix in _LOADERS:
        return __getattr__(_LOADERS[suffix])(path, kind)
    return _load_table(path, kind, **options)


def _load_table(path: Path, kind: str | None, sheet: str | None = None, **survey_options) -> list[LoadedSource]:
    """A CSV/XLSX file: a social export when asked or when it has author, time and text columns; else a survey."""
    table = __getattr__("read_table")(path, sheet)
    if kind == "social" and survey_options:
        raise IngestError(path, f"options {', '.join(sorted(survey_options))} apply to surveys, not social exports")
    if kind == "social" or (kind is None and not survey_options and __getattr__("looks_like_social")(table.columns)):
        return [__getattr__("social_from_table")(table, path, kind)]
    return [__getattr__("survey_from_table")(table, path, kind, **survey_options)]
