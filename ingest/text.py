"""Reading text files: encoding detection, normalisation, binary detection, text building."""
from __future__ import annotations

import codecs
import re
from pathlib import Path

from ingest.errors import IngestError
from ingest.records import LoadedSegment

# Byte-order marks, longest first (the UTF-32 LE mark starts with the UTF-16 LE one).
_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

# Signatures of binary formats people commonly rename or mix up, with a readable name.
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive (e.g. DOCX or XLSX)"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"\xd0\xcf\x11\xe0", "an old Office file (.doc/.xls)"),
)

_SAMPLE_CHARS = 65536
_MAX_BAD_FRACTION = 0.05  # controls/replacement characters above this share mean "not text"
_BAD_CHARS = re.compile("[\x00-\x08\x0e-\x1f\ufffd]")
_C0_TRANSLATION = {c: None for c in (*range(0x00, 0x09), *range(0x0E, 0x20))}
_C0_TRANSLATION.update({0x0B: "\n", 0x0C: "\n"})  # vertical tab / form feed break lines; dropping them would join words
_C0_PRESENT = re.compile("[\x00-\x08\x0b-\x0c\x0e-\x1f]")


def decode_bytes(data: bytes, path: str | Path) -> tuple[str, str]:
    """Decode file bytes: BOM, then BOM-less UTF-16, then UTF-8, then cp1252; returns (text, encoding)."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data[len(bom):].decode(encoding, errors="replace"), encoding
    for magic, what in _MAGIC:
        if data.startswith(magic):
            raise IngestError(path, f"looks like a binary file ({what}), not text")
    if b"\x00" in data:
        encoding = _bomless_utf16(data)
        if encoding is None:
            raise IngestError(path, "looks like a binary file, not text (it contains NUL bytes)")
        return data.decode(encoding, errors="replace"), encoding
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace"), "cp1252"


def _bomless_utf16(data: bytes) -> str | None:
    """Return 'utf-16-le'/'utf-16-be' when NUL bytes sit in every other position, else None."""
    sample = data[:4096]
    even, odd = sample[0::2], sample[1::2]
    if not even or not odd:
        return None
    even_nul = even.count(0) / len(even)
    odd_nul = odd.count(0) / len(odd)
    if odd_nul > 0.4 and even_nul < 0.05:
        return "utf-16-le"
    if even_nul > 0.4 and odd_nul < 0.05:
        return "utf-16-be"
    return None


def normalise(text: str) -> str:
    """Strip a BOM, turn CRLF/CR into LF and drop C0 control characters other than tab and newline."""
    if text.startswith("\ufeff"):
        text = text.lstrip("\ufeff")
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if _C0_PRESENT.search(text):
        text = text.translate(_C0_TRANSLATION)
    return text


def check_looks_like_text(text: str, path: str | Path) -> None:
    """Raise IngestError when decoded text is mostly control or undecodable characters."""
    sample = text[:_SAMPLE_CHARS]
    if sample and len(_BAD_CHARS.findall(sample)) > _MAX_BAD_FRACTION * len(sample):
        raise IngestError(path, "looks like a binary file, not text (mostly undecodable characters)")


def read_bytes(path: str | Path) -> bytes:
    """Read a whole file, turning OS errors into IngestError."""
    try:
        return Path(path).read_bytes()
    except FileNotFoundError:
        raise IngestError(path, "file not found") from None
    except IsADirectoryError:
        raise IngestError(path, "is a directory, not a file") from None
    except OSError as error:
        raise IngestError(path, f"cannot read the file: {error.strerror or error}") from error


def check_file(path: str | Path) -> int:
    """Raise IngestError unless ``path`` is an existing, non-empty file; returns its size."""
    try:
        size = Path(path).stat().st_size
    except FileNotFoundError:
        raise IngestError(path, "file not found") from None
    except OSError as error:
        raise IngestError(path, f"cannot read the file: {error.strerror or error}") from error
    if Path(path).is_dir():
        raise IngestError(path, "is a directory, not a file")
    if size == 0:
        raise IngestError(path, "file is empty")
    return size


def read_text(path: str | Path) -> tuple[str, str]:
    """Read, decode and normalise a text file; returns (text, encoding). Rejects empty and binary files."""
    data = read_bytes(path)
    if not data.strip():
        raise IngestError(path, "file is empty")
    return decode_text(data, path)


def decode_text(data: bytes, path: str | Path) -> tuple[str, str]:
    """Decode, check and normalise bytes already read from ``path``; returns (text, encoding)."""
    text, encoding = decode_bytes(data, path)
    check_looks_like_text(text, path)
    text = normalise(text)
    if not text.strip():
        raise IngestError(path, "file is empty (only whitespace)")
    return text, encoding


def flowing(lines: list[str] | str) -> str:
    """Join hard-wrapped lines into one line with single spaces."""
    if isinstance(lines, str):
        return " ".join(lines.split())
    return " ".join(" ".join(lines).split())


_BLANK_LINES = re.compile(r"\n[ \t]*(?:\n[ \t]*)+")


def tidy_block(text: str) -> str:
    """Strip a free-text value and collapse runs of blank lines to one newline (keeps blocks unambiguous)."""
    return _BLANK_LINES.sub("\n", text.strip())


class TextBuilder:
    """Builds a source text piece by piece, with segments, in linear time."""

    def __init__(self) -> None:
        self._parts: list[str] = []
        self._length = 0
        self.segments: list[LoadedSegment] = []

    def __len__(self) -> int:
        return self._length

    def add(self, piece: str) -> tuple[int, int]:
        """Append text; returns its [start, end) offsets."""
        start = self._length
        self._parts.append(piece)
        self._length += len(piece)
        return start, self._length

    def add_segment(self, piece: str, kind: str, **fields: object) -> LoadedSegment:
        """Append text and a segment covering exactly that text."""
        start, end = self.add(piece)
        segment = LoadedSegment(start=start, end=end, kind=kind, **fields)  # type: ignore[arg-type]
        self.segments.append(segment)
        return segment

    def separate(self, separator: str = "\n\n") -> None:
        """Append a separator unless nothing has been written yet."""
        if self._length:
            self.add(separator)

    def text(self) -> str:
        """The text built so far."""
        return "".join(self._parts)


def paragraph_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """[start, end) spans of blank-line-separated paragraphs in text[start:end], trimmed of whitespace."""
    end = len(text) if end is None else end
    spans: list[tuple[int, int]] = []
    para_start: int | None = None
    para_end = start
    pos = start
    while pos <= end:
        newline = text.find("\n", pos, end)
        line_end = end if newline < 0 else newline
        line = text[pos:line_end]
        stripped = line.strip()
        if stripped:
            if para_start is None:
                para_start = pos + len(line) - len(line.lstrip())
            para_end = pos + len(line.rstrip())
        elif para_start is not None:
            spans.append((para_start, para_end))
            para_start = None
        pos = line_end + 1
    if para_start is not None:
        spans.append((para_start, para_end))
    return spans
