"""Reading the append-only events log."""
from __future__ import annotations

import json

from workbench.model import Event
from workbench.store.db import Database


class EventStore:
    """The audit trail: who did what, when."""

    database: Database

    def events(self, *, actor: str | None = None, since_id: int = 0, limit: int | None = None) -> list[Event]:
        """Events in order, optionally of one actor and after an id."""
        sql, params = "SELECT * FROM events WHERE id > ?", [since_id]
        if actor is not None:
            sql += " AND actor = ?"
            params.append(actor)
        sql += " ORDER BY id"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        rows = self.database.query(sql, params)
        return [Event(**{**r, "payload": json.loads(r["payload"])}) for r in rows]

    def data_version(self) -> str:
        """Changes whenever the project's data does: every change logs an event in its own transaction, so the
        last event (its id and time) names the data's state (caches of analysis results are keyed by it)."""
        row = self.database.conn.execute("SELECT id, at FROM events ORDER BY id DESC LIMIT 1").fetchone()
        return f"{row[0]}@{row[1]}" if row else "0"
