"""Records that every loader returns: plain data, no database.

Offsets are code-point indices into ``LoadedSource.text`` (Python string
indices), end exclusive. ``text`` is already normalised: UTF-8 decodable,
``\\n`` line endings, no BOM. The workbench stores ``text`` exactly once and
never changes it; segments only point into it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

SourceKind = Literal["interview", "diary", "journal", "fieldnote", "survey", "social", "document"]
SOURCE_KINDS: tuple[str, ...] = ("interview", "diary", "journal", "fieldnote", "survey", "social", "document")

SegmentKind = Literal["turn", "entry", "answer", "post", "paragraph"]


@dataclass
class LoadedSegment:
    """A structural unit of a source: a speaker turn, diary entry, survey answer, post or paragraph."""

    start: int
    end: int
    kind: str
    speaker: str | None = None
    start_time: float | None = None  # seconds from the start of the recording
    end_time: float | None = None
    entry_date: str | None = None  # ISO date (YYYY-MM-DD) of a diary/journal entry or post
    case: str | None = None  # participant / respondent this segment belongs to
    label: str | None = None  # e.g. the survey question (column name)


@dataclass
class LoadedSource:
    """One document as a loader read it."""

    name: str  # display name, usually the file name (for surveys/social: file name)
    kind: str  # one of SOURCE_KINDS
    text: str
    format: str  # "txt", "docx", "pdf", "vtt", "srt", "md", "csv", "xlsx", "json"
    segments: list[LoadedSegment] = field(default_factory=list)
    encoding: str | None = None  # encoding the bytes were decoded from, for text formats
    metadata: dict[str, str] = field(default_factory=dict)  # loader details (e.g. "speaker_format": "colon")
    case: str | None = None  # the participant a single-person source belongs to, if known
    # attributes of cases found inside the file (survey attribute columns): case -> {key: value}
    case_attributes: dict[str, dict[str, str]] = field(default_factory=dict)
