"""Domain records of a project: typed, immutable-ish dataclasses read from the store.

Offsets (`start`, `end`) are code-point indices into the owning source's stored text,
end exclusive: ``source.text[start:end]`` is exactly the coded words.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum

from ingest.records import LoadedSegment


@dataclass
class Source:
    """A document with its exact text (stored once)."""

    id: int
    uid: str
    name: str
    kind: str
    text: str
    content_hash: str
    format: str
    encoding: str | None
    imported_from: str | None
    imported_at: str
    imported_by: str
    metadata: dict[str, str] = field(default_factory=dict)
    case_id: int | None = None
    words: int = 0

    def quote(self, start: int, end: int) -> str:
        """The exact words at `[start, end)`."""
        return self.text[start:end]


@dataclass
class SourceSummary:
    """A source without its text, for listings."""

    id: int
    uid: str
    name: str
    kind: str
    format: str
    words: int
    segments: int
    codings: int
    imported_at: str
    attributes: dict[str, str] = field(default_factory=dict)
    case: str | None = None


@dataclass
class Segment:
    """A structural unit of a source (turn, entry, answer, post, paragraph) or a sentence within one."""

    id: int
    source_id: int
    kind: str
    start: int
    end: int
    parent_id: int | None = None
    speaker: str | None = None
    start_time: float | None = None
    end_time: float | None = None
    entry_date: str | None = None
    case_id: int | None = None
    label: str | None = None
    ordinal: int = 0


@dataclass
class Case:
    """A participant, respondent, site or other unit of analysis, with attributes."""

    id: int
    uid: str
    name: str
    description: str = ""
    attributes: dict[str, str] = field(default_factory=dict)


@dataclass
class Code:
    """A code of the project's codebook."""

    id: int
    uid: str
    name: str
    parent_id: int | None = None
    definition: str = ""
    use_when: str = ""
    dont_use_when: str = ""
    examples: list[str] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)
    color: str | None = None
    codable: bool = True
    sort_order: int = 0


@dataclass
class Coding:
    """A code applied by a coder to `[start, end)` of a source."""

    id: int
    uid: str
    source_id: int
    start: int
    end: int
    code_id: int
    coder: str
    created_at: str
    memo: str = ""
    origin: str = "manual"  # manual | suggestion | import
    suggester: str | None = None
    model: str | None = None
    score: float | None = None
    reason: str | None = None
    accepted_by: str | None = None
    accept_mode: str | None = None  # for accepted suggestions: "one" (one by one) | "bulk" | None (not recorded)
    accept_min_score: float | None = None  # a bulk accept's lowest score

    @property
    def provenance(self) -> str:
        """Where the coding came from, in words: "" for a person's own coding, else e.g.
        "machine-suggested, accepted by zoe" or "machine-suggested, accepted in bulk (score ≥ 0.90) by zoe"."""
        return provenance(self.origin, self.accepted_by or self.coder, self.accept_mode, self.accept_min_score)


def provenance(origin: str, accepted_by: str | None, accept_mode: str | None, min_score: float | None) -> str:
    """How a coding came to be, in words (empty for codings people made by hand or imported)."""
    if origin != "suggestion":
        return ""
    if accept_mode == "bulk":
        threshold = f" (score ≥ {min_score:.2f})" if min_score is not None else ""
        return f"machine-suggested, accepted in bulk{threshold} by {accepted_by}"
    if accept_mode == "one":
        return f"machine-suggested, accepted by {accepted_by}"
    return f"machine-suggested, accepted by {accepted_by} (one by one or in bulk: not recorded)"


@dataclass
class Memo:
    """A researcher's memo, free-standing or attached to a source, code, coding or case."""

    id: int
    uid: str
    title: str
    text: str
    author: str
    created_at: str
    updated_at: str
    target_type: str | None = None  # project | source | code | coding | case
    target_id: int | None = None


@dataclass
class Event:
    """One entry of the append-only audit log."""

    id: int
    at: str
    actor: str
    action: str
    target_type: str
    target_id: int | None
    payload: dict = field(default_factory=dict)


@dataclass
class Suggestion:
    """A code the machine proposes for `[start, end)` of a source, with its provenance."""

    id: int
    source_id: int
    start: int
    end: int
    code_id: int
    score: float
    reason: str
    suggester: str
    model: str | None
    status: str  # pending | accepted | rejected
    created_at: str
    decided_by: str | None = None
    decided_at: str | None = None
    coding_id: int | None = None


