"""Training in the background: ``workbench train --job N`` as a detached process that records its state
and progress in the project (``training_runs``), so the app can start it, show it from any session (after
a reload too), cancel it, and notice when its process died.

One run at a time per project (the store refuses a second running row). A run whose process is gone
without finishing (killed, the computer restarted) shows as ``stopped``; resuming starts a new run with the
same parameters on the same data, which continues from the last epoch's checkpoint (``coding.tuning``).
Cancelling sets a flag the process reads after every step and, once tuning is over, between the held-out
check's encode chunks; it stops there, keeps its checkpoint (or the finished but unchecked model), and the
current model stays. The process's error output goes to ``<project>.models/.training-run-N.log``: when it
dies without recording an outcome, the run is marked ``stopped`` with the reason read from there (its
error message or exception, else its last lines).
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from coding.embedding import DEFAULT_MODEL
from coding.tuning import TuningParams

from workbench.assist.train import MIN_CODINGS, MODEL_SETTING, TrainError, TrainRun, models_folder, train_project
from workbench.model import TrainingJob
from workbench.store import Store

POLL_SECONDS = 2.0  # how often the app looks at a running training
STARTING_GRACE = timedelta(seconds=60)  # a run without a process yet is "starting" this long
ENDED_EARLY = "the training process ended without finishing"
UNKNOWN_END = f"{ENDED_EARLY} (it was killed, or the computer restarted)"
REASON_CHARS = 400  # the most of a dead process's last words kept as its reason
LOG_TAIL_BYTES = 64 * 1024  # how much of the end of its error output is read for that


@dataclass
class TrainingStatus:
    """What the Teach panel shows: the latest run (if any) as it stands, and whether training can start."""

    state: str  # idle (never trained), running, stopped (process gone: resume), finished, failed, cancelled
    job: TrainingJob | None
    codings: int  # codings by people in this project
    needed: int  # codings tuning needs
    model: str  # the current model: a tuned model's id or the base model's name

    @property
    def ready(self) -> bool:
        """Enough codings to train."""
        return self.codings >= self.needed

    @property
    def fraction(self) -> float:
        """Share of the training steps done (0 before the first step)."""
        job = self.job
        return min(1.0, job.done / job.total) if job is not None and job.total else 0.0


def training_status(store: Store) -> TrainingStatus:
    """The latest training run as it stands now (a running one whose process is gone is recorded ``stopped``,
    with the reason its process left)."""
    job = _end_if_dead(store)
    state = "idle" if job is None else job.state
    return TrainingStatus(state, job, coding_count(store), MIN_CODINGS, store.setting(MODEL_SETTING) or DEFAULT_MODEL)


def status_lines(status: TrainingStatus) -> list[str]:
    """The training status in words (``workbench train --status``): the latest run, the model in use."""
    job = status.job
    if job is None:
        lines = ["No training run yet."]
    elif status.state == "running":
        lines = [f"Training run {job.id} is running ({running_words(job)}), started by {job.started_by} at "
                 f"{job.started_at[:19].replace('T', ' ')} UTC" + ("; asked to stop" if job.cancel_requested else "")
                 + "."]
    elif status.state == "finished":
        lines = [f"Training run {job.id} finished.", *job.message.splitlines()]
    else:
        lines = [f"Training run {job.id} {status.state}: {job.message}"]
    lines.append(f"Suggestions use {status.model}; {status.codings:,} codings by people "
                 f"(tuning needs at least {status.needed}).")
    return lines


def running_words(job: TrainingJob) -> str:
    """What a running run is doing: starting, a tuning step, or checking the new model (and how far)."""
    if not job.total:
        return "starting"
    if job.done < job.total:
        return f"step {job.done:,} of {job.total:,}"
    share = f" ({int(100 * job.checked)}% done)" if job.checked is not None else ""  # as the bar: floored
    return "checking the new model on the held-out cases" + (f", {job.message}" if job.message else "") + share


def coding_count(store: Store) -> int:
    """Codings with a codable code (a grouped count: cheap enough for every page view)."""
    codable = {c.id for c in store.codes() if c.codable}
    return sum(n for code_id, n in store.coding_counts().items() if code_id in codable)


def run_alive(job: TrainingJob) -> bool:
    """Is the run's process still running it? (A run not yet given its process counts as alive a minute.)"""
    if job.pid is None:
        started = datetime.fromisoformat(job.started_at)
        if started.tzinfo is None:
            started = started.replace(tzinfo=timezone.utc)
        return datetime.now(timezone.utc) - started < STARTING_GRACE
    proc = Path(f"/proc/{job.pid}")
    if Path("/proc/self").exists():  # Linux: not a zombie, and the process is this run's (pids are reused)
        try:
            return process_is_run((proc / "stat").read_text(), (proc / "cmdline").read_bytes(), job.id)
        except OSError:
            return False
    try:
        os.kill(job.pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


PF_KTHREAD = 0x00200000  # a kernel thread (its command line is empty too)


def process_is_run(stat: str, cmdline: bytes, job_id: int) -> bool:
    """From a process's ``/proc/PID/stat`` and ``cmdline``: is it alive and running training run ``job_id``?

    An empty command line is a process that has just been started: the kernel closes the pipe ``Popen``
    waits on before it sets the new program's arguments, so right after ``start_training`` returns (and for
    longer on a busy machine) the child shows none yet. Only a kernel thread is empty for good."""
    fields = stat.rsplit(")", 1)[-1].split()  # after "pid (name)": state, ppid, pgrp, session, tty, tpgid, flags
    if fields[0] in ("Z", "X"):
        return False
    if not cmdline.strip(b"\0"):
        return not int(fields[6]) & PF_KTHREAD
    args = cmdline.split(b"\0")
    return any(a == b"--job" and b == str(job_id).encode() for a, b in zip(args, args[1:]))


def start_training(store: Store, actor: str, *, params: TuningParams = TuningParams(), holdout: float = 0.2,
                   seed: int = 0) -> TrainingJob:
    """Start ``workbench train`` in a detached process and return its run (``TrainError`` if it cannot start)."""
    codings = coding_count(store)
    if codings < MIN_CODINGS:
        raise TrainError(f"too few codings to tune the model: it needs at least {MIN_CODINGS} codings by people "
                         f"(this project has {codings}); code {MIN_CODINGS - codings} more and try again")
    _end_if_dead(store)
    job_id = store.start_training_job(actor, {"tuning": asdict(params), "holdout": holdout, "seed": seed})
    command = [sys.executable, "-m", "workbench", "train", "--project", str(store.path), "--as", actor,
               "--job", str(job_id)]
    here = str(Path(__file__).resolve().parents[2])  # the child runs this same workbench, wherever it is
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (here, os.environ.get("PYTHONPATH")) if p)}
    log = run_log(store, job_id)
    try:
        log.parent.mkdir(parents=True, exist_ok=True)
        stderr = log.open("wb")
    except OSError:  # no models folder to write in: the run says so itself when it tries to save
        stderr = None
    try:
        process = subprocess.Popen(command, start_new_session=True, stdin=subprocess.DEVNULL, env=env,
                                   stdout=subprocess.DEVNULL, stderr=stderr or subprocess.DEVNULL, close_fds=True)
    except OSError as exc:
        _end_run(store, job_id, "failed", f"cannot start the training process: {exc}")
        raise TrainError(f"cannot start the training process: {exc}") from exc
    finally:
        if stderr is not None:
            stderr.close()
    store.set_training_pid(job_id, process.pid)
    return store.training_job(job_id)


