"""Loaders: turn research files into LoadedSource records (text + structural segments).

``load_path`` picks the loader from the file extension; every loader raises IngestError,
naming the file and the problem, for anything it cannot read.
"""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ingest.attributes import load_attributes
from ingest.captions import load_srt, load_vtt
from ingest.dispatch import load_diary, load_md, load_transcript, load_txt, resolve_kind
from ingest.docx import load_docx
from ingest.errors import IngestError
from ingest.pdf import load_pdf
from ingest.records import SOURCE_KINDS, LoadedSegment, LoadedSource
from ingest.social import load_social, looks_like_social, social_from_table
from ingest.survey import load_survey, survey_from_table
from ingest.tables import read_table

__all__ = [
    "SOURCE_KINDS", "SUPPORTED_EXTENSIONS", "IngestError", "LoadedSegment", "LoadedSource",
    "load_attributes", "load_diary", "load_docx", "load_md", "load_path", "load_pdf", "load_social",
    "load_srt", "load_survey", "load_transcript", "load_txt", "load_vtt",
]

_LOADERS: dict[str, Callable[[Path, str | None], list[LoadedSource]]] = {
    ".txt": load_txt,
    ".md": load_md,
    ".docx": load_docx,
    ".pdf": load_pdf,
    ".vtt": load_vtt,
    ".srt": load_srt,
    ".json": load_social,
}
_TABLE_OPTIONS = frozenset({"id_column", "open_columns", "attribute_columns", "sheet"})
SUPPORTED_EXTENSIONS: tuple[str, ...] = (*_LOADERS, ".csv", ".xlsx")


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
        resolve_kind(kind, kind, path)
    unknown = set(options) - _TABLE_OPTIONS
    if unknown or (options and suffix not in (".csv", ".xlsx")):
        raise IngestError(path, f"options {', '.join(sorted(options))} do not apply to {suffix} files")
    if suffix in _LOADERS:
        return _LOADERS[suffix](path, kind)
    return _load_table(path, kind, **options)


def _load_table(path: Path, kind: str | None, sheet: str | None = None, **survey_options) -> list[LoadedSource]:
    """A CSV/XLSX file: a social export when asked or when it has author, time and text columns; else a survey."""
    table = read_table(path, sheet)
    if kind == "social" and survey_options:
        raise IngestError(path, f"options {', '.join(sorted(survey_options))} apply to surveys, not social exports")
    if kind == "social" or (kind is None and not survey_options and looks_like_social(table.columns)):
        return [social_from_table(table, path, kind)]
    return [survey_from_table(table, path, kind, **survey_options)]
