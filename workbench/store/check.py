"""Integrity checks: SQLite's own and the project's invariants."""
from __future__ import annotations

import hashlib
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from workbench.store.db import Database


@dataclass
class Problem:
    """Something wrong in the project file."""

    kind: str
    message: str


class CheckStore:
    """``check()``: find corruption and broken invariants (reads only)."""

    database: Database
    media_dir: Path

    def _recording_problems(self) -> list[Problem]:
        """Recordings whose file is gone from the media folder or is no longer the file attached."""
        problems = []
        for source_id, file, name, sha in self.database.conn.execute(
                "SELECT source_id, file, original_name, sha256 FROM recordings ORDER BY source_id"):
            path = self.media_dir / file
            if not path.is_file():
                problems.append(Problem("recording", f"source {source_id}: its recording {name} ({path}) "
                                                     f"is missing; put {file} back or attach the recording again"))
                continue
            digest = hashlib.sha256()
            with path.open("rb") as handle:
                while chunk := handle.read(1 << 20):
                    digest.update(chunk)
            if digest.hexdigest() != sha:
                problems.append(Problem("recording", f"source {source_id}: its recording {name} ({path}) was "
                                                     "changed after it was attached (its SHA-256 differs)"))
        return problems

    def check(self) -> list[Problem]:
        """Run SQLite's integrity and foreign-key checks and the workbench's own invariants."""
        db = self.database
        problems = [Problem("sqlite", row[0]) for row in db.conn.execute("PRAGMA integrity_check")
                    if row[0] != "ok"]
        problems += [Problem("foreign key", f"{table} row {rowid} points to a missing {parent}")
                     for table, rowid, parent, _ in db.conn.execute("PRAGMA foreign_key_check")]
        problems += self._span_problems("codings", "coding")
        problems += self._span_problems("suggestions", "suggestion")
        problems += self._span_problems("segments", "segment", allow_empty=True)
        problems += [Problem("coding", f"coding {cid} uses code {code}, which does not exist")
                     for cid, code in db.conn.execute(
                         "SELECT id, code_id FROM codings WHERE code_id NOT IN (SELECT id FROM codes)")]
        for source_id, name, text, stored in db.conn.execute("SELECT id, name, text, content_hash FROM sources"):
            if hashlib.sha256(text.encode("utf-8")).hexdigest() != stored:
                problems.append(Problem("source", f"source {source_id} ({name}): text does not match its hash"))
            if "\r" in text:
                problems.append(Problem("source", f"source {source_id} ({name}): text has \\r line endings"))
        problems += self._tree_problems()
        problems += self._recording_problems()
        try:
            db.conn.execute("INSERT INTO segments_fts (segments_fts) VALUES ('integrity-check')")
        except sqlite3.DatabaseError as exc:
            problems.append(Problem("search index", f"the full-text index is damaged ({exc}); rebuild it"))
        triggers = {r[0] for r in db.conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
        if not {"events_no_update", "events_no_delete"} <= triggers:
            problems.append(Problem("events", "the events log is no longer protected against changes"))
        return problems

    def _span_problems(self, table: str, what: str, allow_empty: bool = False) -> list[Problem]:
        rows = self.database.conn.execute(
            f'SELECT t.id, t.source_id, t.start, t."end", length(s.text) FROM {table} t '
            f"LEFT JOIN sources s ON s.id = t.source_id WHERE s.id IS NULL OR t.start < 0 OR t.\"end\" > length(s.text) "
            f'OR t."end" {"<" if allow_empty else "<="} t.start')
        return [Problem(what, f"{what} {rid} on source {sid}: [{start}, {end}) is outside its text "
                        f"({length if length is not None else 'missing'} characters)")
                for rid, sid, start, end, length in rows]

    def _tree_problems(self) -> list[Problem]:
        rows = dict(self.database.conn.execute("SELECT id, parent_id FROM codes").fetchall())
        problems = []
        for code_id in rows:
            seen, current = set(), code_id
            while current is not None:
                if current in seen:
                    problems.append(Problem("codebook", f"code {code_id} is inside a cycle of parents"))
                    break
                seen.add(current)
                current = rows.get(current)
        return problems