def check_words(scoring: int, done: int, total: int) -> str:
    """How far the held-out check is, in words (kept in the run while it runs)."""
    model = "the current model" if scoring == 1 else "the new model"
    return f"scoring {scoring} of 2, {model}" + (f": {done:,} of {total:,} sentences encoded" if total else "")


def check_fraction(scoring: int, done: int, total: int) -> float:
    """The share of the held-out check done: its two scorings count a half each, in encode chunks."""
    return min(1.0, ((scoring - 1) + (done / total if total else 0.0)) / 2)


def run_log(store: Store, job_id: int) -> Path:
    """Where a background run's process writes its error output (read if it dies without a word)."""
    return models_folder(store) / f".training-run-{job_id}.log"


def crash_reason(stderr: str) -> str:
    """Why a process died, from its error output: the command line's error message, else the exception a
    traceback ends with, else its last lines (shortened) after a word that it ended without finishing."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    errors = [line.removeprefix("Error: ") for line in lines if line.startswith("Error: ")]  # click's message
    if errors or any(line.startswith("Traceback (most recent call last)") for line in lines):
        reason = errors[-1] if errors else lines[-1]  # a traceback ends "SomeError: its text"
        return reason if len(reason) <= REASON_CHARS else reason[:REASON_CHARS - 1] + "…"
    if not lines:
        return UNKNOWN_END
    tail = " / ".join(lines[-3:])
    return f"{ENDED_EARLY}; its last output: " + (tail if len(tail) <= REASON_CHARS
                                                   else "…" + tail[-(REASON_CHARS - 1):])


def resume_training(store: Store, actor: str) -> TrainingJob:
    """Start again the latest run that stopped, was cancelled or failed, with its parameters (so it continues
    from its checkpoint when the codings and codebook are unchanged)."""
    status = training_status(store)
    if status.job is None or status.state not in ("stopped", "cancelled", "failed"):
        raise TrainError("there is no stopped training run to resume")
    given = status.job.params
    return start_training(store, actor, params=TuningParams(**given.get("tuning", {})),
                          holdout=given.get("holdout", 0.2), seed=given.get("seed", 0))


def cancel_training(store: Store, actor: str) -> None:
    """Ask the running training to stop after its current step (the current model stays)."""
    status = training_status(store)
    if status.state != "running":
        raise TrainError("no training is running")
    store.request_training_cancel(status.job.id, actor)


def _end_if_dead(store: Store) -> TrainingJob | None:
    """The latest run; a running one whose process is gone is first recorded as stopped, with the reason
    its process left in its error output (so a new run may start, and everyone sees why)."""
    job = store.training_job()
    if job is None or job.state != "running" or run_alive(job):
        return job
    try:
        with run_log(store, job.id).open("rb") as log:
            log.seek(max(0, log.seek(0, os.SEEK_END) - LOG_TAIL_BYTES))
            stderr = log.read().decode("utf-8", errors="replace")
    except OSError:  # none: started by an older workbench, or no models folder could be made
        stderr = ""
    _end_run(store, job.id, "stopped", crash_reason(stderr))
    return store.training_job(job.id)


def _end_run(store: Store, job_id: int, state: str, message: str, result: dict | None = None) -> None:
    """Record a run's outcome; its error output is then no longer needed."""
    store.end_training_job(job_id, state, message, result)
    try:
        run_log(store, job_id).unlink(missing_ok=True)
    except OSError:
        pass


