"""The project schema as ordered migrations.

Each migration is a small function registered with ``@migration``; the store applies the
ones newer than the file's ``PRAGMA user_version`` in order, each in its own transaction,
after taking a backup of a non-empty project. Never edit a released migration: add one.
"""
from __future__ import annotations

import sqlite3
from collections.abc import Callable

Migration = Callable[[sqlite3.Connection], None]
MIGRATIONS: list[tuple[int, str, Migration]] = []


def migration(version: int, name: str) -> Callable[[Migration], Migration]:
    """Register ``fn`` as the migration that brings the schema to ``version``."""

    def register(fn: Migration) -> Migration:
        if MIGRATIONS and version != MIGRATIONS[-1][0] + 1:
            raise RuntimeError(f"migration {version} registered out of order")
        MIGRATIONS.append((version, name, fn))
        return fn

    return register


def _run(conn: sqlite3.Connection, statements: list[str]) -> None:
    for statement in statements:
        conn.execute(statement)


@migration(1, "initial schema")
def _initial(conn: sqlite3.Connection) -> None:
    _run(conn, [
        """CREATE TABLE project (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL
        )""",
        """CREATE TABLE cases (
            id INTEGER PRIMARY KEY,
            uid TEXT NOT NULL UNIQUE,
            name TEXT NOT NULL UNIQUE,
            description TEXT NOT NULL DEFAULT ''
        )""",
        """CREATE TABLE sources (
            id INTEGER PRIMARY KEY,
            uid TEXT NOT NULL UNIQUE,
            name TEXT NOT NULL,
            kind TEXT NOT NULL,
            text TEXT NOT NULL,
            content_hash TEXT NOT NULL UNIQUE,
            format TEXT NOT NULL,
            encoding TEXT,
            imported_from TEXT,
            imported_at TEXT NOT NULL,
            imported_by TEXT NOT NULL,
            metadata TEXT NOT NULL DEFAULT '{}',
            case_id INTEGER REFERENCES cases(id) ON DELETE SET NULL,
            words INTEGER NOT NULL DEFAULT 0
        )""",
        """CREATE TABLE segments (
            id INTEGER PRIMARY KEY,
            source_id INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
            parent_id INTEGER REFERENCES segments(id) ON DELETE CASCADE,
            kind TEXT NOT NULL,
            start INTEGER NOT NULL,
            "end" INTEGER NOT NULL,
            speaker TEXT,
            start_time REAL,
            end_time REAL,
            entry_date TEXT,
            case_id INTEGER REFERENCES cases(id) ON DELETE SET NULL,
            label TEXT,
            ordinal INTEGER NOT NULL DEFAULT 0,
            CHECK (start >= 0 AND "end" >= start)
        )""",
        "CREATE INDEX segments_source ON segments(source_id, start)",
        "CREATE INDEX segments_parent ON segments(parent_id)",
        "CREATE INDEX segments_case ON segments(case_id)",
        # Contentless: the text lives once, in sources.text; rowid = segments.id.
        """CREATE VIRTUAL TABLE segments_fts USING fts5(
            text, content='', tokenize='porter unicode61 remove_diacritics 2'
        )""",
        """CREATE TABLE attributes (
            owner_type TEXT NOT NULL CHECK (owner_type IN ('source', 'case')),
            owner_id INTEGER NOT NULL,
            key TEXT NOT NULL,
            value TEXT NOT NULL,
            PRIMARY KEY (owner_type, owner_id, key)
        )""",
        "CREATE INDEX attributes_key ON attributes(key, value)",
        """CREATE TABLE codes (
            id INTEGER PRIMARY KEY,
            uid TEXT NOT NULL UNIQUE,
            name TEXT NOT NULL,
            parent_id INTEGER REFERENCES codes(id),
            definition TEXT NOT NULL DEFAULT '',
            use_when TEXT NOT NULL DEFAULT '',
            dont_use_when TEXT NOT NULL DEFAULT '',
            examples TEXT NOT NULL DEFAULT '[]',
            keywords TEXT NOT NULL DEFAULT '[]',
            color TEXT,
            codable INTEGER NOT NULL DEFAULT 1,
            sort_order INTEGER NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )""",
        "CREATE UNIQUE INDEX codes_name_in_parent ON codes(ifnull(parent_id, 0), name COLLATE NOCASE)",
        """CREATE TABLE codings (
            id INTEGER PRIMARY KEY,
            uid TEXT NOT NULL UNIQUE,
            source_id INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
            start INTEGER NOT NULL,
            "end" INTEGER NOT NULL,
            code_id INTEGER NOT NULL REFERENCES codes(id),
            coder TEXT NOT NULL,
            created_at TEXT NOT NULL,
            memo TEXT NOT NULL DEFAULT '',
            origin TEXT NOT NULL DEFAULT 'manual' CHECK (origin IN ('manual', 'suggestion', 'import')),
            suggester TEXT,
            model TEXT,
            score REAL,
            reason TEXT,
            accepted_by TEXT,
            CHECK (start >= 0 AND "end" > start),
            UNIQUE (source_id, start, "end", code_id, coder)
        )""",
        "CREATE INDEX codings_code ON codings(code_id)",
        "CREATE INDEX codings_source ON codings(source_id, start)",
        "CREATE INDEX codings_coder ON codings(coder)",
        """CREATE TABLE memos (
            id INTEGER PRIMARY KEY,
            uid TEXT NOT NULL UNIQUE,
            title TEXT NOT NULL DEFAULT '',
            text TEXT NOT NULL DEFAULT '',
            author TEXT NOT NULL,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            target_type TEXT,
            target_id INTEGER
        )""",
        "CREATE INDEX memos_target ON memos(target_type, target_id)",
        """CREATE TABLE events (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            actor TEXT NOT NULL,
            action TEXT NOT NULL,
            target_type TEXT NOT NULL,
            target_id INTEGER,
            payload TEXT NOT NULL DEFAULT '{}'
        )""",
        "CREATE INDEX events_actor ON events(actor, id)",
        """CREATE TRIGGER events_no_update BEFORE UPDATE ON events
           BEGIN SELECT RAISE(ABORT, 'the events log is append-only'); END""",
        """CREATE TRIGGER events_no_delete BEFORE DELETE ON events
           BEGIN SELECT RAISE(ABORT, 'the events log is append-only'); END""",
    ])


