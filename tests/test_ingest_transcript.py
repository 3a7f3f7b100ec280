"""Speaker-labelled plain-text transcripts: real qc-demo files and our own samples."""
from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from ingest import IngestError, load_path, load_transcript
from ingest.transcript import detect_transcript, parse_time

DATA = Path(__file__).resolve().parent / "data" / "ingest"
FIXTURES = Path(__file__).resolve().parents[2] / "shared" / "fixtures"
TRANSCRIPTS = FIXTURES / "transcripts"
# A label line in the qc-demo files: the label, a colon, then padding of two or more spaces.
QC_LABEL = re.compile(r"^([A-Za-z][^:\[\]\n]{0,39}):  +\S", re.MULTILINE)


def fixture(name: str) -> Path:
    path = TRANSCRIPTS / name
    if not path.exists():
        pytest.skip(f"shared fixture {path} is not available")
    return path


def assert_turn_invariants(source) -> None:
    text = source.text
    assert "\r" not in text
    previous_end = 0
    for segment in source.segments:
        assert previous_end <= segment.start <= segment.end <= len(text)
        previous_end = segment.end
        spoken = text[segment.start:segment.end]
        assert spoken == spoken.strip() and spoken
        if segment.kind == "turn" and segment.speaker:
            assert text[: segment.start].endswith(f"{segment.speaker}: ")


@pytest.mark.parametrize(
    ("name", "speakers"),
    [
        ("qc-demo_admin-1.txt", {"Automation", "Max Bigman", "admin-1"}),
        ("qc-demo_board_2017.txt", {"Speaker 1", "Speaker 2", "Alfeck", "Moderator", "Mr. Dauber", "Ms. Ofek"}),
    ],
)
def test_qc_demo_padded_transcripts(name, speakers):
    path = fixture(name)
    raw = path.read_text(encoding="utf-8")
    expected_labels = QC_LABEL.findall(raw)
    [source] = load_path(path)
    assert source.kind == "interview"
    assert source.metadata["speaker_format"] == "padded"
    turns = [s for s in source.segments if s.kind == "turn"]
    assert [t.speaker for t in turns] == expected_labels
    assert speakers <= {t.speaker for t in turns}
    assert_turn_invariants(source)
    # every word of the original survives, in order (labels become "Name:" and are not segment text)
    assert source.text.split() == raw.split()


def test_qc_admin_turn_counts():
    [source] = load_path(fixture("qc-demo_admin-1.txt"))
    counts = Counter(s.speaker for s in source.segments)
    assert counts == {"admin-1": 55, "Max Bigman": 30, "Automation": 1}


def test_qc_board_flowing_turn_text_and_notes_kept():
    [source] = load_path(fixture("qc-demo_board_2017.txt"))
    first, second = source.segments[:2]
    assert source.text[first.start:first.end] == "Thank you. Let's move on to the preK-12 computer science curriculum."
    assert source.text[second.start:second.end].startswith("Alright, good. And while they are preparing their presentation, this")
    assert "[inaudible 00:01:42] through their social interactions" in source.text
    assert "\n" not in source.text[second.start:second.end]


def test_qc_board_consecutive_turns_by_same_speaker():
    [source] = load_path(fixture("qc-demo_board_2017.txt"))
    speakers = [s.speaker for s in source.segments]
    assert speakers[1:4] == ["Speaker 2", "Speaker 2", "Speaker 2"]


def spoken(source):
    return [(s.speaker, source.text[s.start:s.end]) for s in source.segments if s.kind == "turn"]


def test_colon_transcript_with_wrapped_lines():
    [source] = load_path(DATA / "garden_interview_colon.txt")
    assert source.metadata["speaker_format"] == "colon"
    turns = spoken(source)
    assert [speaker for speaker, _ in turns] == ["Interviewer", "Rosa", "Interviewer", "Rosa", "Rosa", "Interviewer", "Rosa"]
    assert turns[1][1] == (
        "Sure. I moved onto Alder Street in 2019 and the plot behind the library was just gravel and "
        "nettles. A few of us started meeting on Saturday mornings to clear it, and by the spring we had six raised beds."
    )
    assert turns[5][1].startswith("Note: that is the second time")
    assert source.text.startswith("Interviewer: Thanks for making time today.")
    assert_turn_invariants(source)


def test_otter_transcript_has_times():
    [source] = load_path(DATA / "foodbank_otter.txt")
    assert source.metadata["speaker_format"] == "otter"
    assert [(s.speaker, s.start_time) for s in source.segments] == [
        ("Sam Okafor", 2.0), ("Priya Raman", 9.0), ("Sam Okafor", 21.0),
        ("Priya Raman", 25.0), ("Priya Raman", 62.0), ("Sam Okafor", 75.0),
    ]
    assert spoken(source)[2] == ("Sam Okafor", "Has that number changed since last winter?")
    assert "0:21" not in source.text
    assert_turn_invariants(source)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("bracket_first.txt", [("Chair", 5.0), ("Tomasz", 12.0), ("Chair", 31.0), ("Aisha", 40.0), ("Tomasz", 62.0)]),
        ("bracket_after.txt", [("Facilitator", 3.0), ("Dev", 15.0), ("Margaret", 41.0), ("Facilitator", 70.0), ("Dev", 78.0)]),
    ],
)
def test_bracket_transcripts(name, expected):
    [source] = load_path(DATA / name)
    assert source.metadata["speaker_format"] == "bracket"
    turns = [s for s in source.segments if s.kind == "turn"]
    assert [(s.speaker, s.start_time) for s in turns] == expected
    assert_turn_invariants(source)


