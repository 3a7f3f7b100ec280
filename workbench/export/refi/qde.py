"""Reading ``project.qde``: safe XML parsing, and the project as typed records (no store involved).

The reader checks what it can without the archive: the root element and namespace, whole-number
positions with ``0 <= start <= end``, a ``CodeRef`` on every coding, named variables, a codebook the
codebook parser accepts. An audio or video source is read with its (first) transcript: the transcript's
text and its codings, whose ``TranscriptSelection``s run between ``SyncPoint`` positions, and the path of
the recording; one without a transcript, and pictures, are listed as skipped. Everything else becomes records.
"""
from __future__ import annotations

import xml.etree.ElementTree as ET  # element types only; parsing goes through defusedxml
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import defusedxml.ElementTree as DefusedET
from defusedxml.common import DefusedXmlException

from coding.codebook import CodeDef, InvalidCodebook
from coding.qdc import PROJECT_NAMESPACE, codes_from_element, normalize_guid

from workbench.errors import WorkbenchError

_MEDIA_SOURCES = {"PictureSource": "picture", "AudioSource": "audio", "VideoSource": "video"}


class QdpxError(WorkbenchError):
    """A .qdpx file cannot be imported: not a project, malformed, hostile or inconsistent."""

    def __init__(self, path: str | Path, reason: str) -> None:
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{path}: {reason}")


@dataclass
class SkippedItem:
    """Something in the file that was not imported, and why."""

    what: str  # source, selection, note, case link, ...
    name: str
    reason: str


def parse_xml(data: bytes, label: str) -> ET.Element:
    """Parse XML with defusedxml, refusing DTDs and entities; errors become QdpxError."""
    try:
        return DefusedET.fromstring(data, forbid_dtd=True)
    except DefusedET.ParseError as exc:
        raise QdpxError(label, f"is not well-formed XML (damaged or truncated?): {exc}") from exc
    except DefusedXmlException as exc:
        raise QdpxError(label, f"declares a DTD or entities ({exc}); refused because entity expansion "
                               "('billion laughs') and external entities are attacks") from exc


@dataclass
class XmlNames:
    """Tag lookups in the document's namespace (REFI's, or none)."""

    ns: str

    def tag(self, name: str) -> str:
        """The qualified tag of a REFI element."""
        return f"{{{self.ns}}}{name}" if self.ns else name

    def child(self, element: ET.Element, name: str) -> ET.Element | None:
        """The first child called ``name``, or None."""
        return element.find(self.tag(name))

    def children(self, element: ET.Element, name: str) -> list[ET.Element]:
        """The children called ``name``."""
        return element.findall(self.tag(name))

    def text(self, element: ET.Element, name: str) -> str:
        """The text of the child called ``name`` ("" if absent)."""
        found = element.find(self.tag(name))
        return (found.text or "") if found is not None else ""

    def refs(self, element: ET.Element, name: str = "NoteRef") -> list[str]:
        """The normalised ``targetGUID`` of each ``NoteRef`` (or other reference) child."""
        return [normalize_guid(r.get("targetGUID", "")) for r in self.children(element, name) if r.get("targetGUID")]


def local_name(element: ET.Element) -> str:
    """The tag without its namespace."""
    return element.tag.rpartition("}")[2]


@dataclass
class CodingRec:
    """A ``Coding``: a code applied by a user (GUIDs normalised)."""

    guid: str | None
    code: str
    user: str | None
    created: str | None
    notes: list[str]


@dataclass
class SelectionRec:
    """A ``PlainTextSelection`` with positions as the file counts them."""

    guid: str | None
    name: str
    start: int
    end: int
    user: str | None
    description: str
    codings: list[CodingRec]
    notes: list[str]


@dataclass
class SourceRec:
    """A text source (or a PDF's text representation) and everything attached to it."""

    guid: str
    name: str
    fmt: str
    content: str | None
    plain_path: str | None
    rich_path: str | None
    selections: list[SelectionRec]
    whole: list[CodingRec]  # codings of the whole source
    notes: list[str]
    values: dict[str, str]  # variable GUID -> value
    description: str
    media: MediaRec | None = None  # an audio or video source: its recording and sync points


@dataclass
class MediaRec:
    """The recording of an ``AudioSource``/``VideoSource`` and its transcript's sync points."""

    kind: str  # audio | video
    path: str  # the recording's path (``internal://...``)
    transcript_guid: str
    sync_points: list[tuple[int, int | None]] = field(default_factory=list)  # (position, timeStamp in ms)


@dataclass
class CaseRec:
    """A ``Case`` with its variable values and the sources it holds."""

    guid: str
    name: str
    values: dict[str, str]
    sources: list[str]
    description: str = ""


