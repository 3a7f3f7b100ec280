"""Background training runs (`training_runs`) and the per-code agreement of the last evaluation
(`code_agreement`). Both are measurements and process state, not the researcher's data: they are not
events and not undoable, like the caches."""
from __future__ import annotations

import json
import math
import sqlite3

from workbench.errors import Conflict
from workbench.model import CodeAgreement, TrainingJob
from workbench.store.db import Database, now

JOB_COLUMNS = ("id, state, pid, params, started_by, started_at, updated_at, first_step, done, total, loss, "
               "cancel_requested, result, message, checked")
ENDED = ("finished", "failed", "cancelled", "stopped")


class TrainingBusy(Conflict):
    """Another training run of this project is still running."""


class TrainingStore:
    """Reading and changing training runs and per-code agreement."""

    database: Database

    def start_training_job(self, actor: str, params: dict) -> int:
        """A new running training run (``TrainingBusy`` if one is running); returns its id."""
        try:
            with self.database.transaction() as conn:
                stamp = now()
                cursor = conn.execute("INSERT INTO training_runs (state, params, started_by, started_at, updated_at) "
                                      "VALUES ('running', ?, ?, ?, ?)", (json.dumps(params), actor, stamp, stamp))
                self.database.log(actor, "training.start", "project", None, {"run": cursor.lastrowid, **params})
                return int(cursor.lastrowid)
        except sqlite3.IntegrityError as exc:
            running = self.database.scalar("SELECT id FROM training_runs WHERE state = 'running'")
            raise TrainingBusy(f"training run {running} is still running; wait for it or cancel it") from exc

    def training_job(self, job_id: int | None = None) -> TrainingJob | None:
        """One training run, or the latest one (None: none yet)."""
        sql = f"SELECT {JOB_COLUMNS} FROM training_runs " + ("WHERE id = ?" if job_id is not None else
                                                              "ORDER BY id DESC LIMIT 1")
        row = self.database.conn.execute(sql, (job_id,) if job_id is not None else ()).fetchone()
        if row is None:
            return None
        (id_, state, pid, params, by, started, updated, first, done, total, loss, cancel, result, message,
         checked) = row
        return TrainingJob(id_, state, pid, json.loads(params), by, started, updated, first, done, total, loss,
                           bool(cancel), json.loads(result) if result else None, message, checked)

    def set_training_pid(self, job_id: int, pid: int) -> None:
        """Record the process that runs the training run."""
        with self.database.transaction() as conn:
            conn.execute("UPDATE training_runs SET pid = ?, updated_at = ? WHERE id = ?", (pid, now(), job_id))

    def record_training_progress(self, job_id: int, done: int, total: int, loss: float) -> None:
        """Steps done of total and the last loss (the first step reported is kept: it shows a resume)."""
        with self.database.transaction() as conn:
            conn.execute("UPDATE training_runs SET done = ?, total = ?, loss = ?, updated_at = ?, "
                         "first_step = COALESCE(first_step, ?) WHERE id = ?",
                         (done, total, None if math.isnan(loss) else loss, now(), done, job_id))

    def note_training_check(self, job_id: int, words: str, fraction: float | None = None) -> None:
        """While a run checks its model on held-out cases: how far it is, in its message (its outcome replaces it)
        and, with ``fraction``, as a share of the check done (it never goes back within a run)."""
        with self.database.transaction() as conn:
            conn.execute("UPDATE training_runs SET message = ?, updated_at = ?, "
                         "checked = CASE WHEN ? IS NULL THEN checked ELSE MAX(COALESCE(checked, 0), ?) END "
                         "WHERE id = ? AND state = 'running'",
                         (words, now(), fraction, None if fraction is None else min(max(fraction, 0.0), 1.0),
                          job_id))

    def request_training_cancel(self, job_id: int, actor: str) -> None:
        """Ask a running training run to stop at its next step (its process reads this flag)."""
        with self.database.transaction() as conn:
            conn.execute("UPDATE training_runs SET cancel_requested = 1, updated_at = ? "
                         "WHERE id = ? AND state = 'running'", (now(), job_id))
            self.database.log(actor, "training.cancel", "project", None, {"run": job_id})

    def training_cancel_requested(self, job_id: int) -> bool:
        """Has someone asked this run to stop?"""
        return bool(self.database.scalar("SELECT cancel_requested FROM training_runs WHERE id = ?", (job_id,)))

    def end_training_job(self, job_id: int, state: str, message: str = "", result: dict | None = None) -> None:
        """Mark a run finished, failed, cancelled or stopped (only a running one changes)."""
        if state not in ENDED:
            raise ValueError(f"a training run ends finished, failed, cancelled or stopped, not {state!r}")
        with self.database.transaction() as conn:
            conn.execute("UPDATE training_runs SET state = ?, message = ?, result = COALESCE(?, result), "
                         "updated_at = ? WHERE id = ? AND state = 'running'",
                         (state, message, json.dumps(result) if result is not None else None, now(), job_id))

    def set_code_agreement(self, rows: list[CodeAgreement]) -> None:
        """Replace the per-code agreement with a new measurement (codes it did not measure lose theirs)."""
        with self.database.transaction() as conn:
            conn.execute("DELETE FROM code_agreement")
            conn.executemany("INSERT INTO code_agreement (code_id, kappa, precision, support, units, measured_by, "
                             "measured_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                             [(r.code_id, _number(r.kappa), _number(r.precision), r.support, r.units, r.measured_by,
                               r.measured_at) for r in rows])

    def code_agreement(self) -> dict[int, CodeAgreement]:
        """Code id -> its last measured agreement."""
        rows = self.database.conn.execute("SELECT code_id, kappa, precision, support, units, measured_by, "
                                          "measured_at FROM code_agreement")
        return {r[0]: CodeAgreement(*r) for r in rows}


def _number(x: float | None) -> float | None:
    """NaN (undefined, e.g. precision with nothing suggested) is stored as NULL."""
    return None if x is None or math.isnan(x) else float(x)
