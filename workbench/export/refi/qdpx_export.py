"""Export the project as a REFI-QDA project exchange file (.qdpx) for NVivo, ATLAS.ti, MAXQDA, QualCoder.

The archive holds ``project.qde`` (UTF-8 without BOM, elements in Project.xsd's order) and one
``sources/<guid>.txt`` per source. Every coding becomes its own ``PlainTextSelection`` holding one
``Coding`` (as NVivo writes them), except that codings imported in one selection go back into it
under its GUID; the coding's memo is the selection's ``Description`` and the selected text (up to
100 characters) its ``name``, which lets importers check the positions. Users, sources, codes,
selections and codings keep the GUIDs they were imported with.
Memos become ``Notes``, referenced by ``NoteRef`` from the project, source, code or coding they
belong to; the schema gives a ``Case`` no ``NoteRef``, so a memo on a case is tied to it by a
``Link`` from the note to the case. Source and case attributes are ``Text`` variables. ``Sets``
(MAXQDA's document and code sets) list their member codes, sources and memos. The thematic map
(``analysis/thememap.py``) is one ``Graph``: a code's ``Vertex`` represents the code
(``representedGUID``); a theme has no REFI element, so its vertex is a rounded rectangle with its name
and its status's colour; each edge is a link of the map, named by its passages.
A source with a recording is an ``AudioSource`` or ``VideoSource`` (its GUID is the source's) whose file
goes into the archive as ``sources/<sha256>.<ext>``, unchanged; its text is the ``Transcript`` (GUID: the
recording's). The schema places a transcript's codings between ``SyncPoint``s, so there is a sync point
at each timed turn's start and end (``timeStamp`` in milliseconds) and at each end of a coded passage
(with a ``timeStamp`` only where a turn's time falls there), and every coding is a
``TranscriptSelection`` from one to the other.

Positions count code points of the written text (the REFI standard), or as the tool named by
``for_tool`` counts them (``targets.py``): ``crlf`` writes CR+LF line endings and counts each as two
positions, ``utf16`` counts UTF-16 code units (an emoji is two), as NVivo does. ``pseudonymise``
takes the project's roster (``workbench.sources.pseudonyms.Roster``, or a mapping made into one): its
names are replaced, by its rules, in texts, memos, attribute values, and source and case names;
coding positions follow the texts.
"""
from __future__ import annotations

import io
import os
import re
import uuid
import xml.etree.ElementTree as ET  # building and writing only; parsing goes through defusedxml
import zipfile
from bisect import bisect_right
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import IO

from coding.codebook import GUID_RE
from coding.qdc import DEFAULT_ORIGIN, PROJECT_NAMESPACE, codebook_element

from workbench.analysis.thememap import STATUS_FILL, ThemeMap, thematic_map
from workbench.errors import InvalidMedia
from workbench.model import Coding, Memo, Recording, Role, Source
from workbench.sources.media import verified_path
from workbench.sources.pseudonyms import Roster
from workbench.store import Store
from workbench.export.refi.positions import UnitCounter
from workbench.export.refi.qde import QdpxError
from workbench.export.refi.targets import target_for

_GUID_NAMESPACE = uuid.UUID("7C7B0E4A-9E55-4E0F-8D5B-3F1A2C6D9B10")
_XML_ILLEGAL_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
SELECTION_NAME_CHARS = 100


def stable_guid(kind: str, key: str) -> str:
    """A GUID derived from a kind and a key (uuid5): the same on every export."""
    return str(uuid.uuid5(_GUID_NAMESPACE, f"{kind}:{key}")).upper()


def user_guid(name: str) -> str:
    """The GUID of a coder or author, derived from the name."""
    return stable_guid("user", name)


def as_guid(uid: str) -> str:
    """A store uid as a REFI GUID (uids that are not GUIDs are hashed into one)."""
    return uid.upper() if GUID_RE.fullmatch(uid) else stable_guid("uid", uid)


def xml_safe(text: str) -> str:
    """The text with characters XML 1.0 cannot hold replaced by U+FFFD."""
    return _XML_ILLEGAL_RE.sub("\ufffd", text)


def xml_datetime(stamp: str | None) -> str | None:
    """An ISO time as xsd:dateTime in UTC with seconds, as other tools write it (None if unreadable)."""
    if not stamp:
        return None
    try:
        moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _stamp(element: ET.Element, attribute: str, stamp: str | None) -> None:
    moment = xml_datetime(stamp)
    if moment:
        element.set(attribute, moment)


