"""Import a REFI-QDA project exchange file (.qdpx) written by NVivo, ATLAS.ti, MAXQDA, QualCoder or qc.

What is read: users (as coder and author names), the codebook, text sources (``TextSource``, and the
text representation of a ``PDFSource``) with their selections and codings, variables and cases (as
attributes and cases), notes (as memos), users with their GUIDs (also those who coded nothing) and
``Sets`` of codes, sources and notes, and audio and video sources with a transcript (the transcript is
the source's text, with turns and their times from its sync points, and the recording is attached as
``workbench sources attach`` does). Pictures, media without a transcript and ``Graphs`` (maps, such as
the thematic map our export writes) are skipped and listed in the report. The whole import is one transaction: a hostile or malformed file raises ``QdpxError`` and
leaves the project exactly as it was.

Quirks of real files handled here:

- the source folder is ``sources/`` or ``Sources/``, the project file ``project.qde`` or (ATLAS.ti 26)
  another single ``*.qde``; ``plainTextPath`` comes with or without ``internal://``;
- a ``.txt`` may be empty while the text lives in the ``.docx`` (``richTextPath``): its paragraphs
  and table cells are then read in document order, one per line, as NVivo writes its plain text;
- tools count positions differently: CR+LF as one position (ATLAS.ti) or two (NVivo for Windows),
  and code points (the standard) or UTF-16 code units (NVivo for Windows, with emoji). Each source
  is read under every convention its text allows and the one that puts the selections on word
  boundaries (and on the selected text, when a tool writes it into ``name``) wins; it is recorded
  in the source's metadata as ``qdpx_positions``. Positions are then mapped onto the text with
  ``\\n`` line endings that the project stores;
- a selection with a ``Description`` and no ``Coding`` is a comment: it becomes a memo on the source
  whose title quotes the span.
"""
from __future__ import annotations

import io
import uuid
from bisect import bisect_left
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath
from typing import IO

from coding.codebook import GUID_RE, CodeDef, Codebook
from ingest.dispatch import paragraph_segments
from ingest.records import LoadedSegment, LoadedSource
from ingest.transcript import detect_transcript, render_turns

from workbench.errors import Conflict, InvalidMedia, InvalidSpan, NotFound
from workbench.sources import media
from workbench.sources.importer import content_hash, sidecar_kind, to_new_source
from workbench.store import NewSource, Store
from workbench.export.refi.positions import SCHEMES, NormalisedText, PositionMap, PositionScheme, choose_scheme, normalise_newlines
from workbench.export.refi.qde import CaseRec, CodingRec, ProjectRec, QdeReader, QdpxError, SelectionRec, SkippedItem, SourceRec, parse_xml
from workbench.export.refi.safezip import ArchiveError, SafeZip, ZipLimits
from workbench.export.refi.texts import QdpxTexts, TextFile, internal_entry, project_entry

__all__ = ["ImportReport", "QdpxError", "SkippedItem", "import_qdpx"]

_DERIVED_NAMESPACE = uuid.UUID("0E3C7A52-5D1B-4B8E-9F25-6C0A8B1D4E77")
LONG_LINE = 120  # a text with more than 1% of lines longer than this is not hard-wrapped
WRAPPED_LONG_SHARE = 0.01


