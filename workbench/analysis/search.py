"""Search with keyword-in-context lines, over the store's full-text index."""
from __future__ import annotations

import re
from dataclasses import dataclass

from workbench.store import SegmentHit, Store

_WORD = re.compile(r"\w+", re.UNICODE)
_OPERATORS = {"AND", "OR", "NOT", "NEAR"}


@dataclass
class KwicLine:
    """A search hit shown as keyword in context."""

    hit: SegmentHit
    before: str
    match: str
    after: str
    match_start: int  # code-point offset of the match in the source text
    match_end: int
    cut_before: bool = False  # the segment goes on before ``before`` (shown with "…")
    cut_after: bool = False  # ... and after ``after``


def _stem_pattern(query: str) -> re.Pattern[str] | None:
    # FTS5 matches Porter stems; to show the hit we look for words sharing each term's stem-ish prefix.
    terms = [t for t in _WORD.findall(query) if t.upper() not in _OPERATORS]
    if not terms:
        return None
    prefixes = sorted({t.lower()[: max(4, len(t) - 3)] if len(t) > 5 else t.lower() for t in terms}, key=len,
                      reverse=True)
    return re.compile(r"\b(?:" + "|".join(re.escape(p) for p in prefixes) + r")\w*", re.IGNORECASE)


def kwic(text: str, hit: SegmentHit, pattern: re.Pattern[str] | None, width: int = 60) -> KwicLine:
    """The first match inside the hit's segment with ``width`` characters of context each side."""
    segment = text[hit.start:hit.end]
    found = pattern.search(segment) if pattern else None
    m_start, m_end = (found.start(), found.end()) if found else (0, min(len(segment), width))
    while found and (found := pattern.search(segment, m_end)) and found.start() - m_end <= 2:
        m_end = found.end()  # a phrase: highlight its words together
    start, end = hit.start + m_start, hit.start + m_end
    before = text[max(hit.start, start - width):start].replace("\n", " ")
    after = text[end:min(hit.end, end + width)].replace("\n", " ")
    return KwicLine(hit, before, text[start:end], after, start, end,
                    cut_before=start - width > hit.start, cut_after=end + width < hit.end)


def search(store: Store, query: str, *, attributes: dict[str, str] | None = None, speaker: str | None = None,
           kind: str | None = None, code: str | None = None, limit: int = 200, width: int = 60) -> list[KwicLine]:
    """Full-text search returning keyword-in-context lines, best matches first."""
    code_id = store.find_code(code).id if code else None
    hits = store.search_segments(query, attributes=attributes, speaker=speaker, kind=kind, code_id=code_id,
                                 limit=limit)
    pattern = _stem_pattern(query)
    texts: dict[int, str] = {}
    lines = []
    for hit in hits:
        if hit.source_id not in texts:
            texts[hit.source_id] = store.get_source(hit.source_id).text
        lines.append(kwic(texts[hit.source_id], hit, pattern, width))
    return lines