@dataclass
class NoteRec:
    """A ``Note``: its text inline or in a file of the archive."""

    guid: str
    name: str
    user: str | None
    content: str | None
    plain_path: str | None
    rich_path: str | None
    created: str | None = None  # creationDateTime
    modified: str | None = None  # modifiedDateTime


@dataclass
class SetRec:
    """A ``Set``: a named group of codes, sources and notes, by GUID."""

    guid: str
    name: str
    description: str
    codes: list[str]
    sources: list[str]
    notes: list[str]


@dataclass
class ProjectRec:
    """Everything read from project.qde."""

    origin: str
    users: dict[str, str]
    codes: list[CodeDef]
    code_notes: dict[str, list[str]]
    variables: dict[str, str]
    cases: list[CaseRec]
    sources: list[SourceRec]
    notes: list[NoteRec]
    project_notes: list[str]
    links: list[tuple[str, str]]
    skipped: list[SkippedItem]
    ignored: dict[str, int]
    sets: list[SetRec]


class QdeReader:
    """Turns project.qde into records, checking numbers and references; touches no store."""

    def __init__(self, root: ET.Element, label: str) -> None:
        self.root = root
        self.label = label
        namespace = root.tag[1:].partition("}")[0] if root.tag.startswith("{") else ""
        if local_name(root) != "Project" or namespace not in (PROJECT_NAMESPACE, ""):
            hint = "; a codebook (.qdc) is imported with `workbench codebook import`" \
                if local_name(root) == "CodeBook" else ""
            raise QdpxError(label, f"the root element is <{local_name(root)}> in namespace {namespace!r}, not a "
                                   f"REFI-QDA <Project> in {PROJECT_NAMESPACE!r}{hint}")
        self.x = XmlNames(namespace)

    def fail(self, reason: str) -> QdpxError:
        """An error naming project.qde."""
        return QdpxError(self.label, reason)

    def read(self) -> ProjectRec:
        """The whole project as records."""
        x, root = self.x, self.root
        skipped: list[SkippedItem] = []
        sources: list[SourceRec] = []
        sources_el = x.child(root, "Sources")
        for element in list(sources_el) if sources_el is not None else []:
            source = self._source(element, skipped)
            if source is not None:
                sources.append(source)
        notes_el = x.child(root, "Notes")
        return ProjectRec(
            origin=root.get("origin", ""), users=self._users(), codes=self._codes(),
            code_notes=self._code_notes(), variables=self._variables(), cases=self._cases(), sources=sources,
            notes=[self._note(n, skipped) for n in (x.children(notes_el, "Note") if notes_el is not None else [])],
            project_notes=x.refs(root), links=self._links(), skipped=skipped, ignored=self._ignored(),
            sets=self._sets())

    def _users(self) -> dict[str, str]:
        users_el = self.x.child(self.root, "Users")
        users: dict[str, str] = {}
        for user in self.x.children(users_el, "User") if users_el is not None else []:
            guid = normalize_guid(user.get("guid", ""))
            if guid:
                users[guid] = (user.get("name") or user.get("id") or guid).strip() or guid
        return users

    def _codes(self) -> list[CodeDef]:
        codebook = self.x.child(self.root, "CodeBook")
        if codebook is None:
            return []
        try:
            return codes_from_element(codebook, self.x.ns, source=self.label)
        except InvalidCodebook as exc:
            raise self.fail(f"its codebook cannot be read: {exc}") from exc

    def _code_notes(self) -> dict[str, list[str]]:
        codebook = self.x.child(self.root, "CodeBook")
        if codebook is None:
            return {}
        return {normalize_guid(code.get("guid", "")): self.x.refs(code)
                for code in codebook.iter(self.x.tag("Code")) if self.x.refs(code)}

    def _variables(self) -> dict[str, str]:
        variables_el = self.x.child(self.root, "Variables")
        found: dict[str, str] = {}
        for variable in self.x.children(variables_el, "Variable") if variables_el is not None else []:
            name = (variable.get("name") or "").strip()
            if not name:
                raise self.fail(f"variable {variable.get('guid')} has no name")
            found[normalize_guid(variable.get("guid", ""))] = name
        return found

    def _values(self, element: ET.Element) -> dict[str, str]:
        values: dict[str, str] = {}
        for value in self.x.children(element, "VariableValue"):
            ref = self.x.child(value, "VariableRef")
            if ref is None or not ref.get("targetGUID"):
                raise self.fail("a VariableValue has no VariableRef")
            data = [child for child in value if local_name(child) != "VariableRef"]
            text = (data[0].text or "").strip() if data else ""
            if text:
                values[normalize_guid(ref.get("targetGUID", ""))] = text
        return values

    def _cases(self) -> list[CaseRec]:
        cases_el = self.x.child(self.root, "Cases")
        cases = []
        for case in self.x.children(cases_el, "Case") if cases_el is not None else []:
            guid = normalize_guid(case.get("guid", ""))
            cases.append(CaseRec(guid=guid, name=(case.get("name") or "").strip() or guid,
                                 values=self._values(case), sources=self.x.refs(case, "SourceRef"),
                                 description=self._description(case)))
        return cases

    def _links(self) -> list[tuple[str, str]]:
        links_el = self.x.child(self.root, "Links")
        return [(normalize_guid(link.get("originGUID", "")), normalize_guid(link.get("targetGUID", "")))
                for link in (self.x.children(links_el, "Link") if links_el is not None else [])]

    def _ignored(self) -> dict[str, int]:
        counts = {}
        for name, item in (("Graphs", "Graph"),):
            container = self.x.child(self.root, name)
            if container is not None and len(container):
                counts[name.lower()] = len(self.x.children(container, item))
        return counts

    def _sets(self) -> list[SetRec]:
        sets_el = self.x.child(self.root, "Sets")
        found = []
        for element in self.x.children(sets_el, "Set") if sets_el is not None else []:
            guid = normalize_guid(element.get("guid", ""))
            if not guid:
                raise self.fail(f"set {element.get('name')!r} has no guid")
            found.append(SetRec(guid=guid, name=(element.get("name") or "").strip() or guid,
                                description=self._description(element),
                                codes=self.x.refs(element, "MemberCode"), sources=self.x.refs(element, "MemberSource"),
                                notes=self.x.refs(element, "MemberNote")))
        return found

    def _note(self, note: ET.Element, skipped: list[SkippedItem]) -> NoteRec:
        guid = normalize_guid(note.get("guid", ""))
        codings = len(list(note.iter(self.x.tag("Coding"))))
        if codings:
            skipped.append(SkippedItem("codings", note.get("name") or guid, f"{codings} codings inside a note"))
        content = self.x.child(note, "PlainTextContent")
        return NoteRec(guid=guid, name=note.get("name") or "", user=_guid_attr(note, "creatingUser"),
                       content=(content.text or "") if content is not None else None,
                       plain_path=note.get("plainTextPath"), rich_path=note.get("richTextPath"),
                       created=note.get("creationDateTime"), modified=note.get("modifiedDateTime"))

    # -- sources ------------------------------------------------------------------------------
    def _source(self, element: ET.Element, skipped: list[SkippedItem]) -> SourceRec | None:
        kind = local_name(element)
        name = element.get("name") or element.get("guid") or "(unnamed)"
        if kind in ("AudioSource", "VideoSource") and self.x.child(element, "Transcript") is not None:
            return self._media_source(element, _MEDIA_SOURCES[kind], skipped)
        if kind in _MEDIA_SOURCES:
            codings = len(list(element.iter(self.x.tag("Coding"))))
            skipped.append(SkippedItem("source", name, f"{_MEDIA_SOURCES[kind]} sources are not supported "
                                                       f"({codings} codings on it not imported)"))
            return None
        if kind == "PDFSource":
            representation = self.x.child(element, "Representation")
            if representation is None:
                skipped.append(SkippedItem("source", name, "a PDF without a plain-text representation"))
                return None
            regions = len(self.x.children(element, "PDFSelection"))
            if regions:
                skipped.append(SkippedItem("selections", name, f"{regions} PDF region selections (x/y on a page)"))
            return self._text_source(element, representation, "pdf")
        if kind != "TextSource":
            skipped.append(SkippedItem("source", name, f"unknown source type <{kind}>"))
            return None
        return self._text_source(element, element, "txt")

    def _text_source(self, element: ET.Element, text_el: ET.Element, fmt: str) -> SourceRec:
        guid = normalize_guid(element.get("guid") or text_el.get("guid") or "")
        if not guid:
            raise self.fail(f"a source ({element.get('name')!r}) has no guid")
        plain = text_el.get("plainTextPath")
        name = (element.get("name") or "").strip() or (PurePosixPath(plain).stem if plain else "") or guid
        content = self.x.child(text_el, "PlainTextContent")
        containers = [element] if text_el is element else [element, text_el]
        return SourceRec(guid=guid, name=name, fmt=fmt, content=(content.text or "") if content is not None else None,
                         plain_path=plain, rich_path=text_el.get("richTextPath"),
                         selections=[self._selection(s, name) for s in self.x.children(text_el, "PlainTextSelection")],
                         whole=[self._coding(c, name) for el in containers for c in self.x.children(el, "Coding")],
                         notes=[note for el in containers for note in self.x.refs(el)],
                         values=self._values(element), description=self._description(element))

    def _media_source(self, element: ET.Element, kind: str, skipped: list[SkippedItem]) -> SourceRec:
        """An audio or video source read through its first transcript; the recording is found by ``path``."""
        transcript, *others = self.x.children(element, "Transcript")
        rec = self._text_source(element, transcript, "txt")
        name = rec.name
        if others:
            skipped.append(SkippedItem("transcripts", name, f"{len(others)} further transcripts (only the first "
                                                            "is imported)"))
        timed = self.x.children(element, "AudioSelection") + self.x.children(element, "VideoSelection")
        if timed:
            skipped.append(SkippedItem("selections", name, f"{len(timed)} {kind} selections (time ranges of the "
                                                           "recording, not words of the transcript)"))
        points: dict[str, tuple[int, int | None]] = {}
        for point in self.x.children(transcript, "SyncPoint"):
            position = self._int(point, "position", name)
            stamp = point.get("timeStamp")
            points[normalize_guid(point.get("guid", ""))] = (position, self._int(point, "timeStamp", name)
                                                             if stamp not in (None, "") else None)
        rec.selections += [self._transcript_selection(s, points, name)
                           for s in self.x.children(transcript, "TranscriptSelection")]
        rec.media = MediaRec(kind, element.get("path") or element.get("currentPath") or "",
                             normalize_guid(transcript.get("guid", "")), sorted(points.values()))
        return rec

    def _transcript_selection(self, element: ET.Element, points: dict[str, tuple[int, int | None]],
                              source: str) -> SelectionRec:
        """A ``TranscriptSelection`` as a selection between the positions of its two sync points."""
        ends = []
        for attribute in ("fromSyncPoint", "toSyncPoint"):
            point = points.get(normalize_guid(element.get(attribute) or ""))
            if point is None:
                raise self.fail(f"selection {element.get('guid')} in source {source!r} has {attribute}="
                                f"{element.get(attribute)!r}, which is no SyncPoint of its transcript")
            ends.append(point[0])
        start, end = ends
        if start < 0 or end < start:
            raise self.fail(f"selection {element.get('guid')} in source {source!r} runs from position {start} to "
                            f"{end}; positions must satisfy 0 <= start <= end")
        guid = element.get("guid")
        return SelectionRec(guid=normalize_guid(guid) if guid else None, name=element.get("name") or "",
                            start=start, end=end, user=_guid_attr(element, "creatingUser"),
                            description=self._description(element),
                            codings=[self._coding(c, source) for c in self.x.children(element, "Coding")],
                            notes=self.x.refs(element))

    def _selection(self, element: ET.Element, source: str) -> SelectionRec:
        guid = element.get("guid")
        start = self._int(element, "startPosition", source)
        end = self._int(element, "endPosition", source)
        if start < 0 or end < start:
            raise self.fail(f"selection {guid} in source {source!r} has startPosition {start} and endPosition "
                            f"{end}; positions must satisfy 0 <= start <= end")
        return SelectionRec(guid=normalize_guid(guid) if guid else None, name=element.get("name") or "",
                            start=start, end=end, user=_guid_attr(element, "creatingUser"),
                            description=self._description(element),
                            codings=[self._coding(c, source) for c in self.x.children(element, "Coding")],
                            notes=self.x.refs(element))

    def _coding(self, element: ET.Element, source: str) -> CodingRec:
        ref = self.x.child(element, "CodeRef")
        if ref is None or not ref.get("targetGUID"):
            raise self.fail(f"coding {element.get('guid')} in source {source!r} has no CodeRef")
        guid = element.get("guid")
        return CodingRec(guid=normalize_guid(guid) if guid else None, code=normalize_guid(ref.get("targetGUID", "")),
                         user=_guid_attr(element, "creatingUser"), created=element.get("creationDateTime"),
                         notes=self.x.refs(element))

    def _description(self, element: ET.Element) -> str:
        text = self.x.text(element, "Description")
        return text if text.strip() else ""

    def _int(self, element: ET.Element, attribute: str, source: str) -> int:
        value = element.get(attribute)
        try:
            return int(value or "")
        except ValueError:
            raise self.fail(f"selection {element.get('guid')} in source {source!r} has {attribute}={value!r}, "
                            "not a whole number") from None


def _guid_attr(element: ET.Element, attribute: str) -> str | None:
    value = element.get(attribute)
    return normalize_guid(value) if value else None


