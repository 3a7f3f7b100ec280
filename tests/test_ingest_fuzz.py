"""Property-based tests of the loaders: any bytes or text either load into consistent records or are
refused with an IngestError naming the file; and loading never loses or reorders the words of a text."""
from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest import IngestError, SUPPORTED_EXTENSIONS, load_path

TEXT_FORMATS = [".txt", ".md", ".vtt", ".srt", ".csv", ".json"]
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

# Text that looks like what the loaders parse: speaker labels, timestamps, dates, cue arrows, separators.
PIECES = st.sampled_from(["Interviewer: ", "Jean: ", "JEAN  0:01\n", "[00:01:02] Amira: ", "WEBVTT\n\n",
                          "00:00:01.000 --> 00:00:02.500\n", "1\n", "<v Tom>", "</v>", "12 March 2024\n",
                          "## 2024-03-12\n", "---\n", "\n\n", "\n", "\r\n", ",", '"', ";", "{", "}", "[", "]",
                          "text", "id,answer\n", "café ", "😀", "\u200b", "\t", " "])
STRUCTURED = st.lists(st.one_of(PIECES, st.text(max_size=12)), max_size=40).map("".join)


def _check(path: Path, loaded: list) -> None:
    """What any loader returns: normalised text, segments inside it, in order, kinds from the list."""
    for source in loaded:
        text = source.text
        assert "\r" not in text and "\ufeff" not in text, path
        assert all(ch in "\t\n" or ord(ch) >= 32 for ch in text), "control characters survive in the text"
        previous = 0
        for segment in source.segments:
            assert 0 <= segment.start <= segment.end <= len(text), (path, segment)
            assert segment.start >= previous or segment.kind == "sentence", "segments out of order"
            previous = segment.start


def _load(suffix: str, data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"fuzzed{suffix}"
        path.write_bytes(data)
        try:
            loaded = load_path(path)
        except IngestError as exc:  # refused: the message names the file
            assert "fuzzed" in str(exc), str(exc)
            return
        _check(path, loaded)


@FUZZ
@given(suffix=st.sampled_from(TEXT_FORMATS), data=st.binary(max_size=400))
def test_any_bytes_load_or_are_refused_with_the_file_named(suffix: str, data: bytes) -> None:
    _load(suffix, data)


@FUZZ
@given(suffix=st.sampled_from(TEXT_FORMATS), text=STRUCTURED,
       encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252"]))
def test_text_shaped_like_the_formats_loads_or_is_refused(suffix: str, text: str, encoding: str) -> None:
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError:
        data = text.encode("utf-8")
    _load(suffix, data)


@FUZZ
@given(suffix=st.sampled_from([".docx", ".pdf", ".xlsx"]), data=st.binary(max_size=300))
def test_binary_formats_refuse_garbage_with_the_file_named(suffix: str, data: bytes) -> None:
    _load(suffix, data)


WORDS = st.text(alphabet=st.characters(whitelist_categories=("L", "N"), max_codepoint=0x2FFF), min_size=1,
                max_size=10)


@FUZZ
@given(paragraphs=st.lists(st.lists(WORDS, min_size=1, max_size=12).map(" ".join), min_size=1, max_size=8))
def test_a_plain_text_keeps_every_word_in_order(paragraphs: list[str]) -> None:
    """Prose without speaker labels or dates: the stored text holds every word, in order."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "notes.txt"
        path.write_text("\r\n\r\n".join(paragraphs), encoding="utf-8")
        [source] = load_path(path)
        _check(path, [source])
        assert source.text.split() == " ".join(paragraphs).split()


@FUZZ
@given(participant=st.sampled_from(["Jean", "Amira Khan", "P07"]),
       said=st.lists(st.lists(WORDS, min_size=1, max_size=10).map(" ".join), min_size=4, max_size=10))
def test_a_speaker_labelled_transcript_keeps_its_turns(participant: str, said: list[str]) -> None:
    """An interview of `Name: words` lines (interviewer and participant taking turns) becomes turns with those
    speakers whose texts are exactly the words."""
    turns = [("Interviewer" if i % 2 == 0 else participant, words) for i, words in enumerate(said)]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "interview.txt"
        path.write_text("\n\n".join(f"{who}: {words}" for who, words in turns), encoding="utf-8")
        [source] = load_path(path)
        _check(path, [source])
        found = [(s.speaker, source.text[s.start:s.end]) for s in source.segments if s.kind == "turn"]
        assert [w for _, w in found] and " ".join(w for _, w in found).split() == " ".join(
            w for _, w in turns).split()
        assert [who for who, _ in found] == [who for who, _ in turns]


def test_every_supported_extension_is_fuzzed() -> None:
    assert set(SUPPORTED_EXTENSIONS) == set(TEXT_FORMATS) | {".docx", ".pdf", ".xlsx"}
