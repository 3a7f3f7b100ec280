"""Recordings: which audio or video file in ``<project>.media/`` belongs to which source."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

from workbench.errors import NotFound
from workbench.model import Recording
from workbench.store.db import Database, new_uid, now


def _recording(row: dict) -> Recording:
    return Recording(**row)


class RecordingStore:
    """Storing and reading the record of each source's recording (the files are written by
    ``workbench.sources.media``)."""

    database: Database

    @property
    def media_dir(self) -> Path:
        """Where the project's recordings are kept: ``<project file>.media/`` beside it."""
        return self.database.path.with_name(self.database.path.name + ".media")

    def backup_media(self, target: str | Path) -> int:
        """Copy the project's recordings beside the backup ``target`` (into ``<target>.media/``), for a backup
        that can be opened on its own. Files are named by their SHA-256 and never altered, so one already there
        is kept; a new one is written under a temporary name and renamed. Returns how many files were copied."""
        target = Path(target)
        files = [row["file"] for row in self.database.query("SELECT DISTINCT file FROM recordings ORDER BY file")]
        if not files:
            return 0
        dest = target.with_name(target.name + ".media")
        dest.mkdir(parents=True, exist_ok=True)
        copied = 0
        for name in files:
            source, final = self.media_dir / name, dest / name
            if final.exists() or not source.exists():  # a missing file is `workbench check`'s to name
                continue
            partial = dest / f".{name}.partial"
            shutil.copyfile(source, partial)
            os.replace(partial, final)
            copied += 1
        return copied

    def set_recording(self, source_id: int, *, kind: str, format: str, file: str, original_name: str,
                      sha256: str, size: int, actor: str, uid: str | None = None) -> Recording:
        """Make this file the source's recording (replacing the record of an earlier one), logged."""
        db = self.database
        with db.transaction() as conn:
            if db.scalar("SELECT 1 FROM sources WHERE id = ?", (source_id,)) is None:
                raise NotFound(f"no source with id {source_id}")
            old = self.recording(source_id)
            if uid and db.scalar("SELECT 1 FROM recordings WHERE uid = ? COLLATE NOCASE AND source_id != ?",
                                 (uid, source_id)):
                uid = None  # that GUID is another source's recording
            conn.execute("DELETE FROM recordings WHERE source_id = ?", (source_id,))
            cursor = conn.execute(
                "INSERT INTO recordings (uid, source_id, kind, format, file, original_name, sha256, size, "
                "attached_at, attached_by) VALUES (?,?,?,?,?,?,?,?,?,?)",
                (uid or (old.uid if old else None) or new_uid(), source_id, kind, format, file, original_name,
                 sha256, size, now(), actor))
            db.log(actor, "source.recording", "source", source_id,
                   {"file": file, "original_name": original_name, "sha256": sha256, "kind": kind,
                    "replaced": old.file if old else None})
            return self.recording_by_id(int(cursor.lastrowid))

    def recording_by_id(self, recording_id: int) -> Recording:
        """One recording by id."""
        rows = self.database.query("SELECT * FROM recordings WHERE id = ?", (recording_id,))
        if not rows:
            raise NotFound(f"no recording with id {recording_id}")
        return _recording(rows[0])

    def recording(self, source_id: int) -> Recording | None:
        """The source's recording, or None."""
        rows = self.database.query("SELECT * FROM recordings WHERE source_id = ?", (source_id,))
        return _recording(rows[0]) if rows else None

    def recordings(self) -> list[Recording]:
        """Every source's recording, by source id."""
        return [_recording(r) for r in self.database.query("SELECT * FROM recordings ORDER BY source_id")]

    def source_has_times(self, source_id: int) -> bool:
        """True when any of the source's turns has a start time (so a recording can follow it)."""
        return self.database.scalar("SELECT 1 FROM segments WHERE source_id = ? AND kind != 'sentence' "
                                    "AND start_time IS NOT NULL LIMIT 1", (source_id,)) is not None
