"""Calibration per project (workbench/assist/calibrate.py): the combiner fitted on the project's codings."""
from __future__ import annotations

from pathlib import Path

from coding.combiner import Combiner
from helpers import write_coded_answers
from workbench.assist.calibrate import project_calibration
from workbench.assist.evaluate import import_devset
from workbench.assist.suggest import CALIBRATION_SETTING, make_project_suggester, run_suggestions
from workbench.store import Store


def test_a_project_with_enough_codings_gets_its_own_calibration_once(store: Store, tmp_path: Path) -> None:
    write_coded_answers(tmp_path / "answers", 20)  # 60 codings of 3 codes in 20 sources
    import_devset(store, "amira", tmp_path / "answers")
    combiner = project_calibration(store)
    assert isinstance(combiner, Combiner) and 0 < combiner.threshold < 1
    assert project_calibration(store) is combiner  # kept by fingerprint: not refitted
    assert make_project_suggester(store).combiner is None  # opt-in
    store.set_setting(CALIBRATION_SETTING, "on")
    assert make_project_suggester(store).combiner is combiner
    run = run_suggestions(store, "engine", min_score=0.0)
    assert run.suggester == "ensemble.v1"
    per_sentence: dict = {}
    for s in store.suggestions():
        per_sentence[(s.source_id, s.start)] = per_sentence.get((s.source_id, s.start), 0) + 1
    assert max(per_sentence.values(), default=0) <= (combiner.cap or 3)
    code = store.codes()[0]
    store.update_code(code.id, "amira", definition=code.definition + " (and more)")
    assert project_calibration(store) is not combiner  # the codebook changed: refitted


def test_too_few_codings_get_no_calibration(store: Store, tmp_path: Path) -> None:
    write_coded_answers(tmp_path / "answers", 4)  # 12 codings
    import_devset(store, "amira", tmp_path / "answers")
    assert project_calibration(store) is None
    store.set_setting(CALIBRATION_SETTING, "on")
    assert make_project_suggester(store).combiner is None


def test_a_calibrated_score_does_not_depend_on_which_codes_are_asked_for(store: Store, tmp_path: Path) -> None:
    from coding.units import sentence_units

    write_coded_answers(tmp_path / "answers", 20)
    import_devset(store, "amira", tmp_path / "answers")
    store.set_setting(CALIBRATION_SETTING, "on")
    model = make_project_suggester(store)
    from workbench.sources.codebooks import project_codebook

    model.fit(project_codebook(store))
    units = sentence_units(1, "We rent a small flat. The bus comes twice a day. I walked to the library.")
    batch = model.prepare(units)
    every = model.score(batch, model.code_uids_)
    one = model.score(batch, model.code_uids_[1:2])
    assert one.scores[:, 0].tolist() == every.scores[:, 1].tolist()
    assert one.decisions()[:, 0].tolist() == every.decisions()[:, 1].tolist()


def test_cli_suggest_calibrated_is_saved_in_the_project(store: Store, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from workbench.cli import cli

    write_coded_answers(tmp_path / "answers", 4)
    import_devset(store, "amira", tmp_path / "answers")
    done = CliRunner().invoke(cli, ["suggest", "--project", str(store.path), "--calibrated", "--as", "amira"])
    assert done.exit_code == 0, done.output
    assert Store.open(store.path).setting(CALIBRATION_SETTING) == "on"
    done = CliRunner().invoke(cli, ["suggest", "--project", str(store.path), "--no-calibrated", "--as", "amira"])
    assert done.exit_code == 0, done.output
    assert Store.open(store.path).setting(CALIBRATION_SETTING) == "off"