# --- pseudonyms -----------------------------------------------------------------------------------


@dataclass
class MappedText:
    """A text after replacements, with the offsets of the original mapped onto it."""

    text: str
    starts: list[int] = field(default_factory=list)  # original [start, end) of each replacement ...
    ends: list[int] = field(default_factory=list)
    new_starts: list[int] = field(default_factory=list)  # ... and where it is now
    new_ends: list[int] = field(default_factory=list)

    def offset(self, original: int, *, end: bool) -> int:
        """Where an original offset is now; inside a replaced name, a start snaps to its start, an end to its end."""
        i = bisect_right(self.starts, original) - 1
        if i < 0:
            return original
        if original >= self.ends[i]:
            return original + self.new_ends[i] - self.ends[i]
        if original == self.starts[i]:
            return self.new_starts[i]
        return self.new_ends[i] if end else self.new_starts[i]


def mapped_text(text: str, roster: Roster | None) -> MappedText:
    """Replace the roster's names in a text, keeping track of how offsets move."""
    result = MappedText(text)
    if not roster:
        return result
    parts, last, shift = [], 0, 0
    for hit in roster.find(text):
        parts += [text[last:hit.start], hit.pseudonym]
        result.starts.append(hit.start)
        result.ends.append(hit.end)
        result.new_starts.append(hit.start + shift)
        shift += len(hit.pseudonym) - (hit.end - hit.start)
        result.new_ends.append(hit.end + shift)
        last = hit.end
    result.text = "".join(parts) + text[last:]
    return result


def as_roster(pseudonymise: Roster | Mapping[str, str] | None) -> Roster | None:
    """The roster to apply: a Roster as given, a mapping of real name to pseudonym made into one."""
    if pseudonymise is None or isinstance(pseudonymise, Roster):
        return pseudonymise or None
    return Roster(pseudonymise) or None


# --- the project document ------------------------------------------------------------------------


@dataclass
class ExportOptions:
    """How to write positions and names."""

    crlf: bool = False
    utf16: bool = False
    roster: Roster | None = None  # real names -> pseudonyms, or None to export names as they are
    actor: str | None = None

    def text(self, text: str) -> str:
        """Running text (a memo, an attribute value) with the roster's names replaced."""
        return self.roster.apply(text) if self.roster else text

    def label(self, name: str) -> str:
        """A source or case name with the roster's names replaced, also between ``_`` and ``.``."""
        if not self.roster:
            return name
        return "".join(self.text(part) for part in re.split(r"([_.]+)", name))


