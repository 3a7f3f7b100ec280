"""Machine suggestions awaiting a person's decision."""
from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import asdict

from workbench.errors import Conflict, NotFound
from workbench.model import NewSuggestion, Suggestion
from workbench.store.db import Database, now


_COLUMNS = tuple(Suggestion.__dataclass_fields__)
ORDERS = ("score", "learn")
WINDOW_FROM = 20_000  # rows the learning order reads per code before one sort of the whole queue is quicker
_BEST_FIRST = "g.score DESC, g.source_id, g.start, g.id"  # a total order: pages never overlap
_LOWEST_FIRST = "g.score, g.source_id, g.start, g.id"
_KNOWN = ("SELECT code_id, count(*) AS n FROM codings GROUP BY code_id UNION ALL "  # suggestions_code index
          "SELECT code_id, count(*) AS n FROM suggestions WHERE status = 'rejected' GROUP BY code_id")
LABEL_LENGTH = 30  # characters of the suggested words a message quotes


def shorten(text: str, limit: int = LABEL_LENGTH) -> str:
    """Words on one line, cut at a word boundary to about ``limit`` characters with an ellipsis."""
    words = " ".join(text.split())
    if len(words) <= limit:
        return words
    cut = words[:limit + 1].rsplit(" ", 1)[0] if " " in words[:limit + 1] else words[:limit]
    return cut.rstrip(" ,;:.") + "…"


def _where(*, status: str | None, code_ids: Sequence[int] | None = None, source_id: int | None = None,
           suggester: str | None = None, min_score: float | None = None,
           attributes: dict[str, str] | None = None) -> tuple[str, list]:
    """The WHERE clause (over ``suggestions g``) and its parameters for the usual filters."""
    sql, params = ["1"], []
    for column, value in (("status", status), ("source_id", source_id), ("suggester", suggester)):
        if value is not None:
            sql.append(f"g.{column} = ?")
            params.append(value)
    if code_ids is not None:
        sql.append(f"g.code_id IN ({','.join('?' * len(code_ids))})")
        params += list(code_ids)
    if min_score is not None:
        sql.append("g.score >= ?")
        params.append(min_score)
    for key, value in (attributes or {}).items():  # one sub-select per attribute, not one per suggestion
        sql.append("g.source_id IN (SELECT a.owner_id FROM attributes a WHERE a.owner_type = 'source' "
                   "AND a.key = ? AND a.value = ?)")
        params += [key.lower(), value]
    return " AND ".join(sql), params


