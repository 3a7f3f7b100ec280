"""Opening a project file: connections, transactions, migrations, backups."""
from __future__ import annotations

import json
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any


from workbench.errors import ProjectError
from workbench.model import Access
from workbench.store.access import check_event
from workbench.store.migrations import MIGRATIONS

if TYPE_CHECKING:
    import sqlite_utils

APPLICATION_ID = 0x52574221  # "RWB!": marks a file as a Resilience Workbench project
BUSY_TIMEOUT_MS = 30_000
BEGIN_RETRIES = 20


def now() -> str:
    """The current UTC time as ISO 8601 with milliseconds."""
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def new_uid() -> str:
    """A fresh GUID in the uppercase form REFI-QDA uses."""
    return str(uuid.uuid4()).upper()


def schema_version() -> int:
    """The schema version this code writes."""
    return MIGRATIONS[-1][0]


def file_header(connect: Callable[[], sqlite3.Connection], path: Path,
                what: str) -> tuple[sqlite3.Connection, tuple[int, int, int]]:
    """The connection and (application id, schema version, number of schema objects) of an SQLite file;
    ProjectError naming the file when it is not a database at all."""
    try:
        conn = connect()
        return conn, (conn.execute("PRAGMA application_id").fetchone()[0],
                      conn.execute("PRAGMA user_version").fetchone()[0],
                      conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0])
    except sqlite3.DatabaseError as exc:
        raise ProjectError(f"{path}: not a {what} ({exc})") from exc


class Database:
    """One project file; a connection per thread (WAL lets readers and one writer work at once)."""

    def __init__(self, path: str | Path, *, create: bool = False, access: Access | None = None) -> None:
        self.path = Path(path)
        self.access = access  # team mode: who works here and as what; None = single user, no checks
        if not create and not self.path.exists():
            raise ProjectError(f"{self.path}: no project here (create one with `workbench init {self.path}`)")
        if create:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._check_and_migrate()

    # -- connections -------------------------------------------------------
    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(str(self.path), timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None,
                               check_same_thread=False)
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA synchronous = NORMAL")
        return conn

    @property
    def conn(self) -> sqlite3.Connection:
        """This thread's connection to the project."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._connect()
            self._local.conn = conn
        return conn

    @property
    def db(self) -> sqlite_utils.Database:
        """This thread's sqlite-utils wrapper (imported on first use: it loads pandas, which costs a
        command-line start 0.4 s)."""
        db = getattr(self._local, "db", None)
        if db is None:
            import sqlite_utils

            db = self._local.db = sqlite_utils.Database(self.conn, execute_plugins=False)
        return db

    def close(self) -> None:
        """Close this thread's connection."""
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None
            self._local.db = None

    # -- transactions ------------------------------------------------------
    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction (``BEGIN IMMEDIATE``); nested calls become savepoints."""
        conn = self.conn
        if conn.in_transaction:
            name = f"sp_{uuid.uuid4().hex}"
            conn.execute(f"SAVEPOINT {name}")
            try:
                yield conn
            except BaseException:
                if conn.in_transaction:
                    conn.execute(f"ROLLBACK TO SAVEPOINT {name}")
                    conn.execute(f"RELEASE SAVEPOINT {name}")
                raise
            conn.execute(f"RELEASE SAVEPOINT {name}")
            return
        self._begin_immediate(conn)
        try:
            yield conn
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    @staticmethod
    def _begin_immediate(conn: sqlite3.Connection) -> None:
        # busy_timeout already waits; retry on top of it for long writers (ingest of a big file).
        for attempt in range(BEGIN_RETRIES):
            try:
                conn.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) and "busy" not in str(exc):
                    raise
                time.sleep(min(0.05 * 2**attempt, 2.0))
        raise ProjectError("the project is busy: another process kept it locked for too long; try again")

    def query(self, sql: str, params: Any = ()) -> list[dict[str, Any]]:
        """Rows of a read query as dicts."""
        cursor = self.conn.execute(sql, params)
        columns = [c[0] for c in cursor.description]
        return [dict(zip(columns, row)) for row in cursor.fetchall()]

    def scalar(self, sql: str, params: Any = ()) -> Any:
        """The first column of the first row, or None."""
        row = self.conn.execute(sql, params).fetchone()
        return row[0] if row else None

    @contextmanager
    def logging_as(self, via: str) -> Iterator[None]:
        """Mark the events logged inside this block as done ``via`` an undo, a redo or a larger action (a bulk
        accept): parts of one action, not actions of their own."""
        outer = getattr(self._local, "via", None)
        self._local.via = outer or via  # inside an undo or redo, everything stays marked as that
        try:
            yield
        finally:
            self._local.via = outer

    def log(self, actor: str, action: str, target_type: str, target_id: int | None,
            payload: dict[str, Any] | None = None) -> int:
        """Append an event; call inside the transaction that makes the change.

        In team mode this is where the role is checked: a refusal raises `Forbidden` and the change rolls back.
        """
        check_event(self.access, actor, action)
        via = getattr(self._local, "via", None)
        if via:
            payload = {**(payload or {}), "via": via}
        cursor = self.conn.execute(
            "INSERT INTO events (at, actor, action, target_type, target_id, payload) VALUES (?, ?, ?, ?, ?, ?)",
            (now(), actor, action, target_type, target_id, json.dumps(payload or {}, ensure_ascii=False)),
        )
        return int(cursor.lastrowid)

    # -- schema --------------------------------------------------------------
    def _check_and_migrate(self) -> None:
        conn, (app_id, version, tables) = file_header(lambda: self.conn, self.path, "workbench project")
        if tables and app_id != APPLICATION_ID:
            raise ProjectError(f"{self.path}: this SQLite file is not a Resilience Workbench project")
        if version > schema_version():
            raise ProjectError(f"{self.path}: made by a newer version of the workbench (schema {version}); "
                               f"this one reads up to schema {schema_version()}")
        if version == schema_version():
            return
        if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            conn.execute("PRAGMA journal_mode = WAL")
        if tables:
            self.backup(self.path.with_name(f"{self.path.name}.before-schema-{schema_version()}.bak"))
        # Foreign keys are off while migrating, so a migration may rebuild a table (SQLite's
        # 12-step ALTER) without its DROP cascading to the rows that refer to it; each migration
        # must leave no broken reference.
        conn.execute("PRAGMA foreign_keys = OFF")
        try:
            for number, name, fn in MIGRATIONS:
                if number <= version:
                    continue
                with self.transaction():
                    # another process may have migrated while we waited for the write lock
                    if conn.execute("PRAGMA user_version").fetchone()[0] >= number:
                        continue
                    fn(conn)
                    if conn.execute("PRAGMA foreign_key_check").fetchone():
                        raise ProjectError(f"{self.path}: migration {number} ({name}) would break references; "
                                           "the project was left as it was")
                    conn.execute(f"PRAGMA user_version = {number}")
                    conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        finally:
            conn.execute("PRAGMA foreign_keys = ON")

    def backup(self, target: str | Path) -> Path:
        """Copy the project to ``target`` with SQLite's online backup API (safe while others write)."""
        target = Path(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        dest = sqlite3.connect(str(target))
        try:
            self.conn.backup(dest)
        finally:
            dest.close()
        return target
