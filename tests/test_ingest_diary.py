"""Diaries and journals split into dated entries."""
from __future__ import annotations

from pathlib import Path

import pytest

from ingest import IngestError, load_diary, load_path
from ingest.diary import diary_segments, parse_date, parse_date_line

DATA = Path(__file__).resolve().parent / "data" / "ingest"


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("2025-03-03", ("2025-03-03", None)),
        ("3 March 2025", ("2025-03-03", None)),
        ("Monday 3 March 2025", ("2025-03-03", None)),
        ("March 3, 2025", ("2025-03-03", None)),
        ("3/3/2025", ("2025-03-03", None)),
        ("4/3/2025", ("2025-03-04", None)),  # day first
        ("Mon 3 Mar 2025", ("2025-03-03", None)),
        ("## 3 March 2025", ("2025-03-03", None)),
        ("### **Tuesday, 4th March 2025** — Seed swap", ("2025-03-04", "Seed swap")),
        ("**4 March 2025:** short visit", ("2025-03-04", "short visit")),
        ("March 17, 2025:", ("2025-03-17", None)),
        ("2025-03-03 18:30 - evening shift", ("2025-03-03", "evening shift")),
        ("Wed 5 Mar 2025 (late)", ("2025-03-05", "late")),
        ("  Sept 9, 2024  ", ("2024-09-09", None)),
    ],
)
def test_date_lines(line, expected):
    assert parse_date_line(line) == expected


@pytest.mark.parametrize(
    "line",
    [
        "3 March 2025 was the day the pantry opened",
        "10:30",
        "31/2/2025",
        "Meeting on 3 March 2025",
        "Budget: 2025",
        "",
        "2025",
    ],
)
def test_not_date_lines(line):
    assert parse_date_line(line) is None


def test_parse_date_whole_string_only():
    assert parse_date("3 Mar 2025") == "2025-03-03"
    assert parse_date("3 Mar 2025 later") is None


def entries(source):
    return [(s.entry_date, s.label, source.text[s.start:s.end]) for s in source.segments if s.kind == "entry"]


def test_markdown_diary():
    path = DATA / "garden_diary.md"
    [source] = load_path(path)
    assert source.kind == "diary" and source.format == "md"
    assert source.text == path.read_text(encoding="utf-8")  # kept as written
    assert [(d, t) for d, t, _ in entries(source)] == [
        ("2025-03-03", None), ("2025-03-10", "Seed swap"), ("2025-03-17", None), ("2025-03-24", None),
    ]
    assert entries(source)[3][2] == "First broad beans in. Mrs Adeyemi brought flapjacks."
    assert entries(source)[0][2] == (
        "Cold but dry. Turned over beds two and three and spread the compost from\n"
        "the council drop. Eight volunteers, two of them new."
    )
    assert "## **Monday 10 March 2025** — Seed swap" in source.text
    preamble = [source.text[s.start:s.end] for s in source.segments if s.kind == "paragraph"]
    assert preamble == ["# Growing season diary - Millbrook garden", "Kept by the Saturday volunteers. One entry per session."]


def test_text_journal_with_mixed_date_styles():
    [source] = load_path(DATA / "foodbank_journal.txt", kind="journal")
    assert source.kind == "journal"
    found = entries(source)
    assert [(d, t) for d, t, _ in found] == [("2025-03-03", None), ("2025-03-04", None), ("2025-03-05", "training")]
    assert found[1][2].startswith("Quieter. Spent an hour") and found[1][2].endswith("two drivers.")


def test_segments_in_order_and_within_text():
    [source] = load_path(DATA / "garden_diary.md")
    end = 0
    for segment in source.segments:
        assert end <= segment.start < segment.end <= len(source.text)
        end = segment.end


def test_one_date_line_is_not_a_diary():
    text = "Minutes\n\n3 March 2025\n\nWe agreed to open the hub on Fridays.\n"
    assert diary_segments(text) is None
    assert diary_segments(text, min_entries=1) is not None


def test_date_lines_without_bodies_do_not_make_entries():
    text = "2025-03-01\n2025-03-02\n2025-03-03\nOnly this one has a body.\n"
    segments = diary_segments(text, min_entries=1)
    assert [(s.entry_date, text[s.start:s.end]) for s in segments] == [("2025-03-03", "Only this one has a body.")]


def test_load_diary_requires_dates():
    with pytest.raises(IngestError, match="no dated entries") as caught:
        load_diary(DATA / "fieldnotes.txt")
    assert "fieldnotes.txt" in str(caught.value)


def test_plain_notes_are_a_document_with_paragraphs():
    [source] = load_path(DATA / "fieldnotes.txt", kind="fieldnote")
    assert source.kind == "fieldnote"
    assert source.metadata["structure"] == "paragraphs"
    paragraphs = [source.text[s.start:s.end] for s in source.segments]
    assert len(paragraphs) == 4
    assert paragraphs[2].startswith("Note: the volunteers keep a paper log")
    assert all(s.kind == "paragraph" for s in source.segments)


def test_entries_that_start_on_the_date_line():
    long_text = "Went door to door on Pier Road with the flood leaflets, most people were in and glad of a chat."
    text = (
        "3 March 2025: Cleared the culvert by the school.\n"
        "4 March 2025 - " + long_text + "\n"
        "## 5 March 2025: Quiet day\nNothing to report.\n"
    )
    segments = diary_segments(text)
    assert [(s.entry_date, s.label, text[s.start:s.end]) for s in segments] == [
        ("2025-03-03", None, "Cleared the culvert by the school."),
        ("2025-03-04", None, long_text),
        ("2025-03-05", "Quiet day", "Nothing to report."),
    ]


def test_long_line_starting_with_a_date_and_a_colon_is_an_entry():
    body = "We met at the hall and agreed the plan. " * 20
    text = f"2025-03-03: {body}\n2025-03-10: Short one.\n"
    segments = diary_segments(text)
    assert [text[s.start:s.end] for s in segments] == [body.strip(), "Short one."]
