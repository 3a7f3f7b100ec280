"""`workbench train`: tune on a project's codings, keep only if better, suggest with the current model."""
from __future__ import annotations

import os
import subprocess
import sys
import threading
from dataclasses import replace
from pathlib import Path

import pytest

from coding.embedding import default_model_path
from coding.teaching import code_texts, training_passages
from coding.tuning import TuningParams, tune, with_threshold
from helpers import interview_source, write_coded_answers
from workbench.assist.evaluate import import_devset
from workbench.assist.suggest import SuggestError, run_suggestions
from workbench.assist.train import (MIN_CODINGS, MODEL_SETTING, TrainError, current_model, models_folder,
                                    project_training_set, train_project)
from workbench.store import Store

FEW = TuningParams(epochs=1, batch_size=16, learning_rate=1e-4)


@pytest.fixture
def coded(store: Store, tmp_path: Path) -> Store:
    """12 answers (each its own source), 36 codings of 3 codes by amira."""
    write_coded_answers(tmp_path / "answers", 12)
    import_devset(store, "amira", tmp_path / "answers")
    return store


def _train_events(store: Store) -> list:
    return [e for e in store.events() if e.action == "model.train"]


def test_too_few_codings_says_how_many_are_needed(store: Store, tmp_path: Path) -> None:
    write_coded_answers(tmp_path / "answers", 3)  # 9 codings
    import_devset(store, "amira", tmp_path / "answers")
    with pytest.raises(TrainError, match=f"at least {MIN_CODINGS} codings.*has 9.*code {MIN_CODINGS - 9} more"):
        train_project(store, "amira", params=FEW)
    assert store.setting(MODEL_SETTING) is None and not models_folder(store).exists()


def test_a_trained_model_is_kept_only_if_better_on_the_held_out_cases(coded: Store) -> None:
    run = train_project(coded, "amira", params=FEW)
    assert (models_folder(coded) / run.model / "tuning.json").is_file()
    assert run.kept == (run.after.kappa > run.before.kappa)
    assert coded.setting(MODEL_SETTING) == (run.model if run.kept else None)
    [event] = _train_events(coded)
    assert event.actor == "amira" and event.payload["model"] == run.model and event.payload["kept"] == run.kept
    assert any(("Kept" if run.kept else "Not kept") in line for line in run.summary())
    trust = coded.code_agreement()  # the held-out check's per-code agreement of the model now in use
    assert set(trust) == {c.id for c in coded.codes()} and all(t.units == run.holdout_units for t in trust.values())
    assert all(t.measured_by == f"training's held-out check ({coded.setting(MODEL_SETTING) or run.previous})"
               for t in trust.values())
    # a model wrecked by a huge learning rate is worse on the held-out cases: not kept, the current one stays
    before = coded.setting(MODEL_SETTING)
    wrecked = train_project(coded, "amira", params=replace(FEW, learning_rate=1.0, seed=1), seed=1)
    assert not wrecked.kept and wrecked.after.kappa <= wrecked.before.kappa
    assert coded.setting(MODEL_SETTING) == before
    assert (models_folder(coded) / wrecked.model).is_dir()  # kept on disk, not switched on


def test_the_held_out_check_says_which_scoring_it_is_in_and_how_far(coded: Store) -> None:
    calls: list[tuple[int, int, int]] = []
    run = train_project(coded, "amira", params=FEW, cancel=threading.Event(),
                        on_check=lambda scoring, done, total: calls.append((scoring, done, total)))
    assert calls[0] == (1, 0, 0) and calls[-1] == (2, 0, 0), calls
    assert [s for s, _, _ in calls] == sorted(s for s, _, _ in calls), "the current model first, then the new one"
    chunks = [(s, d, t) for s, d, t in calls if t]
    assert any(s == 2 for s, _, _ in chunks), "the new model's sentences are encoded (none are cached yet)"
    assert all(0 < d <= t for _, d, t in chunks) and run.holdout_units > 0


def test_a_codebook_edited_while_training_is_not_switched_on(coded: Store) -> None:
    code = coded.codes()[0]

    def edit_once(done: int, total: int, loss: float) -> None:
        if done == 1:
            coded.update_code(code.id, "amira", definition="Something else entirely.")

    run = train_project(coded, "amira", params=FEW, on_progress=edit_once)
    assert not run.kept and "codebook changed" in run.summary()[-1]
    assert coded.setting(MODEL_SETTING) is None


def test_suggest_uses_the_current_tuned_model_and_names_it(coded: Store) -> None:
    devset, _groups, _rejected, _n = project_training_set(coded)
    model = tune(default_model_path(), code_texts(devset.codebook), training_passages(devset, range(6)),
                 models_folder(coded), FEW)
    model = with_threshold(model, 0.01)  # suggest everything: this test is about provenance, not quality
    coded.record_training("amira", {"model": model.id}, model.id)
    assert current_model(coded) == model
    coded.add_source(interview_source("Jo: The rain came through the roof again.\n\nJo: We made pancakes.",
                                      name="jo.txt"), "amira")  # something not yet coded
    run = run_suggestions(coded, "amira", min_score=0.0)
    assert run.model == model.id and any(model.id in line for line in run.summary())
    stored = coded.suggestions()
    assert stored and {g.model for g in stored} == {model.id}
    assert all("tuned model gives" in g.reason for g in stored)
    # a damaged model folder is a clear message, and the queue stays as it was
    (model.path / "tuning.json").unlink()
    with pytest.raises(SuggestError, match=f"tuned model {model.id} is missing or damaged"):
        run_suggestions(coded, "amira")
    assert len(coded.suggestions()) == len(stored)
    coded.record_training("amira", {"reset": True}, "")
    assert current_model(coded) is None


def test_cli_train_explains_too_few_codings_and_resets(store: Store, tmp_path: Path) -> None:
    write_coded_answers(tmp_path / "answers", 2)
    import_devset(store, "amira", tmp_path / "answers")
    env = {**os.environ, "WORKBENCH_PROJECT": str(store.path), "WORKBENCH_USER": "amira"}
    done = subprocess.run([sys.executable, "-m", "workbench", "train"], env=env, capture_output=True, text=True)
    assert done.returncode == 1 and f"at least {MIN_CODINGS} codings" in done.stderr
    assert "Traceback" not in done.stderr
    done = subprocess.run([sys.executable, "-m", "workbench", "train", "--reset"], env=env, capture_output=True,
                          text=True)
    assert done.returncode == 0 and "base model" in done.stdout
    assert store.setting(MODEL_SETTING) == ""


def test_a_passage_picked_for_one_code_carries_every_code_people_gave_it() -> None:
    """With k codings per code, a passage coded A and B that was picked for A must not teach "not B"."""
    from coding.codebook import Codebook, CodeDef
    from coding.devset import AlignmentReport, DevSet

    text = "Both codes here. Only b one. Only b two. Only b three. Only b four."
    starts = [text.index(s) for s in ("Both", "Only b one", "Only b two", "Only b three", "Only b four")]
    ends = [text.index(".", s) + 1 for s in starts]
    spans = [(0, starts[0], ends[0], "A"), (0, starts[0], ends[0], "B")]
    spans += [(0, s, e, "B") for s, e in zip(starts[1:], ends[1:])]
    devset = DevSet(Codebook(name="t", codes=[CodeDef(uid="A", name="a"), CodeDef(uid="B", name="b")]),
                    [text], spans, AlignmentReport())
    for seed in range(6):
        both = [p for p in training_passages(devset, [0], k=1, seed=seed) if p.text == "Both codes here."]
        assert [set(p.positives) for p in both] == [{"A", "B"}], seed
