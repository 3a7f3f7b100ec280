"""Codings (a code on `[start, end)` of a source by a coder) and memos."""
from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import asdict

from workbench.errors import Conflict, InvalidSpan, NotFound
from workbench.model import Coding, Memo
from workbench.store.db import Database, new_uid, now
from workbench.store.suggestions import shorten

_CODING_COLUMNS = tuple(Coding.__dataclass_fields__)


def _coding(row: dict) -> Coding:
    return Coding(**{k: row[k] for k in _CODING_COLUMNS})


class CodingStore:
    """Adding, changing, removing and reading codings and memos."""

    database: Database

    def check_span(self, source_id: int, start: int, end: int) -> None:
        """Raise InvalidSpan unless ``0 <= start < end <= len(text)`` for the source."""
        length = self.database.scalar("SELECT length(text) FROM sources WHERE id = ?", (source_id,))
        if length is None:
            raise NotFound(f"no source with id {source_id}")
        if not (0 <= start < end <= length):
            raise InvalidSpan(f"span [{start}, {end}) does not fit in source {source_id} "
                              f"(its text has {length} characters)")

    def add_coding(self, source_id: int, start: int, end: int, code_id: int, coder: str, *, memo: str = "",
                   origin: str = "manual", suggester: str | None = None, model: str | None = None,
                   score: float | None = None, reason: str | None = None, accepted_by: str | None = None,
                   accept_mode: str | None = None, accept_min_score: float | None = None,
                   uid: str | None = None, created_at: str | None = None) -> int:
        """Apply a code to ``[start, end)`` of a source for a coder; logged; returns the coding id.

        A person's own coding (origin ``manual``) resolves the pending suggestions of the same code on
        the same words: they leave the queue (and come back if the coding is undone).
        """
        db = self.database
        with db.transaction() as conn:
            self.check_span(source_id, start, end)
            code = db.query("SELECT name, codable FROM codes WHERE id = ?", (code_id,))
            if not code:
                raise NotFound(f"no code with id {code_id}")
            if not code[0]["codable"]:
                raise Conflict(f"{code[0]['name']!r} is a category, not a code to apply; choose one of its codes")
            if db.scalar('SELECT 1 FROM codings WHERE source_id=? AND start=? AND "end"=? AND code_id=? AND coder=?',
                         (source_id, start, end, code_id, coder)):
                raise Conflict(f"{coder} has already coded this span with {code[0]['name']!r}")
            cursor = conn.execute(
                'INSERT INTO codings (uid, source_id, start, "end", code_id, coder, created_at, memo, origin, '
                "suggester, model, score, reason, accepted_by, accept_mode, accept_min_score) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (uid or new_uid(), source_id, start, end, code_id, coder, created_at or now(), memo, origin,
                 suggester, model, score, reason, accepted_by, accept_mode, accept_min_score))
            coding_id = int(cursor.lastrowid)
            coding = self.get_coding(coding_id)
            payload: dict = {"coding": asdict(coding)}
            resolved = self.resolve_suggestions(coding)
            if resolved:
                payload["resolved_suggestions"] = resolved
            db.log(coder if origin != "suggestion" else (accepted_by or coder), "coding.add", "coding", coding_id,
                   payload)
            return coding_id

    def resolve_suggestions(self, coding: Coding) -> list[dict]:
        """Take out of the queue the pending suggestions a person's own coding answers (same code, overlapping
        words); returns them as they were, so an undo can put them back. Other origins resolve nothing."""
        if coding.origin != "manual":
            return []
        db = self.database
        rows = db.query("SELECT * FROM suggestions WHERE status = 'pending' AND source_id = ? AND code_id = ? "
                        'AND start < ? AND "end" > ? ORDER BY id',
                        (coding.source_id, coding.code_id, coding.end, coding.start))
        if rows:
            db.conn.execute(f"DELETE FROM suggestions WHERE id IN ({','.join('?' * len(rows))})",
                            [r["id"] for r in rows])
        return rows

    def get_coding(self, coding_id: int) -> Coding:
        """One coding by id."""
        rows = self.database.query("SELECT * FROM codings WHERE id = ?", (coding_id,))
        if not rows:
            raise NotFound(f"no coding with id {coding_id}")
        return _coding(rows[0])

    def remove_coding(self, coding_id: int, actor: str) -> None:
        """Remove a coding (logged with everything needed to restore it)."""
        db = self.database
        with db.transaction() as conn:
            coding = self.get_coding(coding_id)
            conn.execute("DELETE FROM codings WHERE id = ?", (coding_id,))
            db.log(actor, "coding.remove", "coding", coding_id, {"coding": asdict(coding)})

    def update_coding(self, coding_id: int, actor: str, *, memo: str | None = None, start: int | None = None,
                      end: int | None = None, code_id: int | None = None) -> Coding:
        """Change a coding's memo, span or code (logged with before and after)."""
        db = self.database
        with db.transaction() as conn:
            before = self.get_coding(coding_id)
            new_start = before.start if start is None else start
            new_end = before.end if end is None else end
            self.check_span(before.source_id, new_start, new_end)
            try:
                conn.execute('UPDATE codings SET memo = ?, start = ?, "end" = ?, code_id = ? WHERE id = ?',
                             (before.memo if memo is None else memo, new_start, new_end,
                              before.code_id if code_id is None else code_id, coding_id))
            except sqlite3.IntegrityError as exc:  # the UNIQUE (span, code, coder) constraint
                row = db.query("SELECT c.name, substr(s.text, ? + 1, ?) AS words FROM codes c, sources s "
                               "WHERE c.id = ? AND s.id = ?", (new_start, new_end - new_start,
                                                               before.code_id if code_id is None else code_id,
                                                               before.source_id))[0]
                raise Conflict(f"{before.coder} has already coded “{shorten(row['words'])}” with "
                               f"{row['name']!r}") from exc
            after = self.get_coding(coding_id)
            db.log(actor, "coding.update", "coding", coding_id, {"before": asdict(before), "after": asdict(after)})
            return after

    def codings(self, *, source_id: int | None = None, code_ids: Sequence[int] | None = None,
                coders: Sequence[str] | None = None, origin: str | None = None) -> list[Coding]:
        """Codings filtered by source, codes and coders, in text order."""
        sql, params = ["SELECT * FROM codings WHERE 1"], []
        if source_id is not None:
            sql.append("AND source_id = ?")
            params.append(source_id)
        if code_ids is not None:
            sql.append(f"AND code_id IN ({','.join('?' * len(code_ids))})")
            params += list(code_ids)
        if coders is not None:
            sql.append(f"AND coder IN ({','.join('?' * len(coders))})")
            params += list(coders)
        if origin is not None:
            sql.append("AND origin = ?")
            params.append(origin)
        rows = self.database.query(" ".join(sql) + ' ORDER BY source_id, start, "end", id', params)
        return [_coding(r) for r in rows]

    def coders(self) -> list[str]:
        """Everyone who has coded in this project."""
        return [r[0] for r in self.database.conn.execute("SELECT DISTINCT coder FROM codings ORDER BY coder")]

    # -- memos -------------------------------------------------------------------
    def add_memo(self, text: str, author: str, *, title: str = "", target_type: str | None = None,
                 target_id: int | None = None, uid: str | None = None, created_at: str | None = None,
                 updated_at: str | None = None) -> int:
        """Write a memo, optionally attached to a source, code, coding or case (dates: now, unless imported)."""
        db = self.database
        with db.transaction() as conn:
            created = created_at or now()
            cursor = conn.execute(
                "INSERT INTO memos (uid, title, text, author, created_at, updated_at, target_type, target_id) "
                "VALUES (?,?,?,?,?,?,?,?)", (uid or new_uid(), title, text, author, created, updated_at or created,
                                             target_type, target_id))
            memo_id = int(cursor.lastrowid)
            db.log(author, "memo.add", "memo", memo_id, {"memo": asdict(self.get_memo(memo_id))})
            return memo_id

    def get_memo(self, memo_id: int) -> Memo:
        """One memo by id."""
        rows = self.database.query("SELECT * FROM memos WHERE id = ?", (memo_id,))
        if not rows:
            raise NotFound(f"no memo with id {memo_id}")
        return Memo(**rows[0])

    def update_memo(self, memo_id: int, actor: str, *, text: str | None = None, title: str | None = None) -> Memo:
        """Edit a memo's text or title."""
        db = self.database
        with db.transaction() as conn:
            before = self.get_memo(memo_id)
            conn.execute("UPDATE memos SET text = ?, title = ?, updated_at = ? WHERE id = ?",
                         (before.text if text is None else text, before.title if title is None else title, now(),
                          memo_id))
            after = self.get_memo(memo_id)
            db.log(actor, "memo.update", "memo", memo_id, {"before": asdict(before), "after": asdict(after)})
            return after

    def delete_memo(self, memo_id: int, actor: str) -> None:
        """Delete a memo (logged with its full text)."""
        db = self.database
        with db.transaction() as conn:
            memo = self.get_memo(memo_id)
            conn.execute("DELETE FROM memos WHERE id = ?", (memo_id,))
            db.log(actor, "memo.delete", "memo", memo_id, {"memo": asdict(memo)})

    def restore_memo(self, memo: dict, actor: str) -> int:
        """Insert a memo again with its original id."""
        db = self.database
        with db.transaction() as conn:
            columns = list(Memo.__dataclass_fields__)
            conn.execute(f"INSERT INTO memos ({', '.join(columns)}) VALUES ({','.join('?' * len(columns))})",
                         [memo[c] for c in columns])
            db.log(actor, "memo.add", "memo", memo["id"], {"memo": memo})
            return int(memo["id"])

    def coding_memos(self) -> list[Coding]:
        """Codings that carry a memo, in text order."""
        rows = self.database.query("SELECT * FROM codings WHERE memo != '' ORDER BY source_id, start, \"end\", id")
        return [_coding(r) for r in rows]

    def memos(self, *, target_type: str | None = None, target_id: int | None = None) -> list[Memo]:
        """Memos, all or those attached to one target."""
        sql, params = "SELECT * FROM memos WHERE 1", []
        if target_type is not None:
            sql += " AND target_type = ?"
            params.append(target_type)
        if target_id is not None:
            sql += " AND target_id = ?"
            params.append(target_id)
        return [Memo(**r) for r in self.database.query(sql + " ORDER BY id", params)]