class _ProjectBuilder:
    """Builds ``project.qde`` and the source texts from a store."""

    def __init__(self, store: Store, options: ExportOptions) -> None:
        self.store = store
        self.options = options
        self.users: dict[str, str] = {}
        self.memos: dict[tuple[str | None, int | None], list[Memo]] = {}
        for memo in store.memos():
            self.memos.setdefault((memo.target_type, memo.target_id), []).append(memo)
        self.files: dict[str, str] = {}
        self.media: dict[str, Path] = {}  # archive name under sources/ -> the stored recording
        self.code_uids = {code.id: code.uid for code in store.codes()}
        self.case_memos: list[tuple[Memo, str]] = []
        self.known_users = {name: as_guid(uid) for name, uid in store.users().items()}
        self.selection_uids = store.selection_uids()
        self.variable_uids = {key: as_guid(uid) for key, uid in store.variable_uids().items()}
        self.selections_written: set[str] = set()

    def user(self, name: str) -> str:
        """The GUID of a user (the one an imported file gave them, else derived from the name), adding them to
        ``<Users>``."""
        self.users.setdefault(name, self.known_users.get(name) or user_guid(name))
        return self.users[name]

    def note_refs(self, parent: ET.Element, target_type: str, target_id: int | None) -> None:
        """A ``NoteRef`` to each memo attached to the target."""
        for memo in self.memos.get((target_type, target_id), []):
            ET.SubElement(parent, "NoteRef", targetGUID=as_guid(memo.uid))

    def build(self) -> ET.Element:
        """The whole ``<Project>`` element, in Project.xsd's order."""
        store, options = self.store, self.options
        attributes = {"xmlns": PROJECT_NAMESPACE, "name": store.setting("name") or store.path.stem,
                      "origin": DEFAULT_ORIGIN,
                      "creationDateTime": xml_datetime(datetime.now(timezone.utc).isoformat()) or ""}
        if options.actor:
            attributes["creatingUserGUID"] = self.user(options.actor)
        root = ET.Element("Project", attributes)
        users = ET.SubElement(root, "Users")
        self.codebook(root)
        self.variables(root)
        sources = [store.get_source(i) for i in store.source_ids()]
        self.cases(root, sources)
        self.sources(root, sources)
        self.notes(root)
        self.sets(root, sources)
        self.graphs(root)
        self.note_refs(root, "project", None)
        for name in self.known_users:  # also the users who made no codings
            self.user(name)
        for name, guid in self.users.items():
            ET.SubElement(users, "User", guid=guid, name=name)
        if not len(users):
            root.remove(users)
        return root

    def codebook(self, root: ET.Element) -> None:
        """``<CodeBook>`` with the hierarchy, descriptions, colours and NoteRefs to code memos."""
        codebook = self.store.codebook()
        if not codebook.codes:
            return
        element = codebook_element(codebook)
        by_guid = {code.get("guid"): code for code in element.iter("Code")}
        for code in self.store.codes():
            code_el = by_guid[code.uid]
            at = sum(1 for child in code_el if child.tag in ("Description", "NoteRef"))
            for memo in self.memos.get(("code", code.id), []):
                code_el.insert(at, ET.Element("NoteRef", targetGUID=as_guid(memo.uid)))
                at += 1
        root.append(element)

    def variables(self, root: ET.Element) -> None:
        """``<Variables>``: every attribute name, as a Text variable."""
        keys = self.store.attribute_keys()
        if keys:
            variables = ET.SubElement(root, "Variables")
            for key in keys:
                ET.SubElement(variables, "Variable", guid=self.variable(key), name=key,
                              typeOfVariable="Text")

    def variable(self, key: str) -> str:
        """The GUID of an attribute name: the one an imported file gave it, else derived from the name."""
        return self.variable_uids.get(key) or stable_guid("variable", key)

    def values(self, parent: ET.Element, owner_type: str, owner_id: int) -> None:
        """A ``VariableValue`` per attribute of a source or case."""
        for key, value in self.store.attributes(owner_type, owner_id).items():
            element = ET.SubElement(parent, "VariableValue")
            ET.SubElement(element, "VariableRef", targetGUID=self.variable(key))
            ET.SubElement(element, "TextValue").text = self.options.text(value)

    def cases(self, root: ET.Element, sources: list[Source]) -> None:
        """``<Cases>`` with attributes and the sources of each case."""
        cases = self.store.cases()
        if not cases:
            return
        container = ET.SubElement(root, "Cases")
        for case in cases:
            element = ET.SubElement(container, "Case", guid=as_guid(case.uid), name=self.options.label(case.name))
            if case.description:
                ET.SubElement(element, "Description").text = self.options.text(case.description)
            self.values(element, "case", case.id)
            for source in sources:
                if source.case_id == case.id:
                    ET.SubElement(element, "SourceRef", targetGUID=as_guid(source.uid))
            self.case_memos += [(memo, as_guid(case.uid)) for memo in self.memos.get(("case", case.id), [])]

    def sources(self, root: ET.Element, sources: list[Source]) -> None:
        """``<Sources>``: one TextSource per source."""
        if not sources:
            return
        container = ET.SubElement(root, "Sources")
        for source in sources:
            self.source(container, source)

    def source(self, container: ET.Element, source: Source) -> None:
        """A TextSource with its codings, memo references and attributes; its text goes to ``files``."""
        recording = self.store.recording(source.id)
        if recording is not None:
            self.recorded_source(container, source, recording)
            return
        options = self.options
        guid = as_guid(source.uid)
        mapped = mapped_text(source.text, options.roster)
        self.files[f"{guid}.txt"] = mapped.text.replace("\n", "\r\n") if options.crlf else mapped.text
        element = ET.SubElement(container, "TextSource", guid=guid, name=options.label(source.name),
                                plainTextPath=f"internal://{guid}.txt", creatingUser=self.user(source.imported_by))
        _stamp(element, "creationDateTime", source.imported_at)
        counter = UnitCounter(mapped.text, crlf=options.crlf, utf16=options.utf16)
        for guid, codings in self.selection_groups(self.store.codings(source_id=source.id)):
            self.selection(element, guid, codings, mapped, counter)
        self.note_refs(element, "source", source.id)
        self.values(element, "source", source.id)

    def recorded_source(self, container: ET.Element, source: Source, recording: Recording) -> None:
        """An AudioSource or VideoSource: the recording, and its text as a Transcript whose codings lie between
        SyncPoints."""
        options = self.options
        guid = as_guid(source.uid)
        try:
            stored = verified_path(self.store, recording)
        except InvalidMedia as exc:
            raise QdpxError(source.name, f"cannot be exported with its recording: {exc}") from exc
        media_name = f"{recording.sha256}.{recording.format}"
        self.media[media_name] = stored
        mapped = mapped_text(source.text, options.roster)
        self.files[f"{guid}.txt"] = mapped.text.replace("\n", "\r\n") if options.crlf else mapped.text
        element = ET.SubElement(container, "VideoSource" if recording.kind == "video" else "AudioSource", guid=guid,
                                name=options.label(source.name), path=f"internal://{media_name}",
                                creatingUser=self.user(source.imported_by))
        _stamp(element, "creationDateTime", source.imported_at)
        transcript = ET.SubElement(element, "Transcript", guid=as_guid(recording.uid), name=options.label(source.name),
                                   plainTextPath=f"internal://{guid}.txt", creatingUser=self.user(recording.attached_by))
        _stamp(transcript, "creationDateTime", recording.attached_at)
        times: dict[int, int | None] = {}  # offset in the written text -> milliseconds, None: no time there
        for segment in self.store.segments(source.id, structural_only=True):
            for offset, seconds, end in ((segment.start, segment.start_time, False),
                                         (segment.end, segment.end_time, True)):
                at = mapped.offset(offset, end=end)
                if seconds is not None and times.get(at) is None:
                    times[at] = round(seconds * 1000)
        groups = self.selection_groups(self.store.codings(source_id=source.id))
        for _guid, codings in groups:
            times.setdefault(mapped.offset(codings[0].start, end=False), None)
            times.setdefault(mapped.offset(codings[0].end, end=True), None)
        counter = UnitCounter(mapped.text, crlf=options.crlf, utf16=options.utf16)
        points: dict[int, str] = {}
        for at in sorted(times):
            points[at] = stable_guid("syncpoint", f"{guid}:{at}")
            attributes = {"guid": points[at], "position": str(counter.units(at))}
            if times[at] is not None:
                attributes["timeStamp"] = str(times[at])
            ET.SubElement(transcript, "SyncPoint", attributes)
        for selection_guid, codings in groups:
            self.selection(transcript, selection_guid, codings, mapped, counter, sync=points)
        self.note_refs(element, "source", source.id)
        self.values(element, "source", source.id)

    def selection_groups(self, codings: list[Coding]) -> list[tuple[str, list[Coding]]]:
        """Codings grouped into selections: those that came in one selection (same GUID, span and memo) go back
        in it, under its GUID; any other coding gets a selection of its own."""
        groups: dict[tuple, list[Coding]] = {}
        for coding in codings:
            selection = self.selection_uids.get(coding.uid)
            key = (selection, coding.start, coding.end, coding.memo) if selection else (None, coding.uid)
            groups.setdefault(key, []).append(coding)
        result = []
        for key, members in groups.items():
            guid = as_guid(key[0]) if key[0] else None
            if guid is None or guid in self.selections_written:  # a GUID names one selection only
                guid = stable_guid("selection", members[0].uid)
            self.selections_written.add(guid)
            result.append((guid, members))
        return result

    def selection(self, parent: ET.Element, guid: str, codings: list[Coding], mapped: MappedText,
                  counter: UnitCounter, *, sync: dict[int, str] | None = None) -> None:
        """One ``PlainTextSelection`` holding its codings, their memo as the Description (in a transcript, a
        ``TranscriptSelection`` between the ``sync`` points at its ends)."""
        first = codings[0]
        start, end = mapped.offset(first.start, end=False), mapped.offset(first.end, end=True)
        where = ({"startPosition": str(counter.units(start)), "endPosition": str(counter.units(end))} if sync is None
                 else {"fromSyncPoint": sync[start], "toSyncPoint": sync[end]})
        element = ET.SubElement(parent, "PlainTextSelection" if sync is None else "TranscriptSelection", guid=guid,
                                name=mapped.text[start:end][:SELECTION_NAME_CHARS], **where,
                                creatingUser=self.user(first.coder))
        _stamp(element, "creationDateTime", first.created_at)
        if first.memo:
            ET.SubElement(element, "Description").text = self.options.text(first.memo)
        for coding in codings:
            coding_el = ET.SubElement(element, "Coding", guid=as_guid(coding.uid), creatingUser=self.user(coding.coder))
            _stamp(coding_el, "creationDateTime", coding.created_at)
            ET.SubElement(coding_el, "CodeRef", targetGUID=self.code_uids[coding.code_id])
            self.note_refs(coding_el, "coding", coding.id)

    def notes(self, root: ET.Element) -> None:
        """``<Notes>`` for every memo, and ``<Links>`` tying case memos to their case."""
        memos = self.store.memos()
        if not memos:
            return
        container = ET.SubElement(root, "Notes")
        for memo in memos:
            note = ET.SubElement(container, "Note", guid=as_guid(memo.uid), name=self.options.text(memo.title),
                                 creatingUser=self.user(memo.author))
            _stamp(note, "creationDateTime", memo.created_at)
            _stamp(note, "modifiedDateTime", memo.updated_at)
            ET.SubElement(note, "PlainTextContent").text = self.options.text(memo.text)
        if self.case_memos:
            links = ET.SubElement(root, "Links")
            for memo, case_guid in self.case_memos:
                ET.SubElement(links, "Link", guid=stable_guid("link", memo.uid), name="memo", direction="OneWay",
                              originGUID=as_guid(memo.uid), targetGUID=case_guid)

    def sets(self, root: ET.Element, sources: list[Source]) -> None:
        """``<Sets>``: each set's description and its member codes, sources and memos by GUID."""
        sets = self.store.sets()
        if not sets:
            return
        source_guids = {source.id: as_guid(source.uid) for source in sources}
        memo_guids = {memo.id: as_guid(memo.uid) for memo in self.store.memos()}
        container = ET.SubElement(root, "Sets")
        for item in sets:
            element = ET.SubElement(container, "Set", guid=as_guid(item.uid), name=self.options.text(item.name))
            if item.description:
                ET.SubElement(element, "Description").text = self.options.text(item.description)
            for tag, guids in (("MemberCode", [self.code_uids[i] for i in item.code_ids]),
                               ("MemberSource", [source_guids[i] for i in item.source_ids]),
                               ("MemberNote", [memo_guids[i] for i in item.memo_ids])):
                for guid in guids:
                    ET.SubElement(element, tag, targetGUID=guid)

    def graphs(self, root: ET.Element) -> None:
        """``<Graphs>``: the thematic map as one Graph, when the project has themes (not discarded)."""
        themap = thematic_map(self.store) if self.store.themes() else ThemeMap()
        if not themap.nodes:
            return
        graph = ET.SubElement(ET.SubElement(root, "Graphs"), "Graph", guid=stable_guid("graph", "thematic map"),
                              name="Thematic map")
        theme_uids = {f"t{theme.id}": theme.uid for theme in self.store.themes()}
        vertex_guids = {}
        for node, (x, y) in zip(themap.nodes, _layout(themap)):
            # A code's vertex represents the code; a theme has no REFI element: a rounded box with its name.
            uid = theme_uids[node.key] if node.kind == "theme" else self.code_uids[int(node.key[1:])]
            vertex_guids[node.key] = stable_guid("vertex", f"{node.kind}:{uid}")
            attributes = {"guid": vertex_guids[node.key], "name": self.options.text(node.label),
                          "firstX": str(x), "firstY": str(y), "secondX": str(x + _VERTEX_SIZE[0]),
                          "secondY": str(y + _VERTEX_SIZE[1])}
            if node.kind == "code":
                attributes |= {"representedGUID": uid, "shape": "Oval"}
            else:
                attributes |= {"shape": "RoundedRectangle", "color": STATUS_FILL.get(node.status, "#FFFFFF")}
            ET.SubElement(graph, "Vertex", attributes)
        for source, target, weight in themap.edges:
            ET.SubElement(graph, "Edge", guid=stable_guid("edge", f"{vertex_guids[source]}>{vertex_guids[target]}"),
                          name=f"{weight} passage" + ("" if weight == 1 else "s"), sourceVertex=vertex_guids[source],
                          targetVertex=vertex_guids[target], direction="OneWay")


