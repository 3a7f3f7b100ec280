"""Export the project as a REFI-QDA project exchange file (.qdpx) for NVivo, ATLAS.ti, MAXQDA, QualCoder.

The archive holds ``project.qde`` (UTF-8 without BOM, elements in Project.xsd's order) and one
``sources/<guid>.txt`` per source. Every coding becomes its own ``PlainTextSelection`` holding one
``Coding`` (as NVivo writes them), with the coding's memo as the selection's ``Description`` and the
selected text (up to 100 characters) as its ``name``, which lets importers check the positions.
Memos become ``Notes``, referenced by ``NoteRef`` from the project, source, code or coding they
belong to; the schema gives a ``Case`` no ``NoteRef``, so a memo on a case is tied to it by a
``Link`` from the note to the case. Source and case attributes are ``Text`` variables.

Positions count code points of the written text. ``crlf=True`` writes CR+LF line endings (and so
counts each as two positions, as NVivo for Windows does); ``utf16=True`` counts UTF-16 code units
(an emoji is two), as NVivo for Windows also does. ``pseudonymise`` takes the project's roster
(``workbench.sources.pseudonyms.Roster``, or a mapping made into one): its names are replaced, by its rules,
in texts, memos, attribute values, and source and case names; coding positions follow the texts.
"""
from __future__ import annotations

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

from coding.codebook import GUID_RE
from coding.qdc import DEFAULT_ORIGIN, PROJECT_NAMESPACE, codebook_element

from workbench.model import Coding, Memo, Role, Source
from workbench.sources.pseudonyms import Roster
from workbench.store import Store
from workbench.export.refi.positions import UnitCounter
from workbench.export.refi.qde import QdpxError

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
        self.code_uids = {code.id: code.uid for code in store.codes()}
        self.case_memos: list[tuple[Memo, str]] = []

    def user(self, name: str) -> str:
        """The GUID of a user, adding them to ``<Users>``."""
        self.users.setdefault(name, user_guid(name))
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
        self.note_refs(root, "project", None)
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
                ET.SubElement(variables, "Variable", guid=stable_guid("variable", key), name=key,
                              typeOfVariable="Text")

    def values(self, parent: ET.Element, owner_type: str, owner_id: int) -> None:
        """A ``VariableValue`` per attribute of a source or case."""
        for key, value in self.store.attributes(owner_type, owner_id).items():
            element = ET.SubElement(parent, "VariableValue")
            ET.SubElement(element, "VariableRef", targetGUID=stable_guid("variable", key))
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
        options = self.options
        guid = as_guid(source.uid)
        mapped = mapped_text(source.text, options.roster)
        self.files[f"{guid}.txt"] = mapped.text.replace("\n", "\r\n") if options.crlf else mapped.text
        element = ET.SubElement(container, "TextSource", guid=guid, name=options.label(source.name),
                                plainTextPath=f"internal://{guid}.txt", creatingUser=self.user(source.imported_by))
        _stamp(element, "creationDateTime", source.imported_at)
        counter = UnitCounter(mapped.text, crlf=options.crlf, utf16=options.utf16)
        for coding in self.store.codings(source_id=source.id):
            self.selection(element, coding, mapped, counter)
        self.note_refs(element, "source", source.id)
        self.values(element, "source", source.id)

    def selection(self, parent: ET.Element, coding: Coding, mapped: MappedText, counter: UnitCounter) -> None:
        """One ``PlainTextSelection`` holding one coding, its memo as the Description."""
        start, end = mapped.offset(coding.start, end=False), mapped.offset(coding.end, end=True)
        coder = self.user(coding.coder)
        element = ET.SubElement(parent, "PlainTextSelection", guid=stable_guid("selection", coding.uid),
                                name=mapped.text[start:end][:SELECTION_NAME_CHARS],
                                startPosition=str(counter.units(start)), endPosition=str(counter.units(end)),
                                creatingUser=coder)
        _stamp(element, "creationDateTime", coding.created_at)
        if coding.memo:
            ET.SubElement(element, "Description").text = self.options.text(coding.memo)
        coding_el = ET.SubElement(element, "Coding", guid=as_guid(coding.uid), creatingUser=coder)
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


def sanitise(root: ET.Element) -> None:
    """Replace the characters XML 1.0 cannot hold in every text and attribute of a tree."""
    for element in root.iter():
        if element.text:
            element.text = xml_safe(element.text)
        for key, value in element.attrib.items():
            element.set(key, xml_safe(value))


def project_document(store: Store, options: ExportOptions | None = None) -> tuple[bytes, dict[str, str]]:
    """The ``project.qde`` bytes and the source texts by file name, without writing anything."""
    options = options or ExportOptions()
    if options.roster is None:
        store.require(Role.LEAD, "export with real names (choose pseudonyms)")
    builder = _ProjectBuilder(store, options)
    root = builder.build()
    sanitise(root)
    ET.indent(root, space="  ")
    return ET.tostring(root, encoding="utf-8", xml_declaration=True), builder.files


def export_qdpx(store: Store, path: str | Path, *, crlf: bool = False, utf16: bool = False,
                pseudonymise: Roster | Mapping[str, str] | None = None, actor: str | None = None) -> Path:
    """Write the project as a REFI-QDA ``.qdpx`` at ``path`` (replaced atomically); returns the path.

    ``crlf``: CR+LF line endings, positions counting them as two; ``utf16``: positions in UTF-16 code
    units; ``pseudonymise``: a roster (``workbench.sources.pseudonyms.project_roster(store)``) or a mapping of
    real names to pseudonyms; ``actor``: who exports (the project's creating user).
    """
    path = Path(path)
    options = ExportOptions(crlf=crlf, utf16=utf16, roster=as_roster(pseudonymise), actor=actor)
    document, files = project_document(store, options)
    partial = path.with_name(f".{path.name}.{uuid.uuid4().hex}.partial")
    try:
        with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("project.qde", document)
            for name, text in files.items():
                archive.writestr(f"sources/{name}", text.encode("utf-8"))
        os.replace(partial, path)
    except OSError as exc:
        raise QdpxError(path, f"cannot be written ({exc.strerror or exc})") from exc
    finally:
        partial.unlink(missing_ok=True)
    return path
