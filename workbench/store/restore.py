"""Putting back what an earlier action removed, with its original ids (used by undo and redo)."""
from __future__ import annotations

import json
from typing import Any

from workbench.errors import Conflict
from workbench.store.db import Database

_CODING_COLUMNS = ("id", "uid", "source_id", "start", "end", "code_id", "coder", "created_at", "memo", "origin",
                   "suggester", "model", "score", "reason", "accepted_by", "accept_mode", "accept_min_score")
_CODE_COLUMNS = ("id", "uid", "name", "parent_id", "definition", "use_when", "dont_use_when", "examples",
                 "keywords", "color", "codable", "sort_order")


class RestoreStore:
    """Re-inserting codings, codes and memos exactly as they were."""

    database: Database

    def restore_coding(self, coding: dict[str, Any], actor: str) -> int:
        """Insert a coding again with its original id and uid."""
        db = self.database
        with db.transaction() as conn:
            if db.scalar("SELECT 1 FROM codings WHERE id = ? OR uid = ?", (coding["id"], coding["uid"])):
                raise Conflict(f"coding {coding['id']} is already there")
            self.check_span(coding["source_id"], coding["start"], coding["end"])  # type: ignore[attr-defined]
            conn.execute(f'INSERT INTO codings ({", ".join(chr(34) + c + chr(34) for c in _CODING_COLUMNS)}) '
                         f"VALUES ({','.join('?' * len(_CODING_COLUMNS))})", [coding.get(c) for c in _CODING_COLUMNS])
            payload: dict[str, Any] = {"coding": coding}
            resolved = self.resolve_suggestions(self.get_coding(coding["id"]))  # type: ignore[attr-defined]
            if resolved:
                payload["resolved_suggestions"] = resolved
            db.log(actor, "coding.add", "coding", coding["id"], payload)
            return int(coding["id"])

    def restore_code(self, code: dict[str, Any], actor: str) -> int:
        """Insert a code again with its original id, uid and place in the tree."""
        db = self.database
        with db.transaction() as conn:
            if db.scalar("SELECT 1 FROM codes WHERE id = ? OR uid = ?", (code["id"], code["uid"])):
                raise Conflict(f"code {code['name']!r} is already there")
            values = dict(code)
            values["examples"] = json.dumps(values["examples"], ensure_ascii=False)
            values["keywords"] = json.dumps(values["keywords"], ensure_ascii=False)
            values["codable"] = int(bool(values["codable"]))
            stamp = db.scalar("SELECT strftime('%Y-%m-%dT%H:%M:%fZ')")
            conn.execute(f"INSERT INTO codes ({', '.join(_CODE_COLUMNS)}, created_at, updated_at) "
                         f"VALUES ({','.join('?' * (len(_CODE_COLUMNS) + 2))})",
                         [values[c] for c in _CODE_COLUMNS] + [stamp, stamp])
            db.log(actor, "code.add", "code", code["id"], {"code": code})
            return int(code["id"])

    def restore_theme_links(self, links: list) -> None:
        """Link codes to themes again (after an undo), for the themes that still exist."""
        with self.database.transaction() as conn:
            conn.executemany("INSERT OR IGNORE INTO theme_codes (theme_id, code_id) SELECT ?, ? "
                             "WHERE EXISTS (SELECT 1 FROM themes WHERE id = ?)",
                             [(theme_id, code_id, theme_id) for theme_id, code_id in links])

    def unmerge_codes(self, payload: dict[str, Any], actor: str) -> None:
        """Undo a merge: the merged code comes back with its codings, children and dropped duplicates."""
        db = self.database
        with db.transaction() as conn:
            merged = payload["merged"]
            self.restore_code(merged, actor)
            moved = payload["moved_codings"]
            if moved:
                conn.execute(f"UPDATE codings SET code_id = ? WHERE id IN ({','.join('?' * len(moved))})",
                             [merged["id"], *moved])
            for child in payload["children"]:
                conn.execute("UPDATE codes SET parent_id = ? WHERE id = ?", (merged["id"], child))
            memos = payload.get("moved_memos", [])  # absent in merges logged before memos followed
            if memos:
                conn.execute(f"UPDATE memos SET target_id = ? WHERE id IN ({','.join('?' * len(memos))})",
                             [merged["id"], *memos])
            for coding in payload["dropped_duplicates"]:
                self.restore_coding(coding, actor)
            self.restore_theme_links(payload.get("theme_links", []))
            added = payload.get("themes_added_to_target", [])
            if added:
                conn.execute(f"DELETE FROM theme_codes WHERE code_id = ? AND theme_id IN ({','.join('?' * len(added))})",
                             [payload["into"], *added])
            db.log(actor, "code.unmerge", "code", merged["id"], {"into": payload["into"]})
