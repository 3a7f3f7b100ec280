"""The project store: one SQLite file per project. All SQL of the workbench lives in this package,
one module per kind of record (sources, codes, codings, suggestions, caches, themes, events, ...),
combined into `Store`.

May import: `workbench.model`, `workbench.errors`, `coding.codebook` (the codebook records it stores),
sqlite-utils. Never any layer above it.
"""
from __future__ import annotations

from pathlib import Path

from workbench.model import Access, Role
from workbench.store.access import require
from workbench.store.check import CheckStore, Problem
from workbench.store.codes import CodeStore
from workbench.store.codings import CodingStore
from workbench.store.db import Database, new_uid, now, schema_version
from workbench.store.events import EventStore
from workbench.store.exchange import ExchangeStore
from workbench.store.facts import CodingFact, FactStore
from workbench.store.restore import RestoreStore
from workbench.store.recordings import RecordingStore
from workbench.store.roster import RosterStore
from workbench.store.search import SearchStore, SegmentHit
from workbench.model import NewSegment, NewSource, SourceEdit
from workbench.store.sources import SourceStore
from workbench.model import NewSuggestion, Suggestion
from workbench.store.cache import CacheStore
from workbench.store.suggestions import SuggestionStore
from workbench.store.training import TrainingBusy, TrainingStore
from workbench.store.themes import CandidateTheme, FrameworkCellRecord, InvalidTheme, NewCandidate, Theme, ThemeStore


class Store(SourceStore, CodeStore, CodingStore, SuggestionStore, CacheStore, RestoreStore, SearchStore, EventStore,
            FactStore, RosterStore, CheckStore, ThemeStore, ExchangeStore, RecordingStore,
            TrainingStore):
    """A project: open it with ``Store.open(path)`` or create it with ``Store.create(path)``."""

    def __init__(self, database: Database) -> None:
        self.database = database

    @classmethod
    def open(cls, path: str | Path, *, access: Access | None = None) -> "Store":
        """Open an existing project (upgrading its schema after a backup, if it is older).

        ``access``: in team mode, the signed-in account and its role; every change is then checked against it.
        """
        return cls(Database(path, access=access))

    @property
    def access(self) -> Access | None:
        """The signed-in account and its role in team mode; None for the single-user app and CLI."""
        return self.database.access

    def require(self, needed: Role, what: str) -> None:
        """Refuse ``what`` (a `Forbidden` error) unless the team role is at least ``needed``; no-op for one user."""
        require(self.database.access, needed, what)

    @classmethod
    def create(cls, path: str | Path, *, name: str | None = None) -> "Store":
        """Create a project file (or open it if it already exists)."""
        store = cls(Database(path, create=True))
        if name:
            store.set_setting("name", name)
        return store

    @property
    def path(self) -> Path:
        """Where the project file is."""
        return self.database.path

    def set_setting(self, key: str, value: str) -> None:
        """Store a project setting (name, description, ...)."""
        self.require(Role.LEAD, "change the project's settings")
        with self.database.transaction() as conn:
            conn.execute("INSERT INTO project (key, value) VALUES (?, ?) "
                         "ON CONFLICT (key) DO UPDATE SET value = excluded.value", (key, value))

    def setting(self, key: str, default: str | None = None) -> str | None:
        """A project setting."""
        value = self.database.scalar("SELECT value FROM project WHERE key = ?", (key,))
        return default if value is None else value

    def record_training(self, actor: str, payload: dict, current_model: str | None) -> int:
        """Log a ``model.train`` event and, when ``current_model`` is given, make it the project's current
        tuned model (setting ``suggest.model``), in one transaction; returns the event id."""
        with self.database.transaction() as conn:
            if current_model is not None:
                conn.execute("INSERT INTO project (key, value) VALUES ('suggest.model', ?) "
                             "ON CONFLICT (key) DO UPDATE SET value = excluded.value", (current_model,))
            return self.database.log(actor, "model.train", "project", None, payload)

    def close(self) -> None:
        """Close this thread's connection."""
        self.database.close()


__all__ = ["Store", "Problem", "SourceEdit", "NewSegment", "CodingFact", "NewSource", "NewSegment", "NewSuggestion", "Suggestion", "SegmentHit", "new_uid", "now", "schema_version",
           "Theme", "ThemeStore", "TrainingBusy", "CandidateTheme", "NewCandidate", "FrameworkCellRecord", "InvalidTheme"]