_VERTEX_SIZE = (180, 40)
_VERTEX_GAP = (80, 20)


def _layout(themap: ThemeMap) -> list[tuple[int, int]]:
    """Top-left corners, in the order of the map's nodes: a column per theme depth, codes in the last column."""
    parents = {t: s for s, t, _w in themap.edges if s.startswith("t") and t.startswith("t")}

    def depth(key: str) -> int:
        return 0 if key not in parents else 1 + depth(parents[key])

    themes = [n.key for n in themap.nodes if n.kind == "theme"]
    code_column = 1 + max((depth(k) for k in themes), default=-1)
    rows: dict[int, int] = {}
    corners = []
    for node in themap.nodes:
        column = depth(node.key) if node.kind == "theme" else code_column
        row = rows[column] = rows.get(column, -1) + 1
        corners.append((column * sum(_VERTEX_SIZE[:1] + _VERTEX_GAP[:1]),
                        row * (_VERTEX_SIZE[1] + _VERTEX_GAP[1])))
    return corners


def sanitise(root: ET.Element) -> None:
    """Replace the characters XML 1.0 cannot hold in every text and attribute of a tree."""
    for element in root.iter():
        if element.text:
            element.text = xml_safe(element.text)
        for key, value in element.attrib.items():
            element.set(key, xml_safe(value))


