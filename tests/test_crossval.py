"""Cross-validation (coding/crossval.py, `workbench evaluate --folds`): group folds, mean ± sd, JSON rows."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coding.crossval import JSON_FIELDS, CrossValidationError, calibration_bins, cross_validate, group_folds
from coding.devset import load_devset
from helpers import workbench_cli, write_coded_answers
from workbench.assist.evaluate import EvaluationError, cross_validate_project, import_devset
from workbench.store import Store


@given(st.lists(st.integers(0, 12), min_size=4, max_size=60), st.integers(2, 4), st.integers(0, 5))
@settings(max_examples=200, deadline=None)
def test_folds_never_put_one_group_on_both_sides(groups: list[int], folds: int, seed: int) -> None:
    if len(set(groups)) < folds:
        with pytest.raises(CrossValidationError, match=f"only {len(set(groups))} groups"):
            group_folds(groups, folds, seed)
        return
    split = group_folds(groups, folds, seed)
    assert sorted(i for f in split for i in f) == list(range(len(groups)))  # every text once
    owner = {}
    for f, members in enumerate(split):
        assert members  # no empty fold
        for i in members:
            assert owner.setdefault(groups[i], f) == f


def test_calibration_bins_count_every_decision() -> None:
    probs = np.array([0.05, 0.15, 0.95, 0.99, 1.0])
    labels = np.array([0, 0, 1, 0, 1])
    bins = calibration_bins(probs, labels)
    assert len(bins) == 10 and sum(b.n for b in bins) == 5
    assert bins[9].n == 3 and bins[9].observed == pytest.approx(2 / 3)


def test_cross_validation_rows_have_mean_sd_and_rates(tmp_path: Path) -> None:
    write_coded_answers(tmp_path, 9)
    devset = load_devset(tmp_path)
    result = cross_validate(devset, folds=3, sizes=(0, 5))
    assert result.configurations() == [("lexical.v1", 0), ("ensemble.v1", 0), ("ensemble.v1", 5)]
    assert {r.fold for r in result.rows} == {0, 1, 2}
    data = result.to_json()
    for row in data["rows"]:
        assert set(JSON_FIELDS) <= set(row) and row["folds"] == 3
        assert row["human_per_unit"] == pytest.approx(0.75)  # 3 of every 4 sentences carry one code
    assert json.loads(json.dumps(data)) == data  # plain JSON
    text = result.text()
    assert "3-fold cross-validation by text" in text and "±" in text and "calibration of ensemble.v1 k=0" in text
    n_decisions = sum(b.n for b in result.calibration["ensemble.v1 k=0"])
    assert n_decisions == 9 * 4 * 3  # every sentence x code, once over the folds


def test_cli_evaluate_folds_writes_the_json_rows(store: Store, tmp_path: Path) -> None:
    write_coded_answers(tmp_path / "answers", 6)
    import_devset(store, "amira", tmp_path / "answers")
    out = tmp_path / "cv.json"
    done = workbench_cli(store.path, "evaluate", "--reference", "amira", "--folds", "3", "--by", "source",
                         "--sizes", "5", "--json", str(out))
    assert done.returncode == 0, done.stderr
    assert "3-fold cross-validation by source" in done.stdout
    rows = json.loads(out.read_text())["rows"]
    assert [(r["suggester"], r["codings_per_code"]) for r in rows] == [("lexical.v1", 0), ("ensemble.v1", 0),
                                                                       ("ensemble.v1", 5)]
    assert all(set(JSON_FIELDS) <= set(r) for r in rows)
    with pytest.raises(EvaluationError, match="only 6 groups to split into 7 folds"):
        cross_validate_project(store, "amira", folds=7, by="source")


def test_cross_validation_with_tuning_adds_a_tuned_row_per_fold(tmp_path: Path) -> None:
    from coding.tuning import TuningParams

    write_coded_answers(tmp_path / "answers", 6)
    devset = load_devset(tmp_path / "answers")
    result = cross_validate(devset, folds=2, sizes=(0, 2), tune_dir=tmp_path / "models",
                            params=TuningParams(epochs=1, batch_size=16, learning_rate=1e-4))
    tuned = [r for r in result.rows if r.suggester == "ensemble.v1+tuned"]
    assert [(r.k, r.fold) for r in tuned] == [(2, 0), (2, 1)]
    assert len(result.notes) == 2 and all("held-out kappa" in n for n in result.notes)
    assert "ensemble.v1+tuned k=2" in result.calibration
    assert {r["suggester"] for r in result.to_json()["rows"]} == {"lexical.v1", "ensemble.v1", "ensemble.v1+tuned"}


def test_cross_validation_can_add_the_calibrated_ensemble(tmp_path: Path) -> None:
    write_coded_answers(tmp_path, 15)
    devset = load_devset(tmp_path)
    result = cross_validate(devset, folds=3, sizes=(0, 5), calibrated=True)
    assert ("ensemble.v1+calibrated", 5) in result.configurations()
    assert {r.fold for r in result.rows if r.suggester == "ensemble.v1+calibrated"} == {0, 1, 2}
    assert "ensemble.v1+calibrated k=5" in result.calibration
