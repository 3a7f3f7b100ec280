"""What other tools recognise a project by, kept for the next .qdpx export: the GUIDs of users and
variables, the selection each coding came in, and REFI-QDA Sets."""
from __future__ import annotations

from workbench.errors import NotFound
from workbench.model import ProjectSet
from workbench.store.db import Database, new_uid

_MEMBER_TYPES = ("code", "source", "memo")


class ExchangeStore:
    """Users, selection GUIDs and sets (each change logged)."""

    database: Database

    # -- users -------------------------------------------------------------------
    def users(self) -> dict[str, str]:
        """Name → GUID of every user the project knows (from imports), whether or not they coded."""
        return dict(self.database.conn.execute("SELECT name, uid FROM users ORDER BY name"))

    def add_users(self, users: dict[str, str]) -> list[str]:
        """Remember users by name and GUID (part of the caller's logged change, an import); a name or GUID
        already known keeps its pairing. Returns the names added."""
        db = self.database
        added = []
        with db.transaction() as conn:
            for name, uid in users.items():
                if not db.scalar("SELECT 1 FROM users WHERE name = ? OR uid = ?", (name, uid)):
                    conn.execute("INSERT INTO users (name, uid) VALUES (?, ?)", (name, uid))
                    added.append(name)
        return added

    # -- variables ---------------------------------------------------------------
    def variable_uids(self) -> dict[str, str]:
        """Attribute name → the GUID a .qdpx gave it as a Variable."""
        return dict(self.database.conn.execute("SELECT key, uid FROM variables"))

    def add_variable_uids(self, variables: dict[str, str]) -> None:
        """Remember Variable GUIDs by attribute name (part of the caller's change); known names and GUIDs stay."""
        with self.database.transaction() as conn:
            conn.executemany("INSERT OR IGNORE INTO variables (key, uid) VALUES (?, ?)",
                             [(key.strip().lower(), uid) for key, uid in variables.items()])

    # -- selections --------------------------------------------------------------
    def set_selection_uids(self, selections: dict[str, str]) -> None:
        """Remember the selection GUID of codings (coding uid → selection GUID); part of the caller's change."""
        with self.database.transaction() as conn:
            conn.executemany("INSERT INTO selection_uids (coding_uid, selection_uid) VALUES (?, ?) "
                             "ON CONFLICT (coding_uid) DO UPDATE SET selection_uid = excluded.selection_uid",
                             list(selections.items()))

    def selection_uids(self) -> dict[str, str]:
        """Coding uid → the GUID of the selection it came in (only for imported codings)."""
        return dict(self.database.conn.execute("SELECT coding_uid, selection_uid FROM selection_uids"))

    # -- sets --------------------------------------------------------------------
    def sets(self) -> list[ProjectSet]:
        """Every set with its members, by name."""
        conn = self.database.conn
        found = [ProjectSet(*row)
                 for row in conn.execute("SELECT id, uid, name, description FROM sets ORDER BY name, id")]
        for item in found:
            for member_type, member_id in conn.execute(
                    "SELECT member_type, member_id FROM set_members WHERE set_id = ? ORDER BY member_type, member_id",
                    (item.id,)):
                getattr(item, f"{member_type}_ids").append(member_id)
        return found

    def add_set(self, name: str, actor: str, *, description: str = "", uid: str | None = None) -> int:
        """Create a set; returns its id."""
        db = self.database
        with db.transaction() as conn:
            cursor = conn.execute("INSERT INTO sets (uid, name, description) VALUES (?, ?, ?)",
                                  (uid or new_uid(), name, description))
            set_id = int(cursor.lastrowid)
            db.log(actor, "set.add", "set", set_id, {"name": name, "description": description})
            return set_id

    def find_set(self, uid: str) -> int | None:
        """The id of the set with this GUID, or None."""
        return self.database.scalar("SELECT id FROM sets WHERE uid = ?", (uid,))

    def update_set(self, set_id: int, actor: str, *, name: str | None = None, description: str | None = None) -> None:
        """Change a set's name or description (logged with before and after)."""
        db = self.database
        with db.transaction() as conn:
            before = db.query("SELECT name, description FROM sets WHERE id = ?", (set_id,))
            if not before:
                raise NotFound(f"no set with id {set_id}")
            after = {"name": before[0]["name"] if name is None else name,
                     "description": before[0]["description"] if description is None else description}
            if after != before[0]:
                conn.execute("UPDATE sets SET name = ?, description = ? WHERE id = ?",
                             (after["name"], after["description"], set_id))
                db.log(actor, "set.update", "set", set_id, {"before": before[0], "after": after})

    def add_set_members(self, set_id: int, members: list[tuple[str, int]], actor: str) -> int:
        """Add (member type, id) pairs (code, source or memo) to a set; returns how many were new."""
        db = self.database
        for member_type, _ in members:
            if member_type not in _MEMBER_TYPES:
                raise ValueError(f"a set holds codes, sources and memos, not {member_type!r}")
        with db.transaction() as conn:
            before = conn.total_changes
            conn.executemany("INSERT OR IGNORE INTO set_members (set_id, member_type, member_id) VALUES (?, ?, ?)",
                             [(set_id, kind, member_id) for kind, member_id in members])
            added = conn.total_changes - before
            if added:
                db.log(actor, "set.members.add", "set", set_id, {"members": members})
            return added
