"""Quotes: codings with their words and attribution (who, where, when), for drill-down and exports."""
from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from workbench.model import provenance
from workbench.store import CodingFact, Store


@dataclass
class Quote:
    """A coded passage ready to show or export."""

    coding_id: int
    source_id: int
    source_name: str
    source_kind: str
    start: int
    end: int
    text: str
    code_id: int
    code_name: str
    code_path: str
    coder: str
    origin: str
    memo: str = ""
    speaker: str | None = None
    start_time: float | None = None
    entry_date: str | None = None
    case: str | None = None
    attributes: dict[str, str] = field(default_factory=dict)
    provenance: str = ""  # "" for a person's coding, else "machine-suggested, accepted [in bulk (…)] by X"
    accept_mode: str | None = None  # "one" | "bulk" | None for accepted suggestions
    date: str | None = None  # ISO date: the entry's or post's, else a date heading above it, else the source header's


_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
           "november", "december")
_DAY_MONTH_YEAR = (r"(?:(?:mon|tues|wednes|thurs|fri|satur|sun)day,?\s+)?(?P<day>\d{1,2})(?:st|nd|rd|th)?\s+"
                   rf"(?P<month>{'|'.join(_MONTHS)}),?\s+(?P<year>\d{{4}})")
_ISO = r"(?P<iso>\d{4}-\d{2}-\d{2})"
# A line that starts with a date ("## 5 April 2025 — Repair café", "13 March 2024") heads what follows it.
_DATE_HEADING = re.compile(rf"^[#*\s]*(?:{_DAY_MONTH_YEAR}|{_ISO})\b", re.IGNORECASE | re.MULTILINE)
# A transcript's header field: "Date | 21 March 2024", "Date of interview: 2024-03-21".
_HEADER_DATE = re.compile(rf"\bdate(?: of interview)?\s*[|:]\s*(?:{_DAY_MONTH_YEAR}|{_ISO})", re.IGNORECASE)
HEADER_CHARS = 1500
HEADED_KINDS = frozenset({"fieldnote", "document", "diary", "journal"})


def _iso(match: re.Match[str]) -> str | None:
    try:
        if match["iso"]:
            return dt.date.fromisoformat(match["iso"]).isoformat()
        return dt.date(int(match["year"]), _MONTHS.index(match["month"].lower()) + 1, int(match["day"])).isoformat()
    except ValueError:
        return None


def text_dates(text: str, kind: str) -> tuple[list[tuple[int, str]], str | None]:
    """(date headings as (position, ISO date), the header's date) of a source's text."""
    headings = [(m.start(), d) for m in _DATE_HEADING.finditer(text) if (d := _iso(m))] if kind in HEADED_KINDS else []
    header = _HEADER_DATE.search(text[:HEADER_CHARS])
    return headings, _iso(header) if header else None


def passage_date(dates: tuple[list[tuple[int, str]], str | None], start: int) -> str | None:
    """The date of a passage at ``start``: the last date heading at or before it, else the header's date."""
    headings, header = dates
    before = [d for at, d in headings if at <= start]
    return before[-1] if before else header


@dataclass
class Context:
    """Lookups shared by every quote of one request (built once: attributes, names, paths)."""

    sources: dict[int, tuple[str, str, int, int | None]]
    source_attributes: dict[int, dict[str, str]]
    case_attributes: dict[int, dict[str, str]]
    case_names: dict[int, str]
    code_names: dict[int, str]
    code_paths: dict[int, str]

    @classmethod
    def load(cls, store: Store) -> "Context":
        """Read the lookups from the store."""
        codes = store.codes()
        by_id = {c.id: c for c in codes}
        paths: dict[int, str] = {}
        for code in codes:  # parents come first
            parent = paths.get(code.parent_id) if code.parent_id else None
            paths[code.id] = f"{parent}/{code.name}" if parent else code.name
        return cls(store.source_index(), store.all_attributes("source"), store.all_attributes("case"),
                   store.case_names(), {i: c.name for i, c in by_id.items()}, paths)

    def attributes(self, fact: CodingFact) -> dict[str, str]:
        """A coding's attributes: the source's, overlaid by its case's (a survey respondent's site wins)."""
        values = dict(self.source_attributes.get(fact.source_id, {}))
        if fact.source_case_id is not None:
            values.update(self.case_attributes.get(fact.source_case_id, {}))
        if fact.segment_case_id is not None:
            values.update(self.case_attributes.get(fact.segment_case_id, {}))
        return values

    def value(self, fact: CodingFact, attribute: str) -> str | None:
        """One effective attribute of a coding (``kind`` and ``coder`` are built in)."""
        if attribute == "kind":
            return self.sources[fact.source_id][1]
        if attribute == "coder":
            return fact.coder
        if attribute == "speaker":
            return fact.speaker
        if attribute == "case":
            return self.case_names.get(fact.case_id) if fact.case_id is not None else None
        return self.attributes(fact).get(attribute)


