"""DOCX: paragraphs and tables in document order, structure detection, corrupt and hostile files."""
from __future__ import annotations

import zipfile
from pathlib import Path

import docx
import pytest
from docx.oxml import OxmlElement

from ingest import IngestError, load_docx, load_path
from ingest.docx import docx_text

FIXTURES = Path(__file__).resolve().parents[2] / "shared" / "fixtures"


def write_docx(path: Path, blocks: list[str | list[list[str]]]) -> Path:
    """A DOCX with a paragraph per string and a table per list of rows."""
    document = docx.Document()
    for block in blocks:
        if isinstance(block, str):
            document.add_paragraph(block)
        else:
            table = document.add_table(rows=len(block), cols=len(block[0]))
            for r, row in enumerate(block):
                for c, value in enumerate(row):
                    table.cell(r, c).text = value
    document.save(str(path))
    return path


def test_paragraphs_and_tables_in_document_order(tmp_path):
    path = write_docx(tmp_path / "report.docx", [
        "Tool library annual summary",
        [["Item", "Loans"], ["Ladder", "41"], ["Pressure washer", "17"]],
        "Demand peaked in May, when the street clean-up happened.",
    ])
    [source] = load_docx(path)
    assert source.text == (
        "Tool library annual summary\n\n"
        "Item | Loans\nLadder | 41\nPressure washer | 17\n\n"
        "Demand peaked in May, when the street clean-up happened."
    )
    assert source.kind == "document" and source.format == "docx"
    assert [source.text[s.start:s.end] for s in source.segments] == [
        "Tool library annual summary",
        "Item | Loans\nLadder | 41\nPressure washer | 17",
        "Demand peaked in May, when the street clean-up happened.",
    ]


def test_interview_docx_becomes_turns(tmp_path):
    path = write_docx(tmp_path / "interview.docx", [
        "Interview 7 - Riverside food bank",
        "Interviewer: How long have you volunteered here?",
        "Participant: Since the pandemic. I started by driving the van and never stopped.",
        "Interviewer: What has changed?",
        "Participant: More working families. It used to be mostly pensioners.",
    ])
    [source] = load_path(path)
    assert source.kind == "interview"
    assert source.metadata["speaker_format"] == "colon"
    turns = [(s.speaker, source.text[s.start:s.end]) for s in source.segments if s.kind == "turn"]
    assert turns == [
        ("Interviewer", "How long have you volunteered here?"),
        ("Participant", "Since the pandemic. I started by driving the van and never stopped."),
        ("Interviewer", "What has changed?"),
        ("Participant", "More working families. It used to be mostly pensioners."),
    ]


def test_diary_docx_with_journal_kind(tmp_path):
    path = write_docx(tmp_path / "journal.docx", [
        "Monday 3 March 2025",
        "Delivered twelve hampers. The lift in Crane House is broken again.",
        "Tuesday 4 March 2025",
        "Phoned the housing office about the lift.",
        "They promised an engineer by Friday.",
    ])
    [source] = load_path(path, kind="journal")
    assert source.kind == "journal"
    found = [(s.entry_date, source.text[s.start:s.end]) for s in source.segments]
    assert found == [
        ("2025-03-03", "Delivered twelve hampers. The lift in Crane House is broken again."),
        ("2025-03-04", "Phoned the housing office about the lift.\n\nThey promised an engineer by Friday."),
    ]


def test_tracked_insertions_kept_and_deletions_dropped(tmp_path):
    document = docx.Document()
    paragraph = document.add_paragraph("The hub opens ")
    inserted = OxmlElement("w:ins")
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "on Fridays"
    run.append(text)
    inserted.append(run)
    deleted = OxmlElement("w:del")
    deleted_run = OxmlElement("w:r")
    deleted_text = OxmlElement("w:delText")
    deleted_text.text = "on Mondays"
    deleted_run.append(deleted_text)
    deleted.append(deleted_run)
    paragraph._p.append(deleted)
    paragraph._p.append(inserted)
    paragraph.add_run("\tfrom ten.")
    path = tmp_path / "tracked.docx"
    document.save(str(path))
    assert docx_text(path) == "The hub opens on Fridays\tfrom ten."


def test_merged_cells_appear_once(tmp_path):
    document = docx.Document()
    table = document.add_table(rows=2, cols=3)
    merged = table.cell(0, 0).merge(table.cell(0, 2))
    merged.text = "Volunteer hours by site"
    for c, value in enumerate(["Millbrook", "Northgate", "Riverside"]):
        table.cell(1, c).text = value
    path = tmp_path / "merged.docx"
    document.save(str(path))
    assert docx_text(path) == "Volunteer hours by site\nMillbrook | Northgate | Riverside"


def test_real_docx_from_fixtures():
    path = FIXTURES / "coded" / "bopp-games-as-art" / "bopp_test_input.docx"
    if not path.exists():
        pytest.skip(f"shared fixture {path} is not available")
    [source] = load_path(path)
    assert len(source.text) > 1000
    assert "\r" not in source.text
    end = 0
    for segment in source.segments:
        assert end <= segment.start < segment.end <= len(source.text)
        end = segment.end


def _rezip(source: Path, target: Path, replace: dict[str, bytes | None]) -> Path:
    """Copy a DOCX, replacing (or dropping, with None) some members."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            if info.filename in replace:
                continue
            new.writestr(info, old.read(info.filename))
        for name, data in replace.items():
            if data is not None:
                new.writestr(name, data)
    return target


@pytest.fixture
def good_docx(tmp_path) -> Path:
    return write_docx(tmp_path / "good.docx", ["The garden has fourteen beds now."] * 30)


def test_truncated_docx(tmp_path, good_docx):
    data = good_docx.read_bytes()
    path = tmp_path / "half.docx"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(IngestError, match="not a ZIP archive") as caught:
        load_docx(path)
    assert "half.docx" in str(caught.value)


def test_docx_without_document_xml(tmp_path, good_docx):
    path = _rezip(good_docx, tmp_path / "hollow.docx", {"word/document.xml": None})
    with pytest.raises(IngestError, match="word/document.xml is missing"):
        load_docx(path)


def test_docx_with_broken_xml(tmp_path, good_docx):
    path = _rezip(good_docx, tmp_path / "broken.docx", {"word/document.xml": b"<w:document><w:body><w:p>"})
    with pytest.raises(IngestError, match="not a valid DOCX"):
        load_docx(path)


def test_zip_bomb_is_refused(tmp_path, good_docx):
    bomb = b"<?xml version='1.0'?>" + b" " * 5_000_000
    path = _rezip(good_docx, tmp_path / "bomb.docx", {"word/document.xml": bomb})
    with pytest.raises(IngestError, match="zip bomb"):
        load_docx(path)


def test_dtd_is_refused(tmp_path, good_docx):
    evil = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">]>'
        b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        b"<w:body><w:p><w:r><w:t>&lol;</w:t></w:r></w:p></w:body></w:document>"
    )
    path = _rezip(good_docx, tmp_path / "dtd.docx", {"word/document.xml": evil})
    with pytest.raises(IngestError, match="declares a DTD"):
        load_docx(path)


def test_docx_without_text(tmp_path):
    path = write_docx(tmp_path / "blank.docx", ["", "   "])
    with pytest.raises(IngestError, match="no text"):
        load_docx(path)
