"""Texts inside a .qdpx: the project file, plain-text and DOCX sources and notes, found and decoded.

Members are found whatever the case of their folder (``sources/`` or ``Sources/``) and whether the
reference carries ``internal://`` or not. A DOCX is read (through SafeZip and defusedxml, never
extracted) as its body's paragraphs and table cells in document order, one per line: exactly the
plain text NVivo writes next to it.
"""
from __future__ import annotations

import codecs
import io
import xml.etree.ElementTree as ET  # element types only; parsing goes through defusedxml
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import unquote

from workbench.export.refi.qde import QdpxError, parse_xml
from workbench.export.refi.safezip import ArchiveError, SafeZip, ZipLimits

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_DOCX_CONTAINERS = frozenset({_W + "tbl", _W + "tr", _W + "tc", _W + "sdt", _W + "sdtContent", _W + "customXml",
                              _W + "ins", _W + "smartTag"})
_DOCX_SKIP = frozenset({_W + "del", _W + "txbxContent", _W + "instrText", _W + "delText", _W + "pPr", _W + "rPr",
                        "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"})


def project_entry(archive: SafeZip, label: str) -> str:
    """The archive's project file: ``project.qde`` or else the only ``*.qde`` at its top."""
    found = archive.find("project.qde")
    if found:
        return found
    candidates = [n for n in archive.names() if n.lower().endswith(".qde") and "/" not in n]
    if len(candidates) == 1:
        return candidates[0]
    if candidates:
        raise QdpxError(label, f"holds several project files and none is project.qde: {', '.join(candidates)}")
    raise QdpxError(label, "holds no project.qde: it is not a REFI-QDA project exchange file")


def internal_entry(archive: SafeZip, reference: str) -> str | None:
    """The archive member a ``plainTextPath``/``richTextPath`` names (``internal://x``, or a bare ``x``)."""
    scheme, separator, rest = reference.partition("://")
    if separator:
        if scheme.lower() != "internal":
            return None
        reference = rest
    reference = reference.lstrip("/")
    for candidate in dict.fromkeys((reference, unquote(reference))):
        for name in (f"sources/{candidate}", candidate):
            found = archive.find(name)
            if found:
                return found
    return None


def decode_text(data: bytes, label: str) -> str:
    """UTF-8 (a BOM is dropped); UTF-16 when a UTF-16 BOM says so."""
    try:
        if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return data.decode("utf-16")
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise QdpxError(label, f"is not UTF-8 text (byte {exc.start}); REFI-QDA texts must be UTF-8") from exc


def docx_lines(data: bytes, label: str, limits: ZipLimits) -> list[str]:
    """The paragraphs (and table cells' paragraphs) of a DOCX body in document order, as NVivo lists them."""
    try:
        with SafeZip(io.BytesIO(data), label=label, limits=limits) as docx:
            entry = docx.find("word/document.xml")
            if entry is None:
                raise QdpxError(label, "is not a Word document: word/document.xml is missing")
            root = parse_xml(docx.read(entry), f"{label} (word/document.xml)")
    except ArchiveError as exc:
        raise QdpxError(label, exc.reason) from exc
    body = root.find(_W + "body")
    lines: list[str] = []
    stack: list[Iterator[ET.Element]] = [iter(body if body is not None else [])]
    while stack:
        for element in stack[-1]:
            if element.tag == _W + "p":
                lines.append(_paragraph_text(element))
            elif element.tag in _DOCX_CONTAINERS:
                stack.append(iter(element))
                break
        else:
            stack.pop()
    return lines


def _paragraph_text(paragraph: ET.Element) -> str:
    parts: list[str] = []
    stack = [paragraph]
    while stack:
        element = stack.pop()
        if element.tag in _DOCX_SKIP:
            continue
        if element.tag == _W + "t":
            parts.append(element.text or "")
        elif element.tag == _W + "tab":
            parts.append("\t")
        elif element.tag in (_W + "br", _W + "cr"):
            parts.append("\n")
        stack.extend(reversed(list(element)))
    return "".join(parts)


@dataclass
class TextFile:
    """A text as found in the archive (line endings untouched)."""

    raw: str
    fmt: str
    origin: str  # which member or element the text came from


class QdpxTexts:
    """The opened .qdpx: reads texts for sources and notes."""

    def __init__(self, archive: SafeZip, label: str, limits: ZipLimits) -> None:
        self.archive = archive
        self.label = label
        self.limits = limits

    def read(self, entry: str) -> bytes:
        """A member's bytes; archive problems become QdpxError."""
        try:
            return self.archive.read(entry)
        except ArchiveError as exc:
            raise QdpxError(self.label, exc.reason) from exc

    def text(self, what: str, content: str | None, plain: str | None, rich: str | None,
             fmt: str) -> TextFile | str:
        """The text of a source or note, or the reason there is none."""
        found: TextFile | None = None
        if content is not None and (content.strip() or not plain):
            found = TextFile(content, fmt, "PlainTextContent")
        elif plain:
            entry = internal_entry(self.archive, plain)
            if entry is None and not rich:
                return self._missing(what, plain)
            if entry is not None:
                found = TextFile(decode_text(self.read(entry), f"{self.label}: {entry}"), fmt, entry)
        if (found is None or not found.raw.strip()) and rich:
            entry = internal_entry(self.archive, rich)
            if entry is None:
                return self._missing(what, rich)
            if entry.lower().endswith(".docx"):
                lines = docx_lines(self.read(entry), f"{self.label}: {entry}", self.limits)
                found = TextFile("\r\n".join(lines), "docx", entry)
        if found is None or not found.raw.strip():
            return "it has no text (its plain text and rich text are empty or missing)"
        return found

    def _missing(self, what: str, reference: str) -> str:
        if "://" in reference and not reference.lower().startswith("internal://"):
            return f"its text is outside the archive ({reference})"
        raise QdpxError(self.label, f"{what} names the file {reference!r}, which is not in the archive")


