"""Training in the background: one run at a time, progress in the project, cancel, a kill and its resume,
an unwritable or full models folder, a codebook changed mid-run. The runs are real `workbench train`
processes on tiny data (30 codings, a few steps)."""
from __future__ import annotations

import os
import shutil
import resource
import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest

from coding.embedding import default_model_path
from coding.tuning import Passage, TuningParams, tune
from helpers import write_coded_answers
from workbench.assist.evaluate import import_devset
from workbench.assist.train import MIN_CODINGS, MODEL_SETTING, TrainError, models_folder, train_project
from workbench.assist.train_jobs import (cancel_training, check_fraction, check_words, crash_reason, process_is_run,
                                         resume_training, run_alive, run_log, running_words, start_training,
                                         status_lines, training_status, TrainingStatus)
from workbench.store import Store, TrainingBusy
from workbench.store.db import schema_version

TINY = TuningParams(epochs=1, batch_size=16, learning_rate=1e-4)
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def tuned(tmp_path_factory) -> Path:
    """A small tuned model (tuned once for the module), to stand as a project's current model."""
    model = tune(default_model_path(), {"a": "Rain: weather"}, [Passage("It rained.", frozenset({"a"}))],
                 tmp_path_factory.mktemp("models"), TINY)
    return model.path


def make_current(store: Store, tuned: Path) -> Path:
    """Copy the tuned model into the project's models folder and make it current."""
    target = models_folder(store) / tuned.name
    shutil.copytree(tuned, target)
    store.record_training("amira", {"model": tuned.name}, tuned.name)
    return target


@pytest.fixture
def coded(store: Store, tmp_path: Path) -> Store:
    """10 answers (each its own source), 30 codings of 3 codes by amira: just enough to train."""
    write_coded_answers(tmp_path / "answers", 10)
    import_devset(store, "amira", tmp_path / "answers")
    return store


