"""The learning curve by review decisions (coding/decisions.py, `workbench evaluate --learning-curve`)."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from coding.crossval import group_folds
from coding.decisions import Pending, apply_offsets, decision_curve, decision_offsets
from coding.devset import load_devset
from helpers import workbench_cli, write_coded_answers
from workbench.assist.evaluate import EvaluationError, decision_curve_project, import_devset
from workbench.assist.review import learning_order
from workbench.store import Store


def test_rejections_lower_a_codes_scores_and_acceptances_raise_them() -> None:
    few = decision_offsets([("a", 0.5, False)] * 2 + [("b", 0.3, True)] * 2)
    many = decision_offsets([("a", 0.5, False)] * 20)
    assert few["a"] < 0 < few["b"]
    assert many["a"] < few["a"]  # more evidence moves the code further from its zero-shot scores
    probs = np.array([[0.5, 0.3, 0.4]], np.float32)
    shifted = apply_offsets(probs, ["a", "b", "c"], few)
    assert shifted[0, 0] < 0.5 and shifted[0, 1] > 0.3 and shifted[0, 2] == pytest.approx(0.4)


def test_decisions_that_agree_with_the_scores_move_nothing_much() -> None:
    calibrated = [("a", 0.5, i % 2 == 0) for i in range(40)]
    assert abs(decision_offsets(calibrated)["a"]) < 0.05


def test_the_curve_compares_learn_fastest_with_random_orders(tmp_path: Path) -> None:
    write_coded_answers(tmp_path, 9)
    devset = load_devset(tmp_path)
    split = group_folds(list(range(9)), 3, 0)
    curve = decision_curve(devset, split, learning_order, steps=(0, 4, 8), seeds=(0, 1))
    assert len(curve.fastest) == len(curve.random) == 3 and all(len(r) == 3 for r in curve.fastest)
    rows = curve.summary()
    assert [r["decisions"] for r in rows] == [0, 4, 8]
    assert rows[0]["learn_fastest_kappa"] == rows[0]["random_kappa"]  # no decision yet: the same engine
    assert "learn-fastest" in curve.text() and "random" in curve.text()
    assert json.loads(json.dumps(rows)) == rows


def test_learning_order_accepts_simulated_suggestions() -> None:
    pending = [Pending(0, "a", 0.9), Pending(1, "a", 0.5), Pending(2, "b", 0.3)]
    ordered = learning_order(pending, {})
    assert sorted(ordered, key=id) == sorted(pending, key=id) and ordered[0] == Pending(1, "a", 0.5)


def test_cli_evaluate_learning_curve_prints_and_writes_it(store: Store, tmp_path: Path) -> None:
    write_coded_answers(tmp_path / "answers", 6)
    import_devset(store, "amira", tmp_path / "answers")
    out = tmp_path / "cv.json"
    done = workbench_cli(store.path, "evaluate", "--reference", "amira", "--folds", "2", "--by", "source",
                         "--sizes", "", "--learning-curve", "--json", str(out))
    assert done.returncode == 0, done.stderr
    assert "learning curve by review decisions" in done.stdout
    data = json.loads(out.read_text())
    assert [r["decisions"] for r in data["learning_curve"]] == [0, 25, 50, 100, 200]
    assert {"lead", "lead_sd", "folds_ahead"} <= set(data["learning_curve"][0]) and "folds ahead" in done.stdout
    assert data["rows"]  # the cross-validation table is still there
    refused = workbench_cli(store.path, "evaluate", "--reference", "amira", "--learning-curve")
    assert refused.returncode != 0 and "--learning-curve go with --folds" in refused.stderr


def test_a_learning_curve_needs_enough_groups(store: Store, tmp_path: Path) -> None:
    write_coded_answers(tmp_path / "answers", 3)
    import_devset(store, "amira", tmp_path / "answers")
    with pytest.raises(EvaluationError, match="only 3 groups to split into 4 folds"):
        decision_curve_project(store, "amira", folds=4, by="source")


def test_the_simulated_review_decides_in_the_review_queues_order(store: Store) -> None:
    """The simulation takes decisions as a reviewer deciding the first suggestion of the real learn-fastest queue
    (Store.pending_page) again and again would: each decision, accepted or rejected, counts for its code."""
    from helpers import interview_source
    from workbench.store import NewSuggestion

    from coding.decisions import review_sequence

    source = store.add_source(interview_source(name="r.txt"), "lead")
    codes = [store.add_code(name, "lead") for name in ("Housing", "Trust", "Food")]
    scores = [0.9, 0.55, 0.7, 0.45, 0.62, 0.51, 0.8, 0.35, 0.5, 0.66, 0.58, 0.75]
    store.replace_suggestions([NewSuggestion(source, 10 * i, 10 * i + 5, codes[i % 3 if i < 9 else 0], score, "because",
                                             "ensemble.v1") for i, score in enumerate(scores)], "engine")
    accepted = {s.id for s in store.suggestions() if s.score >= 0.6}  # the gold coder's answers
    pending = [Pending(s.id, s.code_id, s.score) for s in store.suggestions()]
    simulated = [p.unit for p in review_sequence(pending, learning_order, len(pending))]
    real = []
    while store.count_pending():
        top = store.pending_page(order="learn", limit=1)[0]
        (store.accept_suggestion if top.id in accepted else store.reject_suggestion)(top.id, "amira")
        real.append(top.id)
    assert simulated == real
    assert [p.unit for p in review_sequence(pending, learning_order, 4)] == real[:4]


def test_the_curve_reports_the_lead_of_learn_fastest_fold_by_fold() -> None:
    from coding.decisions import DecisionCurve

    curve = DecisionCurve((0, 25), fastest=[[0.30, 0.36], [0.40, 0.41]], random=[[0.30, 0.34], [0.40, 0.42]])
    rows = curve.summary()
    assert rows[0]["lead"] == 0.0 and rows[0]["folds_ahead"] == 0
    assert rows[1]["lead"] == pytest.approx(0.005) and rows[1]["folds_ahead"] == 1
    assert rows[1]["lead_sd"] == pytest.approx(np.std([0.02, -0.01], ddof=1), abs=1e-4)
    assert "+0.005" in curve.text() and "1/2" in curve.text()