@dataclass
class ImportReport:
    """What an import did."""

    path: str
    origin: str = ""
    sources_added: list[str] = field(default_factory=list)
    sources_reused: list[str] = field(default_factory=list)  # same text already in the project
    codes_added: int = 0
    codes_updated: int = 0
    codings_added: int = 0
    codings_existing: int = 0  # already in the project: not added again
    coders: list[str] = field(default_factory=list)
    users_added: list[str] = field(default_factory=list)  # new to the project, with their GUIDs (coders or not)
    memos_added: int = 0
    memos_existing: int = 0
    cases: list[str] = field(default_factory=list)
    sets_added: int = 0
    sets_existing: int = 0
    recordings: list[str] = field(default_factory=list)  # sources whose recording came with them
    positions: dict[str, str] = field(default_factory=dict)  # source name -> how its positions count
    skipped: list[SkippedItem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def summary(self) -> list[str]:
        """Human-readable lines: counts first, then positions, skipped items and warnings."""
        lines = [f"Imported {self.path}" + (f" (written by {self.origin})" if self.origin else ""),
                 f"  sources: {len(self.sources_added)} added, {len(self.sources_reused)} already in the project",
                 f"  codes: {self.codes_added} added, {self.codes_updated} updated",
                 f"  codings: {self.codings_added} added, {self.codings_existing} already there",
                 f"  coders: {', '.join(self.coders) or '-'}",
                 f"  users new to the project: {', '.join(self.users_added) or '-'}",
                 f"  memos: {self.memos_added} added, {self.memos_existing} already there",
                 f"  cases: {len(self.cases)}",
                 f"  sets: {self.sets_added} added, {self.sets_existing} already there"]
        if self.recordings:
            lines.append(f"  recordings attached: {len(self.recordings)} ({', '.join(self.recordings[:3])}"
                         + (f" and {len(self.recordings) - 3} more)" if len(self.recordings) > 3 else ")"))
        by_scheme: dict[str, list[str]] = {}
        for name, how in self.positions.items():
            by_scheme.setdefault(how, []).append(name)
        for how, names in by_scheme.items():  # one line per way of counting, not one per source
            shown = ", ".join(repr(n) for n in names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
            lines.append(f"  positions counted in {how}: {shown}")
        lines += [f"  skipped {s.what} {s.name!r}: {s.reason}" for s in self.skipped]
        lines += [f"  warning: {w}" for w in self.warnings]
        return lines


# --- planning: texts, positions, cases and attributes, before any write ----------------------------


@dataclass
class _PlannedSource:
    """A text source ready to store: its normalised text and where its selections are in it."""

    rec: SourceRec
    text: str
    fmt: str
    metadata: dict[str, str]
    attributes: dict[str, str]
    case: str | None
    spans: list[tuple[int, int]]  # per selection, offsets into ``text``
    positions: str
    times: list[tuple[int, float]] = field(default_factory=list)  # (offset, seconds) of timed sync points
    recording: tuple[str, bytes, str] | None = None  # (file name, bytes, transcript GUID) of a media source

    @property
    def content_hash(self) -> str:
        """The identity of the text, to find it in the project."""
        return content_hash(self.text)

    def new_source(self, path: Path) -> NewSource:
        """The source with paragraphs and sentences, as the store takes it (only built when the text is new)."""
        kind = sidecar_kind({k.lower(): v for k, v in self.attributes.items()}) or (
            "interview" if self.rec.media else "document")
        segments = timed_segments(self.text, self.times) if self.rec.media else paragraph_segments_of(self.text)
        loaded = LoadedSource(name=self.rec.name, kind=kind, text=self.text, format=self.fmt,
                              segments=segments, encoding="utf-8", metadata=self.metadata)
        return replace(to_new_source(loaded, path, {}), attributes=self.attributes, case=self.case,
                       uid=_uid(self.rec.guid))


def timed_segments(text: str, times: list[tuple[int, float]]) -> list[LoadedSegment]:
    """A transcript's turns (or, if its speakers cannot be told, its paragraphs) with times from its sync points:
    a segment starts at the first timed point inside it and ends at a timed point on its end."""
    parsed = detect_transcript(text)
    rendered, segments = render_turns(parsed.turns, parsed.preamble) if parsed else ("", [])
    if rendered != text:  # turns only when they cover this very text
        segments = paragraph_segments_of(text)
    times = sorted(times)
    offsets = [at for at, _ in times]
    result = []
    for segment in segments:
        first = bisect_left(offsets, segment.start)
        start = times[first][1] if first < len(times) and times[first][0] < segment.end else None
        at_end = bisect_left(offsets, segment.end)
        end = times[at_end][1] if at_end < len(times) and times[at_end][0] == segment.end else None
        result.append(replace(segment, start_time=start, end_time=end))
    return result


def paragraph_segments_of(text: str) -> list[LoadedSegment]:
    """Blank-line paragraphs for hard-wrapped text; else one paragraph per line (as NVivo writes text)."""
    lines = [line for line in text.split("\n") if line.strip()]
    long_lines = sum(len(line) > LONG_LINE for line in lines)
    if "\n\n" in text and long_lines <= WRAPPED_LONG_SHARE * len(lines):
        return paragraph_segments(text)
    return _line_segments(text)


def _line_segments(text: str) -> list[LoadedSegment]:
    """One paragraph per non-empty line (for texts whose paragraphs are single lines)."""
    segments, pos = [], 0
    for line in text.split("\n"):
        stripped = line.strip()
        if stripped:
            start = pos + line.index(stripped[0])
            segments.append(LoadedSegment(start, start + len(line.rstrip()) - line.index(stripped[0]), "paragraph"))
        pos += len(line) + 1
    return segments


def _derived_uid(*parts: str) -> str:
    return str(uuid.uuid5(_DERIVED_NAMESPACE, "\x1f".join(parts))).upper()


def _uid(guid: str | None) -> str | None:
    """A GUID from the file as a store uid (other identifiers are hashed into one)."""
    if not guid:
        return None
    return guid if GUID_RE.fullmatch(guid) else _derived_uid(guid)


def _timestamp(value: str | None) -> str | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).isoformat(timespec="milliseconds")


def _excerpt(text: str, limit: int = 60) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


class _Planner:
    """Resolves texts, positions, kinds, cases and attributes for every text source."""

    def __init__(self, project: ProjectRec, archive: QdpxTexts, path: Path, report: ImportReport) -> None:
        self.project = project
        self.archive = archive
        self.path = path
        self.report = report
        self.case_of: dict[str, CaseRec] = {}
        for case in project.cases:
            for source_guid in case.sources:
                if source_guid in self.case_of:
                    report.warnings.append(f"source {source_guid} belongs to several cases; it is linked to "
                                           f"{self.case_of[source_guid].name!r} only")
                else:
                    self.case_of[source_guid] = case

    def values(self, values: dict[str, str], owner: str) -> dict[str, str]:
        """Variable GUID -> value, as attribute name -> value."""
        named = {}
        for guid, value in values.items():
            if guid not in self.project.variables:
                raise QdpxError(self.path, f"{owner} has a value for the undeclared variable {guid}")
            named[self.project.variables[guid]] = value
        return named

    def plan(self, rec: SourceRec) -> _PlannedSource | None:
        found = self.archive.text(f"source {rec.name!r}", rec.content, rec.plain_path, rec.rich_path, rec.fmt)
        if isinstance(found, str):
            self.report.skipped.append(SkippedItem("source", rec.name, found))
            if any(s.codings for s in rec.selections) or rec.whole:
                self.report.warnings.append(f"the codings of the skipped source {rec.name!r} were not imported")
            return None
        norm = NormalisedText.from_raw(found.raw)
        scheme, spans = self._place(rec, norm)
        positions = norm.describe(scheme)
        attributes = self.values(rec.values, f"source {rec.name!r}")
        case = self.case_of.get(rec.guid)
        metadata = {"qdpx_guid": rec.guid, "qdpx_file": found.origin, "qdpx_positions": positions}
        if self.project.origin:
            metadata["qdpx_origin"] = self.project.origin
        if rec.description:
            metadata["description"] = rec.description
        planned = _PlannedSource(rec, norm.text, found.fmt, metadata, attributes, case.name if case else None,
                                 spans, positions)
        if rec.media:
            pmap = PositionMap(norm, scheme)
            planned.times = [(pmap.offset(position, end=False)[0], stamp / 1000)
                             for position, stamp in rec.media.sync_points
                             if stamp is not None and pmap.fits(position, position)]
            planned.recording = self._recording(rec)
        return planned

    def _recording(self, rec: SourceRec) -> tuple[str, bytes, str] | None:
        """The recording of an audio or video source from the archive, or None (and why, in the report)."""
        assert rec.media is not None
        path = rec.media.path
        entry = internal_entry(self.archive.archive, path) if path else None
        if entry is None or not media.is_media(entry):
            where = ("it names no file" if not path else f"its file {path!r} is outside the archive" if entry is None
                     and "://" in path and not path.lower().startswith("internal://")
                     else f"its file {path!r} is not in the archive" if entry is None
                     else f"its file {path!r} is not a recording we can play")
            self.report.skipped.append(SkippedItem("recording", rec.name, f"{where}; the transcript is imported "
                                                                          "without it"))
            return None
        try:
            data = self.archive.read(entry)
        except QdpxError as exc:
            self.report.skipped.append(SkippedItem("recording", rec.name, exc.reason))
            return None
        return PurePosixPath(entry).name, data, rec.media.transcript_guid

    def _place(self, rec: SourceRec, norm: NormalisedText) -> tuple[PositionScheme, list[tuple[int, int]]]:
        selections = [(s.start, s.end, s.name) for s in rec.selections]
        scheme = choose_scheme(norm, selections)
        if scheme is None:
            pmap = PositionMap(norm, SCHEMES[0])
            worst = max(rec.selections, key=lambda s: s.end)
            raise QdpxError(self.path, f"selection {worst.guid} in source {rec.name!r} ends at position {worst.end}, "
                                       f"past the end of its text ({pmap.length} positions however they are "
                                       "counted); the file is inconsistent")
        pmap = PositionMap(norm, scheme)
        return scheme, [pmap.span(s.start, s.end)[:2] for s in rec.selections]


# --- writing: one transaction --------------------------------------------------------------------------


class _Writer:
    """Applies a planned import to the store; create and use it inside one transaction."""

    def __init__(self, store: Store, project: ProjectRec, actor: str, report: ImportReport, path: Path) -> None:
        self.store = store
        self.project = project
        self.actor = actor
        self.report = report
        self.path = path
        self.code_ids: dict[str, int] = {}
        self.case_ids: dict[str, int] = {}
        self.source_ids: dict[str, int] = {}
        self.coders: set[str] = set()
        self.known_codings = {c.uid: c.id for c in store.codings()}
        self.known_memos = {m.uid for m in store.memos()}
        self.known_sources = {s.uid for s in store.list_sources()}
        self.note_targets: dict[str, tuple[str, int | None]] = {}
        self.selection_uids: dict[str, str] = {}  # coding uid -> the GUID of the selection it came in

    def user(self, guid: str | None) -> str:
        """The name of a user GUID (the GUID itself if the file does not name it; else the importer)."""
        return self.project.users.get(guid, guid) if guid else self.actor

    def target(self, note: str, target_type: str, target_id: int | None) -> None:
        """Attach a note to the first thing that refers to it."""
        self.note_targets.setdefault(note, (target_type, target_id))

    def users(self) -> list[str]:
        """Remember every user of the file with their GUID, also those who coded nothing."""
        by_name: dict[str, str] = {}
        for guid, name in self.project.users.items():
            by_name.setdefault(name, _uid(guid) or guid)
        return self.store.add_users(by_name)

    def codes(self, codes: list[CodeDef]) -> None:
        if not codes:
            return
        result = self.store.import_codebook(Codebook(name=self.path.stem, codes=codes, origin=self.project.origin),
                                            self.actor)
        self.report.codes_added, self.report.codes_updated = result["added"], result["updated"]
        stored = self.store.codes()
        by_uid = {c.uid.upper(): c.id for c in stored}
        by_path = {(c.parent_id, c.name.strip().lower()): c.id for c in stored}
        for cdef in codes:
            parent = self.code_ids.get(cdef.parent_uid) if cdef.parent_uid else None
            code_id = by_uid.get(cdef.uid.upper()) or by_path.get((parent, cdef.name.strip().lower()))
            if code_id is None:
                raise QdpxError(self.path, f"code {cdef.name!r} ({cdef.uid}) could not be matched after import")
            self.code_ids[cdef.uid] = code_id
        for code_guid, notes in self.project.code_notes.items():
            for note in notes:
                if code_guid in self.code_ids:
                    self.target(note, "code", self.code_ids[code_guid])

    def cases(self, case_values: dict[str, dict[str, str]]) -> None:
        for case in self.project.cases:
            self.case_ids[case.guid] = self.store.ensure_case(case.name, self.actor, uid=_uid(case.guid))
            if case_values[case.guid]:
                self.store.set_attributes("case", self.case_ids[case.guid], case_values[case.guid], self.actor)
            self.report.cases.append(case.name)
            if case.description:
                self.report.warnings.append(f"the description of case {case.name!r} was not imported "
                                            "(cases keep only a name and attributes)")

    def source(self, planned: _PlannedSource) -> int:
        existing = self.store.find_same_source(planned.rec.name, planned.content_hash, planned.rec.guid)
        if existing is not None:
            self.report.sources_reused.append(planned.rec.name)
            source_id = int(existing)
        else:
            new = planned.new_source(self.path)
            if new.uid and new.uid in self.known_sources:
                new = replace(new, uid=None)
            source_id = self.store.add_source(new, self.actor)
            self.known_sources.add(self.store.get_source(source_id).uid)
            self.report.sources_added.append(new.name)
            self.report.positions[new.name] = planned.positions
        self.source_ids[planned.rec.guid] = source_id
        for note in planned.rec.notes:
            self.target(note, "source", source_id)
        return source_id

    def recording(self, planned: _PlannedSource, source_id: int) -> None:
        """Attach a media source's recording, unless the source already has one."""
        if planned.recording is None or self.store.recording(source_id) is not None:
            return
        name, data, transcript_guid = planned.recording
        try:
            media.attach_recording_bytes(self.store, source_id, io.BytesIO(data), name, self.actor,
                                         uid=_uid(transcript_guid))
        except InvalidMedia as exc:
            self.report.skipped.append(SkippedItem("recording", planned.rec.name, str(exc)))
            return
        self.report.recordings.append(planned.rec.name)

    def codings(self, planned: _PlannedSource, source_id: int) -> None:
        existing = {(c.start, c.end, c.code_id, c.coder): c.id for c in self.store.codings(source_id=source_id)}
        text = planned.text
        for (start, end), selection in zip(planned.spans, planned.rec.selections):
            if not selection.codings:
                self._comment(selection, source_id, text, start, end)
            for coding in selection.codings:
                self._coding(coding, source_id, start, end, selection, existing)
        whole = SelectionRec(None, "", 0, len(text), None, "", planned.rec.whole, [])
        for coding in planned.rec.whole:
            self._coding(coding, source_id, 0, len(text), whole, existing)

    def _coding(self, coding: CodingRec, source_id: int, start: int, end: int, selection: SelectionRec,
                existing: dict[tuple[int, int, int, str], int]) -> None:
        if start == end:
            self.report.skipped.append(SkippedItem("coding", coding.guid or "", "its selection covers no characters"))
            return
        code_id = self.code_ids[coding.code]
        coder = self.user(coding.user or selection.user)
        self.coders.add(coder)
        uid = _uid(coding.guid)
        coding_id = existing.get((start, end, code_id, coder)) or (self.known_codings.get(uid) if uid else None)
        if coding_id is not None:
            self.report.codings_existing += 1
        else:
            coding_id = self.store.add_coding(source_id, start, end, code_id, coder, memo=selection.description,
                                              origin="import", uid=uid, created_at=_timestamp(coding.created))
            if selection.guid:
                self.selection_uids[self.store.get_coding(coding_id).uid] = _uid(selection.guid) or ""
            existing[(start, end, code_id, coder)] = coding_id
            self.report.codings_added += 1
            if uid:
                self.known_codings[uid] = coding_id
        for note in coding.notes + (selection.notes if len(selection.codings) == 1 else []):
            self.target(note, "coding", coding_id)

    def _comment(self, selection: SelectionRec, source_id: int, text: str, start: int, end: int) -> None:
        for note in selection.notes:
            self.target(note, "source", source_id)
        if not selection.description:
            return
        uid = _derived_uid("comment", selection.guid or f"{source_id}:{start}:{end}")
        title = f"Comment on “{_excerpt(text[start:end])}” (characters {start}–{end})"
        self._memo(uid, selection.description, self.user(selection.user), title, "source", source_id)

    def _memo(self, uid: str, text: str, author: str, title: str, target_type: str | None,
              target_id: int | None, created: str | None = None, modified: str | None = None) -> None:
        if uid in self.known_memos:
            self.report.memos_existing += 1
            return
        self.store.add_memo(text, author, title=title, target_type=target_type, target_id=target_id, uid=uid,
                            created_at=_timestamp(created), updated_at=_timestamp(modified))
        self.known_memos.add(uid)
        self.report.memos_added += 1

    def notes(self, texts: dict[str, str]) -> None:
        for guid in self.project.project_notes:
            self.target(guid, "project", None)
        for origin, target in self.project.links:
            if target in self.case_ids:
                self.target(origin, "case", self.case_ids[target])
            elif target in self.source_ids:
                self.target(origin, "source", self.source_ids[target])
        for note in self.project.notes:
            target_type, target_id = self.note_targets.get(note.guid, (None, None))
            self._memo(_uid(note.guid) or _derived_uid("note", note.name, texts[note.guid]), texts[note.guid],
                       self.user(note.user), note.name, target_type, target_id, note.created, note.modified)


    def sets(self) -> None:
        """Sets and their members: codes, sources and notes imported here (others are reported)."""
        memo_ids = {m.uid.upper(): m.id for m in self.store.memos()}
        for rec in self.project.sets:
            uid = _uid(rec.guid) or rec.guid
            set_id = self.store.find_set(uid)
            if set_id is None:
                set_id = self.store.add_set(rec.name, self.actor, description=rec.description, uid=uid)
                self.report.sets_added += 1
            else:  # never clear what the file leaves out
                self.store.update_set(set_id, self.actor, name=rec.name or None, description=rec.description or None)
                self.report.sets_existing += 1
            members: list[tuple[str, int]] = []
            for kind, guids, ids in (("code", rec.codes, self.code_ids), ("source", rec.sources, self.source_ids),
                                     ("memo", rec.notes, {g: memo_ids.get((_uid(g) or g).upper()) for g in rec.notes})):
                for guid in guids:
                    if ids.get(guid) is None:
                        self.report.skipped.append(SkippedItem("set member", rec.name, f"the {kind} {guid} was not "
                                                               "imported (not a text source, or not in the file)"))
                    else:
                        members.append((kind, int(ids[guid])))
            self.store.add_set_members(set_id, members, self.actor)


def _codable_codes(project: ProjectRec, report: ImportReport) -> list[CodeDef]:
    """The codebook, with every code that has codings in the file made codable (tools are lax about it)."""
    used = {c.code for s in project.sources for sel in s.selections for c in sel.codings}
    used |= {c.code for s in project.sources for c in s.whole}
    codes = []
    for code in project.codes:
        if code.uid in used and not code.codable:
            report.warnings.append(f"code {code.name!r} is marked not codable but has codings; imported as codable")
            code = replace(code, codable=True)
        codes.append(code)
    return codes


def _check_code_refs(project: ProjectRec, path: Path) -> None:
    known = {code.uid for code in project.codes}
    for source in project.sources:
        codings = [c for sel in source.selections for c in sel.codings] + source.whole
        for coding in codings:
            if coding.code not in known:
                raise QdpxError(path, f"coding {coding.guid} in source {source.name!r} points to the code "
                                      f"{coding.code}, which the codebook does not define")


def _note_texts(project: ProjectRec, files: QdpxTexts) -> dict[str, str]:
    texts = {}
    for note in project.notes:
        found = files.text(f"note {note.name!r}", note.content, note.plain_path, note.rich_path, "txt")
        texts[note.guid] = normalise_newlines(found.raw) if isinstance(found, TextFile) else ""
    return texts


def import_qdpx(store: Store, file: str | Path | IO[bytes], *, actor: str, limits: ZipLimits | None = None,
                label: str | None = None) -> ImportReport:
    """Import a REFI-QDA project (.qdpx) into the project, in one transaction; returns what was done.

    ``file`` is a path or an open binary file (an upload); ``label`` is the name that messages and the
    report give it (default: the path). Raises QdpxError (and changes nothing) for a file that is not
    a safe, well-formed, consistent REFI-QDA project. Sources, codings and memos already in the
    project are reused, not duplicated.
    """
    path = Path(label or (file if isinstance(file, (str, Path)) else "upload.qdpx"))
    limits = limits or ZipLimits()
    report = ImportReport(path=str(path))
    try:
        archive = SafeZip(file if not isinstance(file, str) else Path(file), label=str(path), limits=limits)
    except ArchiveError as exc:
        raise QdpxError(path, exc.reason) from exc
    with archive:
        files = QdpxTexts(archive, str(path), limits)
        entry = project_entry(archive, str(path))
        project = QdeReader(parse_xml(files.read(entry), f"{path}: {entry}"), f"{path}: {entry}").read()
        _check_code_refs(project, path)
        report.origin = project.origin
        report.skipped += project.skipped
        report.skipped += [SkippedItem(kind, f"{n} " + (kind if n != 1 else kind.removesuffix("s")),
                                       "not imported: maps (REFI-QDA Graphs) are not supported")
                           for kind, n in project.ignored.items()]
        planner = _Planner(project, files, path, report)
        case_values = {case.guid: planner.values(case.values, f"case {case.name!r}") for case in project.cases}
        planned = [p for p in map(planner.plan, project.sources) if p is not None]
        note_texts = _note_texts(project, files)
    try:
        _write(store, project, _codable_codes(project, report), case_values, planned, note_texts, actor, report, path)
    except (Conflict, InvalidSpan, NotFound) as exc:
        raise QdpxError(path, f"cannot be merged into this project: {exc}") from exc
    return report


def _write(store: Store, project: ProjectRec, codes: list[CodeDef], case_values: dict[str, dict[str, str]],
           planned: list[_PlannedSource], note_texts: dict[str, str], actor: str, report: ImportReport,
           path: Path) -> None:
    """Everything the import changes, in one transaction (rolled back whole on any error, with any recording
    copied for it)."""
    before = set(store.media_dir.iterdir()) if store.media_dir.exists() else set()
    try:
        _write_all(store, project, codes, case_values, planned, note_texts, actor, report, path)
    except BaseException:
        if store.media_dir.exists():
            for copied in set(store.media_dir.iterdir()) - before:
                copied.unlink(missing_ok=True)
        raise


def _write_all(store: Store, project: ProjectRec, codes: list[CodeDef], case_values: dict[str, dict[str, str]],
               planned: list[_PlannedSource], note_texts: dict[str, str], actor: str, report: ImportReport,
               path: Path) -> None:
    with store.database.transaction():
        writer = _Writer(store, project, actor, report, path)
        report.users_added = writer.users()
        writer.codes(codes)
        writer.cases(case_values)
        for item in planned:
            source_id = writer.source(item)
            writer.codings(item, source_id)
            writer.recording(item, source_id)
        writer.notes(note_texts)
        writer.sets()
        store.add_variable_uids({name: _uid(guid) or guid for guid, name in project.variables.items()})
        store.set_selection_uids(writer.selection_uids)
        report.coders = sorted(writer.coders)
        store.database.log(actor, "qdpx.import", "project", None, {
            "file": str(path), "origin": project.origin, "sources_added": report.sources_added,
            "sources_reused": report.sources_reused, "codings_added": report.codings_added,
            "memos_added": report.memos_added, "sets_added": report.sets_added, "users_added": report.users_added,
            "recordings": report.recordings,
            "skipped": [f"{s.what} {s.name}: {s.reason}" for s in report.skipped]})