def wait_for(store: Store, condition, timeout: float = 400.0, poll: float = 0.5):
    """Poll the training status until ``condition(status)`` holds; return that status."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = training_status(store)
        if condition(status):
            return status
        time.sleep(poll)
    raise AssertionError(f"timed out; last status {status.state}, {status.job}")


def test_too_few_codings_refuses_to_start_and_says_how_many(store: Store, tmp_path: Path) -> None:
    write_coded_answers(tmp_path / "answers", 3)  # 9 codings
    import_devset(store, "amira", tmp_path / "answers")
    status = training_status(store)
    assert (status.state, status.codings, status.needed, status.ready) == ("idle", 9, MIN_CODINGS, False)
    with pytest.raises(TrainError, match=f"at least {MIN_CODINGS} codings.*has 9.*code {MIN_CODINGS - 9} more"):
        start_training(store, "amira", params=TINY)
    assert store.training_job() is None


def test_one_training_at_a_time_per_project(coded: Store) -> None:
    first = coded.start_training_job("amira", {})
    with pytest.raises(TrainingBusy, match=f"run {first} is still running"):
        coded.start_training_job("zoe", {})
    coded.end_training_job(first, "finished", "done")
    assert coded.start_training_job("zoe", {}) == first + 1


def test_a_run_whose_process_is_gone_shows_stopped_and_another_may_start(coded: Store) -> None:
    job_id = coded.start_training_job("amira", {})
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    coded.set_training_pid(job_id, gone.pid)
    assert training_status(coded).state == "stopped" and not run_alive(coded.training_job(job_id))
    # an unrelated live process with that pid is not the run either
    coded.set_training_pid(job_id, os.getpid())
    assert training_status(coded).state == "stopped"
    with pytest.raises(TrainError, match="no training is running"):
        cancel_training(coded, "amira")


@pytest.mark.skipif(not Path("/proc/self/cmdline").exists(), reason="reads Linux's /proc")
def test_a_process_just_started_counts_as_its_run_before_the_kernel_shows_its_arguments(coded: Store) -> None:
    # Popen returns once the child's exec has closed its pipe, but the kernel sets the child's command line a
    # moment later: a run looked at right then was taken for dead (about 1 in 200 here; twice in one CI run).
    job = coded.training_job(coded.start_training_job("amira", {}))
    for _ in range(200):
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)", "--job", str(job.id)],
                                 start_new_session=True, stdin=subprocess.DEVNULL, close_fds=True)
        try:
            assert run_alive(replace(job, pid=child.pid))  # as soon as Popen returns, like start_training
        finally:
            child.kill()
            child.wait()
    assert not run_alive(replace(job, pid=child.pid))


def test_an_empty_command_line_is_a_starting_run_unless_the_process_is_a_kernel_thread() -> None:
    user = "41 (python) S 1 41 41 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0"
    kthread = "2 (kthreadd) S 0 0 0 0 -1 2129984 0 0 0 0 0 4 0 0 20 0 1 0"
    zombie = "41 (python) Z 1 41 41 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0"
    assert process_is_run(user, b"", 3)
    assert not process_is_run(kthread, b"", 3)
    assert not process_is_run(zombie, b"", 3)
    def args(*words: str) -> bytes:
        return b"".join(w.encode() + b"\0" for w in words)
    assert process_is_run(user, args("python", "-m", "workbench", "train", "--job", "3"), 3)
    assert not process_is_run(user, args("python", "-m", "workbench", "train", "--job", "33"), 3)
    assert not process_is_run(user, args("vim", "notes.txt"), 3), "a pid reused by another program"


def test_a_running_check_shows_how_far_it_is_and_its_outcome_replaces_that(coded: Store) -> None:
    job_id = coded.start_training_job("amira", {})  # no process: the words are what is tested
    coded.record_training_progress(job_id, 12, 12, 0.3)
    coded.note_training_check(job_id, check_words(2, 256, 1_204))
    job = coded.training_job(job_id)
    assert job.message == "scoring 2 of 2, the new model: 256 of 1,204 sentences encoded"
    lines = status_lines(TrainingStatus("running", job, 30, MIN_CODINGS, "all-MiniLM-L6-v2"))
    assert "checking the new model on the held-out cases, scoring 2 of 2, the new model: 256 of 1,204" in lines[0]
    assert check_words(1, 0, 0) == "scoring 1 of 2, the current model"
    coded.end_training_job(job_id, "finished", "Kept.")
    coded.note_training_check(job_id, check_words(1, 0, 0))  # too late: the run has ended
    assert coded.training_job(job_id).message == "Kept."


def test_the_checks_share_done_grows_over_its_two_scorings_and_never_goes_back(coded: Store) -> None:
    # the calls teach() makes: before scoring 1 (all cached here: no chunks), before scoring 2, its encode
    # chunks, then once more (2, 0, 0) after it
    calls = [(1, 0, 0), (2, 0, 0), (2, 64, 256), (2, 256, 256), (2, 0, 0)]
    assert [check_fraction(*c) for c in calls] == [0.0, 0.5, 0.625, 1.0, 0.5]
    job_id = coded.start_training_job("amira", {})
    coded.record_training_progress(job_id, 12, 12, 0.3)
    assert coded.training_job(job_id).checked is None, "not begun"
    seen = []
    for c in calls:
        coded.note_training_check(job_id, check_words(*c), check_fraction(*c))
        seen.append(coded.training_job(job_id).checked)
    assert seen == [0.0, 0.5, 0.625, 1.0, 1.0], "the last call (after scoring 2) does not set the share back"
    job = coded.training_job(job_id)
    assert running_words(job).endswith("(100% done)")
    coded.end_training_job(job_id, "finished", "Kept.")
    assert coded.training_job(coded.start_training_job("amira", {})).checked is None, "a new run starts afresh"


def test_a_cli_background_run_finishes_with_its_result_in_the_project(coded: Store) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-m", "workbench", "train", "--project", str(coded.path), "--as", "amira",
                          "--epochs", "1", "--background"], capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "started in the background" in out.stdout
    running = training_status(coded)
    assert running.state == "running" and running.job.started_by == "amira"
    done = wait_for(coded, lambda s: s.state != "running")
    assert done.state == "finished", done.job.message
    result = done.job.result
    assert set(result["before"]) == set(result["after"]) == {"kappa", "f1", "precision"}
    assert (models_folder(coded) / result["model"] / "tuning.json").is_file()
    assert coded.setting(MODEL_SETTING) == (result["model"] if result["kept"] else None)
    assert done.job.done == done.job.total > 0 and done.job.first_step == 1
    assert coded.code_agreement(), "the held-out check stores each code's agreement"


def test_cancel_stops_cleanly_and_the_current_model_stays(coded: Store, tuned: Path) -> None:
    current = make_current(coded, tuned)
    start_training(coded, "amira", params=TuningParams(epochs=3, batch_size=16, learning_rate=1e-4))
    cancel_training(coded, "amira")  # read at the first step
    ended = wait_for(coded, lambda s: s.state != "running")
    assert ended.state == "cancelled" and "cancelled" in ended.job.message
    assert ended.job.done < ended.job.total
    assert coded.setting(MODEL_SETTING) == current.name and (current / "tuning.json").is_file()
    assert [p for p in models_folder(coded).iterdir() if not p.name.startswith(".")] == [current], "no new model"
    assert {"training.start", "training.cancel"} <= {e.action for e in coded.events()}


def test_a_killed_run_shows_stopped_and_resume_continues_from_its_checkpoint(coded: Store) -> None:
    params = TuningParams(epochs=2, batch_size=16, learning_rate=1e-4)
    job = start_training(coded, "amira", params=params)
    # kill it in its second epoch: the first epoch's checkpoint is on disk by then
    status = wait_for(coded, lambda s: s.job.total and s.job.done > s.job.total // 2)
    per_epoch = status.job.total // 2
    os.killpg(job.pid, signal.SIGKILL)
    stopped = wait_for(coded, lambda s: s.state != "running", timeout=30)
    assert stopped.state == "stopped" and coded.setting(MODEL_SETTING) is None
    assert list(models_folder(coded).glob(".tuned-*.partial/checkpoint/state.json"))
    resumed = resume_training(coded, "amira")
    assert resumed.id == job.id + 1 and resumed.params == job.params
    assert coded.training_job(job.id).state == "stopped"
    done = wait_for(coded, lambda s: s.state != "running")
    assert done.state == "finished", done.job.message
    assert done.job.first_step == per_epoch + 1, "the resumed run started in the second epoch"
    assert not list(models_folder(coded).glob(".tuned-*.partial")), "the checkpoint is gone once finished"


def test_a_codebook_changed_while_a_background_run_trains_is_not_switched_on(coded: Store) -> None:
    start_training(coded, "amira", params=TINY)
    wait_for(coded, lambda s: s.job.done >= 1)
    code = coded.codes()[0]
    coded.update_code(code.id, "amira", definition="Something else entirely.")
    done = wait_for(coded, lambda s: s.state != "running")
    assert done.state == "finished" and not done.job.result["kept"]
    assert "codebook changed while the model was training" in done.job.message
    assert coded.setting(MODEL_SETTING) is None


def test_a_models_folder_that_cannot_be_written_is_a_clear_error(coded: Store) -> None:
    models_folder(coded).write_text("not a folder")  # as root a read-only folder is still writable: block it so
    events = len(coded.events())
    with pytest.raises(TrainError, match=f"cannot write the tuned model in .*{models_folder(coded).name}"):
        train_project(coded, "amira", params=TINY)
    assert coded.setting(MODEL_SETTING) is None and len(coded.events()) == events
    assert models_folder(coded).read_text() == "not a folder"


def _fill_disk_at(limit: int):
    def limit_file_size() -> None:  # a file that would grow past `limit` fails with EFBIG, like a full disk
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return limit_file_size


def test_a_full_disk_while_training_is_a_clear_error_and_the_project_is_intact(coded: Store, tuned: Path) -> None:
    current = make_current(coded, tuned)
    files = {p: p.read_bytes() for p in current.rglob("*") if p.is_file()}
    before = (len(coded.events()), len(coded.coding_rows()))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-m", "workbench", "train", "--project", str(coded.path), "--as", "amira",
                          "--epochs", "1"], capture_output=True, text=True, env=env, timeout=400,
                         preexec_fn=_fill_disk_at(8 * 2**20))  # the model's weights are ~90 MB
    assert out.returncode == 1, out.stdout + out.stderr
    assert "cannot write" in out.stderr and str(models_folder(coded)) in out.stderr, out.stderr
    assert "Traceback" not in out.stderr
    assert coded.setting(MODEL_SETTING) == current.name
    assert {p: p.read_bytes() for p in current.rglob("*") if p.is_file()} == files
    assert (len(coded.events()), len(coded.coding_rows())) == before
    assert not [p for p in models_folder(coded).iterdir() if p.name.startswith("tuned-") and p != current]


def test_cli_cancel_without_a_running_training_says_so(coded: Store) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-m", "workbench", "train", "--project", str(coded.path), "--as", "amira",
                          "--cancel"], capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 1 and "no training is running" in out.stderr


def test_cancel_during_the_held_out_check_stops_it_and_the_current_model_stays(coded: Store, tuned: Path) -> None:
    current = make_current(coded, tuned)
    start_training(coded, "amira", params=TINY)
    checking = wait_for(coded, lambda s: s.state != "running" or (s.job.total and s.job.done == s.job.total),
                        poll=0.05)
    assert checking.state == "running", "the run ended before the test could cancel its held-out check"
    cancel_training(coded, "amira")  # tuning is over: only the held-out check can see this
    asked = time.monotonic()
    ended = wait_for(coded, lambda s: s.state != "running", poll=0.1)
    print(f"cancelled {time.monotonic() - asked:.1f} s after the request")
    assert ended.state == "cancelled", ended.job.message
    assert "held-out check" in ended.job.message and ended.job.result is None
    assert coded.setting(MODEL_SETTING) == current.name and (current / "tuning.json").is_file()
    assert [e.action for e in coded.events()].count("model.train") == 1, "only make_current's"


def test_a_run_that_cannot_open_the_project_shows_stopped_with_the_reason(coded: Store) -> None:
    newer = schema_version() + 1
    with sqlite3.connect(coded.path) as raw:  # the child process opens the file afresh and refuses it
        raw.execute(f"PRAGMA user_version = {newer}")
    job = start_training(coded, "amira", params=TINY)
    stopped = wait_for(coded, lambda s: s.state != "running", timeout=120)
    assert stopped.state == "stopped", stopped.job.message
    assert f"made by a newer version of the workbench (schema {newer})" in stopped.job.message
    assert str(coded.path) in stopped.job.message
    assert coded.training_job(job.id).message == stopped.job.message, "the reason is recorded in the run"
    assert not run_log(coded, job.id).exists(), "its error output is read once, into the run"
    with sqlite3.connect(coded.path) as raw:
        raw.execute(f"PRAGMA user_version = {schema_version()}")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-m", "workbench", "train", "--project", str(coded.path), "--status"],
                         capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    assert f"Training run {job.id} stopped: {stopped.job.message}" in out.stdout
    assert "30 codings by people" in out.stdout


def test_a_run_that_crashes_before_training_shows_stopped_with_the_exception(coded: Store, tmp_path: Path,
                                                                              monkeypatch) -> None:
    broken = tmp_path / "broken"  # a broken install: the child cannot even import its command line
    broken.mkdir()
    (broken / "click.py").write_text("raise RuntimeError('this click is broken')\n")
    monkeypatch.setenv("PYTHONPATH", str(broken))
    job = start_training(coded, "amira", params=TINY)
    stopped = wait_for(coded, lambda s: s.state != "running", timeout=120)
    assert (stopped.state, stopped.job.message) == ("stopped", "RuntimeError: this click is broken")
    assert coded.training_job(job.id).state == "stopped"
    monkeypatch.delenv("PYTHONPATH")
    resumed = resume_training(coded, "amira")  # another run may start, and this one finishes
    done = wait_for(coded, lambda s: s.state != "running")
    assert done.job.id == resumed.id and done.state == "finished", done.job.message
    assert not run_log(coded, resumed.id).exists()


@pytest.mark.parametrize("stderr, reason", [
    ("", "the training process ended without finishing (it was killed, or the computer restarted)"),
    ("Error: /x/p.wbproj: made by a newer version\n", "/x/p.wbproj: made by a newer version"),
    ('Traceback (most recent call last):\n  File "x.py", line 1, in <module>\nKeyError: \'tuning\'\n',
     "KeyError: 'tuning'"),
    ("Some warning\nSegmentation fault\n",
     "the training process ended without finishing; its last output: Some warning / Segmentation fault"),
    ("x" * 900, "the training process ended without finishing; its last output: …" + "x" * 399),
])
def test_the_reason_a_run_died_is_its_error_else_its_last_words(stderr: str, reason: str) -> None:
    assert crash_reason(stderr) == reason
