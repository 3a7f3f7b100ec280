"""Machine suggestions awaiting a person's decision."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict

from workbench.errors import Conflict, NotFound
from workbench.model import NewSuggestion, Suggestion
from workbench.store.db import Database, now


_COLUMNS = tuple(Suggestion.__dataclass_fields__)
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
        sql, params = ["SELECT g.* FROM suggestions g WHERE 1"], []
        if source_id is not None:
            sql.append("AND g.source_id = ?")
            params.append(source_id)
        if status is not None:
            sql.append("AND g.status = ?")
            params.append(status)
        if code_ids is not None:
            sql.append(f"AND g.code_id IN ({','.join('?' * len(code_ids))})")
            params += list(code_ids)
        if min_score is not None:
            sql.append("AND g.score >= ?")
            params.append(min_score)
        for key, value in (attributes or {}).items():
            sql.append("AND EXISTS (SELECT 1 FROM attributes a WHERE a.owner_type = 'source' "
                       "AND a.owner_id = g.source_id AND a.key = ? AND a.value = ?)")
            params += [key.lower(), value]
        sql.append("ORDER BY g.score DESC, g.source_id, g.start")
        if limit is not None:
            sql.append("LIMIT ?")
            params.append(limit)
        return [Suggestion(**r) for r in self.database.query(" ".join(sql), params)]

    def get_suggestion(self, suggestion_id: int) -> Suggestion:
        """One suggestion by id."""
        rows = self.database.query("SELECT * FROM suggestions WHERE id = ?", (suggestion_id,))
        if not rows:
            raise NotFound(f"no suggestion with id {suggestion_id}")
        return Suggestion(**rows[0])

    def accept_suggestion(self, suggestion_id: int, actor: str, *, start: int | None = None,
                          end: int | None = None, code_id: int | None = None) -> int:
        """Turn a suggestion into the actor's coding (optionally with an adjusted span or code)."""
        db = self.database
        with db.transaction() as conn:
            s = self.get_suggestion(suggestion_id)
            if s.status != "pending":
                raise Conflict(f"suggestion {suggestion_id} was already {s.status} by {s.decided_by}")
            with db.logging_as(f"suggestion.accept:{suggestion_id}"):  # one action: undone with the accept
                coding_id = self.add_coding(  # type: ignore[attr-defined]
                    s.source_id, s.start if start is None else start, s.end if end is None else end,
                    s.code_id if code_id is None else code_id, actor, origin="suggestion", suggester=s.suggester,
                    model=s.model, score=s.score, reason=s.reason, accepted_by=actor)
            conn.execute("UPDATE suggestions SET status = 'accepted', decided_by = ?, decided_at = ?, coding_id = ? "
                         "WHERE id = ?", (actor, now(), coding_id, suggestion_id))
            adjusted = {k: v for k, v in {"start": start, "end": end, "code_id": code_id}.items() if v is not None}
            db.log(actor, "suggestion.accept", "suggestion", suggestion_id,
                   {"suggestion": asdict(s), "coding_id": coding_id, "adjusted": adjusted})
            return coding_id

    def reject_suggestion(self, suggestion_id: int, actor: str) -> None:
        """Record that a person rejected this suggestion: it is never proposed again and teaches the engine."""
        db = self.database
        with db.transaction() as conn:
            s = self.get_suggestion(suggestion_id)
            if s.status != "pending":
                raise Conflict(f"suggestion {suggestion_id} was already {s.status} by {s.decided_by}")
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