def build_quotes(store: Store, facts: Sequence[CodingFact], context: Context | None = None) -> list[Quote]:
    """Turn coding facts into quotes with their words and attribution."""
    context = context or Context.load(store)
    texts = store.texts(sorted({f.source_id for f in facts}))
    dates = {i: text_dates(text, context.sources[i][1]) for i, text in texts.items()}
    quotes = []
    for f in facts:
        name, kind, _words, _case = context.sources[f.source_id]
        date = f.entry_date or (None if f.start_time is not None else passage_date(dates[f.source_id], f.start))
        quotes.append(Quote(
            coding_id=f.coding_id, source_id=f.source_id, source_name=name, source_kind=kind, start=f.start,
            end=f.end, text=texts[f.source_id][f.start:f.end], code_id=f.code_id,
            code_name=context.code_names.get(f.code_id, "?"), code_path=context.code_paths.get(f.code_id, "?"),
            coder=f.coder, origin=f.origin, memo=f.memo, speaker=f.speaker, start_time=f.start_time,
            entry_date=f.entry_date, case=context.case_names.get(f.case_id) if f.case_id is not None else None,
            attributes=context.attributes(f), date=date,
            provenance=provenance(f.origin, f.accepted_by or f.coder, f.accept_mode, f.accept_min_score),
            accept_mode=f.accept_mode))
    return quotes


def load_quotes(store: Store, *, code_ids: Sequence[int] | None = None, coders: Sequence[str] | None = None,
                source_ids: Sequence[int] | None = None, origins: Sequence[str] | None = None,
                where: Mapping[str, str] | None = None) -> list[Quote]:
    """Quotes filtered by codes, coders, sources, origins and effective attributes."""
    context = Context.load(store)
    facts = store.coding_facts(code_ids=code_ids, coders=coders, source_ids=source_ids, origins=origins)
    if where:
        facts = [f for f in facts if all(context.value(f, k) == v for k, v in where.items())]
    return build_quotes(store, facts, context)


def format_time(seconds: float | None) -> str:
    """``h:mm:ss`` (or ``m:ss``) for a recording position."""
    if seconds is None:
        return ""
    total = int(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


# Speaker labels that name a role, not a person (kept as they are; their words name whose interview they are in).
ROLE_LABELS = frozenset({"interviewer", "facilitator", "moderator", "researcher", "evaluator", "note taker",
                         "notetaker", "chair", "host", "q", "a", "question", "answer", "unknown", "speaker",
                         "participant", "respondent", "interviewee", "group", "all", "several"})
KIND_LABELS = {"interview": "interview", "diary": "diary", "journal": "journal", "fieldnote": "field note",
               "survey": "survey", "social": "social media post", "document": "document"}


def is_role_label(speaker: str | None) -> bool:
    """Whether a speaker label names a role (Interviewer, Speaker 2) rather than a person."""
    if not speaker:
        return False
    base = re.sub(r"[\s\d.:#()-]+$", "", speaker.strip()).lower()
    return base in ROLE_LABELS


def attribution(quote: Quote, pseudonyms: Mapping[str, str] | None = None,
                keys: Sequence[str] = ("role", "site")) -> str:
    """Who said it and what kind of source, the one form every view uses, never a file name:
    ``NG-R01, resident, Northgate · interview, 00:03:12`` (who, role, site · kind, time or date). An
    interviewer's words name whose interview they are in: ``Interviewer, Northgate · interview NG-R01``."""
    pseudonyms = pseudonyms or {}
    staff = is_role_label(quote.speaker)
    if staff:
        who = (quote.speaker or "").strip()
    else:
        who = quote.case or quote.attributes.get("participant") or quote.speaker or ""
        who = pseudonyms.get(who, who)
    details = [who] if who else []
    details += [quote.attributes[k] for k in keys if quote.attributes.get(k) and not (staff and k == "role")]
    kind = KIND_LABELS.get(quote.source_kind, quote.source_kind)
    where = [f"{kind} {quote.case}" if staff and quote.case else kind]
    if quote.start_time is not None:
        where.append(format_time(quote.start_time))
    elif quote.date:
        where.append(quote.date)
    return ", ".join(details) + (" · " if details else "") + ", ".join(where)