"""Hostile and broken inputs for every loader: each raises IngestError naming the file, or loads correctly."""
from __future__ import annotations

import codecs
import random
import time
from pathlib import Path

import docx
import openpyxl
import pytest

from ingest import SUPPORTED_EXTENSIONS, IngestError, LoadedSource, load_path

DATA = Path(__file__).resolve().parent / "data" / "ingest"
TEXT_EXTENSIONS = (".txt", ".md", ".vtt", ".srt", ".csv", ".json")
BINARY_EXTENSIONS = (".docx", ".pdf", ".xlsx")
HUGE = 5_000_000
SECONDS_PER_HUGE_FILE = 10.0

# Valid small files for each text format, each mentioning "café" (not ASCII) once.
VALID = {
    ".txt": "Notes from the café.\n\nThe warm space was full by noon.\n",
    ".md": "## 3 March 2025\nThe café opened for the first time.\n\n## 4 March 2025\nBusier today.\n",
    ".vtt": "WEBVTT\n\n00:00.000 --> 00:02.000\n<v Ana>The café is open.\n",
    ".srt": "1\n00:00:00,000 --> 00:00:02,000\nAna: The café is open.\n",
    ".csv": "id,comment\n1,The café became the warm space for the whole street\n",
    ".json": '[{"author": "ana", "time": "2025-01-01", "text": "The café is open"}]',
}


def load_or_error(path: Path) -> list[LoadedSource] | IngestError:
    """Load a file; an IngestError is returned (and must name the file), any other exception fails the test."""
    try:
        sources = load_path(path)
    except IngestError as error:
        assert path.name in str(error)
        assert error.reason
        return error
    for source in sources:
        check_offsets(source)
    return sources


def check_offsets(source: LoadedSource) -> None:
    assert "\r" not in source.text
    end = 0
    for segment in source.segments:
        assert end <= segment.start <= segment.end <= len(source.text)
        end = segment.end


def make_docx(path: Path) -> Path:
    document = docx.Document()
    for n in range(40):
        document.add_paragraph(f"Paragraph {n}: the pantry shelves were restocked by volunteers from the estate.")
    document.save(str(path))
    return path


def make_xlsx(path: Path) -> Path:
    workbook = openpyxl.Workbook()
    workbook.active.append(["id", "What did the hub do well?"])
    for n in range(200):
        workbook.active.append([n, f"Answer {n}: it stayed open late and the staff knew everyone by name."])
    workbook.save(path)
    return path


@pytest.mark.parametrize("suffix", SUPPORTED_EXTENSIONS)
def test_empty_file(tmp_path, suffix):
    path = tmp_path / f"empty{suffix}"
    path.write_bytes(b"")
    result = load_or_error(path)
    assert isinstance(result, IngestError)
    assert "file is empty" in str(result)


@pytest.mark.parametrize("suffix", TEXT_EXTENSIONS)
def test_whitespace_only_file(tmp_path, suffix):
    path = tmp_path / f"blank{suffix}"
    path.write_bytes(b" \r\n\t\n   \n")
    result = load_or_error(path)
    assert isinstance(result, IngestError) and "empty" in result.reason


@pytest.mark.parametrize("suffix", SUPPORTED_EXTENSIONS)
@pytest.mark.parametrize("kind", ["random", "png"])
def test_binary_renamed(tmp_path, suffix, kind):
    rng = random.Random(7)
    data = bytes(rng.randrange(256) for _ in range(20_000))
    if kind == "png":
        data = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + data
    path = tmp_path / f"picture{suffix}"
    path.write_bytes(data)
    assert isinstance(load_or_error(path), IngestError)


@pytest.mark.parametrize("suffix", BINARY_EXTENSIONS)
@pytest.mark.parametrize("fraction", [0.1, 0.5, 0.95])
def test_truncated_office_and_pdf_files(tmp_path, suffix, fraction):
    if suffix == ".docx":
        whole = make_docx(tmp_path / "whole.docx").read_bytes()
    elif suffix == ".xlsx":
        whole = make_xlsx(tmp_path / "whole.xlsx").read_bytes()
    else:
        whole = (DATA / "garden_report.pdf").read_bytes()
    path = tmp_path / f"cut{suffix}"
    path.write_bytes(whole[: int(len(whole) * fraction)])
    assert isinstance(load_or_error(path), IngestError)


