"""PDF files with a text layer (pypdf): text page by page, then structure detection.

Pages are separated by a blank line and ``metadata["pages"]`` holds the page count. Scanned PDFs
(no text layer), truncated or corrupt files and password-protected files raise IngestError.
"""
from __future__ import annotations

import zlib
from pathlib import Path

from pypdf import PasswordType, PdfReader
from pypdf.errors import DependencyError, FileNotDecryptedError, PyPdfError

from ingest.dispatch import structure_text
from ingest.errors import IngestError
from ingest.records import LoadedSource
from ingest.text import check_file, normalise

# pypdf raises these (besides its own errors) on malformed objects and streams.
_PDF_ERRORS = (
    PyPdfError, ValueError, KeyError, TypeError, IndexError, AttributeError, OSError, RecursionError, zlib.error,
)
_TAIL_BYTES = 2048
_PASSWORD = "the PDF is password-protected; remove the password and load it again"


def check_pdf_envelope(path: str | Path) -> None:
    """Refuse files that do not start like a PDF or do not end with ``%%EOF`` (truncated downloads)."""
    size = check_file(path)
    with open(path, "rb") as handle:
        head = handle.read(1024)
        handle.seek(max(0, size - _TAIL_BYTES))
        tail = handle.read()
    if b"%PDF-" not in head:
        raise IngestError(path, "not a PDF file: the '%PDF-' header is missing")
    if b"%%EOF" not in tail:
        raise IngestError(path, "the PDF looks truncated or corrupt: it does not end with '%%EOF'")


def open_pdf(path: str | Path) -> PdfReader:
    """Open a PDF, decrypting it when it has an empty user password."""
    check_pdf_envelope(path)
    try:
        reader = PdfReader(str(path), strict=False)
        decrypted = not reader.is_encrypted or reader.decrypt("") != PasswordType.NOT_DECRYPTED
    except DependencyError as error:
        raise IngestError(
            path, f"the PDF is encrypted in a way that needs an extra package ({error}); "
            "remove the password (e.g. print it to a new PDF) and load it again",
        ) from error
    except _PDF_ERRORS as error:
        raise _corrupt(path, error) from error
    if not decrypted:
        raise IngestError(path, _PASSWORD)
    return reader


def pdf_pages(path: str | Path) -> list[str]:
    """Normalised text of every page (empty string for a page without text)."""
    reader = open_pdf(path)
    try:
        count = len(reader.pages)
    except FileNotDecryptedError as error:
        raise IngestError(path, _PASSWORD) from error
    except _PDF_ERRORS as error:
        raise _corrupt(path, error) from error
    return [_page_text(path, reader, number) for number in range(count)]


def _page_text(path: str | Path, reader: PdfReader, index: int) -> str:
    try:
        return normalise(reader.pages[index].extract_text() or "").strip()
    except FileNotDecryptedError as error:
        raise IngestError(path, _PASSWORD) from error
    except _PDF_ERRORS as error:
        raise IngestError(
            path, f"could not read the text of page {index + 1}: {type(error).__name__}: {error}"
        ) from error


def _corrupt(path: str | Path, error: Exception) -> IngestError:
    return IngestError(path, f"the PDF is corrupt and cannot be read: {type(error).__name__}: {error}")


def load_pdf(path: Path, kind: str | None = None) -> list[LoadedSource]:
    """Load the text layer of a PDF: interview, diary or document, detected from its text."""
    pages = pdf_pages(path)
    if not any(pages):
        raise IngestError(path, "no text layer — this looks like a scanned PDF; run OCR first")
    text = "\n\n".join(page for page in pages if page)
    return [structure_text(text, path=path, fmt="pdf", kind=kind, metadata={"pages": str(len(pages))})]