class SuggestionStore:
    """Storing suggestions and deciding on them."""

    database: Database

    def replace_suggestions(self, new: Sequence[NewSuggestion], actor: str, *,
                            code_ids: Sequence[int] | None = None,
                            source_ids: Sequence[int] | None = None) -> int:
        """Swap the pending suggestions in scope (codes × sources) for ``new``; returns how many were stored.

        Spans a person already decided on (accepted or rejected) are never suggested again, and a span
        already carrying the code as a coding is not suggested.
        """
        db = self.database
        with db.transaction() as conn:
            sql, params = "DELETE FROM suggestions WHERE status = 'pending'", []
            if code_ids is not None:
                sql += f" AND code_id IN ({','.join('?' * len(code_ids))})"
                params += list(code_ids)
            if source_ids is not None:
                sql += f" AND source_id IN ({','.join('?' * len(source_ids))})"
                params += list(source_ids)
            conn.execute(sql, params)
            stamp = now()
            before = db.scalar("SELECT total_changes()")
            conn.executemany(
                'INSERT OR IGNORE INTO suggestions (source_id, start, "end", code_id, score, reason, suggester, '
                "model, status, created_at) SELECT ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ? WHERE NOT EXISTS "
                '(SELECT 1 FROM codings c WHERE c.source_id = ? AND c.code_id = ? AND c.start < ? AND c."end" > ?)',
                [(s.source_id, s.start, s.end, s.code_id, float(s.score), s.reason, s.suggester, s.model, stamp,
                  s.source_id, s.code_id, s.end, s.start) for s in new])
            stored = db.scalar("SELECT total_changes()") - before
            db.log(actor, "suggestions.run", "project", None,
                   {"stored": stored, "proposed": len(new), "codes": list(code_ids or []),
                    "sources": list(source_ids or []), "suggesters": sorted({s.suggester for s in new})})
            return stored

    def suggestions(self, *, source_id: int | None = None, status: str | None = "pending",
                    code_ids: Sequence[int] | None = None, min_score: float | None = None,
                    attributes: dict[str, str] | None = None, limit: int | None = None) -> list[Suggestion]:
        """Suggestions filtered by source, status, codes, score and source attributes, best first."""
        where, params = _where(source_id=source_id, status=status, code_ids=code_ids, min_score=min_score,
                               attributes=attributes)
        sql = f"SELECT g.* FROM suggestions g WHERE {where} ORDER BY {_BEST_FIRST}"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        return [Suggestion(**r) for r in self.database.query(sql, params)]

    def pending_page(self, *, order: str = "score", limit: int, offset: int = 0,
                     code_ids: Sequence[int] | None = None, source_id: int | None = None,
                     suggester: str | None = None, min_score: float | None = None,
                     attributes: dict[str, str] | None = None,
                     per_code: dict[int, int] | None = None) -> list[Suggestion]:
        """One page of the pending suggestions within the filters, ordered and cut in SQL (``per_code``: what
        `pending_per_code` just gave for the same filters, so the learning order need not count again).

        ``order``: "score" (best first) or "learn": codes the engine knows least about first (fewest codings
        plus rejected suggestions, `known_per_code`), the codes taking turns, within a code the most uncertain
        suggestion (score nearest 0.5) first, but for a code known not at all its lowest-scored one before
        those (`workbench.assist.review.learning_order` says why). Deciding the first row moves its code
        behind the others in the turn, so a reviewer deciding from the top goes round the codes as the page
        showed. Both orders are total (ties broken by source, position and id), so consecutive pages never
        repeat or skip a suggestion.
        """
        if order not in ORDERS:
            raise ValueError(f"unknown order {order!r}; use one of {', '.join(ORDERS)}")
        filters = dict(code_ids=code_ids, source_id=source_id, suggester=suggester, min_score=min_score,
                       attributes=attributes)
        if order == "learn":
            return self._learning_page(limit, offset, filters, per_code)
        where, params = _where(status="pending", **filters)
        sql = f"SELECT g.* FROM suggestions g WHERE {where} ORDER BY {_BEST_FIRST} LIMIT ? OFFSET ?"
        return [Suggestion(**r) for r in self.database.query(sql, [*params, limit, offset])]

    def _learning_page(self, limit: int, offset: int, filters: dict,
                       per_code: dict[int, int] | None) -> list[Suggestion]:
        # Turn t of the learning order holds the t-th most uncertain suggestion of every code that has t;
        # the page ends within the first ``turns`` turns, so each code gives at most that many rows, read
        # in order from the suggestions_uncertain index (never the whole queue).
        per_code = self.pending_per_code(**filters) if per_code is None else per_code
        coded = self.known_per_code()
        wanted, turns = offset + limit, 0
        while turns < max(per_code.values(), default=0) and sum(min(n, turns) for n in per_code.values()) < wanted:
            turns = max(turns + 1, turns * 2)
        turns = min(turns, max(per_code.values(), default=0))
        where, params = _where(status="pending", **filters)
        # One compound SELECT holds at most 500 terms and the build's limit of bound parameters (999 on old ones).
        most = self.database.conn.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
        step = max(1, min(200, most // (len(params) + 2)))
        # A code known not at all gives its lowest-scored suggestion first (one row per such code).
        unknown = [c for c in per_code if not coded.get(c, 0)]
        lowest_one = (f"SELECT * FROM (SELECT g.* FROM suggestions g WHERE g.code_id = ? AND {where} "
                      f"ORDER BY {_LOWEST_FIRST} LIMIT 1)")
        lowest: dict[int, Suggestion] = {}
        for at in range(0, len(unknown), step):
            chunk = unknown[at:at + step]
            sql = " UNION ALL ".join([lowest_one] * len(chunk))
            for r in self.database.query(sql, [a for c in chunk for a in (c, *params)]):
                lowest[r["code_id"]] = Suggestion(**r)
        if sum(min(n, turns) for n in per_code.values()) > WINDOW_FROM:  # deep pages: one sort is quicker
            columns = ", ".join(f'q."{c}"' for c in _COLUMNS)
            firsts = ",".join(str(int(g.id)) for g in lowest.values()) or "NULL"  # our own integer ids
            sql = (f"WITH coded AS (SELECT code_id, sum(n) AS n FROM ({_KNOWN}) GROUP BY code_id), "
                   f"q AS (SELECT g.*, row_number() OVER (PARTITION BY g.code_id ORDER BY "
                   f"g.id NOT IN ({firsts}), abs(g.score - 0.5), {_BEST_FIRST}) AS turn "
                   f"FROM suggestions g WHERE {where}) "
                   f"SELECT {columns} FROM q LEFT JOIN coded k ON k.code_id = q.code_id "
                   f"ORDER BY q.turn, ifnull(k.n, 0), q.code_id LIMIT ? OFFSET ?")
            return [Suggestion(**r) for r in self.database.query(sql, [*params, limit, offset])]
        index = "INDEXED BY suggestions_uncertain" if filters["source_id"] is None else ""
        one_code = (f"SELECT * FROM (SELECT g.* FROM suggestions g {index} WHERE g.code_id = ? AND {where} "
                    f"ORDER BY abs(g.score - 0.5), {_BEST_FIRST} LIMIT ?)")
        by_code: dict[int, list[Suggestion]] = {}
        codes = list(per_code)
        for at in range(0, len(codes), step):
            chunk = codes[at:at + step]
            sql = " UNION ALL ".join([one_code] * len(chunk))
            for r in self.database.query(sql, [a for c in chunk for a in (c, *params, turns)]):
                by_code.setdefault(r["code_id"], []).append(Suggestion(**r))
        rows = []
        for code_id, items in by_code.items():
            items.sort(key=lambda g: (abs(g.score - 0.5), -g.score, g.source_id, g.start, g.id))
            if code_id in lowest:
                first = lowest[code_id]
                items = [first] + [g for g in items if g.id != first.id]
            rows += [(turn, coded.get(code_id, 0), code_id, g) for turn, g in enumerate(items)]
        rows.sort(key=lambda row: row[:3])
        return [row[3] for row in rows[offset:offset + limit]]

    def known_per_code(self) -> dict[int, int]:
        """Code id → what the engine knows about it from people: its codings plus its rejected suggestions
        (the learning order's first key)."""
        known: dict[int, int] = {}
        for code_id, n in self.database.conn.execute(_KNOWN):
            known[code_id] = known.get(code_id, 0) + n
        return known

    def pending_per_code(self, *, code_ids: Sequence[int] | None = None, source_id: int | None = None,
                         suggester: str | None = None, min_score: float | None = None,
                         attributes: dict[str, str] | None = None) -> dict[int, int]:
        """Code id → how many pending suggestions within the filters it has."""
        where, params = _where(status="pending", code_ids=code_ids, source_id=source_id, suggester=suggester,
                               min_score=min_score, attributes=attributes)
        # Counted from an index holding every column the filters read (the planner otherwise reads all 100,000
        # rows through suggestions_status: 0.4 s, not 20 ms); a single source is quicker through its own index.
        index = ("" if source_id is not None else "INDEXED BY suggestions_suggester" if suggester is not None
                 else "INDEXED BY suggestions_uncertain")
        return dict(self.database.conn.execute(f"SELECT g.code_id, count(*) FROM suggestions g {index} "
                                               f"WHERE {where} GROUP BY g.code_id", params).fetchall())

    def count_pending(self, *, code_ids: Sequence[int] | None = None, source_id: int | None = None,
                      suggester: str | None = None, min_score: float | None = None,
                      attributes: dict[str, str] | None = None) -> int:
        """How many pending suggestions lie within the filters."""
        where, params = _where(status="pending", code_ids=code_ids, source_id=source_id, suggester=suggester,
                               min_score=min_score, attributes=attributes)
        return self.database.scalar(f"SELECT count(*) FROM suggestions g WHERE {where}", params)

    def pending_ids(self, *, code_ids: Sequence[int] | None = None, source_id: int | None = None,
                    suggester: str | None = None, min_score: float | None = None,
                    attributes: dict[str, str] | None = None) -> list[tuple[int, int]]:
        """(suggestion id, code id) of every pending suggestion within the filters, best first: what a bulk
        accept takes, without texts."""
        where, params = _where(status="pending", code_ids=code_ids, source_id=source_id, suggester=suggester,
                               min_score=min_score, attributes=attributes)
        return self.database.conn.execute(f"SELECT g.id, g.code_id FROM suggestions g WHERE {where} "
                                          f"ORDER BY {_BEST_FIRST}", params).fetchall()

    def pending_suggesters(self) -> list[str]:
        """The suggesters with pending suggestions."""
        # A skip scan of the suggestions_suggester index: one step per suggester, not one per suggestion.
        rows = self.database.conn.execute(
            "WITH RECURSIVE s(name) AS (SELECT min(suggester) FROM suggestions UNION ALL "
            "SELECT (SELECT min(suggester) FROM suggestions WHERE suggester > s.name) FROM s WHERE s.name IS NOT NULL) "
            "SELECT name FROM s WHERE name IS NOT NULL AND EXISTS "
            "(SELECT 1 FROM suggestions g WHERE g.suggester = s.name AND g.status = 'pending') ORDER BY name")
        return [r[0] for r in rows]

    def get_suggestion(self, suggestion_id: int) -> Suggestion:
        """One suggestion by id."""
        rows = self.database.query("SELECT * FROM suggestions WHERE id = ?", (suggestion_id,))
        if not rows:
            raise NotFound(f"no suggestion with id {suggestion_id}")
        return Suggestion(**rows[0])

    def suggestions_by_id(self, suggestion_ids: Sequence[int]) -> list[Suggestion]:
        """Suggestions by id, in the order asked (ids that do not exist are left out)."""
        found: dict[int, Suggestion] = {}
        for at in range(0, len(suggestion_ids), 900):  # SQLite's limit on bound parameters
            chunk = suggestion_ids[at:at + 900]
            for r in self.database.query(f"SELECT * FROM suggestions WHERE id IN ({','.join('?' * len(chunk))})",
                                         list(chunk)):
                found[r["id"]] = Suggestion(**r)
        return [found[i] for i in suggestion_ids if i in found]

    def suggestion_label(self, suggestion: Suggestion) -> str:
        """A suggestion in words for messages: ``Housing on “we rent a flat above the chip…”``."""
        row = self.database.query("SELECT c.name, substr(s.text, ? + 1, ?) AS words FROM codes c, sources s "
                                  "WHERE c.id = ? AND s.id = ?", (suggestion.start, suggestion.end - suggestion.start,
                                                                  suggestion.code_id, suggestion.source_id))
        if not row:
            return f"suggestion {suggestion.id}"
        return f"{row[0]['name']} on “{shorten(row[0]['words'])}”"

    def _pending(self, suggestion_id: int) -> Suggestion:
        s = self.get_suggestion(suggestion_id)
        if s.status != "pending":
            raise Conflict(f"{self.suggestion_label(s)} was already {s.status} by {s.decided_by}")
        return s

    def accept_suggestion(self, suggestion_id: int, actor: str, *, start: int | None = None,
                          end: int | None = None, code_id: int | None = None,
                          bulk_min_score: float | None = None) -> int:
        """Turn a suggestion into the actor's coding (optionally with an adjusted span or code).

        The coding records how it was accepted: one by one, or (with ``bulk_min_score``) in bulk with
        every suggestion scoring at least that.
        """
        db = self.database
        with db.transaction() as conn:
            s = self._pending(suggestion_id)
            mode = "one" if bulk_min_score is None else "bulk"
            with db.logging_as(f"suggestion.accept:{suggestion_id}"):  # one action: undone with the accept
                coding_id = self.add_coding(  # type: ignore[attr-defined]
                    s.source_id, s.start if start is None else start, s.end if end is None else end,
                    s.code_id if code_id is None else code_id, actor, origin="suggestion", suggester=s.suggester,
                    model=s.model, score=s.score, reason=s.reason, accepted_by=actor, accept_mode=mode,
                    accept_min_score=bulk_min_score)
            conn.execute("UPDATE suggestions SET status = 'accepted', decided_by = ?, decided_at = ?, coding_id = ? "
                         "WHERE id = ?", (actor, now(), coding_id, suggestion_id))
            adjusted = {k: v for k, v in {"start": start, "end": end, "code_id": code_id}.items() if v is not None}
            db.log(actor, "suggestion.accept", "suggestion", suggestion_id,
                   {"suggestion": asdict(s), "coding_id": coding_id, "adjusted": adjusted, "mode": mode,
                    "min_score": bulk_min_score})
            return coding_id

    def accept_suggestions_in_bulk(self, suggestion_ids: Sequence[int], actor: str, *,
                                   min_score: float) -> tuple[list[int], list[int]]:
        """Accept many suggestions as ONE action (one event, one undo step), each coding marked as accepted in
        bulk at ``min_score``; returns (coding ids, ids skipped because they were no longer pending)."""
        db = self.database
        with db.transaction():
            coding_ids, accepted, skipped = [], [], []
            with db.logging_as("suggestion.accept_bulk"):  # the single accepts are parts of this action
                for suggestion_id in suggestion_ids:
                    if self.get_suggestion(suggestion_id).status != "pending":
                        skipped.append(suggestion_id)
                        continue
                    coding_ids.append(self.accept_suggestion(suggestion_id, actor, bulk_min_score=min_score))
                    accepted.append(suggestion_id)
            names = dict(db.conn.execute("SELECT g.id, c.name FROM suggestions g JOIN codes c ON c.id = g.code_id "
                                         f"WHERE g.id IN ({','.join('?' * len(accepted))})", accepted).fetchall())
            codes: dict[str, int] = {}
            for suggestion_id in accepted:
                codes[names[suggestion_id]] = codes.get(names[suggestion_id], 0) + 1
            db.log(actor, "suggestion.accept_bulk", "project", None,
                   {"suggestion_ids": accepted, "coding_ids": coding_ids, "min_score": min_score,
                    "codes": dict(sorted(codes.items(), key=lambda kv: (-kv[1], kv[0]))), "skipped": skipped})
            return coding_ids, skipped

    def restore_suggestions(self, suggestions: Sequence[dict], actor: str) -> int:
        """Put pending suggestions back with their ids (a person's coding that resolved them was undone)."""
        db = self.database
        with db.transaction() as conn:
            before = db.scalar("SELECT total_changes()")
            conn.executemany(f'INSERT OR IGNORE INTO suggestions ({", ".join(chr(34) + c + chr(34) for c in _COLUMNS)}) '
                             f"VALUES ({','.join('?' * len(_COLUMNS))})", [[s[c] for c in _COLUMNS] for s in suggestions])
            restored = db.scalar("SELECT total_changes()") - before
            if restored:
                db.log(actor, "suggestions.restore", "project", None, {"ids": [s["id"] for s in suggestions]})
            return restored

    def reject_suggestion(self, suggestion_id: int, actor: str) -> None:
        """Record that a person rejected this suggestion: it is never proposed again and teaches the engine."""
        db = self.database
        with db.transaction() as conn:
            s = self._pending(suggestion_id)
            conn.execute("UPDATE suggestions SET status = 'rejected', decided_by = ?, decided_at = ? WHERE id = ?",
                         (actor, now(), suggestion_id))
            db.log(actor, "suggestion.reject", "suggestion", suggestion_id, {"suggestion": asdict(s)})

    def reopen_suggestion(self, suggestion_id: int, actor: str) -> None:
        """Put a decided suggestion back in the queue (used by undo)."""
        db = self.database
        with db.transaction() as conn:
            s = self.get_suggestion(suggestion_id)
            conn.execute("UPDATE suggestions SET status = 'pending', decided_by = NULL, decided_at = NULL, "
                         "coding_id = NULL WHERE id = ?", (suggestion_id,))
            db.log(actor, "suggestion.reopen", "suggestion", suggestion_id, {"suggestion": asdict(s)})

    def suggestion_counts(self) -> dict[str, int]:
        """How many suggestions are pending, accepted and rejected."""
        rows = self.database.conn.execute("SELECT status, count(*) FROM suggestions GROUP BY status").fetchall()
        return {"pending": 0, "accepted": 0, "rejected": 0, **dict(rows)}