@pytest.mark.parametrize("suffix", TEXT_EXTENSIONS)
@pytest.mark.parametrize(
    ("encoding", "encode"),
    [
        ("cp1252", lambda text: text.replace("\n", "\r\n").encode("cp1252")),
        ("utf-16-le", lambda text: codecs.BOM_UTF16_LE + text.encode("utf-16-le")),
        ("utf-16-be", lambda text: codecs.BOM_UTF16_BE + text.encode("utf-16-be")),
        ("utf-8-sig", lambda text: codecs.BOM_UTF8 + text.encode("utf-8")),
    ],
)
def test_other_encodings_decode(tmp_path, suffix, encoding, encode):
    path = tmp_path / f"encoded{suffix}"
    path.write_bytes(encode(VALID[suffix]))
    [source] = load_or_error(path)
    assert source.encoding == encoding
    assert "café" in source.text
    assert any("café" in source.text[s.start:s.end] for s in source.segments)


def test_cp1252_bytes_in_plain_text(tmp_path):
    path = tmp_path / "menu.txt"
    path.write_bytes(b"caf\xe9")
    [source] = load_path(path)
    assert (source.text, source.encoding) == ("café", "cp1252")


HUGE_CASES = {
    "words.txt": "word " * (HUGE // 5),
    "colons.txt": ":" * HUGE,
    "label.txt": "Name: " + "x" * HUGE,
    "dates.md": "## " + "3 March 2025 " * (HUGE // 13),
    "brackets.txt": "[00:00:01] " * (HUGE // 11),
    "words.md": "word " * (HUGE // 5),
    "words.vtt": "word " * (HUGE // 5),
    "cue.vtt": "WEBVTT\n\n00:00.000 --> 00:01.000\n" + "<v Ann>word " * (HUGE // 12),
    "angles.vtt": "WEBVTT\n\n00:00.000 --> 00:01.000\n" + "<" * HUGE,
    "words.srt": "word " * (HUGE // 5),
    "cue.srt": "1\n00:00:00,000 --> 00:00:01,000\nAnn: " + "word " * (HUGE // 5),
    "braces.srt": "1\n00:00:00,000 --> 00:00:01,000\n" + "{\\" * (HUGE // 2),
    "header.csv": "a," * (HUGE // 2),
    "field.csv": "id,comment\n1," + "word " * (HUGE // 5),
    "words.json": "word " * (HUGE // 5),
    "post.json": '[{"author": "a", "text": "' + "word " * (HUGE // 5) + '"}]',
}


@pytest.mark.parametrize("name", sorted(HUGE_CASES))
def test_huge_single_line_is_fast(tmp_path, name):
    path = tmp_path / name
    path.write_text(HUGE_CASES[name], encoding="utf-8")
    started = time.perf_counter()
    result = load_or_error(path)
    assert time.perf_counter() - started < SECONDS_PER_HUGE_FILE
    if not isinstance(result, IngestError):
        [source] = result
        assert source.text.count("word") == HUGE_CASES[name].count("word")


@pytest.mark.parametrize("suffix", [".txt", ".md"])
def test_huge_prose_keeps_every_word(tmp_path, suffix):
    path = tmp_path / f"long{suffix}"
    path.write_text("word " * (HUGE // 5), encoding="utf-8")
    [source] = load_path(path)
    [segment] = source.segments
    assert source.text[segment.start:segment.end].count("word") == HUGE // 5


@pytest.mark.parametrize("suffix", BINARY_EXTENSIONS)
@pytest.mark.parametrize("where", [0.2, 0.5, 0.8])
def test_corrupted_bytes_in_the_middle(tmp_path, suffix, where):
    if suffix == ".docx":
        whole = make_docx(tmp_path / "whole.docx").read_bytes()
    elif suffix == ".xlsx":
        whole = make_xlsx(tmp_path / "whole.xlsx").read_bytes()
    else:
        whole = (DATA / "garden_report.pdf").read_bytes()
    middle = int(len(whole) * where)
    rng = random.Random(middle)
    garbage = bytes(rng.randrange(256) for _ in range(64))
    path = tmp_path / f"scrambled{suffix}"
    path.write_bytes(whole[:middle] + garbage + whole[middle + 64:])
    load_or_error(path)  # IngestError naming the file, or a valid load: never another exception
