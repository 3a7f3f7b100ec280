"""The team server's own database (``team.db`` in the projects directory): accounts, memberships and the
append-only audit log. All of its SQL is here; the rules (passwords, throttling, who may do what) live in
`workbench.team`.
"""
from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from workbench.errors import Conflict, NotFound, ProjectError
from workbench.model import Account, AuditEntry, Member, Role
from workbench.store.db import file_header

SERVER_APPLICATION_ID = 0x52574254  # "RWBT": marks a file as a workbench team server database
SERVER_FILE = "team.db"
BUSY_TIMEOUT_MS = 30_000

# Ordered like the project's migrations: index + 1 is the schema version; never edit one, add one.
SERVER_SCHEMA: list[list[str]] = [
    [
        """CREATE TABLE accounts (
            name TEXT PRIMARY KEY COLLATE NOCASE,
            email TEXT NOT NULL DEFAULT '',
            password_hash TEXT,
            created_at TEXT NOT NULL
        )""",
        """CREATE TABLE members (
            project TEXT NOT NULL,
            account TEXT NOT NULL COLLATE NOCASE,
            role TEXT NOT NULL CHECK (role IN ('lead', 'coder', 'viewer')),
            added_by TEXT NOT NULL,
            added_at TEXT NOT NULL,
            PRIMARY KEY (project, account)
        )""",
        "CREATE INDEX members_account ON members(account)",
        """CREATE TABLE audit (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            actor TEXT NOT NULL,
            action TEXT NOT NULL,
            target TEXT NOT NULL DEFAULT '',
            address TEXT NOT NULL DEFAULT '',
            detail TEXT NOT NULL DEFAULT '{}'
        )""",
        "CREATE INDEX audit_action_target ON audit(action, target, at)",
        "CREATE INDEX audit_action_address ON audit(action, address, at)",
        """CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
           BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END""",
        """CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
           BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END""",
    ],
]


