"""WebVTT and SRT caption files (Zoom, Teams, YouTube, subtitle tools) as speaker turns.

Speakers come from ``<v Name>`` voice tags or a ``Name: `` prefix on the cue text. Consecutive
cues by the same speaker merge into one turn (start of the first cue, end of the last).
Cues without a speaker are merged into paragraph-sized turns: a turn is closed after a pause
of more than ``PAUSE_SECONDS``, or once it holds ``PARAGRAPH_WORDS`` words and ends a sentence,
or at ``MAX_WORDS`` words. Other tags (``<c>``, ``<i>``, ``{\\an8}``) are removed, entities decoded.
"""
from __future__ import annotations

import html
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import srt
import webvtt
from webvtt.errors import MalformedCaptionError, MalformedFileError

from ingest.dispatch import resolve_kind
from ingest.errors import IngestError
from ingest.records import LoadedSource
from ingest.text import flowing, read_text
from ingest.transcript import Turn, looks_like_name, render_turns, speaker_prefix

PAUSE_SECONDS = 5.0
PARAGRAPH_WORDS = 60
MAX_WORDS = 200
_SENTENCE_END = tuple(".?!…\"'”’)")
_VOICE = re.compile(r"<v(?:\.[^\s>]*)?[ \t]+([^>\n]*)>")


@dataclass
class Cue:
    """One caption cue (or one voice inside a cue), tags removed."""

    start: float
    end: float
    text: str
    speaker: str | None = None


def _strip_between(line: str, opening: str, closing: str) -> str:
    """Remove every ``opening…closing`` span from a line in linear time (an unclosed opening is kept)."""
    if opening not in line:
        return line
    pieces = []
    pos = 0
    while True:
        start = line.find(opening, pos)
        if start < 0:
            break
        end = line.find(closing, start + len(opening))
        if end < 0:
            break
        pieces.append(line[pos:start])
        pos = end + len(closing)
    pieces.append(line[pos:])
    return "".join(pieces)


def clean_cue_line(line: str) -> str:
    """Cue text without markup tags, with HTML entities decoded."""
    line = _strip_between(_strip_between(line, "<", ">"), "{\\", "}")
    return html.unescape(line) if "&" in line else line


def split_voices(lines: list[str], start: float, end: float) -> list[Cue]:
    """Split a cue's raw lines into one Cue per ``<v Name>`` voice (a single speakerless Cue if none)."""
    cues: list[Cue] = []
    speaker: str | None = None
    current: list[str] = []
    for line in lines:
        match = _VOICE.match(line)
        if match is not None:
            if current:
                cues.append(Cue(start, end, flowing(current), speaker))
            speaker, current = " ".join(html.unescape(match.group(1)).split()) or None, []
        current.append(clean_cue_line(line))
    if current:
        cues.append(Cue(start, end, flowing(current), speaker))
    return [cue for cue in cues if cue.text]


def apply_name_prefixes(cues: list[Cue]) -> bool:
    """Take speakers from ``Name: `` prefixes on cues without a voice; returns True if any was found."""
    found = [(i, speaker_prefix(cue.text)) for i, cue in enumerate(cues) if cue.speaker is None]
    labelled = [(i, prefix) for i, prefix in found if prefix is not None]
    counts = Counter(speaker for _, (speaker, _) in labelled)
    used = False
    for i, (speaker, text_start) in labelled:
        rest = cues[i].text[text_start:].strip()
        if rest and (counts[speaker] >= 2 or looks_like_name(speaker)):
            cues[i].speaker, cues[i].text = speaker, rest
            used = True
    return used


def merge_cues(cues: list[Cue]) -> list[Turn]:
    """Merge consecutive cues by the same speaker, and speakerless cues into paragraph-sized turns."""
    turns: list[Turn] = []
    parts: list[str] = []
    words = 0
    for cue in cues:
        if turns and _continues(turns[-1], parts[-1], words, cue):
            parts.append(cue.text)
            words += len(cue.text.split())
            turns[-1].end_time = max(turns[-1].end_time or cue.end, cue.end)
            continue
        if turns:
            turns[-1].text = " ".join(parts)
        turns.append(Turn(cue.speaker, "", cue.start, cue.end))
        parts, words = [cue.text], len(cue.text.split())
    if turns:
        turns[-1].text = " ".join(parts)
    return turns


def _continues(turn: Turn, last_text: str, words: int, cue: Cue) -> bool:
    """Whether ``cue`` belongs to the open ``turn`` (which holds ``words`` words, ending in ``last_text``)."""
    if cue.speaker != turn.speaker:
        return False
    if cue.speaker is not None:
        return True
    if turn.end_time is not None and cue.start - turn.end_time > PAUSE_SECONDS:
        return False
    if words >= MAX_WORDS:
        return False
    return not (words >= PARAGRAPH_WORDS and last_text.endswith(_SENTENCE_END))


def _build(path: Path, kind: str | None, cues: list[Cue], fmt: str, encoding: str, voiced: bool) -> list[LoadedSource]:
    """Turn cues into one LoadedSource."""
    if not cues:
        raise IngestError(path, f"no caption cues with text found in this {fmt.upper()} file")
    prefixed = apply_name_prefixes(cues)
    turns = merge_cues(cues)
    text, segments = render_turns(turns)
    speaker_format = "voice" if voiced else "colon" if prefixed else "none"
    metadata = {"structure": "captions", "speaker_format": speaker_format, "cues": str(len(cues))}
    return [LoadedSource(
        name=Path(path).name, kind=resolve_kind(kind, "interview", path), text=text, format=fmt,
        segments=segments, encoding=encoding, metadata=metadata,
    )]


def load_vtt(path: Path, kind: str | None = None) -> list[LoadedSource]:
    """Load a WebVTT caption file (also Teams' short ``0:0:0.570`` timestamps) as speaker turns."""
    text, encoding = read_text(path)
    try:
        captions = webvtt.from_string(text).captions
    except MalformedFileError:
        raise IngestError(path, "not a WebVTT file: the first line must start with 'WEBVTT'") from None
    except (MalformedCaptionError, ValueError) as error:
        raise IngestError(path, f"malformed WebVTT cue: {str(error)[:200]}") from error
    cues: list[Cue] = []
    for caption in captions:
        start = caption.start_time.in_milliseconds() / 1000
        end = caption.end_time.in_milliseconds() / 1000
        cues.extend(split_voices(caption.lines, start, end))
    voiced = any(cue.speaker is not None for cue in cues)
    return _build(path, kind, cues, "vtt", encoding, voiced)


def load_srt(path: Path, kind: str | None = None) -> list[LoadedSource]:
    """Load an SRT subtitle file as speaker turns (speakers from ``Name:`` prefixes or voice tags)."""
    text, encoding = read_text(path)
    try:
        subtitles = list(srt.parse(text))
    except srt.SRTParseError as error:
        line = text.count("\n", 0, error.expected_start) + 1
        snippet = text[error.expected_start:error.expected_start + 60].strip().split("\n")[0]
        raise IngestError(path, f"not a valid SRT file: unexpected text at line {line}: {snippet!r}") from None
    except ValueError as error:
        raise IngestError(path, f"malformed SRT timestamp: {str(error)[:200]}") from error
    cues: list[Cue] = []
    for subtitle in subtitles:
        lines = [ln.lstrip("-– ") for ln in subtitle.content.split("\n")]
        cues.extend(split_voices(lines, subtitle.start.total_seconds(), subtitle.end.total_seconds()))
    voiced = any(cue.speaker is not None for cue in cues)
    return _build(path, kind, cues, "srt", encoding, voiced)
