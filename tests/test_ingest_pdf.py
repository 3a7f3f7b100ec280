"""PDF text layers (small PDFs made by tests/data/ingest/make_pdfs.py)."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from ingest import IngestError, load_path, load_pdf

DATA = Path(__file__).resolve().parent / "data" / "ingest"
FIXTURES = Path(__file__).resolve().parents[2] / "shared" / "fixtures"


def test_text_layer_page_by_page():
    [source] = load_pdf(DATA / "garden_report.pdf")
    assert source.format == "pdf" and source.kind == "document"
    assert source.metadata["pages"] == "2"
    page_one, page_two = source.text.split("\n\n")
    assert page_one.startswith("Millbrook Community Garden - Annual Report 2024")
    assert "Forty-two households took home produce at least once." in page_one
    assert page_two.startswith("Volunteering")
    assert "(highest in July)" in page_two
    assert [source.text[s.start:s.end] for s in source.segments] == [page_one, page_two]


def test_kind_override():
    [source] = load_path(DATA / "garden_report.pdf", kind="fieldnote")
    assert source.kind == "fieldnote"


def test_scanned_pdf_needs_ocr():
    with pytest.raises(IngestError, match="no text layer .* scanned PDF; run OCR first") as caught:
        load_pdf(DATA / "scanned.pdf")
    assert "scanned.pdf" in str(caught.value)


def test_encrypted_pdf():
    with pytest.raises(IngestError, match="password-protected"):
        load_pdf(DATA / "encrypted.pdf")


@pytest.mark.parametrize("fraction", [0.5, 0.9])
def test_truncated_pdf(tmp_path, fraction):
    data = (DATA / "garden_report.pdf").read_bytes()
    path = tmp_path / "cut.pdf"
    path.write_bytes(data[: int(len(data) * fraction)])
    with pytest.raises(IngestError, match="truncated") as caught:
        load_pdf(path)
    assert "cut.pdf" in str(caught.value)


def test_corrupt_pdf_body(tmp_path):
    data = (DATA / "garden_report.pdf").read_bytes()
    # keep header and trailer but destroy every object in between
    corrupt = data[:9] + re.sub(rb"[A-Za-z]", b"#", data[9:-30]) + data[-30:]
    path = tmp_path / "mangled.pdf"
    path.write_bytes(corrupt)
    with pytest.raises(IngestError) as caught:
        load_pdf(path)
    assert "mangled.pdf" in str(caught.value)


def test_not_a_pdf(tmp_path):
    path = tmp_path / "notes.pdf"
    path.write_text("Just some notes saved with the wrong extension.\n", encoding="utf-8")
    with pytest.raises(IngestError, match="not a PDF"):
        load_pdf(path)


def test_real_spec_pdf_from_fixtures():
    path = FIXTURES / "refi" / "schemas" / "REFI-QDA-1-5.pdf"
    if not path.exists():
        pytest.skip(f"shared fixture {path} is not available")
    [source] = load_pdf(path)
    assert int(source.metadata["pages"]) > 5
    assert "REFI" in source.text
    assert "\r" not in source.text
