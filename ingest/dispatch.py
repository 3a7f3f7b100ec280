"""Structure detection for running text (TXT, Markdown, DOCX, PDF) and the TXT/MD loaders.

Detection order: dated entries (two or more date lines that start an entry) make a diary;
otherwise speaker labels at the start of most paragraphs make an interview; otherwise the
text is a document with one paragraph segment per blank-line-separated paragraph.
A caller's ``kind`` replaces the detected kind but never changes how the text is parsed.
"""
from __future__ import annotations

from pathlib import Path

from ingest.diary import diary_segments
from ingest.errors import IngestError
from ingest.records import SOURCE_KINDS, LoadedSegment, LoadedSource
from ingest.text import paragraph_spans, read_text
from ingest.transcript import detect_transcript, render_turns, require_transcript


def resolve_kind(kind: str | None, detected: str, path: str | Path) -> str:
    """The caller's kind if given (checked against SOURCE_KINDS), else the detected one."""
    if kind is None:
        return detected
    if kind not in SOURCE_KINDS:
        raise IngestError(path, f"unknown source kind {kind!r}; choose one of {', '.join(SOURCE_KINDS)}")
    return kind


def structure_text(
    text: str,
    *,
    path: str | Path,
    fmt: str,
    kind: str | None = None,
    encoding: str | None = None,
    metadata: dict[str, str] | None = None,
) -> LoadedSource:
    """Detect diary / transcript / plain document structure in normalised text and build the source."""
    metadata = dict(metadata or {})
    entries = diary_segments(text)
    if entries is not None:
        metadata["structure"] = "diary"
        return _source(path, resolve_kind(kind, "diary", path), text, fmt, entries, encoding, metadata)
    parsed = detect_transcript(text)
    if parsed is not None:
        rendered, segments = render_turns(parsed.turns, parsed.preamble)
        metadata.update(structure="transcript", speaker_format=parsed.speaker_format)
        return _source(path, resolve_kind(kind, "interview", path), rendered, fmt, segments, encoding, metadata)
    metadata["structure"] = "paragraphs"
    return _source(path, resolve_kind(kind, "document", path), text, fmt, paragraph_segments(text), encoding, metadata)


def paragraph_segments(text: str) -> list[LoadedSegment]:
    """One paragraph segment per blank-line-separated paragraph."""
    return [LoadedSegment(start, end, "paragraph") for start, end in paragraph_spans(text)]


def _source(
    path: str | Path,
    kind: str,
    text: str,
    fmt: str,
    segments: list[LoadedSegment],
    encoding: str | None,
    metadata: dict[str, str],
) -> LoadedSource:
    return LoadedSource(
        name=Path(path).name, kind=kind, text=text, format=fmt,
        segments=segments, encoding=encoding, metadata=metadata,
    )


def load_txt(path: Path, kind: str | None = None) -> list[LoadedSource]:
    """Load a plain-text file: diary, transcript or document, detected from its structure."""
    text, encoding = read_text(path)
    return [structure_text(text, path=path, fmt="txt", kind=kind, encoding=encoding)]


def load_md(path: Path, kind: str | None = None) -> list[LoadedSource]:
    """Load a Markdown file (kept as written): diary, transcript or document."""
    text, encoding = read_text(path)
    return [structure_text(text, path=path, fmt="md", kind=kind, encoding=encoding)]


def load_transcript(path: Path, kind: str | None = None) -> list[LoadedSource]:
    """Load a TXT/MD file that must be a speaker-labelled transcript (IngestError otherwise)."""
    text, encoding = read_text(path)
    parsed = require_transcript(text, path)
    rendered, segments = render_turns(parsed.turns, parsed.preamble)
    metadata = {"structure": "transcript", "speaker_format": parsed.speaker_format}
    fmt = "md" if Path(path).suffix.lower() == ".md" else "txt"
    return [_source(path, resolve_kind(kind, "interview", path), rendered, fmt, segments, encoding, metadata)]


def load_diary(path: Path, kind: str | None = None) -> list[LoadedSource]:
    """Load a TXT/MD file that must be a diary or journal with at least one dated entry."""
    text, encoding = read_text(path)
    entries = diary_segments(text, min_entries=1)
    if entries is None:
        raise IngestError(
            path,
            "no dated entries found: expected lines such as '## 3 March 2025', '2025-03-03' "
            "or 'Monday 3 March 2025 — title' before each entry",
        )
    fmt = "md" if Path(path).suffix.lower() == ".md" else "txt"
    return [_source(path, resolve_kind(kind, "diary", path), text, fmt, entries, encoding, {"structure": "diary"})]
