"""Encoding detection, normalisation, binary detection and text building."""
from __future__ import annotations

import codecs

import pytest

from ingest.errors import IngestError
from ingest.text import TextBuilder, decode_bytes, flowing, normalise, paragraph_spans, read_text

SAMPLE = "Café owners joined the flood rota — “we had to”, said Zoë.\n"


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (SAMPLE.encode("utf-8"), "utf-8"),
        (codecs.BOM_UTF8 + SAMPLE.encode("utf-8"), "utf-8-sig"),
        (codecs.BOM_UTF16_LE + SAMPLE.encode("utf-16-le"), "utf-16-le"),
        (codecs.BOM_UTF16_BE + SAMPLE.encode("utf-16-be"), "utf-16-be"),
        (SAMPLE.encode("utf-16-le"), "utf-16-le"),
        (SAMPLE.encode("utf-16-be"), "utf-16-be"),
        (SAMPLE.encode("cp1252"), "cp1252"),
    ],
)
def test_decode_bytes_detects_encoding(data, encoding):
    text, found = decode_bytes(data, "notes.txt")
    assert found == encoding
    assert normalise(text) == SAMPLE


def test_valid_utf8_is_always_utf8_even_if_cp1252_would_also_decode():
    data = "naïve".encode("utf-8")  # also decodes as cp1252 ("naÃ¯ve")
    assert decode_bytes(data, "a.txt") == ("naïve", "utf-8")


def test_cp1252_single_byte():
    assert decode_bytes(b"caf\xe9", "menu.txt") == ("café", "cp1252")


@pytest.mark.parametrize(
    ("data", "what"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "PNG"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "PDF"),
        (b"PK\x03\x04\x14\x00\x06\x00", "ZIP"),
        (b"some text\x00with a nul\x00in\x00the middle of it\x00", "NUL"),
    ],
)
def test_binary_is_rejected(data, what):
    with pytest.raises(IngestError, match="binary") as caught:
        decode_bytes(data, "photo.txt")
    assert what in str(caught.value)
    assert "photo.txt" in str(caught.value)


def test_random_bytes_without_nul_are_rejected(tmp_path):
    data = bytes((i * 7919 + 13) % 255 + 1 for i in range(4000))  # every byte value but NUL, shuffled
    path = tmp_path / "noise.txt"
    path.write_bytes(data)
    with pytest.raises(IngestError, match="binary"):
        read_text(path)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("\ufeffline one\r\nline two\rline three\n", "line one\nline two\nline three\n"),
        ("tab\tkept\x00 nul\x01 and\x1f gone", "tab\tkept nul and gone"),
        ("page one\x0cpage two\x0bsame", "page one\npage two\nsame"),
        ("plain", "plain"),
    ],
)
def test_normalise(raw, expected):
    assert normalise(raw) == expected


@pytest.mark.parametrize("content", [b"", b"   \n\t\r\n  ", codecs.BOM_UTF8, codecs.BOM_UTF16_LE + " \n".encode("utf-16-le")])
def test_empty_or_whitespace_file(tmp_path, content):
    path = tmp_path / "blank.txt"
    path.write_bytes(content)
    with pytest.raises(IngestError, match="file is empty") as caught:
        read_text(path)
    assert "blank.txt" in str(caught.value)


def test_missing_file(tmp_path):
    with pytest.raises(IngestError, match="not found"):
        read_text(tmp_path / "nope.txt")


def test_read_text_normalises_crlf_and_records_encoding(tmp_path):
    path = tmp_path / "windows.txt"
    path.write_bytes("First line\r\nSecond — line\r\n".encode("cp1252"))
    assert read_text(path) == ("First line\nSecond — line\n", "cp1252")


def test_flowing_joins_wrapped_lines():
    assert flowing(["  one two ", "three\tfour", "", "five  "]) == "one two three four five"


def test_paragraph_spans_trim_and_split():
    text = "  first para\nstill first  \n\n \n\tsecond\n\n\nthird"
    spans = paragraph_spans(text)
    assert [text[s:e] for s, e in spans] == ["first para\nstill first", "second", "third"]


def test_paragraph_spans_is_linear_on_long_whitespace():
    text = "a\n" + " " * 2_000_000 + "\nb"
    assert [text[s:e] for s, e in paragraph_spans(text)] == ["a", "b"]


def test_text_builder_offsets():
    builder = TextBuilder()
    builder.separate()
    builder.add("Ann: ")
    segment = builder.add_segment("hello", "turn", speaker="Ann")
    builder.separate()
    builder.add_segment("bye", "turn")
    text = builder.text()
    assert text == "Ann: hello\n\nbye"
    assert text[segment.start:segment.end] == "hello"
    assert [text[s.start:s.end] for s in builder.segments] == ["hello", "bye"]