def test_bracket_preamble_is_kept_as_paragraph():
    [source] = load_path(DATA / "bracket_first.txt")
    first = source.segments[0]
    assert first.kind == "paragraph"
    assert source.text[first.start:first.end] == "Neighbourhood resilience group - meeting 4"
    tomasz = source.segments[2]
    assert source.text[tomasz.start:tomasz.end] == (
        "We counted them on Sunday. There are about two hundred left, and half of those are split."
    )


@pytest.mark.parametrize(
    "text",
    [
        # prose with one "Note:" paragraph
        "We met at the hall.\n\nNote: the heating was off.\n\nEveryone wore coats.\n\nIt ended early.\n",
        # times are not speakers
        "10:30 arrived at the hub\n11:45 first deliveries\n12:15 lunch\n",
        # a report with headings that end in a colon, none repeated
        "Background: the group formed in 2019.\n\nAims: to share tools.\n\nMethods: interviews.\n\nFindings: mixed.\n",
        # a single labelled paragraph
        "Summary: the garden needs more volunteers on Saturdays and a new shed.\n",
    ],
)
def test_not_a_transcript(text):
    assert detect_transcript(text) is None


def test_no_blank_lines_between_turns():
    text = "Interviewer: How did it start?\nP1: With a leaflet\nthrough every door.\nInterviewer: And then?\nP1: Then a meeting.\n"
    parsed = detect_transcript(text)
    assert parsed is not None and parsed.speaker_format == "colon"
    assert [(t.speaker, t.text) for t in parsed.turns] == [
        ("Interviewer", "How did it start?"),
        ("P1", "With a leaflet through every door."),
        ("Interviewer", "And then?"),
        ("P1", "Then a meeting."),
    ]


def test_wrapped_line_that_looks_like_a_label_stays_in_the_turn():
    text = (
        "Interviewer: What was hardest?\n\n"
        "Nadia: Mostly the paperwork, and the reason is simple\n"
        "the reason is simple: nobody trained us.\n\n"
        "Interviewer: Thank you.\n\nNadia: You're welcome.\n"
    )
    parsed = detect_transcript(text)
    assert [t.speaker for t in parsed.turns] == ["Interviewer", "Nadia", "Interviewer", "Nadia"]
    assert parsed.turns[1].text.endswith("the reason is simple: nobody trained us.")


def test_unlabelled_paragraph_continues_previous_turn():
    text = "Ann: First part.\n\nStill Ann, second paragraph.\n\nBen: Reply.\n\nAnn: More.\n"
    parsed = detect_transcript(text)
    assert [(t.speaker, t.text) for t in parsed.turns] == [
        ("Ann", "First part.\nStill Ann, second paragraph."), ("Ben", "Reply."), ("Ann", "More."),
    ]


@pytest.mark.parametrize(("value", "seconds"), [("0:01", 1.0), ("1:02:03", 3723.0), ("00:00:05.500", 5.5), ("12:30,25", 750.25)])
def test_parse_time(value, seconds):
    assert parse_time(value) == pytest.approx(seconds)


def test_load_transcript_refuses_prose():
    with pytest.raises(IngestError, match="no speaker labels") as caught:
        load_transcript(DATA / "fieldnotes.txt")
    assert "fieldnotes.txt" in str(caught.value)


def test_kind_override_keeps_parsing():
    [source] = load_path(DATA / "bracket_after.txt", kind="fieldnote")
    assert source.kind == "fieldnote"
    assert source.metadata["speaker_format"] == "bracket"


@pytest.mark.parametrize("text", [
    # time first without brackets (Zoom-style text exports), with or without a dash
    "00:00:05 Interviewer: How are you?\n00:00:09 Shirley: Fine, thanks, love.\n"
    "00:01:12 Interviewer: And Dennis?\n00:01:20 Shirley: He is napping.\n",
    "00:00:05 - Interviewer: How are you?\n00:00:09 - Shirley: Fine, thanks, love.\n"
    "00:01:12 - Interviewer: And Dennis?\n00:01:20 - Shirley: He is napping.\n",
    # time just after the label's colon
    "Interviewer: [00:00:05] How are you?\nShirley: [00:00:09] Fine, thanks, love.\n"
    "Interviewer: [00:01:12] And Dennis?\nShirley: [00:01:20] He is napping.\n",
])
def test_txt_timestamps_in_other_places_give_turn_times(text: str) -> None:
    parse = detect_transcript(text)
    assert parse is not None and parse.speaker_format == "bracket"
    assert [(t.speaker, t.start_time, t.text) for t in parse.turns] == [
        ("Interviewer", 5.0, "How are you?"), ("Shirley", 9.0, "Fine, thanks, love."),
        ("Interviewer", 72.0, "And Dennis?"), ("Shirley", 80.0, "He is napping.")]
