"""Unit-level evaluation, splits, sentence units and a small learning curve on the dev set."""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from coding.embedding import DictCache, Embedder
from coding.evaluation import (
    devset_examples,
    devset_subset,
    evaluate,
    learning_curve,
    score_decisions,
    split_texts,
    unit_decisions,
)
from coding.units import Proposal, Unit, sentence_units, sentence_units_many

FIXTURE = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "coded" / "bopp-games-as-art"
A, B = "CODE-A", "CODE-B"
UNITS = [Unit(0, 0, 10, "x" * 10), Unit(0, 11, 20, "y" * 9), Unit(1, 0, 5, "z" * 5), Unit(1, 6, 12, "w" * 6)]


def test_sentence_units_have_exact_offsets_and_split_lines():
    text = "  First sentence here. Second one!\n\n- a list item\nLast line without stop"
    units = sentence_units(7, text)
    assert [u.text for u in units] == ["First sentence here.", "Second one!", "- a list item", "Last line without stop"]
    assert all(text[u.start : u.end] == u.text and u.source_id == 7 for u in units)
    assert sentence_units_many([(1, ""), (2, "One.")]) == [Unit(2, 0, 4, "One.")]


def test_unit_decisions_mark_overlapping_units_only():
    spans = [(0, 5, 11, A), (0, 19, 25, B), (1, 5, 6, A), (3, 0, 99, A)]
    got = unit_decisions(spans, UNITS, [A, B])
    # [5, 11) overlaps unit 0 and touches nothing of unit 1 ([11, 20) starts at 11: overlap is 11..11 -> none)
    assert got[:, 0].tolist() == [True, False, False, False]
    assert got[:, 1].tolist() == [False, True, False, False]


def test_unit_decisions_accept_suggestion_objects():
    s = Proposal(1, 0, 12, B, 0.9, "r", "lexical.v1", None)
    assert unit_decisions([s], UNITS, [A, B])[:, 1].tolist() == [False, False, True, True]


def test_evaluate_perfect_and_disjoint_candidates():
    ref = [(0, 0, 10, A), (1, 6, 12, B)]
    perfect = evaluate(ref, ref, UNITS, [A, B])
    assert perfect.micro.f1 == 1.0 and perfect.micro.kappa == 1.0 and perfect.micro.alpha == pytest.approx(1.0)
    wrong = evaluate(ref, [(0, 11, 20, A)], UNITS, [A, B])
    assert wrong.per_code[A].precision == 0.0 and wrong.per_code[A].f1 == 0.0
    assert math.isnan(wrong.per_code[B].precision)  # nothing predicted for B
    assert wrong.per_code[B].recall == 0.0 and wrong.per_code[B].support == 1


def test_score_decisions_matches_hand_computation():
    ref = np.array([1, 1, 0, 0, 0, 1], bool)
    cand = np.array([1, 0, 1, 0, 0, 1], bool)
    s = score_decisions(ref, cand)
    assert (s.precision, s.recall, s.f1) == pytest.approx((2 / 3, 2 / 3, 2 / 3))
    # observed agreement 4/6, expected 0.5 -> kappa 1/3
    assert s.kappa == pytest.approx(1 / 3)
    # coincidences o01 = o10 = 2 of n = 12 values, n0 = n1 = 6: alpha = 1 - 11 * 4 / 72 = 7/18
    assert s.alpha == pytest.approx(7 / 18)
    assert s.support == 3 and s.predicted == 3 and s.n == 6


def test_report_table_lists_codes_and_micro_row():
    report = evaluate([(0, 0, 10, A)], [(0, 0, 10, A)], UNITS, [A, B])
    table = report.table({A: "alpha code", B: "beta code"})
    assert "alpha code" in table and "ALL (micro)" in table and "macro F1" in table


def test_split_texts_is_reproducible_disjoint_and_sixty_forty():
    train, test = split_texts(90, 0.6, seed=0)
    assert (train, test) == split_texts(90, 0.6, seed=0)
    assert len(train) == 54 and len(test) == 36 and not set(train) & set(test)
    assert split_texts(90, 0.6, seed=1) != (train, test)


@pytest.fixture(scope="module")
def devset():
    """The real development set, or skip when the shared fixtures are absent."""
    if not FIXTURE.is_dir():
        pytest.skip(f"development set not available at {FIXTURE}")
    from coding.devset import load_devset

    return load_devset(FIXTURE)


def test_devset_examples_are_nested_and_capped(devset):
    train, _ = split_texts(len(devset.texts))
    five, ten = devset_examples(devset, train, 5), devset_examples(devset, train, 10)
    assert set(five) <= set(ten)
    per_code = {}
    for e in ten:
        per_code[e.code_uid] = per_code.get(e.code_uid, 0) + 1
        assert e.positive and e.source_id in train and e.text in devset.texts[e.source_id]
    assert max(per_code.values()) == 10


def test_small_learning_curve_has_zero_shot_and_k_shot_rows_on_the_same_units(devset):
    small = devset_subset(devset, list(range(24)))
    curve = learning_curve(small, sizes=(5,), embedder=Embedder(cache=DictCache()))
    assert [(r.suggester, r.k) for r in curve.rows] == [
        ("lexical.v1", 0), ("semantic.v1", 0), ("ensemble.v1", 0), ("learned.v1", 5), ("ensemble.v1", 5)]
    assert len({r.report.micro.n for r in curve.rows}) == 1
    assert curve.rows[0].report.micro.n == curve.n_test_units * len(devset.codebook.codes)
    assert not set(curve.train) & set(curve.test)
    assert curve.rows[3].codes_learned >= 1
    assert "ensemble.v1" in curve.table()
