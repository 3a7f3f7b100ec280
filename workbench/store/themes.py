"""Themes, their codes, framework-matrix cells, candidate themes, and bulk reads for analysis (all logged)."""
from __future__ import annotations

import json
import re
import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

from workbench.errors import Conflict, NotFound, WorkbenchError
from workbench.store.db import Database, new_uid, now

THEME_STATUSES = ("candidate", "reviewed", "final", "discarded")  # candidate → reviewed → final
ROW_TYPES = ("case", "attribute")
_THEME_FIELDS = ("name", "description", "memo", "narrative", "status", "parent_id")
_THEME_COLUMNS = ("id", "uid", "name", "parent_id", "description", "memo", "narrative", "status", "created_by",
                  "created_at", "updated_at")
# A narrative cites a coded passage by its coding's uid: "[[q:3F2A…]]" (stable across renames and merges).
CITATION = re.compile(r"\[\[q:([^\[\]\s]+)\]\]")


def citation(coding_uid: str) -> str:
    """The token that cites the coding with this uid in a narrative or summary."""
    return f"[[q:{coding_uid}]]"


def cited_uids(text: str) -> list[str]:
    """The coding uids a narrative cites, in order of first citation."""
    return list(dict.fromkeys(CITATION.findall(text or "")))


class InvalidTheme(WorkbenchError):
    """A theme, framework cell or candidate change is not valid (empty name, unknown status or row type)."""


@dataclass
class Theme:
    """A theme: a named pattern across the data, built from codes, with the researcher's written narrative."""

    id: int
    uid: str
    name: str
    description: str
    memo: str
    status: str
    created_by: str
    created_at: str
    updated_at: str
    code_ids: list[int] = field(default_factory=list)
    parent_id: int | None = None  # the theme this one is a sub-theme of
    narrative: str = ""  # Markdown by the researcher, citing passages as [[q:CODING_UID]]
@dataclass
class FrameworkCellRecord:
    """A researcher's summary for one row (a case, or an attribute value) under one theme."""

    id: int
    row_type: str  # case | attribute
    row_key: str  # a case name, or "key=value" for an attribute row
    theme_id: int
    summary: str
    coding_ids: list[int]
    updated_by: str
    updated_at: str


@dataclass
class NewCandidate:
    """A cluster of coded passages proposed as a theme, before it is stored."""

    label: str
    terms: list[str]
    coding_ids: list[int]
    code_ids: list[int]
    stability: float | None = None  # mean Jaccard overlap with its best match over resampled clusterings


@dataclass
class CandidateTheme:
    """A stored candidate theme and what became of it (open, promoted to a theme, or discarded)."""

    id: int
    run_id: str
    label: str
    terms: list[str]
    coding_ids: list[int]
    code_ids: list[int]
    status: str
    theme_id: int | None
    created_at: str
    stability: float | None = None  # how well the cluster reappears over resampled runs (0-1)


def _candidate(row: dict) -> CandidateTheme:
    return CandidateTheme(**{**row, **{k: json.loads(row[k]) for k in ("terms", "coding_ids", "code_ids")}})


def _marks(values: Sequence) -> str:
    return ",".join("?" * len(values))