class ServerStore:
    """A team server's database; a connection per thread, each write one ``BEGIN IMMEDIATE`` transaction."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._local = threading.local()
        self._migrate()

    @classmethod
    def in_directory(cls, projects: str | Path) -> "ServerStore":
        """The server database of a projects directory (created on first use)."""
        projects = Path(projects)
        if not projects.is_dir():
            raise ProjectError(f"{projects}: the projects directory does not exist")
        return cls(projects / SERVER_FILE)

    # -- connections and transactions ---------------------------------------------------------------
    @property
    def conn(self) -> sqlite3.Connection:
        """This thread's connection."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(str(self.path), timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None,
                                   check_same_thread=False)
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            self._local.conn = conn
        return conn

    def close(self) -> None:
        """Close this thread's connection."""
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction; on any error nothing of it is kept."""
        conn = self.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def _migrate(self) -> None:
        conn, (app_id, version, tables) = file_header(lambda: self.conn, self.path, "workbench team database")
        if tables and app_id != SERVER_APPLICATION_ID:
            raise ProjectError(f"{self.path}: this SQLite file is not a workbench team database")
        if version > len(SERVER_SCHEMA):
            raise ProjectError(f"{self.path}: made by a newer version of the workbench (team schema {version})")
        if version < len(SERVER_SCHEMA):
            conn.execute("PRAGMA journal_mode = WAL")
        for number, statements in enumerate(SERVER_SCHEMA, start=1):
            if number <= version:
                continue
            with self.transaction():
                if conn.execute("PRAGMA user_version").fetchone()[0] >= number:
                    continue
                for statement in statements:
                    conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {number}")
                conn.execute(f"PRAGMA application_id = {SERVER_APPLICATION_ID}")

    def _rows(self, sql: str, params: tuple | list = ()) -> list[dict]:
        cursor = self.conn.execute(sql, params)
        columns = [c[0] for c in cursor.description]
        return [dict(zip(columns, row)) for row in cursor.fetchall()]

    # -- the audit log --------------------------------------------------------------------------------
    def audit(self, at: str, actor: str, action: str, target: str = "", *, address: str = "",
              detail: dict | None = None) -> int:
        """Append a line to the audit log (inside a caller's transaction, or its own)."""
        cursor = self.conn.execute(
            "INSERT INTO audit (at, actor, action, target, address, detail) VALUES (?, ?, ?, ?, ?, ?)",
            (at, actor, action, target, address, json.dumps(detail or {}, ensure_ascii=False)))
        return int(cursor.lastrowid)

    def audit_entries(self, *, actor: str | None = None, action: str | None = None, since: str | None = None,
                      limit: int | None = None) -> list[AuditEntry]:
        """Audit lines in order, optionally of one actor, one action (prefix) and from a time on."""
        sql, params = "SELECT * FROM audit WHERE 1", []
        if actor is not None:
            sql += " AND actor = ? COLLATE NOCASE"
            params.append(actor)
        if action is not None:
            sql += " AND action LIKE ? ESCAPE '\\'"
            params.append(action.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%")
        if since is not None:
            sql += " AND at >= ?"
            params.append(since)
        sql += " ORDER BY id"
        if limit is not None:
            sql = f"SELECT * FROM ({sql.replace('ORDER BY id', 'ORDER BY id DESC')} LIMIT ?) ORDER BY id"
            params.append(limit)
        return [AuditEntry(**{**r, "detail": json.loads(r["detail"])}) for r in self._rows(sql, params)]

    def failures(self, *, account: str, address: str, since: str) -> tuple[int, int]:
        """Failed sign-ins from ``since`` on: for ``account`` (after its last success) and from ``address``."""
        last_ok = self.conn.execute(
            "SELECT max(at) FROM audit WHERE action = 'signin.ok' AND target = ? COLLATE NOCASE",
            (account,)).fetchone()[0]
        by_account = self.conn.execute(
            "SELECT count(*) FROM audit WHERE action = 'signin.failed' AND target = ? COLLATE NOCASE AND at >= ?",
            (account, max(since, last_ok or ""))).fetchone()[0]
        by_address = self.conn.execute(
            "SELECT count(*) FROM audit WHERE action = 'signin.failed' AND address = ? AND at >= ?",
            (address, since)).fetchone()[0]
        return int(by_account), int(by_address)

    # -- accounts -------------------------------------------------------------------------------------
    def account(self, name: str) -> Account | None:
        """The account called ``name`` (case-insensitive), or None."""
        rows = self._rows("SELECT * FROM accounts WHERE name = ?", (name,))
        return Account(**rows[0]) if rows else None

    def accounts(self) -> list[Account]:
        """Every account, by name."""
        return [Account(**r) for r in self._rows("SELECT * FROM accounts ORDER BY name")]

    def add_account(self, account: Account, actor: str) -> None:
        """Create an account and log it; `Conflict` if the name is taken."""
        with self.transaction() as conn:
            try:
                conn.execute("INSERT INTO accounts (name, email, password_hash, created_at) VALUES (?, ?, ?, ?)",
                             (account.name, account.email, account.password_hash, account.created_at))
            except sqlite3.IntegrityError:
                raise Conflict(f"an account called {account.name!r} already exists") from None
            self.audit(account.created_at, actor, "user.add", account.name,
                       detail={"email": account.email, "local": account.password_hash is not None})

    def remove_account(self, name: str, actor: str, at: str) -> None:
        """Delete an account and its memberships, and log it; `NotFound` if there is none."""
        with self.transaction() as conn:
            if conn.execute("DELETE FROM accounts WHERE name = ?", (name,)).rowcount == 0:
                raise NotFound(f"no account called {name!r}")
            projects = [r[0] for r in conn.execute("SELECT project FROM members WHERE account = ?", (name,))]
            conn.execute("DELETE FROM members WHERE account = ?", (name,))
            self.audit(at, actor, "user.remove", name, detail={"projects": projects})

    def set_password_hash(self, name: str, password_hash: str, actor: str, at: str) -> None:
        """Replace an account's password hash and log that (never the hash)."""
        with self.transaction() as conn:
            if conn.execute("UPDATE accounts SET password_hash = ? WHERE name = ?",
                            (password_hash, name)).rowcount == 0:
                raise NotFound(f"no account called {name!r}")
            self.audit(at, actor, "user.passwd", name)

    # -- memberships ----------------------------------------------------------------------------------
    def members(self, project: str | None = None, *, account: str | None = None) -> list[Member]:
        """Memberships of one project, or one account's, or all; by project and account."""
        sql, params = "SELECT * FROM members WHERE 1", []
        if project is not None:
            sql += " AND project = ?"
            params.append(project)
        if account is not None:
            sql += " AND account = ?"
            params.append(account)
        rows = self._rows(sql + " ORDER BY project, account", params)
        return [Member(**{**r, "role": Role.parse(r["role"])}) for r in rows]

    def role(self, project: str, account: str) -> Role | None:
        """An account's role on a project, or None if it is no member."""
        value = self.conn.execute("SELECT role FROM members WHERE project = ? AND account = ?",
                                  (project, account)).fetchone()
        return Role.parse(value[0]) if value else None

    def set_member(self, project: str, account: str, role: Role, actor: str, at: str) -> Role | None:
        """Give an account a role on a project (adding or changing it) and log it; returns the role before."""
        with self.transaction() as conn:
            before = self.role(project, account)
            conn.execute("INSERT INTO members (project, account, role, added_by, added_at) VALUES (?, ?, ?, ?, ?) "
                         "ON CONFLICT (project, account) DO UPDATE SET role = excluded.role",
                         (project, account, role.label, actor, at))
            self.audit(at, actor, "member.add" if before is None else "member.role", project,
                       detail={"account": account, "before": before.label if before else None, "after": role.label})
            return before

    def remove_member(self, project: str, account: str, actor: str, at: str) -> None:
        """Take an account off a project and log it; `NotFound` if it was no member."""
        with self.transaction() as conn:
            before = self.role(project, account)
            if before is None:
                raise NotFound(f"{account!r} is no member of {project!r}")
            conn.execute("DELETE FROM members WHERE project = ? AND account = ?", (project, account))
            self.audit(at, actor, "member.remove", project, detail={"account": account, "before": before.label})