@migration(2, "suggestions and embedding cache")
def _suggestions(conn: sqlite3.Connection) -> None:
    _run(conn, [
        """CREATE TABLE suggestions (
            id INTEGER PRIMARY KEY,
            source_id INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
            start INTEGER NOT NULL,
            "end" INTEGER NOT NULL,
            code_id INTEGER NOT NULL REFERENCES codes(id) ON DELETE CASCADE,
            score REAL NOT NULL,
            reason TEXT NOT NULL,
            suggester TEXT NOT NULL,
            model TEXT,
            status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'accepted', 'rejected')),
            created_at TEXT NOT NULL,
            decided_by TEXT,
            decided_at TEXT,
            coding_id INTEGER REFERENCES codings(id) ON DELETE SET NULL,
            UNIQUE (source_id, start, "end", code_id)
        )""",
        "CREATE INDEX suggestions_status ON suggestions(status, score)",
        "CREATE INDEX suggestions_code ON suggestions(code_id, status)",
        """CREATE TABLE embeddings (
            model TEXT NOT NULL,
            text_hash TEXT NOT NULL,
            vector BLOB NOT NULL,
            PRIMARY KEY (model, text_hash)
        ) WITHOUT ROWID""",
        """CREATE TABLE lemmas (
            text_hash TEXT PRIMARY KEY,
            lemmas TEXT NOT NULL
        ) WITHOUT ROWID""",
    ])