class ThemeStore:
    """Storing themes, framework cells and candidate themes; fast column reads for the analysis modules."""

    database: Database

    # -- themes ------------------------------------------------------------------------
    def themes(self, *, include_discarded: bool = True) -> list[Theme]:
        """Every theme (in creation order) with its code ids."""
        rows = self.database.query("SELECT * FROM themes ORDER BY id")
        links: dict[int, list[int]] = {}
        for theme_id, code_id in self.database.conn.execute(
                "SELECT t.theme_id, t.code_id FROM theme_codes t JOIN codes c ON c.id = t.code_id "
                "ORDER BY t.theme_id, c.sort_order, c.id"):
            links.setdefault(theme_id, []).append(code_id)
        themes = [Theme(**row, code_ids=links.get(row["id"], [])) for row in rows]
        return [t for t in themes if include_discarded or t.status != "discarded"]

    def get_theme(self, theme_id: int) -> Theme:
        """One theme by id."""
        rows = self.database.query("SELECT * FROM themes WHERE id = ?", (theme_id,))
        if not rows:
            raise NotFound(f"no theme with id {theme_id}")
        codes = [r[0] for r in self.database.conn.execute(
            "SELECT t.code_id FROM theme_codes t JOIN codes c ON c.id = t.code_id WHERE t.theme_id = ? "
            "ORDER BY c.sort_order, c.id", (theme_id,))]
        return Theme(**rows[0], code_ids=codes)

    def find_theme(self, ref: str | int) -> Theme:
        """A theme by id or by name (case-insensitive)."""
        if isinstance(ref, int) or str(ref).strip().isdigit():
            found = self.database.scalar("SELECT id FROM themes WHERE id = ?", (int(ref),))
            if found:
                return self.get_theme(found)
        found = self.database.scalar("SELECT id FROM themes WHERE name = ? COLLATE NOCASE", (str(ref).strip(),))
        if found is None:
            raise NotFound(f"no theme called {ref!r}")
        return self.get_theme(found)

    def add_theme(self, name: str, actor: str, *, description: str = "", memo: str = "", narrative: str = "",
                  status: str = "candidate", code_ids: Sequence[int] = (), parent_id: int | None = None) -> int:
        """Create a theme (optionally with codes, under a parent theme); returns its id."""
        db = self.database
        with db.transaction():
            theme_id = self._insert_theme(name, actor, description=description, memo=memo, narrative=narrative,
                                          status=status, code_ids=code_ids, parent_id=parent_id)
            db.log(actor, "theme.add", "theme", theme_id, {"theme": asdict(self.get_theme(theme_id))})
            return theme_id

    def _insert_theme(self, name: str, actor: str, *, description: str, memo: str, narrative: str, status: str,
                      code_ids: Sequence[int], parent_id: int | None) -> int:
        """Insert a theme and its code links (not logged: the caller logs what the researcher did)."""
        name = _check_name(name)
        _check_status(status)
        conn = self.database.conn
        self._check_theme_name_free(name, None)
        self._check_parent(None, parent_id)
        self._check_citations(narrative)
        stamp = now()
        cursor = conn.execute(
            "INSERT INTO themes (uid, name, parent_id, description, memo, narrative, status, created_by, created_at, "
            "updated_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
            (new_uid(), name, parent_id, description, memo, narrative, status, actor, stamp, stamp))
        theme_id = int(cursor.lastrowid)
        self._link_codes(conn, theme_id, code_ids)
        return theme_id

    def _check_theme_name_free(self, name: str, theme_id: int | None) -> None:
        clash = self.database.scalar("SELECT id FROM themes WHERE name = ? COLLATE NOCASE AND id IS NOT ?",
                                     (name, theme_id))
        if clash:
            raise Conflict(f"a theme called {name!r} already exists (theme {clash})")

    def _check_parent(self, theme_id: int | None, parent_id: int | None) -> None:
        """A parent must exist and must not be the theme itself or one of its sub-themes."""
        if parent_id is None:
            return
        ancestor: int | None = int(parent_id)
        self.get_theme(ancestor)
        while ancestor is not None:
            if ancestor == theme_id:
                raise InvalidTheme(f"theme {theme_id} cannot be a sub-theme of itself or of its own sub-themes")
            ancestor = self.database.scalar("SELECT parent_id FROM themes WHERE id = ?", (ancestor,))

    def _check_citations(self, text: str) -> None:
        """Every [[q:UID]] in a narrative or summary must name a coding of this project."""
        uids = cited_uids(text)
        if not uids:
            return
        known = {r[0] for r in self.database.conn.execute(
            f"SELECT uid FROM codings WHERE uid IN ({_marks(uids)})", uids)}
        missing = [u for u in uids if u not in known]
        if missing:
            raise InvalidTheme(f"the text cites {citation(missing[0])}, but no coding has that uid "
                               f"(insert citations with the citation picker or `workbench theme cite`)")

    def _link_codes(self, conn, theme_id: int, code_ids: Sequence[int]) -> list[int]:
        """Link codes to a theme, skipping links already there; returns the codes newly linked."""
        wanted = list(dict.fromkeys(int(c) for c in code_ids))
        if not wanted:
            return []
        known = {r[0] for r in conn.execute(f"SELECT id FROM codes WHERE id IN ({_marks(wanted)})", wanted)}
        missing = [c for c in wanted if c not in known]
        if missing:
            raise NotFound(f"no code with id {missing[0]}")
        present = {r[0] for r in conn.execute("SELECT code_id FROM theme_codes WHERE theme_id = ?", (theme_id,))}
        added = [c for c in wanted if c not in present]
        conn.executemany("INSERT INTO theme_codes (theme_id, code_id) VALUES (?, ?)", [(theme_id, c) for c in added])
        return added

    def update_theme(self, theme_id: int, actor: str, **changes: str | int | None) -> Theme:
        """Change a theme's name, description, memo, narrative, status or parent (``parent_id``)."""
        unknown = set(changes) - set(_THEME_FIELDS)
        if unknown:
            raise InvalidTheme(f"unknown theme fields: {', '.join(sorted(unknown))}; "
                               f"a theme has {', '.join(_THEME_FIELDS)}")
        if "name" in changes:
            changes["name"] = _check_name(str(changes["name"]))
        if "status" in changes:
            _check_status(str(changes["status"]))
        db = self.database
        with db.transaction() as conn:
            before = self.get_theme(theme_id)
            if "name" in changes:
                self._check_theme_name_free(str(changes["name"]), theme_id)
            if "parent_id" in changes:
                self._check_parent(theme_id, changes["parent_id"])
            if "narrative" in changes:
                self._check_citations(str(changes["narrative"]))
            for key, value in changes.items():
                conn.execute(f"UPDATE themes SET {key} = ?, updated_at = ? WHERE id = ?", (value, now(), theme_id))
            after = self.get_theme(theme_id)
            db.log(actor, _update_action(set(changes)), "theme", theme_id,
                   {"before": asdict(before), "after": asdict(after)})
            return after

    def delete_theme(self, theme_id: int, actor: str) -> None:
        """Delete a theme with its code links and framework cells (logged with all of them); its sub-themes move
        up to its parent."""
        db = self.database
        with db.transaction() as conn:
            theme = self.get_theme(theme_id)
            cells = [asdict(c) for c in self.framework_cells() if c.theme_id == theme_id]
            children = [r[0] for r in conn.execute("SELECT id FROM themes WHERE parent_id = ? ORDER BY id",
                                                   (theme_id,))]
            candidates = [r[0] for r in conn.execute("SELECT id FROM candidate_themes WHERE theme_id = ?",
                                                     (theme_id,))]
            conn.execute("UPDATE themes SET parent_id = ? WHERE parent_id = ?", (theme.parent_id, theme_id))
            conn.execute("UPDATE candidate_themes SET theme_id = NULL WHERE theme_id = ?", (theme_id,))
            conn.execute("DELETE FROM themes WHERE id = ?", (theme_id,))
            db.log(actor, "theme.delete", "theme", theme_id, {"theme": asdict(theme), "framework_cells": cells,
                                                              "sub_themes": children, "candidates": candidates})

    def restore_theme(self, payload: dict, actor: str) -> int:
        """Put back a deleted theme with its id, uid, codes (those that still exist), framework cells, sub-themes
        and the candidates it was promoted from (used by undo and redo)."""
        theme = payload["theme"]
        db = self.database
        with db.transaction() as conn:
            if db.scalar("SELECT 1 FROM themes WHERE id = ? OR uid = ?", (theme["id"], theme["uid"])):
                raise Conflict(f"theme {theme['name']!r} is already there")
            self._check_theme_name_free(theme["name"], None)
            parent = theme["parent_id"]
            if parent is not None and not db.scalar("SELECT 1 FROM themes WHERE id = ?", (parent,)):
                parent = None
            conn.execute(f"INSERT INTO themes ({', '.join(_THEME_COLUMNS)}) VALUES ({_marks(_THEME_COLUMNS)})",
                         [parent if c == "parent_id" else theme[c] for c in _THEME_COLUMNS])
            conn.executemany("INSERT OR IGNORE INTO theme_codes (theme_id, code_id) SELECT ?, ? "
                             "WHERE EXISTS (SELECT 1 FROM codes WHERE id = ?)",
                             [(theme["id"], c, c) for c in theme["code_ids"]])
            for cell in payload.get("framework_cells", []):
                conn.execute("INSERT OR IGNORE INTO framework_cells (id, row_type, row_key, theme_id, summary, "
                             "coding_ids, updated_by, updated_at) VALUES (?,?,?,?,?,?,?,?)",
                             (cell["id"], cell["row_type"], cell["row_key"], cell["theme_id"], cell["summary"],
                              json.dumps(cell["coding_ids"]), cell["updated_by"], cell["updated_at"]))
            for child in payload.get("sub_themes", []):
                conn.execute("UPDATE themes SET parent_id = ? WHERE id = ?", (theme["id"], child))
            for candidate in payload.get("candidates", []):
                conn.execute("UPDATE candidate_themes SET theme_id = ? WHERE id = ?", (theme["id"], candidate))
            db.log(actor, "theme.add", "theme", theme["id"], {"theme": asdict(self.get_theme(theme["id"]))})
            return int(theme["id"])

    def add_theme_codes(self, theme_id: int, code_ids: Sequence[int], actor: str) -> int:
        """Link codes to a theme (a code may serve several themes); returns how many were new."""
        db = self.database
        with db.transaction() as conn:
            self.get_theme(theme_id)
            added = self._link_codes(conn, theme_id, code_ids)
            if added:
                conn.execute("UPDATE themes SET updated_at = ? WHERE id = ?", (now(), theme_id))
                db.log(actor, "theme.codes.add", "theme", theme_id, {"code_ids": added})
            return len(added)

    def remove_theme_codes(self, theme_id: int, code_ids: Sequence[int], actor: str) -> int:
        """Unlink codes from a theme; returns how many were linked."""
        db = self.database
        with db.transaction() as conn:
            linked = set(self.get_theme(theme_id).code_ids)
            removed = [int(c) for c in dict.fromkeys(code_ids) if int(c) in linked]
            conn.executemany("DELETE FROM theme_codes WHERE theme_id = ? AND code_id = ?",
                             [(theme_id, c) for c in removed])
            if removed:
                conn.execute("UPDATE themes SET updated_at = ? WHERE id = ?", (now(), theme_id))
                db.log(actor, "theme.codes.remove", "theme", theme_id, {"code_ids": removed})
            return len(removed)

    # -- framework matrix ----------------------------------------------------------------
    def framework_cells(self, row_type: str | None = None) -> list[FrameworkCellRecord]:
        """Stored framework cells, optionally of one row type."""
        sql, params = "SELECT * FROM framework_cells", []
        if row_type is not None:
            sql, params = sql + " WHERE row_type = ?", [row_type]
        rows = self.database.query(sql + " ORDER BY id", params)
        return [FrameworkCellRecord(**{**r, "coding_ids": json.loads(r["coding_ids"])}) for r in rows]

    def set_framework_cell(self, row_type: str, row_key: str, theme_id: int, summary: str,
                           coding_ids: Sequence[int], actor: str) -> FrameworkCellRecord:
        """Write (or overwrite) the summary and supporting codings of one framework cell; the codings the summary
        cites as [[q:UID]] are among them."""
        if row_type not in ROW_TYPES:
            raise InvalidTheme(f"unknown framework row type {row_type!r}; expected one of {', '.join(ROW_TYPES)}")
        if not str(row_key).strip():
            raise InvalidTheme("a framework cell needs a row (a case name or key=value)")
        db = self.database
        with db.transaction() as conn:
            self.get_theme(theme_id)
            self._check_citations(summary)  # a summary cites passages as a narrative does: [[q:UID]]
            cited = [coding_id for coding_id, _code in (self.codings_by_uid(cited_uids(summary)).values())]
            ids = list(dict.fromkeys([int(i) for i in coding_ids] + cited))
            known = {r[0] for r in conn.execute(f"SELECT id FROM codings WHERE id IN ({_marks(ids)})", ids)}
            missing = [i for i in ids if i not in known]
            if missing:
                raise NotFound(f"no coding with id {missing[0]}")
            before = [asdict(c) for c in self.framework_cells(row_type)
                      if c.row_key == row_key and c.theme_id == theme_id]
            conn.execute(
                "INSERT INTO framework_cells (row_type, row_key, theme_id, summary, coding_ids, updated_by, "
                "updated_at) VALUES (?,?,?,?,?,?,?) ON CONFLICT (row_type, row_key, theme_id) DO UPDATE SET "
                "summary = excluded.summary, coding_ids = excluded.coding_ids, updated_by = excluded.updated_by, "
                "updated_at = excluded.updated_at", (row_type, row_key, theme_id, summary, json.dumps(ids), actor,
                                                     now()))
            after = next(c for c in self.framework_cells(row_type) if c.row_key == row_key and c.theme_id == theme_id)
            db.log(actor, "framework.cell.set", "framework_cell", after.id,
                   {"before": before[0] if before else None, "after": asdict(after)})
            return after

    # -- candidate themes -----------------------------------------------------------------
    def candidate_themes(self, status: str | None = "open") -> list[CandidateTheme]:
        """Candidate themes (open ones by default), in the order they were proposed."""
        sql, params = "SELECT * FROM candidate_themes", []
        if status is not None:
            sql, params = sql + " WHERE status = ?", [status]
        return [_candidate(r) for r in self.database.query(sql + " ORDER BY id", params)]

    def get_candidate(self, candidate_id: int) -> CandidateTheme:
        """One candidate theme by id."""
        rows = self.database.query("SELECT * FROM candidate_themes WHERE id = ?", (candidate_id,))
        if not rows:
            raise NotFound(f"no candidate theme with id {candidate_id}")
        return _candidate(rows[0])

    def replace_candidates(self, new: Sequence[NewCandidate], actor: str, *, settings: dict | None = None) -> str:
        """Swap the open candidates for ``new`` (promoted and discarded ones stay); returns the run id."""
        run_id = uuid.uuid4().hex
        db = self.database
        with db.transaction() as conn:
            dropped = conn.execute("DELETE FROM candidate_themes WHERE status = 'open'").rowcount
            stamp = now()
            conn.executemany(
                "INSERT INTO candidate_themes (run_id, label, terms, coding_ids, code_ids, stability, created_at) "
                "VALUES (?,?,?,?,?,?,?)",
                [(run_id, c.label, json.dumps(c.terms, ensure_ascii=False), json.dumps(c.coding_ids),
                  json.dumps(c.code_ids), c.stability, stamp) for c in new])
            db.log(actor, "candidates.run", "project", None,
                   {"run_id": run_id, "candidates": len(new), "replaced_open": dropped, "settings": settings or {}})
        return run_id

    def rework_candidates(self, remove: Sequence[int], add: Sequence[NewCandidate], action: str,
                          actor: str) -> list[int]:
        """Replace open candidates by new ones in one logged action (``candidate.merge`` or ``candidate.split``);
        returns the new candidates' ids."""
        db = self.database
        with db.transaction() as conn:
            removed = [asdict(self._open_candidate(i)) for i in dict.fromkeys(remove)]
            conn.executemany("DELETE FROM candidate_themes WHERE id = ?", [(c["id"],) for c in removed])
            stamp, run_id = now(), removed[0]["run_id"] if removed else uuid.uuid4().hex
            ids = []
            for c in add:
                cursor = conn.execute(
                    "INSERT INTO candidate_themes (run_id, label, terms, coding_ids, code_ids, stability, created_at) "
                    "VALUES (?,?,?,?,?,?,?)", (run_id, c.label, json.dumps(c.terms, ensure_ascii=False),
                                               json.dumps(c.coding_ids), json.dumps(c.code_ids), c.stability, stamp))
                ids.append(int(cursor.lastrowid))
            added = [asdict(self.get_candidate(i)) for i in ids]
            db.log(actor, action, "candidate_theme", ids[0] if ids else None, {"removed": removed, "added": added})
            return ids

    def swap_candidates(self, remove: Sequence[dict], add: Sequence[dict], actor: str) -> None:
        """Take out candidates and put others back exactly as they were (used by undo and redo of a merge or
        split); Conflict when one to take out is gone or no longer open."""
        db = self.database
        with db.transaction() as conn:
            for candidate in remove:
                self._open_candidate(candidate["id"])
                conn.execute("DELETE FROM candidate_themes WHERE id = ?", (candidate["id"],))
            for c in add:
                conn.execute(
                    "INSERT INTO candidate_themes (id, run_id, label, terms, coding_ids, code_ids, status, theme_id, "
                    "created_at, stability) VALUES (?,?,?,?,?,?,?,?,?,?)",
                    (c["id"], c["run_id"], c["label"], json.dumps(c["terms"], ensure_ascii=False),
                     json.dumps(c["coding_ids"]), json.dumps(c["code_ids"]), c["status"], c["theme_id"],
                     c["created_at"], c.get("stability")))
            db.log(actor, "candidates.swap", "candidate_theme", None,
                   {"removed": [c["id"] for c in remove], "added": [c["id"] for c in add]})

    def promote_candidate_theme(self, candidate_id: int, name: str, description: str, actor: str) -> int:
        """Make an open candidate a theme with its codes; returns the new theme id."""
        db = self.database
        with db.transaction() as conn:
            candidate = self._open_candidate(candidate_id)
            theme_id = self._insert_theme(name, actor, description=description, memo="", narrative="",
                                          status="candidate", code_ids=candidate.code_ids, parent_id=None)
            theme = asdict(self.get_theme(theme_id))
            # logged for the audit trail; undo treats the promotion as one action (``part_of``)
            db.log(actor, "theme.add", "theme", theme_id, {"theme": theme, "part_of": "candidate.promote"})
            conn.execute("UPDATE candidate_themes SET status = 'promoted', theme_id = ? WHERE id = ?",
                         (theme_id, candidate_id))
            db.log(actor, "candidate.promote", "candidate_theme", candidate_id,
                   {"candidate": asdict(candidate), "theme_id": theme_id, "theme": theme})
            return theme_id

    def reopen_candidate_theme(self, candidate_id: int, actor: str) -> None:
        """Make a promoted or discarded candidate open again (used by undo); a promoted one loses its theme link."""
        db = self.database
        with db.transaction() as conn:
            candidate = self.get_candidate(candidate_id)
            conn.execute("UPDATE candidate_themes SET status = 'open', theme_id = NULL WHERE id = ?", (candidate_id,))
            db.log(actor, "candidate.reopen", "candidate_theme", candidate_id, {"candidate": asdict(candidate)})

    def mark_candidate_promoted(self, candidate_id: int, theme_id: int, actor: str) -> None:
        """Mark an open candidate promoted to an existing theme (used by redo)."""
        db = self.database
        with db.transaction() as conn:
            candidate = self._open_candidate(candidate_id)
            conn.execute("UPDATE candidate_themes SET status = 'promoted', theme_id = ? WHERE id = ?",
                         (theme_id, candidate_id))
            db.log(actor, "candidate.promote", "candidate_theme", candidate_id,
                   {"candidate": asdict(candidate), "theme_id": theme_id})

    def discard_candidate_theme(self, candidate_id: int, actor: str) -> None:
        """Mark an open candidate discarded (kept, so it is not proposed again)."""
        db = self.database
        with db.transaction() as conn:
            candidate = self._open_candidate(candidate_id)
            conn.execute("UPDATE candidate_themes SET status = 'discarded' WHERE id = ?", (candidate_id,))
            db.log(actor, "candidate.discard", "candidate_theme", candidate_id, {"candidate": asdict(candidate)})

    def _open_candidate(self, candidate_id: int) -> CandidateTheme:
        candidate = self.get_candidate(candidate_id)
        if candidate.status != "open":
            raise Conflict(f"candidate theme {candidate_id} was already {candidate.status}")
        return candidate

    # -- bulk reads for the analysis modules (columns, no dataclass per row) ---------------
    def coding_rows(self, *, coders: Sequence[str] | None = None, code_ids: Sequence[int] | None = None,
                    origins: Sequence[str] | None = None,
                    source_ids: Sequence[int] | None = None,
                    coding_ids: Sequence[int] | None = None) -> list[tuple[int, int, int, int, int, str, str]]:
        """(id, code id, source id, start, end, coder, origin) of the codings in scope, in no particular order."""
        sql, params = 'SELECT id, code_id, source_id, start, "end", coder, origin FROM codings WHERE 1', []
        for column, values in (("coder", coders), ("code_id", code_ids), ("origin", origins),
                               ("source_id", source_ids), ("id", coding_ids)):
            if values is not None:
                sql += f" AND {column} IN ({_marks(values)})"
                params += list(values)
        return self.database.conn.execute(sql, params).fetchall()

    def codings_by_uid(self, uids: Sequence[str]) -> dict[str, tuple[int, int]]:
        """Coding uid → (coding id, code id) for the uids that name a coding (citations resolve through this)."""
        uids = list(dict.fromkeys(uids))
        if not uids:
            return {}
        rows = self.database.conn.execute(f"SELECT uid, id, code_id FROM codings WHERE uid IN ({_marks(uids)})", uids)
        return {uid: (coding_id, code_id) for uid, coding_id, code_id in rows}

    def segment_rows(self, *, sentences: bool = False, source_ids: Sequence[int] | None = None) -> list[tuple]:
        """(id, source id, kind, start, end, speaker, start time, entry date, case id, label, parent id) of the
        structural segments (or the sentences), by source and start."""
        sql = ('SELECT id, source_id, kind, start, "end", speaker, start_time, entry_date, case_id, label, '
               "parent_id FROM segments WHERE kind " + ("= 'sentence'" if sentences else "!= 'sentence'"))
        params: list = []
        if source_ids is not None:
            sql += f" AND source_id IN ({_marks(source_ids)})"
            params = list(source_ids)
        return self.database.conn.execute(sql + " ORDER BY source_id, start, id", params).fetchall()

    def source_lengths(self) -> dict[int, int]:
        """Source id → number of characters (code points) of its text."""
        return dict(self.database.conn.execute("SELECT id, length(text) FROM sources").fetchall())

    def suggesters(self) -> list[str]:
        """The names of the suggesters that have proposed codes in this project."""
        return [r[0] for r in self.database.conn.execute("SELECT DISTINCT suggester FROM suggestions ORDER BY 1")]


def _update_action(changed: set[str]) -> str:
    """The event name of a theme change: rename, narrative, status and move have their own."""
    single = {"name": "theme.rename", "narrative": "theme.narrative", "status": "theme.status",
              "parent_id": "theme.move"}
    return single[next(iter(changed))] if len(changed) == 1 and next(iter(changed)) in single else "theme.update"


def _check_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise InvalidTheme("a theme needs a name")
    return name


def _check_status(status: str) -> None:
    if status not in THEME_STATUSES:
        raise InvalidTheme(f"unknown theme status {status!r}; expected one of {', '.join(THEME_STATUSES)}")
