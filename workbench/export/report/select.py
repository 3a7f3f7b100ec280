"""Choosing which quotes of a code a report shows: cover the sites and participants, prefer readable lengths.

The rule, deterministic for a given project:

1. Passages coded more than once (both coders on the same words, or one coding inside another)
   are shown once: of overlapping codings of one source, the one with the best length is kept.
2. Quotes are grouped by site, and within a site by participant. Sites take turns (alphabetical);
   within a site, participants take turns (the one with the best quote first), and each turn takes
   that participant's best remaining quote. So with four quotes and two sites both sites appear,
   and one talkative participant cannot fill a code's section.
3. "Best" prefers passages a person coded over accepted suggestions, then quotes of about one to four
   sentences (150-450 characters): shorter ones lose context, longer ones are hard to read in a report.
   Ties go to the earlier passage.
4. The chosen quotes are printed grouped by site, then participant, then position in the source.
"""
from __future__ import annotations

from collections import deque
from collections.abc import Sequence

from workbench.analysis.passages import length_score, same_passage
from workbench.export.report.data import NO_SITE, Excerpt


def _rank(excerpt: Excerpt) -> tuple:
    """Sort key: best length first, then earlier passages; of the same words, a person's coding before an
    accepted suggestion (so a passage people coded too is not shown as machine-suggested)."""
    q = excerpt.quote
    return (-length_score(len(excerpt.text.strip())), q.source_name, q.start, q.end, q.origin == "suggestion",
            q.coder)


def _quote_rank(excerpt: Excerpt) -> tuple:
    """Which passages to quote first: those a person coded before accepted suggestions (a machine's choice
    of words is weaker evidence and is marked when shown), then by ``_rank``."""
    return (excerpt.quote.origin == "suggestion", *_rank(excerpt))


def _overlap(a: Excerpt, b: Excerpt) -> bool:
    """Whether two codings of one source cover mostly the same words (the Compare page's rule, too)."""
    return same_passage((a.quote.source_id, a.quote.start, a.quote.end),
                        (b.quote.source_id, b.quote.start, b.quote.end))


def shares_words(a: Excerpt, b: Excerpt) -> bool:
    """Whether two codings of one source share any words (a quote shown once in a theme is not shown again)."""
    return a.quote.source_id == b.quote.source_id and min(a.quote.end, b.quote.end) > max(a.quote.start, b.quote.start)


def distinct_passages(excerpts: Sequence[Excerpt]) -> list[Excerpt]:
    """One excerpt per passage: overlapping codings collapse to the best-length one."""
    kept: list[Excerpt] = []
    for excerpt in sorted(excerpts, key=_rank):
        if not any(_overlap(excerpt, other) for other in kept):
            kept.append(excerpt)
    return kept


def _site_order(site: str) -> tuple[int, str]:
    return (site == NO_SITE, site)


def reading_order(excerpts: Sequence[Excerpt]) -> list[Excerpt]:
    """Grouped by site, then participant, then source and position."""
    return sorted(excerpts, key=lambda e: (_site_order(e.site), e.who, e.quote.source_name, e.quote.start))


def choose_quotes(excerpts: Sequence[Excerpt], limit: int | None) -> list[Excerpt]:
    """Up to ``limit`` quotes (all when None or 0) covering sites, then participants, in reading order."""
    pool = distinct_passages(excerpts)
    if not limit or len(pool) <= limit:
        return reading_order(pool)
    sites: dict[str, dict[str, list[Excerpt]]] = {}
    for excerpt in sorted(pool, key=_quote_rank):  # so each participant's list is best-first
        sites.setdefault(excerpt.site, {}).setdefault(excerpt.who, []).append(excerpt)
    turns = {site: deque(sorted(people, key=lambda w: (_quote_rank(people[w][0]), w)))
             for site, people in sites.items()}
    chosen: list[Excerpt] = []
    while len(chosen) < limit:
        for site in sorted(turns, key=_site_order):
            if len(chosen) == limit or not turns[site]:
                continue
            who = turns[site].popleft()
            chosen.append(sites[site][who].pop(0))
            if sites[site][who]:
                turns[site].append(who)
    return reading_order(chosen)
