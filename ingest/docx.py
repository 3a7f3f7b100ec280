"""Word documents (.docx): body paragraphs and tables in document order, then structure detection.

Each body paragraph becomes a block, each table one block with a line per row (cell texts joined
by `` | ``); blocks are separated by a blank line. Text inside tracked insertions, hyperlinks,
content controls and smart tags is kept; deleted text, field codes and text boxes are not.
Headers, footers, footnotes and comments are not read.
"""
from __future__ import annotations

import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path

import docx
from docx.opc.exceptions import PackageNotFoundError
from docx.oxml.ns import qn
from lxml.etree import XMLSyntaxError

from ingest.dispatch import structure_text
from ingest.errors import IngestError
from ingest.records import LoadedSource
from ingest.text import check_file, normalise

MAX_MEMBER_BYTES = 200 * 1024 * 1024  # uncompressed size of any one part
MAX_TOTAL_BYTES = 500 * 1024 * 1024
MAX_RATIO = 100  # uncompressed / compressed, checked for parts over 1 MB
_RATIO_FLOOR = 1024 * 1024

_P, _TBL, _TR, _TC, _SDT = qn("w:p"), qn("w:tbl"), qn("w:tr"), qn("w:tc"), qn("w:sdt")
_T, _TAB, _BR, _CR, _NBH = qn("w:t"), qn("w:tab"), qn("w:br"), qn("w:cr"), qn("w:noBreakHyphen")
_MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
_SKIP = frozenset({qn("w:del"), qn("w:txbxContent"), qn("w:instrText"), qn("w:delText"), _MC_FALLBACK})


def check_zip_container(path: str | Path, required: str, what: str) -> None:
    """Refuse a ZIP-based Office file that is not a ZIP, lacks ``required``, has a DTD, or would expand too far."""
    check_file(path)
    if not zipfile.is_zipfile(path):
        raise IngestError(path, f"not a valid {what} file: it is not a ZIP archive (truncated or corrupt?)")
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            if required not in {info.filename for info in infos}:
                raise IngestError(path, f"not a valid {what} file: {required} is missing")
            _check_sizes(path, infos, what)
            _check_no_dtd(path, archive, infos, what)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, OSError) as error:
        raise IngestError(path, f"not a valid {what} file: corrupt ZIP archive ({error})") from error


def _check_sizes(path: str | Path, infos: list[zipfile.ZipInfo], what: str) -> None:
    total = 0
    for info in infos:
        total += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > MAX_MEMBER_BYTES or (info.file_size > _RATIO_FLOOR and ratio > MAX_RATIO):
            raise IngestError(
                path,
                f"refusing this {what} file: {info.filename} would expand to {info.file_size:,} bytes "
                f"(compression ratio {ratio:.0f}); it looks like a zip bomb",
            )
    if total > MAX_TOTAL_BYTES:
        raise IngestError(path, f"refusing this {what} file: it would expand to {total:,} bytes")


def _check_no_dtd(path: str | Path, archive: zipfile.ZipFile, infos: list[zipfile.ZipInfo], what: str) -> None:
    """Office XML never declares a DTD; one is a sign of an entity-expansion or XXE attack."""
    for info in infos:
        if info.filename.endswith((".xml", ".rels")):
            with archive.open(info) as member:
                head = member.read(2048)
            if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
                raise IngestError(path, f"refusing this {what} file: {info.filename} declares a DTD")


def docx_text(path: str | Path) -> str:
    """The body text of a DOCX file: paragraphs and table rows in document order, blocks separated by blank lines."""
    check_zip_container(path, "word/document.xml", "DOCX")
    try:
        document = docx.Document(str(path))
    except PackageNotFoundError as error:
        raise IngestError(path, f"not a valid DOCX file: {error}") from error
    except (KeyError, ValueError, XMLSyntaxError, zipfile.BadZipFile, zlib.error, EOFError, OSError) as error:
        raise IngestError(path, f"not a valid DOCX file: {type(error).__name__}: {error}") from error
    blocks = (normalise(block).strip() for block in iter_blocks(document.element.body))
    return "\n\n".join(block for block in blocks if block)


def iter_blocks(container) -> Iterator[str]:
    """Texts of the paragraphs and tables directly inside a body, cell or content control."""
    for child in container.iterchildren():
        if child.tag == _P:
            yield paragraph_text(child)
        elif child.tag == _TBL:
            yield table_text(child)
        elif child.tag == _SDT:
            content = child.find(qn("w:sdtContent"))
            if content is not None:
                yield from iter_blocks(content)


def paragraph_text(paragraph) -> str:
    """Visible text of a ``w:p`` element (tabs as ``\\t``, line breaks as ``\\n``)."""
    parts: list[str] = []
    _collect_runs(paragraph, parts)
    return "".join(parts)


def _collect_runs(element, parts: list[str]) -> None:
    for child in element.iterchildren():
        tag = child.tag
        if tag == _T:
            parts.append(child.text or "")
        elif tag == _TAB:
            parts.append("\t")
        elif tag in (_BR, _CR):
            parts.append("\n")
        elif tag == _NBH:
            parts.append("-")
        elif tag not in _SKIP and isinstance(tag, str):
            _collect_runs(child, parts)


def table_text(table) -> str:
    """One line per non-empty row, cell texts joined by `` | `` (nested blocks flattened into the cell)."""
    lines = []
    for row in table.iterchildren(_TR):
        cells = [" ".join(" ".join(iter_blocks(cell)).split()) for cell in row.iterchildren(_TC)]
        if any(cells):
            lines.append(" | ".join(cells))
    return "\n".join(lines)


def load_docx(path: Path, kind: str | None = None) -> list[LoadedSource]:
    """Load a DOCX file: interview, diary or document, detected from its text."""
    text = docx_text(path)
    if not text:
        raise IngestError(path, "the document has no text")
    return [structure_text(text, path=path, fmt="docx", kind=kind)]
