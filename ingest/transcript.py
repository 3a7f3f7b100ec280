"""Speaker-labelled transcripts in plain text: detect the labelling style and rebuild flowing turns.

Supported styles (``metadata["speaker_format"]``):

- ``colon``: ``Name: text`` at the start of a line, wrapped lines continue the turn;
- ``padded``: the same, with the text padded into a fixed column (``Name:      text``);
- ``otter``: a line ``Name  0:01`` (name, spaces, timestamp), the spoken text on the next lines;
- ``bracket``: ``[00:01:02] Name: text``, ``Name [00:01:02]: text`` or ``Name: [00:01:02] text``
  (parentheses also accepted), or the time first without brackets: ``00:01:02 Name: text``.

The stored text is each turn as ``Speaker: flowing text``, turns separated by a blank line;
lines before the first turn are kept as paragraphs. Each turn segment covers the spoken text only.
A turn that goes on after a blank line (a paragraph with no label) keeps that break as one ``\\n``.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from ingest.errors import IngestError
from ingest.records import LoadedSegment
from ingest.text import TextBuilder, flowing

_TIME = r"\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d{1,3})?"
# A label: up to 40 characters, no colon/brackets, not starting with whitespace or a digit-only time.
_LABEL = r"[^\s:\[\]<>(){}][^:\[\]<>{}\n]{0,39}?"
_PREFIX = 160  # labels are matched in the first characters of a line only: keeps huge lines cheap

_COLON_RE = re.compile(rf"(?P<label>{_LABEL})[ \t]*:(?:(?P<pad>[ \t]+)|$)")
_BRACKET_FIRST_RE = re.compile(
    rf"[\[(](?P<time>{_TIME})[\])][ \t]*(?P<label>{_LABEL})[ \t]*:(?:(?P<pad>[ \t]+)|$)"
)
# The time first without brackets (``00:01:02 Name: text``, ``00:01:02 - Name: text``), as some exports write it.
_TIME_FIRST_RE = re.compile(
    rf"(?P<time>{_TIME})(?:[ \t]*[-–—|][ \t]*|[ \t]+)(?P<label>{_LABEL})[ \t]*:(?:(?P<pad>[ \t]+)|$)"
)
# The time just after the label (``Name: [00:01:02] text``): it is taken off the spoken text.
_TIME_AFTER_COLON_RE = re.compile(
    rf"(?P<label>{_LABEL})[ \t]*:[ \t]*[\[(](?P<time>{_TIME})[\])](?:(?P<pad>[ \t]+)|$)"
)
_BRACKET_AFTER_RE = re.compile(
    rf"(?P<label>{_LABEL})[ \t]*[\[(](?P<time>{_TIME})[\])][ \t]*:?(?:(?P<pad>[ \t]+)|$)"
)
_OTTER_RE = re.compile(rf"(?P<label>{_LABEL})[ \t]+[\[(]?(?P<time>{_TIME})[\])]?[ \t]*$")
_NOT_IN_LABEL = re.compile(r"[,;!?\"“”]")
_CODE_LIKE = re.compile(r"[A-Za-z]+[-_ ]?\d+", re.ASCII)  # admin-1, P03, speaker 2
_PARTICLES = frozenset({"de", "da", "di", "du", "van", "von", "der", "den", "la", "le", "al", "bin", "of", "and", "&"})

MIN_COVERAGE = 0.6  # share of paragraphs that must start with a speaker label


@dataclass
class Turn:
    """One speaker turn as flowing text."""

    speaker: str | None
    text: str
    start_time: float | None = None
    end_time: float | None = None


@dataclass
class TranscriptParse:
    """A detected transcript: its labelling style, any paragraphs before the first turn, the turns."""

    speaker_format: str
    turns: list[Turn]
    preamble: list[str] = field(default_factory=list)


@dataclass
class _Label:
    """A speaker label found at the start of one line."""

    speaker: str
    text_start: int  # index in the line where the spoken text starts
    time: float | None
    padded: bool


def parse_time(value: str) -> float:
    """Seconds in 'm:ss', 'h:mm:ss' or 'hh:mm:ss.mmm' (comma or dot before the fraction)."""
    value = value.replace(",", ".")
    seconds = 0.0
    for part in value.split(":"):
        seconds = seconds * 60 + float(part)
    return seconds


def _plausible(label: str) -> bool:
    """A label that could be a speaker: has a letter, at most five words, no sentence punctuation."""
    return (
        any(ch.isalpha() for ch in label)
        and len(label.split()) <= 5
        and not _NOT_IN_LABEL.search(label)
    )


def looks_like_name(label: str) -> bool:
    """A label that reads like a name or a participant code ('Max Bigman', 'Speaker 2', 'admin-1')."""
    if _CODE_LIKE.fullmatch(label):
        return True
    words = label.split()
    return len(words) <= 4 and all(
        w[0].isupper() or w[0].isdigit() or w.lower() in _PARTICLES for w in words
    )


def _match_colon(line: str) -> _Label | None:
    match = _COLON_RE.match(line, 0, _PREFIX)
    if match is None or (match.end() == _PREFIX and len(line) > _PREFIX):
        return None
    return _Label(" ".join(match["label"].split()), match.end(), None, _is_padded(match["pad"]))


def speaker_prefix(line: str) -> tuple[str, int] | None:
    """(speaker, index where the spoken text starts) when ``line`` starts with a plausible ``Name:`` label."""
    label = _match_colon(line)
    if label is None or not _plausible(label.speaker):
        return None
    return label.speaker, label.text_start


def _match_bracket(line: str) -> _Label | None:
    match = (_BRACKET_FIRST_RE.match(line, 0, _PREFIX) or _TIME_FIRST_RE.match(line, 0, _PREFIX)
             or _BRACKET_AFTER_RE.match(line, 0, _PREFIX) or _TIME_AFTER_COLON_RE.match(line, 0, _PREFIX))
    if match is None or (match.end() == _PREFIX and len(line) > _PREFIX):
        return None
    return _Label(" ".join(match["label"].split()), match.end(), parse_time(match["time"]), _is_padded(match["pad"]))


def _match_otter(line: str) -> _Label | None:
    if len(line) > 80:
        return None
    match = _OTTER_RE.match(line)
    if match is None:
        return None
    return _Label(" ".join(match["label"].split()), len(line), parse_time(match["time"]), False)


def _is_padded(pad: str | None) -> bool:
    return pad is not None and (len(pad) >= 2 or "\t" in pad)


_MATCHERS = (("bracket", _match_bracket), ("otter", _match_otter), ("colon", _match_colon))


def detect_transcript(text: str) -> TranscriptParse | None:
    """Parse ``text`` as a speaker-labelled transcript, or return None if it does not look like one."""
    lines = text.split("\n")
    best: tuple[float, TranscriptParse] | None = None
    for name, matcher in _MATCHERS:
        labels = _find_labels(lines, matcher)
        if name == "colon":
            padded = [lb for lb in labels if lb is not None and lb.padded]
            if padded and len(padded) >= 0.8 * sum(lb is not None for lb in labels):
                name = "padded"
                labels = [lb if lb is not None and lb.padded else None for lb in labels]
        score = _score(lines, labels)
        if score is not None and (best is None or score > best[0]):
            best = (score, _build(name, lines, labels))
    return None if best is None else best[1]


def _find_labels(lines: list[str], matcher) -> list[_Label | None]:
    """The accepted label of each line (None for text lines)."""
    found = [matcher(line) if line[:1].strip() else None for line in lines]
    found = [lb if lb is not None and _plausible(lb.speaker) else None for lb in found]
    counts = Counter(lb.speaker for lb in found if lb is not None)
    accepted: list[_Label | None] = []
    for i, lb in enumerate(found):
        at_paragraph_start = i == 0 or not lines[i - 1].strip()
        if lb is not None and (at_paragraph_start or counts[lb.speaker] >= 2 or looks_like_name(lb.speaker)):
            accepted.append(lb)
        else:
            accepted.append(None)
    return accepted


def _score(lines: list[str], labels: list[_Label | None]) -> float | None:
    """Share of paragraphs that open with a label, or None when the lines are not a transcript."""
    turns = [lb for lb in labels if lb is not None]
    if len(turns) < 2:
        return None
    counts = Counter(lb.speaker for lb in turns)
    if len(turns) > 2 and max(counts.values()) < 2:
        return None
    paragraphs = labelled = 0
    seen_turn = False
    before_first = after_first = labelled_after = 0
    for i, line in enumerate(lines):
        if not line.strip():
            continue
        if labels[i] is not None:
            seen_turn = True
        if i == 0 or not lines[i - 1].strip() or labels[i] is not None:
            paragraphs += 1
            is_labelled = labels[i] is not None
            labelled += is_labelled
            if seen_turn:
                after_first += 1
                labelled_after += is_labelled
            else:
                before_first += 1
    coverage = labelled / paragraphs
    if coverage >= MIN_COVERAGE:
        return coverage
    if len(turns) >= 4 and before_first <= 5 and labelled_after >= 0.8 * after_first:
        return labelled_after / after_first
    return None


def _build(name: str, lines: list[str], labels: list[_Label | None]) -> TranscriptParse:
    """Group lines into preamble paragraphs and turns of flowing text."""
    preamble: list[list[str]] = [[]]
    turns: list[tuple[_Label, list[list[str]]]] = []
    for line, label in zip(lines, labels):
        if label is not None:
            turns.append((label, [[line[label.text_start:]]]))
            continue
        paragraphs = turns[-1][1] if turns else preamble
        if line.strip():
            paragraphs[-1].append(line)
        elif paragraphs[-1]:
            paragraphs.append([])
    result = TranscriptParse(name, [], [p for p in (flowing(ls) for ls in preamble) if p])
    for label, paragraphs in turns:
        body = "\n".join(p for p in (flowing(ls) for ls in paragraphs) if p)
        if body:
            result.turns.append(Turn(label.speaker, body, label.time))
    return result


def render_turns(turns: list[Turn], preamble: list[str] | tuple[str, ...] = ()) -> tuple[str, list[LoadedSegment]]:
    """Render paragraphs then turns as ``Speaker: text`` blocks; segments cover the text only."""
    builder = TextBuilder()
    for paragraph in preamble:
        builder.separate()
        builder.add_segment(paragraph, "paragraph")
    for turn in turns:
        builder.separate()
        if turn.speaker:
            builder.add(f"{turn.speaker}: ")
        builder.add_segment(
            turn.text, "turn", speaker=turn.speaker, start_time=turn.start_time, end_time=turn.end_time
        )
    return builder.text(), builder.segments


def require_transcript(text: str, path: str | Path) -> TranscriptParse:
    """Parse ``text`` as a transcript or raise IngestError explaining what was expected."""
    parsed = detect_transcript(text)
    if parsed is None:
        raise IngestError(
            path,
            "no speaker labels found: expected lines like 'Name: text', 'Name  0:01', "
            "'[00:01:02] Name: text' or 'Name [00:01:02]: text' at the start of most paragraphs",
        )
    return parsed
