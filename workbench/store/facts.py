"""Bulk reads for analysis and export: codings with their segment, source and case, attributes."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from workbench.store.db import Database


@dataclass
class CodingFact:
    """A coding with where it stands: its structural segment (speaker, time, date) and cases."""

    coding_id: int
    code_id: int
    source_id: int
    start: int
    end: int
    coder: str
    origin: str
    memo: str
    segment_id: int | None
    segment_case_id: int | None
    speaker: str | None
    start_time: float | None
    entry_date: str | None
    source_case_id: int | None
    accepted_by: str | None = None  # for accepted suggestions: who accepted, how, at what lowest score
    accept_mode: str | None = None
    accept_min_score: float | None = None

    @property
    def case_id(self) -> int | None:
        """The participant this coding belongs to: the segment's (survey respondent), else the source's."""
        return self.segment_case_id if self.segment_case_id is not None else self.source_case_id


def _in(column: str, values: Sequence) -> tuple[str, list]:
    return f" AND {column} IN ({','.join('?' * len(values))})", list(values)


class FactStore:
    """Reads shaped for matrices, reports and spreadsheets."""

    database: Database

    def coding_facts(self, *, code_ids: Sequence[int] | None = None, coders: Sequence[str] | None = None,
                     source_ids: Sequence[int] | None = None,
                     origins: Sequence[str] | None = None) -> list[CodingFact]:
        """Codings (filtered) with the structural segment each one starts in."""
        sql = ('SELECT c.id, c.code_id, c.source_id, c.start, c."end", c.coder, c.origin, c.memo, g.id, g.case_id, '
               "g.speaker, g.start_time, g.entry_date, s.case_id, c.accepted_by, c.accept_mode, c.accept_min_score "
               "FROM codings c JOIN sources s ON s.id = c.source_id "
               "LEFT JOIN segments g ON g.id = (SELECT x.id FROM segments x WHERE x.source_id = c.source_id "
               "AND x.kind != 'sentence' AND x.start <= c.start ORDER BY x.start DESC LIMIT 1) WHERE 1")
        params: list = []
        for column, values in (("c.code_id", code_ids), ("c.coder", coders), ("c.source_id", source_ids),
                               ("c.origin", origins)):
            if values is not None:
                clause, extra = _in(column, values)
                sql += clause
                params += extra
        rows = self.database.conn.execute(sql + " ORDER BY c.source_id, c.start, c.id", params).fetchall()
        return [CodingFact(*row) for row in rows]

    def all_attributes(self, owner_type: str) -> dict[int, dict[str, str]]:
        """Every source's (or case's) attributes: owner id → {key: value}."""
        result: dict[int, dict[str, str]] = {}
        rows = self.database.conn.execute("SELECT owner_id, key, value FROM attributes WHERE owner_type = ?",
                                          (owner_type,))
        for owner_id, key, value in rows:
            result.setdefault(owner_id, {})[key] = value
        return result

    def source_index(self) -> dict[int, tuple[str, str, int, int | None]]:
        """Source id → (name, kind, words, case id), without texts."""
        rows = self.database.conn.execute("SELECT id, name, kind, words, case_id FROM sources")
        return {r[0]: (r[1], r[2], r[3], r[4]) for r in rows}

    def case_names(self) -> dict[int, str]:
        """Case id → name."""
        return dict(self.database.conn.execute("SELECT id, name FROM cases").fetchall())

    def case_segment_words(self) -> list[tuple[int, int, int]]:
        """(source id, case id, words) for segments that belong to their own case (survey answers)."""
        rows = self.database.conn.execute(
            "SELECT g.source_id, g.case_id, s.text, g.start, g.\"end\" FROM segments g JOIN sources s "
            "ON s.id = g.source_id WHERE g.case_id IS NOT NULL AND g.kind != 'sentence'")
        return [(source_id, case_id, len(text[start:end].split())) for source_id, case_id, text, start, end in rows]

    def texts(self, source_ids: Sequence[int]) -> dict[int, str]:
        """The texts of several sources."""
        if not source_ids:
            return {}
        clause, params = _in("id", list(source_ids))
        return dict(self.database.conn.execute("SELECT id, text FROM sources WHERE 1" + clause, params).fetchall())
