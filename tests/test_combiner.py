"""The project's combiner (coding/combiner.py): priors, neighbours, threshold and cap fitted on held-out texts."""
from __future__ import annotations

import numpy as np
import pytest

from coding.combiner import Combiner, capped, code_priors, fit_combiner, neighbour_max
from coding.suggesters.base import ScoreTable
from coding.units import Unit


def _units(n: int, per_source: int = 4) -> list[Unit]:
    return [Unit(i // per_source, 10 * i, 10 * i + 9, f"sentence {i}") for i in range(n)]


def test_priors_are_smoothed_log_odds_and_a_code_never_given_gets_the_floor() -> None:
    labels = np.array([[1, 0], [1, 0], [0, 0], [1, 0]], bool)
    priors, floor = code_priors(labels, ["often", "never"])
    assert priors["often"] > 0 > priors["never"] == pytest.approx(floor)


def test_neighbours_stay_inside_one_source_and_group() -> None:
    units = [Unit(1, 0, 5, "a"), Unit(1, 6, 9, "b"), Unit(2, 0, 5, "c"), Unit(2, 6, 9, "d", group=7)]
    values = np.array([[1.0], [2.0], [3.0], [4.0]])
    got = neighbour_max(units, values)[:, 0]
    assert got.tolist() == [2.0, 1.0, -30.0, -30.0]


def test_the_cap_keeps_only_the_best_codes_of_a_sentence() -> None:
    probs = np.array([[0.9, 0.8, 0.7, 0.1], [0.2, 0.95, 0.1, 0.9]])
    assert capped(probs, 0.5, 2).tolist() == [[True, True, False, False], [False, True, False, True]]
    assert capped(probs, 0.5, None).sum() == 5
    table = ScoreTable(["a", "b", "c", "d"], probs.astype(np.float32), np.full(4, 0.5, np.float32),
                       allowed=capped(probs, -np.inf, 1))
    assert table.decisions().sum(axis=1).tolist() == [1, 1]


def test_a_fitted_combiner_learns_the_codes_base_rates_and_round_trips() -> None:
    rng = np.random.default_rng(0)
    n, codes = 400, ["common", "rare", "other"]
    units = _units(n)
    labels = np.zeros((n, 3), bool)
    labels[:, 0] = rng.random(n) < 0.5
    labels[:, 1] = rng.random(n) < 0.03
    labels[:, 2] = rng.random(n) < 0.1
    evidence = (labels * 2.0 + rng.normal(0, 1.0, (n, 3))).astype(np.float32)  # same evidence strength
    learned = np.zeros_like(evidence)
    priors, floor = code_priors(labels, codes)
    combiner = fit_combiner(units, codes, evidence, learned, labels, priors, floor)
    assert combiner is not None and combiner.cap in (None, 1, 2, 3, 4)
    probs = combiner.probabilities(units, codes, evidence, learned)
    same = np.full((1, 3), 1.0, np.float32)
    one = combiner.probabilities(units[:1], codes, same, np.zeros_like(same))[0]
    assert one[0] > one[2] > one[1]  # equal evidence: the code people give most is the likeliest
    assert combiner.decide(probs).sum(axis=1).max() <= (combiner.cap or 3)
    again = Combiner.from_json(combiner.to_json())
    assert again == combiner
    with pytest.raises(ValueError, match="features"):
        Combiner.from_json({**combiner.to_json(), "features": ["evidence"]})


def test_too_few_held_out_codings_fit_no_combiner() -> None:
    units = _units(20)
    labels = np.zeros((20, 2), bool)
    labels[:3, 0] = True
    got = fit_combiner(units, ["a", "b"], np.zeros((20, 2), np.float32), np.zeros((20, 2), np.float32), labels,
                       {"a": -1.0, "b": -3.0}, -4.0)
    assert got is None