def project_document(store: Store, options: ExportOptions | None = None) -> tuple[bytes, dict[str, str]]:
    """The ``project.qde`` bytes and the source texts by file name, without writing anything."""
    document, builder = _document(store, options)
    return document, builder.files


def _document(store: Store, options: ExportOptions | None) -> tuple[bytes, _ProjectBuilder]:
    options = options or ExportOptions()
    if options.roster is None:
        store.require(Role.LEAD, "export with real names (choose pseudonyms)")
    builder = _ProjectBuilder(store, options)
    root = builder.build()
    sanitise(root)
    ET.indent(root, space="  ")
    return ET.tostring(root, encoding="utf-8", xml_declaration=True), builder


def _archive(target: IO[bytes], document: bytes, builder: _ProjectBuilder) -> None:
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("project.qde", document)
        for name, text in builder.files.items():
            archive.writestr(f"sources/{name}", text.encode("utf-8"))
        for name, path in builder.media.items():  # recordings as they are (already compressed, mostly)
            archive.write(path, f"sources/{name}", compress_type=zipfile.ZIP_STORED)


def _options(for_tool: str | None, crlf: bool | None, utf16: bool | None,
             pseudonymise: Roster | Mapping[str, str] | None, actor: str | None) -> ExportOptions:
    target = target_for(for_tool, crlf=crlf, utf16=utf16)
    return ExportOptions(crlf=target.crlf, utf16=target.utf16, roster=as_roster(pseudonymise), actor=actor)


