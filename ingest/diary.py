"""Diaries and journals: split text into entries that each start with a date line.

A date line is a whole line (optionally a Markdown heading, optionally bold) whose content is a
date, optionally followed by a separator (``—``, ``–``, ``-``, ``:``, ``|``, ``,``) and a title:
``2025-03-03``, ``3 March 2025``, ``Monday 3 March 2025``, ``March 3, 2025``, ``3/3/2025``
(day first), ``Mon 3 Mar 2025``, optionally with a time (``2025-03-03 18:30``).
The stored text is kept as written; each entry segment covers the body after its date line.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from ingest.records import LoadedSegment
from ingest.text import paragraph_spans

_MONTHS = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
    "jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12,
}
_MONTH = (
    r"(?P<mon>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_WEEKDAY = r"(?:(?:mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)(?:day|nesday|sday|urday|rsday)?\.?,?\s+)?"
_ORDINAL = r"(?:st|nd|rd|th)?"
_TIME = r"(?:(?:,\s*|\s+|T)\d{1,2}[:.]\d{2}(?::\d{2})?(?:\s*[ap]\.?m\.?)?)?"
_DATE_PATTERNS = tuple(
    re.compile(_WEEKDAY + pattern + _TIME, re.IGNORECASE)
    for pattern in (
        r"(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})",
        rf"(?P<d>\d{{1,2}}){_ORDINAL}\s+(?:of\s+)?{_MONTH},?\s+(?P<y>\d{{4}})",
        rf"{_MONTH}\s+(?P<d>\d{{1,2}}){_ORDINAL},?\s+(?P<y>\d{{4}})",
        r"(?P<d>\d{1,2})[/.](?P<m>\d{1,2})[/.](?P<y>\d{4}|\d{2})",
    )
)
_HEADING = re.compile(r"[ \t]*#{1,6}[ \t]+")
_OPEN_EMPHASIS = re.compile(r"[ \t]*(?:\*\*|__|\*|_)[ \t]*")
_CLOSE_EMPHASIS = re.compile(r"[ \t]*[*_]*[ \t]*")
_AFTER_SEPARATOR = re.compile(r"[ \t:—–\-|,*_]*")
_SEPARATORS = ":—–-|,("
_MAX_DATE_LINE = 150  # a date line with a title is short; one whose body follows on the same line may be longer
_MAX_TITLE = 80


@dataclass
class DateLine:
    """A line that starts a diary entry."""

    line_start: int
    line_end: int
    date: str  # ISO YYYY-MM-DD
    title: str | None
    body_start: int  # where the entry's body begins: the next line, or later on this line after "date:"


def parse_date(value: str) -> str | None:
    """ISO date of a whole string such as '3 March 2025' or '3/3/2025' (day first), else None."""
    value = value.strip()
    found = _match_date(value, 0)
    return found[0] if found is not None and found[1] == len(value) else None


def _match_date(text: str, pos: int) -> tuple[str, int] | None:
    """(ISO date, end index) of a date starting at ``text[pos]``."""
    for pattern in _DATE_PATTERNS:
        match = pattern.match(text, pos)
        if match is None:
            continue
        parts = match.groupdict()
        month = int(parts["m"]) if parts.get("m") else _MONTHS[parts["mon"].lower()[:3]]
        year = int(parts["y"])
        if year < 100:
            year += 2000
        try:
            return dt.date(year, month, int(parts["d"])).isoformat(), match.end()
        except ValueError:
            return None
    return None


def _parse_line(line: str) -> tuple[str, str | None, int | None] | None:
    """(ISO date, title, offset of a body on the same line or None) for a date line, else None."""
    pos = 0
    heading = _HEADING.match(line)
    if heading:
        pos = heading.end()
    emphasis = _OPEN_EMPHASIS.match(line, pos)
    if emphasis:
        pos = emphasis.end()
    else:
        pos += len(line[pos:pos + 40]) - len(line[pos:pos + 40].lstrip())
    if not any(ch.isdigit() for ch in line[pos:pos + 40]):
        return None
    found = _match_date(line, pos)
    if found is None:
        return None
    date, end = found
    rest_start = _CLOSE_EMPHASIS.match(line, end).end()
    line_end = len(line.rstrip())
    if rest_start >= line_end:
        return (date, None, None) if line_end <= _MAX_DATE_LINE else None
    if line[rest_start] not in _SEPARATORS:
        return None
    rest_start = _AFTER_SEPARATOR.match(line, rest_start).end()
    rest = line[rest_start:line_end]
    marked = heading is not None or emphasis is not None
    body_here = not marked and (line[end:rest_start].strip(" \t*_").startswith(":") or len(rest) > _MAX_TITLE)
    if body_here:
        return date, None, rest_start
    if line_end > _MAX_DATE_LINE:
        return None
    title = rest.strip("*_ \t")
    if title.startswith("(") and title.endswith(")") or line[end:rest_start].strip().startswith("("):
        title = title.strip("() \t")
    return date, title or None, None


def parse_date_line(line: str) -> tuple[str, str | None] | None:
    """(ISO date, title or None) when ``line`` starts a diary entry, else None."""
    parsed = _parse_line(line)
    return None if parsed is None else (parsed[0], parsed[1])


def find_date_lines(text: str) -> list[DateLine]:
    """Every date line of ``text`` with its offsets."""
    found = []
    pos = 0
    length = len(text)
    while pos <= length:
        newline = text.find("\n", pos)
        end = length if newline < 0 else newline
        parsed = _parse_line(text[pos:end]) if text[pos:pos + 60].strip() else None
        if parsed is not None:
            date, title, body = parsed
            found.append(DateLine(pos, end, date, title, end if body is None else pos + body))
        pos = end + 1
    return found


def diary_segments(text: str, min_entries: int = 2) -> list[LoadedSegment] | None:
    """Paragraph segments before the first date line, then one entry segment per dated body; None if too few entries."""
    date_lines = find_date_lines(text)
    segments: list[LoadedSegment] = []
    for i, date_line in enumerate(date_lines):
        body_end = date_lines[i + 1].line_start if i + 1 < len(date_lines) else len(text)
        spans = paragraph_spans(text, date_line.body_start, body_end)
        if spans:
            segments.append(
                LoadedSegment(
                    spans[0][0], spans[-1][1], "entry", entry_date=date_line.date, label=date_line.title
                )
            )
    if len(segments) < min_entries:
        return None
    preamble_end = date_lines[0].line_start
    preamble = [LoadedSegment(s, e, "paragraph") for s, e in paragraph_spans(text, 0, preamble_end)]
    return preamble + segments
