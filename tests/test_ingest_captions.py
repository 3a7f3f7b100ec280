"""WebVTT and SRT caption files as speaker turns."""
from __future__ import annotations

from pathlib import Path

import pytest

from ingest import IngestError, load_path, load_srt, load_vtt
from ingest.captions import PARAGRAPH_WORDS, clean_cue_line

DATA = Path(__file__).resolve().parent / "data" / "ingest"
VTT_FIXTURES = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "transcripts" / "vtt"


def fixture(name: str) -> Path:
    path = VTT_FIXTURES / name
    if not path.exists():
        pytest.skip(f"shared fixture {path} is not available")
    return path


def turns(source):
    return [(s.speaker, source.text[s.start:s.end], s.start_time, s.end_time) for s in source.segments]


def assert_invariants(source):
    assert "\r" not in source.text and "<" not in source.text
    end = 0
    for segment in source.segments:
        assert end <= segment.start < segment.end <= len(source.text)
        end = segment.end


def test_teams_short_timestamps_and_voices():
    [source] = load_vtt(fixture("teams_timeframe.vtt"))
    assert turns(source) == [
        ("Yuri Bakulin", "There you go.", 0.0, 0.57),
        ("Adrian Petrescu", "Why hello there, Yuri.", 0.21, 1.13),
    ]
    assert source.text == "Yuri Bakulin: There you go.\n\nAdrian Petrescu: Why hello there, Yuri."
    assert source.metadata["speaker_format"] == "voice"
    assert source.kind == "interview" and source.format == "vtt"


def test_single_speaker_vtt_without_voices_is_chunked():
    path = fixture("sample.vtt")
    [source] = load_vtt(path)
    assert source.metadata["speaker_format"] == "none"
    assert all(s.speaker is None for s in source.segments)
    assert source.segments[0].start_time == 0.5
    raw_words = [
        w for line in path.read_text(encoding="utf-8").splitlines()
        if line and "-->" not in line and line != "WEBVTT" for w in line.split()
    ]
    assert source.text.split() == raw_words
    # consecutive cues are merged: far fewer turns than cues
    assert len(source.segments) < int(source.metadata["cues"])
    assert_invariants(source)


def test_vtt_merges_consecutive_cues_and_strips_tags():
    [source] = load_path(DATA / "volunteers_meeting.vtt")
    assert turns(source) == [
        ("Hannah Lewis",
         "Right, I think everyone's here. Can you all hear me? Great. The main thing today is the warden rota for winter.",
         1.2, 7.9),
        ("Joe Martins", "I can take the first two weekends in November, but not December because I'm away.", 8.1, 13.45),
        ("Hannah Lewis", "That's fine, Joe. Thanks.", 13.6, 16.0),
        ("Joe Martins",
         "Also the river gauge app kept crashing last time & we lost an hour. We should keep the paper logbook as a backup.",
         16.2, 24.3),
    ]
    assert "NOTE" not in source.text
    assert_invariants(source)


def test_vtt_name_prefix_speakers():
    [source] = load_path(DATA / "zoom_prefix.vtt")
    assert source.metadata["speaker_format"] == "colon"
    assert [(s, t) for s, t, _, _ in turns(source)] == [
        ("Lena Fischer", "Hi all, thanks for joining the allotment committee call. First, the water butts. "
                         "We have eight now, thanks to the grant."),
        ("Kwame Boateng", "Do we know where the last two are going?"),
        ("Lena Fischer", "Plots twelve and fifteen, the ones furthest from the tap."),
    ]


def test_srt_name_prefixes_and_italics():
    [source] = load_srt(DATA / "repair_cafe.srt")
    assert turns(source) == [
        ("Fixer", "So what seems to be the problem with it?", 0.5, 3.2),
        ("Visitor", "It just stopped heating. I've had it since my daughter was born.", 3.4, 7.9),
        ("Fixer", "Let's have a look. Often it's just the fuse. Yes, there we go. Thirteen amp, blown.", 8.1, 14.6),
        ("Visitor", "That's it? I was about to throw it away.", 15.0, 18.3),
    ]
    assert source.format == "srt"
    assert_invariants(source)


def test_srt_without_speakers_splits_at_pauses_and_drops_position_tags():
    [source] = load_path(DATA / "plain_captions.srt")
    assert [(t, s, e) for _, t, s, e in turns(source)] == [
        ("Welcome to this short film about the Harbourside tool library. "
         "Members can borrow anything from a ladder to a pressure washer.", 1.0, 8.0),
        ("The library started in a shipping container in 2018. Today it has more than three hundred members.", 20.0, 27.5),
    ]
    assert "{" not in source.text


def test_speakerless_cues_close_a_paragraph_after_enough_words(tmp_path):
    sentence = "We filled sandbags at the depot all afternoon and then stacked them by the doors."
    blocks = [
        f"{n}\n00:00:{n:02d},000 --> 00:00:{n:02d},900\n{sentence}\n" for n in range(1, 21)
    ]
    path = tmp_path / "long.srt"
    path.write_text("\n".join(blocks), encoding="utf-8")
    [source] = load_srt(path)
    words = [len(source.text[s.start:s.end].split()) for s in source.segments]
    assert len(words) > 1
    assert all(w >= PARAGRAPH_WORDS for w in words[:-1])
    assert sum(words) == 20 * len(sentence.split())


def test_multiple_voices_in_one_cue(tmp_path):
    path = tmp_path / "two.vtt"
    path.write_text(
        "WEBVTT\n\n00:01.000 --> 00:03.000\n<v Ana>Is the hall booked?\n<v Ben>Yes, for Friday.\n",
        encoding="utf-8",
    )
    [source] = load_vtt(path)
    assert [(s, t) for s, t, _, _ in turns(source)] == [("Ana", "Is the hall booked?"), ("Ben", "Yes, for Friday.")]


@pytest.mark.parametrize(
    ("line", "clean"),
    [
        ("<v Ann>Hello <b>there</b>", "Hello there"),
        ("Fish &amp; chips &lt;3", "Fish & chips <3"),
        ("{\\an8}Top of screen", "Top of screen"),
        ("a < b and no closing", "a < b and no closing"),
    ],
)
def test_clean_cue_line(line, clean):
    assert clean_cue_line(line) == clean


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("no_header.vtt", "00:00.000 --> 00:01.000\nhello\n", "WEBVTT"),
        ("only_header.vtt", "WEBVTT\n\n", "no caption cues"),
        ("prose.srt", "This is not a subtitle file at all.\nJust notes.\n", "not a valid SRT"),
        ("bad_time.srt", "1\n00:00:01,000 --> banana\nhello\n", "not a valid SRT"),
    ],
)
def test_bad_caption_files(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(IngestError, match=message) as caught:
        load_path(path)
    assert name in str(caught.value)
