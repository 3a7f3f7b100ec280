"""The project's codebook: codes in a tree, and the operations on it (all logged)."""
from __future__ import annotations

import json
from dataclasses import asdict

from coding.codebook import Codebook, CodeDef

from workbench.errors import Conflict, NotFound
from workbench.model import Code
from workbench.store.db import Database, new_uid, now

_CODE_FIELDS = ("name", "definition", "use_when", "dont_use_when", "examples", "keywords", "color", "codable")


def _code(row: dict) -> Code:
    row = dict(row)
    row["examples"] = json.loads(row["examples"])
    row["keywords"] = json.loads(row["keywords"])
    row["codable"] = bool(row["codable"])
    return Code(**{k: row[k] for k in Code.__dataclass_fields__})


class CodeStore:
    """Reading and changing codes."""

    database: Database

    def codes(self) -> list[Code]:
        """Every code, parents before children, siblings in their sort order."""
        rows = self.database.query("SELECT * FROM codes ORDER BY sort_order, id")
        by_parent: dict[int | None, list[Code]] = {}
        for code in map(_code, rows):
            by_parent.setdefault(code.parent_id, []).append(code)
        ordered: list[Code] = []

        def walk(parent: int | None) -> None:
            for code in by_parent.get(parent, []):
                ordered.append(code)
                walk(code.id)

        walk(None)
        return ordered

    def get_code(self, code_id: int) -> Code:
        """One code by id."""
        rows = self.database.query("SELECT * FROM codes WHERE id = ?", (code_id,))
        if not rows:
            raise NotFound(f"no code with id {code_id}")
        return _code(rows[0])

    def code_path(self, code_id: int) -> str:
        """The code's path from the root, e.g. ``Social connectivity/Bonding ties``."""
        names, current = [], self.get_code(code_id)
        while True:
            names.append(current.name)
            if current.parent_id is None:
                return "/".join(reversed(names))
            current = self.get_code(current.parent_id)

    def find_code(self, ref: str) -> Code:
        """A code by uid, by path (``A/B``), or by name when the name is unique."""
        rows = self.database.query("SELECT * FROM codes WHERE uid = ? COLLATE NOCASE", (ref,))
        if rows:
            return _code(rows[0])
        if "/" in ref:
            for code in self.codes():
                if self.code_path(code.id).lower() == ref.lower():
                    return code
        rows = self.database.query("SELECT * FROM codes WHERE name = ? COLLATE NOCASE", (ref,))
        if len(rows) == 1:
            return _code(rows[0])
        if len(rows) > 1:
            paths = ", ".join(self.code_path(r["id"]) for r in rows)
            raise Conflict(f"several codes are called {ref!r} ({paths}); give the path")
        raise NotFound(f"no code called {ref!r}")

    def children(self, code_id: int | None) -> list[Code]:
        """The direct children of a code (or the top-level codes for None)."""
        rows = self.database.query("SELECT * FROM codes WHERE parent_id IS ? ORDER BY sort_order, id", (code_id,))
        return [_code(r) for r in rows]

    def descendants(self, code_id: int) -> list[int]:
        """Ids of the code and everything under it."""
        rows = self.database.conn.execute(
            "WITH RECURSIVE t(id) AS (SELECT ? UNION ALL SELECT c.id FROM codes c JOIN t ON c.parent_id = t.id) "
            "SELECT id FROM t", (code_id,))
        return [r[0] for r in rows]

    def coding_counts(self) -> dict[int, int]:
        """Number of codings per code id."""
        return dict(self.database.conn.execute("SELECT code_id, count(*) FROM codings GROUP BY code_id").fetchall())

    def coded_sources(self) -> dict[int, set[int]]:
        """The ids of the sources each code is applied in, per code id."""
        found: dict[int, set[int]] = {}
        for code_id, source_id in self.database.conn.execute("SELECT DISTINCT code_id, source_id FROM codings"):
            found.setdefault(code_id, set()).add(source_id)
        return found

    # -- changes ---------------------------------------------------------------
    def add_code(self, name: str, actor: str, *, parent_id: int | None = None, uid: str | None = None,
                 **fields) -> int:
        """Create a code under ``parent_id``; ``fields`` are CodeDef fields (definition, examples, ...)."""
        db = self.database
        with db.transaction() as conn:
            self._check_name_free(name, parent_id, None)
            order = (db.scalar("SELECT max(sort_order) FROM codes WHERE parent_id IS ?", (parent_id,)) or 0) + 1
            stamp = now()
            values = {"definition": "", "use_when": "", "dont_use_when": "", "examples": [], "keywords": [],
                      "color": None, "codable": True, **fields}
            cursor = conn.execute(
                "INSERT INTO codes (uid, name, parent_id, definition, use_when, dont_use_when, examples, keywords, "
                "color, codable, sort_order, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (uid or new_uid(), name.strip(), parent_id, values["definition"], values["use_when"],
                 values["dont_use_when"], json.dumps(values["examples"], ensure_ascii=False),
                 json.dumps(values["keywords"], ensure_ascii=False), values["color"], int(values["codable"]),
                 order, stamp, stamp))
            code_id = int(cursor.lastrowid)
            db.log(actor, "code.add", "code", code_id, {"code": asdict(self.get_code(code_id))})
            return code_id

    def _check_name_free(self, name: str, parent_id: int | None, code_id: int | None) -> None:
        clash = self.database.scalar(
            "SELECT id FROM codes WHERE ifnull(parent_id, 0) = ifnull(?, 0) AND name = ? COLLATE NOCASE "
            "AND id IS NOT ?", (parent_id, name.strip(), code_id))
        if clash:
            where = f"under {self.code_path(parent_id)!r}" if parent_id else "at the top level"
            raise Conflict(f"a code called {name!r} already exists {where}")

    def update_code(self, code_id: int, actor: str, **changes) -> Code:
        """Change a code's name, definition, notes, examples, keywords, colour or codable flag."""
        unknown = set(changes) - set(_CODE_FIELDS)
        if unknown:
            raise ValueError(f"unknown code fields: {', '.join(sorted(unknown))}")
        db = self.database
        with db.transaction() as conn:
            before = self.get_code(code_id)
            if "name" in changes:
                self._check_name_free(changes["name"], before.parent_id, code_id)
            for key, value in changes.items():
                if key in ("examples", "keywords"):
                    value = json.dumps(list(value), ensure_ascii=False)
                elif key == "codable":
                    value = int(bool(value))
                conn.execute(f"UPDATE codes SET {key} = ?, updated_at = ? WHERE id = ?", (value, now(), code_id))
            after = self.get_code(code_id)
            action = "code.rename" if set(changes) == {"name"} else "code.update"
            db.log(actor, action, "code", code_id, {"before": asdict(before), "after": asdict(after)})
            return after

    def move_code(self, code_id: int, new_parent_id: int | None, actor: str) -> None:
        """Put a code (with its children) under another parent, refusing cycles."""
        db = self.database
        with db.transaction() as conn:
            code = self.get_code(code_id)
            if new_parent_id is not None and new_parent_id in self.descendants(code_id):
                raise Conflict(f"cannot move {code.name!r} under itself or one of its own children")
            self._check_name_free(code.name, new_parent_id, code_id)
            order = (db.scalar("SELECT max(sort_order) FROM codes WHERE parent_id IS ?", (new_parent_id,)) or 0) + 1
            conn.execute("UPDATE codes SET parent_id = ?, sort_order = ?, updated_at = ? WHERE id = ?",
                         (new_parent_id, order, now(), code_id))
            db.log(actor, "code.move", "code", code_id,
                   {"before": {"parent_id": code.parent_id, "sort_order": code.sort_order},
                    "after": {"parent_id": new_parent_id, "sort_order": order}})

    def merge_codes(self, source_code_id: int, target_code_id: int, actor: str) -> int:
        """Fold one code into another: its codings, suggestions, children and memos follow; returns codings moved."""
        if source_code_id == target_code_id:
            raise Conflict("cannot merge a code into itself")
        db = self.database
        with db.transaction() as conn:
            source, target = self.get_code(source_code_id), self.get_code(target_code_id)
            if target_code_id in self.descendants(source_code_id):
                raise Conflict(f"cannot merge {source.name!r} into its own child {target.name!r}")
            codings = [r[0] for r in conn.execute("SELECT id FROM codings WHERE code_id = ?", (source_code_id,))]
            # A coding the target already has on the same span by the same coder is a duplicate: drop it.
            dropped = [r[0] for r in conn.execute(
                "SELECT a.id FROM codings a JOIN codings b ON a.source_id = b.source_id AND a.start = b.start "
                "AND a.\"end\" = b.\"end\" AND a.coder = b.coder WHERE a.code_id = ? AND b.code_id = ?",
                (source_code_id, target_code_id))]
            marks = ",".join("?" * len(dropped))
            dropped_rows = db.query(f"SELECT * FROM codings WHERE id IN ({marks})", dropped) if dropped else []
            if dropped:
                conn.execute(f"DELETE FROM codings WHERE id IN ({marks})", dropped)
            conn.execute("UPDATE codings SET code_id = ? WHERE code_id = ?", (target_code_id, source_code_id))
            conn.execute("UPDATE OR IGNORE suggestions SET code_id = ? WHERE code_id = ?",
                         (target_code_id, source_code_id))
            conn.execute("DELETE FROM suggestions WHERE code_id = ?", (source_code_id,))
            children = [c.id for c in self.children(source_code_id)]
            themes = _theme_links(conn, [source_code_id])
            had = {theme_id for theme_id, _code in _theme_links(conn, [target_code_id])}
            added_themes = sorted({theme_id for theme_id, _code in themes} - had)
            # the themes the merged code served now draw on the code it became part of
            conn.executemany("INSERT INTO theme_codes (theme_id, code_id) VALUES (?, ?)",
                             [(theme_id, target_code_id) for theme_id in added_themes])
            conn.execute("UPDATE codes SET parent_id = ? WHERE parent_id = ?", (target_code_id, source_code_id))
            memos = [r[0] for r in conn.execute("SELECT id FROM memos WHERE target_type = 'code' AND target_id = ?",
                                                (source_code_id,))]
            conn.execute("UPDATE memos SET target_id = ? WHERE target_type = 'code' AND target_id = ?",
                         (target_code_id, source_code_id))  # the merged code's memos now speak of the target
            conn.execute("DELETE FROM codes WHERE id = ?", (source_code_id,))
            db.log(actor, "code.merge", "code", target_code_id,
                   {"merged": asdict(source), "into": target_code_id, "moved_codings": codings, "moved_memos": memos,
                    "dropped_duplicates": dropped_rows, "children": children, "theme_links": themes,
                    "themes_added_to_target": added_themes})
            return len(codings) - len(dropped)

    def delete_code(self, code_id: int, actor: str) -> int:
        """Delete a code, everything under it and their codings; returns the number of codings removed.

        Callers ask the user to confirm first when codings would be lost (see ``coding_counts``).
        """
        db = self.database
        with db.transaction() as conn:
            ids = self.descendants(code_id)
            marks = ",".join("?" * len(ids))
            codes = [asdict(self.get_code(i)) for i in ids]
            codings = db.query(f"SELECT * FROM codings WHERE code_id IN ({marks})", ids)
            themes = _theme_links(conn, ids)
            conn.execute(f"DELETE FROM codings WHERE code_id IN ({marks})", ids)
            conn.execute(f"DELETE FROM suggestions WHERE code_id IN ({marks})", ids)
            for i in reversed(ids):
                conn.execute("DELETE FROM codes WHERE id = ?", (i,))
            db.log(actor, "code.delete", "code", code_id, {"codes": codes, "codings": codings, "theme_links": themes})
            return len(codings)

    # -- whole codebooks ---------------------------------------------------------
    def import_codebook(self, codebook: Codebook, actor: str) -> dict[str, int]:
        """Add a codebook's codes; codes already here (same uid, or same path) are updated, not duplicated.

        An update only sets the values the codebook gives: an empty colour, definition or list leaves ours.
        """
        db = self.database
        added = updated = 0
        with db.transaction():
            uid_to_id: dict[str, int] = {}
            for cdef in codebook.codes:
                parent_id = uid_to_id.get(cdef.parent_uid) if cdef.parent_uid else None
                fields = {k: getattr(cdef, k) for k in _CODE_FIELDS if k != "name"}
                existing = db.scalar("SELECT id FROM codes WHERE uid = ? COLLATE NOCASE", (cdef.uid,)) or db.scalar(
                    "SELECT id FROM codes WHERE ifnull(parent_id, 0) = ifnull(?, 0) AND name = ? COLLATE NOCASE",
                    (parent_id, cdef.name))
                if existing:
                    current = self.get_code(existing)
                    # a merge: a value the incoming codebook leaves out (no colour, no description) never clears ours
                    changes = {k: v for k, v in {"name": cdef.name, **fields}.items()
                               if getattr(current, k) != v and (v or isinstance(v, bool))}
                    if changes:
                        self.update_code(existing, actor, **changes)
                        updated += 1
                    if current.parent_id != parent_id:
                        self.move_code(existing, parent_id, actor)
                    uid_to_id[cdef.uid] = existing
                else:
                    uid_to_id[cdef.uid] = self.add_code(cdef.name, actor, parent_id=parent_id, uid=cdef.uid, **fields)
                    added += 1
            db.log(actor, "codebook.import", "project", None,
                   {"name": codebook.name, "origin": codebook.origin, "added": added, "updated": updated})
        return {"added": added, "updated": updated}

    def codebook(self, name: str = "Project codebook") -> Codebook:
        """The project's codes as a Codebook record (for YAML and REFI-QDA export)."""
        codes = self.codes()
        uid_of = {c.id: c.uid for c in codes}
        defs = [CodeDef(uid=c.uid, name=c.name, parent_uid=uid_of.get(c.parent_id) if c.parent_id else None,
                        definition=c.definition, use_when=c.use_when, dont_use_when=c.dont_use_when,
                        examples=list(c.examples), keywords=list(c.keywords), color=c.color, codable=c.codable)
                for c in codes]
        return Codebook(name=name, codes=defs)


def _theme_links(conn, code_ids: list[int]) -> list[tuple[int, int]]:
    """(theme id, code id) of the themes drawing on these codes."""
    marks = ",".join("?" * len(code_ids))
    return [tuple(r) for r in conn.execute(f"SELECT theme_id, code_id FROM theme_codes WHERE code_id IN ({marks})",
                                           code_ids)]
