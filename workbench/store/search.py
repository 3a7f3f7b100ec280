"""Full-text search over segments (FTS5), with filters by attribute, speaker, kind and code."""
from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass

from workbench.errors import SearchSyntaxError
from workbench.store.db import Database

_FTS_SYNTAX = re.compile(r'["*()]|\b(AND|OR|NOT|NEAR)\b')
_TOKEN = re.compile(r"\w+", re.UNICODE)


@dataclass
class SegmentHit:
    """A segment matching a search, ranked by BM25 (lower is better)."""

    segment_id: int
    source_id: int
    source_name: str
    source_kind: str
    start: int
    end: int
    speaker: str | None
    start_time: float | None
    entry_date: str | None
    rank: float
    case_name: str | None = None  # the segment's own case: a survey answer's respondent
    label: str | None = None  # the segment's label: a survey answer's question


def fts_query(query: str) -> str:
    """Turn what a researcher types into an FTS5 query: plain words are ANDed, FTS syntax passes through."""
    query = query.strip()
    if not query:
        raise SearchSyntaxError("type one or more words to search for")
    if _FTS_SYNTAX.search(query):
        return query
    tokens = _TOKEN.findall(query)
    if not tokens:
        raise SearchSyntaxError(f"nothing to search for in {query!r}")
    return " ".join(f'"{t}"' for t in tokens)


class SearchStore:
    """The FTS5 query with its filters."""

    database: Database

    def search_segments(self, query: str, *, attributes: dict[str, str] | None = None, speaker: str | None = None,
                        kind: str | None = None, code_id: int | None = None, limit: int = 200) -> list[SegmentHit]:
        """Segments whose text matches ``query``; filters combine with AND."""
        sql = ["SELECT g.id, g.source_id, s.name, s.kind, g.start, g.\"end\", g.speaker, g.start_time,",
               "g.entry_date, f.rank, (SELECT name FROM cases WHERE id = g.case_id), g.label",
               "FROM segments_fts f JOIN segments g ON g.id = f.rowid",
               "JOIN sources s ON s.id = g.source_id WHERE segments_fts MATCH ?"]
        params: list = [fts_query(query)]
        if speaker:
            sql.append("AND g.speaker = ? COLLATE NOCASE")
            params.append(speaker)
        if kind:
            sql.append("AND s.kind = ?")
            params.append(kind)
        for key, value in (attributes or {}).items():
            # A segment's attribute: its own case's (survey respondent), else its source's or the source's case's.
            sql.append("AND coalesce("
                       "(SELECT value FROM attributes WHERE owner_type='case' AND owner_id=g.case_id AND key=?),"
                       "(SELECT value FROM attributes WHERE owner_type='source' AND owner_id=g.source_id AND key=?),"
                       "(SELECT value FROM attributes WHERE owner_type='case' AND owner_id=s.case_id AND key=?)"
                       ") = ? COLLATE NOCASE")
            params += [key.lower()] * 3 + [value]
        if code_id is not None:
            sql.append('AND EXISTS (SELECT 1 FROM codings c WHERE c.source_id = g.source_id AND c.code_id = ? '
                       'AND c.start < g."end" AND c."end" > g.start)')
            params.append(code_id)
        sql.append("ORDER BY f.rank LIMIT ?")
        params.append(limit)
        try:
            rows = self.database.conn.execute(" ".join(sql), params).fetchall()
        except sqlite3.OperationalError as exc:
            raise SearchSyntaxError(f"cannot search for {query!r}: {exc}") from exc
        return [SegmentHit(*row) for row in rows]