@dataclass
class NewSuggestion:
    """A suggestion as the engine produces it, before it is stored."""

    source_id: int
    start: int
    end: int
    code_id: int
    score: float
    reason: str
    suggester: str
    model: str | None = None


# -- records on their way into the store -------------------------------------------------
@dataclass
class NewSegment(LoadedSegment):
    """A segment to store: a loader's segment with the sentences found inside it (absolute offsets)."""

    sentences: list[tuple[int, int]] = field(default_factory=list)


@dataclass
class NewSource:
    """Everything needed to store one source atomically."""

    name: str
    kind: str
    text: str
    content_hash: str
    format: str
    segments: list[NewSegment]
    encoding: str | None = None
    imported_from: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    case: str | None = None
    attributes: dict[str, str] = field(default_factory=dict)
    case_attributes: dict[str, dict[str, str]] = field(default_factory=dict)
    uid: str | None = None


@dataclass
class SourceEdit:
    """A new text for a source with every segment, sentence and coding already re-anchored onto it."""

    source_id: int
    old_text: str
    new_text: str
    content_hash: str
    segment_spans: dict[int, tuple[int, int]]
    sentences: dict[int, list[tuple[int, int]]]
    coding_spans: dict[int, tuple[int, int]]
    lost_coding_ids: list[int]
    lost_reasons: dict[int, str] = field(default_factory=dict)


@dataclass
class ProjectSet:
    """A REFI-QDA ``Set``: a named group of codes, sources and memos (MAXQDA's document and code sets)."""

    id: int
    uid: str
    name: str
    description: str = ""
    code_ids: list[int] = field(default_factory=list)
    source_ids: list[int] = field(default_factory=list)
    memo_ids: list[int] = field(default_factory=list)


class Role(IntEnum):
    """A team member's role on one project; each role may do everything the roles below it may."""

    VIEWER = 1  # read, pseudonymised exports
    CODER = 2  # + code, review suggestions, memos, themes
    LEAD = 3  # + codebook, sources, members, merge, exports with real names, delete

    @classmethod
    def parse(cls, name: str) -> "Role":
        """The role called ``name`` (lead, coder or viewer)."""
        try:
            return cls[name.strip().upper()]
        except KeyError:
            raise ValueError(f"unknown role {name!r}: use lead, coder or viewer") from None

    @property
    def label(self) -> str:
        """The role's name as users write it."""
        return self.name.lower()


@dataclass(frozen=True)
class Access:
    """Who works on a project in team mode, and as what. No Access (single-user mode) means no checks."""

    user: str
    role: Role
    project: str = ""


@dataclass(frozen=True)
class Account:
    """A team server account: a local one has an Argon2 password hash, an institutional (OIDC) one none."""

    name: str
    email: str
    password_hash: str | None
    created_at: str


@dataclass(frozen=True)
class Member:
    """An account's role on one project of a team server."""

    project: str
    account: str
    role: Role
    added_by: str
    added_at: str


@dataclass(frozen=True)
class AuditEntry:
    """One line of a team server's append-only log: sign-ins, sign-outs, failures, accounts and roles."""

    id: int
    at: str
    actor: str
    action: str
    target: str
    address: str
    detail: dict


@dataclass(frozen=True)
class Recording:
    """A source's audio or video: a file in ``<project>.media/``, copied at import and never altered."""

    id: int
    uid: str  # the GUID of the REFI-QDA AudioSource/VideoSource it goes out as
    source_id: int
    kind: str  # "audio" | "video"
    format: str  # wav, mp3, m4a, ogg, mp4, webm
    file: str  # the file's name inside the media folder
    original_name: str
    sha256: str
    size: int
    attached_at: str
    attached_by: str


@dataclass
class TrainingJob:
    """A `workbench train` run started in the background: its process, progress and outcome."""

    id: int
    state: str  # running, finished, failed, cancelled, stopped (its process died; a new run resumes it)
    pid: int | None
    params: dict
    started_by: str
    started_at: str
    updated_at: str
    first_step: int | None  # the first step it reported (above 1: it resumed from a checkpoint)
    done: int
    total: int
    loss: float | None
    cancel_requested: bool
    result: dict | None  # the TrainRun's figures once finished
    message: str
    checked: float | None = None  # share of the held-out check done (None: not begun)


@dataclass(frozen=True)
class CodeAgreement:
    """How well the suggestions for one code agreed with people when last measured."""

    code_id: int
    kappa: float | None
    precision: float | None
    support: int  # units the people coded with it
    units: int  # units compared
    measured_by: str  # what measured it, for a person: "workbench evaluate (...)", "training's held-out check"
    measured_at: str
