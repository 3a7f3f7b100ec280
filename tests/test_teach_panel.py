"""The "Teach the assistant" panel and the per-code agreement on the Suggestions page, driven with AppTest;
one test starts a real background training from one session and watches it from another (a reload)."""
from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from helpers import write_coded_answers
from test_app_pages import html_blocks, open_page, project, store_of, template  # noqa: F401 (fixtures)
from workbench.assist.evaluate import import_devset
from workbench.assist.train import MIN_CODINGS, MODEL_SETTING
from workbench.assist.train_jobs import check_fraction, check_words, run_log, training_status
from workbench.assist.trust import record_agreement
from workbench.store import Store
from coding.evaluation import Scores
from workbench.ui.text import md


def panel_text(at) -> str:
    """Everything the page says in text, alerts, captions and Markdown."""
    parts = [e.value for elements in (at.markdown, at.caption, at.success, at.info, at.warning, at.error)
             for e in elements]
    return "\n".join(str(p) for p in parts)


def add_codings(project_path: Path, tmp_path: Path, answers: int = 10) -> Store:
    store = store_of(project_path)
    write_coded_answers(tmp_path / "answers", answers)
    import_devset(store, "zoe", tmp_path / "answers")
    return store


def test_panel_counts_codings_against_what_training_needs(project: Path) -> None:  # noqa: F811
    at = open_page(project, "suggestions")
    text = panel_text(at)
    assert f"**0** codings by people · tuning needs at least **{MIN_CODINGS}** (code **{MIN_CODINGS}** more)" in text
    assert at.button(key="teach.train").disabled
    assert md("Suggestions use: all-MiniLM-L6-v2") in text


def test_panel_shows_a_dead_run_as_stopped_with_resume(project: Path) -> None:  # noqa: F811
    store = store_of(project)
    job_id = store.start_training_job("zoe", {"tuning": {"epochs": 1}})
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    store.set_training_pid(job_id, gone.pid)
    at = open_page(project, "suggestions")
    assert any("Training stopped — resume" in w.value for w in at.warning)
    assert any(md(f"Run {job_id} stopped: the training process ended without finishing") in w.value
               for w in at.warning)
    assert at.button(key="teach.resume")
    at.button(key="teach.resume").click().run()  # too few codings: the run cannot start again, and says why
    assert any(f"at least {MIN_CODINGS} codings" in e.value for e in at.error)
    assert store.training_job().id == job_id and training_status(store).state == "stopped"


def test_panel_shows_the_last_result(project: Path) -> None:  # noqa: F811
    store = store_of(project)
    job_id = store.start_training_job("zoe", {})
    result = {"model": "tuned-0123456789abcdef", "kept": True, "previous": "all-MiniLM-L6-v2", "codings": 36,
              "passages": 40, "holdout_groups": 2, "holdout_units": 8, "seconds": 81.0, "note": "",
              "before": {"kappa": 0.31, "f1": 0.35, "precision": 0.26},
              "after": {"kappa": 0.42, "f1": 0.47, "precision": 0.4}}
    store.end_training_job(job_id, "finished", "Tuned.", result)
    at = open_page(project, "suggestions")
    assert any(md("Kept: suggestions now use tuned-0123456789abcdef") in s.value for s in at.success)
    table = at.dataframe[0]  # the panel comes first; the bulk-accept preview is another
    assert table.value["kappa"].tolist() == [0.31, 0.42] and table.value["F1"].tolist() == [0.35, 0.47]


def test_suggestions_show_each_codes_measured_agreement(project: Path) -> None:  # noqa: F811
    store = store_of(project)
    poverty = store.find_code("Poverty and cost of living")
    record_agreement(store, {poverty.uid: Scores(0.61, 0.5, 0.55, 0.48, 0.47, 10, 12, 200)}, "a test")
    at = open_page(project, "suggestions")
    blocks = html_blocks(at)
    assert "agreement: κ 0.48 · precision 0.61" in blocks  # Poverty and cost of living
    assert "agreement: not yet measured" in blocks  # Community assets


def test_a_training_started_in_one_session_is_seen_from_a_reload_and_finishes(project: Path,  # noqa: F811
                                                                              tmp_path: Path) -> None:
    store = add_codings(project, tmp_path)
    first = open_page(project, "suggestions")
    assert not first.button(key="teach.train").disabled
    first.number_input(key="teach.epochs").set_value(1)
    first.button(key="teach.train").click().run()
    assert any("started in the background" in s.value for s in first.success), panel_text(first)
    job = store.training_job()
    assert job.state == "running" and job.started_by == "zoe" and job.params["tuning"]["epochs"] == 1
    second = open_page(project, "suggestions")  # a new session: the page reloaded
    assert second.get("progress") and second.button(key="teach.cancel")
    assert "Started by zoe" in panel_text(second)
    assert "teach.train" not in [b.key for b in second.button]
    deadline = time.monotonic() + 400
    while training_status(store).state == "running" and time.monotonic() < deadline:
        time.sleep(1)
    status = training_status(store)
    assert status.state == "finished", status.job.message
    second.run()
    assert not second.get("progress")
    shown = panel_text(second)
    assert (md("Kept:") in shown) if status.job.result["kept"] else (md("Not kept:") in shown)
    assert md(status.job.result["model"]) in shown
    assert store.setting(MODEL_SETTING) == (status.job.result["model"] if status.job.result["kept"] else None)
    assert store.code_agreement(), "the held-out check measured each code"


def test_panel_shows_why_a_run_that_crashed_stopped(project: Path) -> None:  # noqa: F811
    store = store_of(project)
    job_id = store.start_training_job("zoe", {"tuning": {"epochs": 1}})
    log = run_log(store, job_id)
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as stderr:  # its process, as start_training starts it, writes its errors there
        crashed = subprocess.Popen([sys.executable, "-c", "raise OSError('the models folder vanished')"],
                                   stderr=stderr)
    crashed.wait()
    store.set_training_pid(job_id, crashed.pid)
    at = open_page(project, "suggestions")
    assert any(md(f"Run {job_id} stopped: OSError: the models folder vanished") in w.value for w in at.warning)
    assert store.training_job(job_id).message == "OSError: the models folder vanished"


def test_panel_shows_the_held_out_check_as_a_second_bar(project: Path) -> None:  # noqa: F811
    store = store_of(project)
    job_id = store.start_training_job("zoe", {"tuning": {"epochs": 1}})
    # a live process whose command line names the run, as the real one's does (it only sleeps: the figures are
    # written below, as the training process writes them)
    stand_in = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)", "--job", str(job_id)])
    try:
        store.set_training_pid(job_id, stand_in.pid)
        store.record_training_progress(job_id, 8, 8, 0.21)
        store.note_training_check(job_id, check_words(2, 96, 128), check_fraction(2, 96, 128))
        at = open_page(project, "suggestions")
        bars = at.get("progress")
        assert len(bars) == 2, [b.proto for b in bars]
        assert bars[0].proto.value == 100 and "all 8 steps done" in bars[0].proto.text
        assert bars[1].proto.value == 87  # scoring 1 (a half) and 96 of 128 of scoring 2: 87.5 %
        assert "scoring 2 of 2, the new model: 96 of 128 sentences encoded (87% done)" in bars[1].proto.text
        assert at.button(key="teach.cancel")
    finally:
        stand_in.kill()
        stand_in.wait()