@migration(3, "themes, framework matrix, candidate themes, participant roster")
def _themes(conn: sqlite3.Connection) -> None:
    _run(conn, [
        """CREATE TABLE themes (
            id INTEGER PRIMARY KEY,
            uid TEXT NOT NULL UNIQUE,
            name TEXT NOT NULL UNIQUE COLLATE NOCASE,
            description TEXT NOT NULL DEFAULT '',
            memo TEXT NOT NULL DEFAULT '',
            status TEXT NOT NULL DEFAULT 'candidate' CHECK (status IN ('candidate', 'developing', 'final', 'discarded')),
            created_by TEXT NOT NULL,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )""",
        """CREATE TABLE theme_codes (
            theme_id INTEGER NOT NULL REFERENCES themes(id) ON DELETE CASCADE,
            code_id INTEGER NOT NULL REFERENCES codes(id) ON DELETE CASCADE,
            PRIMARY KEY (theme_id, code_id)
        )""",
        # Framework method: one row per case (participant) or attribute value (site), one column per theme.
        """CREATE TABLE framework_cells (
            id INTEGER PRIMARY KEY,
            row_type TEXT NOT NULL CHECK (row_type IN ('case', 'attribute')),
            row_key TEXT NOT NULL,
            theme_id INTEGER NOT NULL REFERENCES themes(id) ON DELETE CASCADE,
            summary TEXT NOT NULL DEFAULT '',
            coding_ids TEXT NOT NULL DEFAULT '[]',
            updated_by TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            UNIQUE (row_type, row_key, theme_id)
        )""",
        # Clusters of coded segments proposed as themes, kept so a discard is remembered.
        """CREATE TABLE candidate_themes (
            id INTEGER PRIMARY KEY,
            run_id TEXT NOT NULL,
            label TEXT NOT NULL,
            terms TEXT NOT NULL DEFAULT '[]',
            coding_ids TEXT NOT NULL DEFAULT '[]',
            code_ids TEXT NOT NULL DEFAULT '[]',
            status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'promoted', 'discarded')),
            theme_id INTEGER REFERENCES themes(id) ON DELETE SET NULL,
            created_at TEXT NOT NULL
        )""",
        """CREATE TABLE roster (
            real_name TEXT PRIMARY KEY COLLATE NOCASE,
            pseudonym TEXT NOT NULL,
            case_id INTEGER REFERENCES cases(id) ON DELETE SET NULL
        )""",
    ])


@migration(4, "sources are told apart by name or GUID, not by text alone")
def _sources_not_unique_by_text(conn: sqlite3.Connection) -> None:
    # Two survey answers that both read "Not sure" are two sources. SQLite cannot drop a UNIQUE
    # constraint, so the table is rebuilt (foreign keys are off while migrating: nothing cascades).
    columns = ("id, uid, name, kind, text, content_hash, format, encoding, imported_from, imported_at, "
               "imported_by, metadata, case_id, words")
    _run(conn, [
        """CREATE TABLE sources_new (
            id INTEGER PRIMARY KEY,
            uid TEXT NOT NULL UNIQUE,
            name TEXT NOT NULL,
            kind TEXT NOT NULL,
            text TEXT NOT NULL,
            content_hash TEXT NOT NULL,
            format TEXT NOT NULL,
            encoding TEXT,
            imported_from TEXT,
            imported_at TEXT NOT NULL,
            imported_by TEXT NOT NULL,
            metadata TEXT NOT NULL DEFAULT '{}',
            case_id INTEGER REFERENCES cases(id) ON DELETE SET NULL,
            words INTEGER NOT NULL DEFAULT 0
        )""",
        f"INSERT INTO sources_new ({columns}) SELECT {columns} FROM sources",
        "DROP TABLE sources",
        "ALTER TABLE sources_new RENAME TO sources",
        "CREATE INDEX sources_content ON sources(content_hash, name)",
    ])


@migration(5, "how an accepted suggestion was accepted: one by one or in bulk")
def _accept_mode(conn: sqlite3.Connection) -> None:
    # NULL on a coding of origin 'suggestion' accepted before this migration: how is not known.
    _run(conn, [
        "ALTER TABLE codings ADD COLUMN accept_mode TEXT CHECK (accept_mode IN ('one', 'bulk'))",
        "ALTER TABLE codings ADD COLUMN accept_min_score REAL",  # the bulk accept's lowest score
    ])


@migration(6, "REFI-QDA identities: users, selection GUIDs, variable GUIDs, sets")
def _exchange(conn: sqlite3.Connection) -> None:
    _run(conn, [
        # People known by name (coders, authors) with the GUID other tools know them by.
        """CREATE TABLE users (
            name TEXT PRIMARY KEY,
            uid TEXT NOT NULL UNIQUE COLLATE NOCASE
        )""",
        # The PlainTextSelection a coding came in (several codings may share one); keyed by the
        # coding's uid, which survives undo and redo.
        """CREATE TABLE selection_uids (
            coding_uid TEXT PRIMARY KEY,
            selection_uid TEXT NOT NULL
        )""",
        # The GUID a .qdpx gave an attribute name (a REFI Variable), reused on export.
        """CREATE TABLE variables (
            key TEXT PRIMARY KEY,
            uid TEXT NOT NULL UNIQUE COLLATE NOCASE
        )""",
        """CREATE TABLE sets (
            id INTEGER PRIMARY KEY,
            uid TEXT NOT NULL UNIQUE COLLATE NOCASE,
            name TEXT NOT NULL,
            description TEXT NOT NULL DEFAULT ''
        )""",
        """CREATE TABLE set_members (
            set_id INTEGER NOT NULL REFERENCES sets(id) ON DELETE CASCADE,
            member_type TEXT NOT NULL CHECK (member_type IN ('code', 'source', 'memo')),
            member_id INTEGER NOT NULL,
            PRIMARY KEY (set_id, member_type, member_id)
        )""",
        "CREATE INDEX set_members_member ON set_members(member_type, member_id)",
        *(f"""CREATE TRIGGER {table}_leave_sets AFTER DELETE ON {table}
              BEGIN DELETE FROM set_members WHERE member_type = '{kind}' AND member_id = old.id; END"""
          for table, kind in (("codes", "code"), ("sources", "source"), ("memos", "memo"))),
    ])