def export_qdpx(store: Store, path: str | Path, *, for_tool: str | None = None, crlf: bool | None = None,
                utf16: bool | None = None, pseudonymise: Roster | Mapping[str, str] | None = None,
                actor: str | None = None) -> Path:
    """Write the project as a REFI-QDA ``.qdpx`` at ``path`` (replaced atomically); returns the path.

    ``for_tool``: a key of ``targets.TARGETS`` (``nvivo-win``, ``maxqda``, ...) whose way of counting
    positions and line endings to write (default: the REFI standard, code points and LF);
    ``crlf``/``utf16``: when given, override it (CR+LF line endings counted as two; UTF-16 code
    units); ``pseudonymise``: a roster (``workbench.sources.pseudonyms.project_roster(store)``) or a
    mapping of real names to pseudonyms; ``actor``: who exports (the project's creating user).
    """
    path = Path(path)
    document, builder = _document(store, _options(for_tool, crlf, utf16, pseudonymise, actor))
    partial = path.with_name(f".{path.name}.{uuid.uuid4().hex}.partial")
    try:
        with open(partial, "wb") as target:
            _archive(target, document, builder)
        os.replace(partial, path)
    except OSError as exc:
        raise QdpxError(path, f"cannot be written ({exc.strerror or exc})") from exc
    finally:
        partial.unlink(missing_ok=True)
    return path


def qdpx_bytes(store: Store, *, for_tool: str | None = None, pseudonymise: Roster | Mapping[str, str] | None = None,
               actor: str | None = None) -> bytes:
    """The ``.qdpx`` that ``export_qdpx`` would write, as bytes (for a download)."""
    document, builder = _document(store, _options(for_tool, None, None, pseudonymise, actor))
    buffer = io.BytesIO()
    _archive(buffer, document, builder)
    return buffer.getvalue()