def run_training_job(store: Store, job_id: int) -> TrainRun:
    """In the training process: run the recorded run, report progress, obey cancel, record the outcome."""
    job = store.training_job(job_id)
    if job is None or job.state != "running":
        raise TrainError(f"training run {job_id} is not waiting to run (it is {job.state if job else 'absent'})")
    store.set_training_pid(job_id, os.getpid())
    cancel = threading.Event()
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, lambda _signum, _frame: cancel.set())  # `kill PID` cancels cleanly too

    def progress(done: int, total: int, loss: float) -> None:
        store.record_training_progress(job_id, done, total, loss)
        look()

    def look() -> None:  # after every tuning step, and between the held-out check's encode chunks
        if store.training_cancel_requested(job_id):
            cancel.set()

    def checking(scoring: int, done: int, total: int) -> None:
        store.note_training_check(job_id, check_words(scoring, done, total), check_fraction(scoring, done, total))
        look()

    params = TuningParams(**job.params.get("tuning", {}))
    try:
        run = train_project(store, job.started_by, params=params, holdout=job.params.get("holdout", 0.2),
                            seed=job.params.get("seed", 0), on_progress=progress, on_check=checking,
                            cancel=cancel)
    except TrainError as exc:
        cancelled = cancel.is_set() or store.training_cancel_requested(job_id)
        _end_run(store, job_id, "cancelled" if cancelled else "failed", str(exc))
        raise
    except BaseException as exc:  # an unexpected failure is recorded, then raised as it is
        _end_run(store, job_id, "failed", f"training failed: {exc!r}")
        raise
    _end_run(store, job_id, "finished", "\n".join(run.summary()), _result(run))
    return run


def _result(run: TrainRun) -> dict:
    """A finished run's figures for the panel."""
    return {"model": run.model, "kept": run.kept, "previous": run.previous, "codings": run.codings,
            "passages": run.passages, "holdout_groups": run.holdout_groups, "holdout_units": run.holdout_units,
            "seconds": round(run.seconds, 1), "note": run.note,
            "before": {"kappa": _num(run.before.kappa), "f1": _num(run.before.f1),
                       "precision": _num(run.before.precision)},
            "after": {"kappa": _num(run.after.kappa), "f1": _num(run.after.f1),
                      "precision": _num(run.after.precision)}}


def _num(x: float) -> float | None:
    return None if x != x else round(float(x), 4)


__all__ = ["TrainingStatus", "training_status", "status_lines", "running_words", "crash_reason", "run_log",
           "start_training", "resume_training", "cancel_training", "check_words", "check_fraction", "run_training_job",
           "run_alive", "process_is_run", "models_folder", "POLL_SECONDS"]