@migration(7, "reviewed possible names")
def _name_reviews(conn: sqlite3.Connection) -> None:
    # A possible name found in the texts, reviewed once: accepted (it is then also on the roster) or
    # dismissed (not a person's name); either way it is not proposed again.
    _run(conn, [
        """CREATE TABLE name_reviews (
            name TEXT PRIMARY KEY COLLATE NOCASE,
            decision TEXT NOT NULL CHECK (decision IN ('accepted', 'dismissed')),
            pseudonym TEXT,
            decided_by TEXT NOT NULL,
            decided_at TEXT NOT NULL
        )""",
    ])


@migration(8, "sub-themes, theme status candidate/reviewed/final, theme narratives, candidate stability")
def _theme_narratives(conn: sqlite3.Connection) -> None:
    # SQLite cannot change a CHECK constraint: the table is rebuilt (foreign keys are off while migrating,
    # so dropping the old table does not cascade to theme_codes, framework_cells and candidate_themes).
    _run(conn, [
        """CREATE TABLE themes_new (
            id INTEGER PRIMARY KEY,
            uid TEXT NOT NULL UNIQUE,
            name TEXT NOT NULL UNIQUE COLLATE NOCASE,
            parent_id INTEGER REFERENCES themes(id) ON DELETE SET NULL,
            description TEXT NOT NULL DEFAULT '',
            memo TEXT NOT NULL DEFAULT '',
            narrative TEXT NOT NULL DEFAULT '',
            status TEXT NOT NULL DEFAULT 'candidate' CHECK (status IN ('candidate', 'reviewed', 'final', 'discarded')),
            created_by TEXT NOT NULL,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )""",
        """INSERT INTO themes_new (id, uid, name, description, memo, status, created_by, created_at, updated_at)
           SELECT id, uid, name, description, memo,
                  CASE status WHEN 'developing' THEN 'reviewed' ELSE status END,
                  created_by, created_at, updated_at FROM themes""",
        "DROP TABLE themes",
        "ALTER TABLE themes_new RENAME TO themes",
        "CREATE INDEX themes_parent ON themes(parent_id)",
        "ALTER TABLE candidate_themes ADD COLUMN stability REAL",
    ])


@migration(9, "recordings: a source's audio or video, copied beside the project")
def _recordings(conn: sqlite3.Connection) -> None:
    # The file itself lives in `<project>.media/` under `file` (named by its SHA-256, never altered);
    # this row says which source it belongs to and how to check it is still the same file.
    _run(conn, [
        """CREATE TABLE recordings (
            id INTEGER PRIMARY KEY,
            uid TEXT NOT NULL UNIQUE,
            source_id INTEGER NOT NULL UNIQUE REFERENCES sources(id) ON DELETE CASCADE,
            kind TEXT NOT NULL CHECK (kind IN ('audio', 'video')),
            format TEXT NOT NULL,
            file TEXT NOT NULL,
            original_name TEXT NOT NULL,
            sha256 TEXT NOT NULL,
            size INTEGER NOT NULL,
            attached_at TEXT NOT NULL,
            attached_by TEXT NOT NULL
        )""",
    ])


@migration(10, "the review queue's learning order and suggesters read from indexes")
def _suggestions_uncertain(conn: sqlite3.Connection) -> None:
    # The Suggestions page's "learn fastest" order takes, per code, the pending suggestions nearest a score
    # of 0.5 first; this index hands them over in that order, so a page reads a few rows per code instead
    # of sorting the whole queue (1.6 s for 100,000 pending suggestions without it).
    # The second lists the suggesters (the page's suggester filter) and counts one suggester's suggestions per
    # code without reading the table (a scan of it: 1.1 s for 100,000).
    _run(conn, ["CREATE INDEX suggestions_uncertain ON suggestions"
                "(code_id, status, abs(score - 0.5), score DESC, source_id, start)",
                "CREATE INDEX suggestions_suggester ON suggestions(suggester, status, code_id)"])


@migration(11, "background training runs and per-code agreement from the last evaluation")
def _training_runs(conn: sqlite3.Connection) -> None:
    # One row per `workbench train` started in the background (the app's Teach panel): its process, progress
    # and outcome, so any session (after a reload too) can show it. At most one is running per project.
    # code_agreement keeps the last measured kappa and precision of the suggestions for each code.
    _run(conn, [
        """CREATE TABLE training_runs (
            id INTEGER PRIMARY KEY,
            state TEXT NOT NULL CHECK (state IN ('running', 'finished', 'failed', 'cancelled', 'stopped')),
            pid INTEGER,
            params TEXT NOT NULL DEFAULT '{}',
            started_by TEXT NOT NULL,
            started_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            first_step INTEGER,
            done INTEGER NOT NULL DEFAULT 0,
            total INTEGER NOT NULL DEFAULT 0,
            loss REAL,
            cancel_requested INTEGER NOT NULL DEFAULT 0,
            result TEXT,
            message TEXT NOT NULL DEFAULT ''
        )""",
        "CREATE UNIQUE INDEX training_runs_one_running ON training_runs(state) WHERE state = 'running'",
        """CREATE TABLE code_agreement (
            code_id INTEGER PRIMARY KEY REFERENCES codes(id) ON DELETE CASCADE,
            kappa REAL,
            precision REAL,
            support INTEGER NOT NULL,
            units INTEGER NOT NULL,
            measured_by TEXT NOT NULL,
            measured_at TEXT NOT NULL
        )""",
    ])


@migration(12, "fitted learned.v1 code models kept by fingerprint")
def _learned_models(conn: sqlite3.Connection) -> None:
    # A code's logistic regression is fixed by its fingerprint (the embedding model, the hashes of its
    # training texts, the parameters), so a new process (`workbench suggest`, re-suggesting after an edit)
    # reads it here instead of importing scikit-learn and refitting every code with enough codings.
    _run(conn, ["""CREATE TABLE learned_models (
            fingerprint TEXT PRIMARY KEY,
            coef BLOB NOT NULL,
            intercept REAL NOT NULL,
            threshold REAL NOT NULL,
            n_positive INTEGER NOT NULL,
            n_negative INTEGER NOT NULL
        ) WITHOUT ROWID"""])


@migration(13, "cached embeddings also kept in packs of many vectors per row")
def _embedding_packs(conn: sqlite3.Connection) -> None:
    # Reading 100,000 vectors one row each takes 1-2 s (a row per ~1.5 KiB, two rows a page); packs of thousands
    # of vectors per row read in a fraction of that. Every vector cached is written to both in one transaction
    # (`workbench/store/cache.py`); the vectors cached before this migration are packed here.
    _run(conn, ["""CREATE TABLE embedding_packs (
            id INTEGER PRIMARY KEY,
            model TEXT NOT NULL,
            hashes TEXT NOT NULL,
            vectors BLOB NOT NULL
        )""", "CREATE INDEX embedding_packs_model ON embedding_packs (model)"])
    for (model,) in conn.execute("SELECT DISTINCT model FROM embeddings").fetchall():
        rows = conn.execute("SELECT text_hash, vector FROM embeddings WHERE model = ? AND length(text_hash) = 40",
                            (model,))  # text hashes (SHA-1, hex): the packs list them one after the other
        while chunk := rows.fetchmany(4096):
            conn.execute("INSERT INTO embedding_packs (model, hashes, vectors) VALUES (?, ?, ?)",
                         (model, "".join(h for h, _v in chunk), b"".join(v for _h, v in chunk)))


@migration(14, "how far a training run's held-out check is")
def _training_check_progress(conn: sqlite3.Connection) -> None:
    # 0..1 while a run checks its model on the held-out cases (the Teach panel's second progress bar);
    # NULL before the check begins. Only grows within a run.
    _run(conn, ["ALTER TABLE training_runs ADD COLUMN checked REAL"])
