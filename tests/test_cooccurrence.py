"""Code co-occurrence (overlapping codings, same segment) on the small project of test_compare."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from test_compare import SmallProject, build_small_project
from workbench.cli import cli
from workbench.analysis.cooccurrence import CooccurrenceError, cooccurrence, pair_quotes
from workbench.errors import Conflict

CODES = ["Bonding", "Bridging", "Wellbeing", "Housing"]


@pytest.fixture
def small(tmp_path: Path) -> SmallProject:
    """A fresh small project."""
    return build_small_project(tmp_path / "small.wbproj")


# Hand count. Overlaps: Anna's Bridging inside Wellbeing; Ben's Bonding (tom) inside Bridging (amira);
# R3's answer coded Bonding and Wellbeing. Same segment adds Cara's turn (Bonding + Housing) and Anna's
# turn counts Bonding with both Bridging and Wellbeing. The diagonal: codings (overlap) or segments.
EXPECTED = {
    ("overlap", False): {("Bonding", "Bridging"): 1, ("Bonding", "Wellbeing"): 1, ("Bridging", "Wellbeing"): 1,
                         "diagonal": [6, 2, 4, 4]},
    ("overlap", True): {("Bonding", "Bridging"): 0, ("Bonding", "Wellbeing"): 1, ("Bridging", "Wellbeing"): 1,
                        "diagonal": [6, 2, 4, 4]},
    ("segment", False): {("Bonding", "Bridging"): 2, ("Bonding", "Wellbeing"): 2, ("Bridging", "Wellbeing"): 1,
                         ("Bonding", "Housing"): 1, "diagonal": [5, 2, 4, 3]},
    ("segment", True): {("Bonding", "Bridging"): 1, ("Bonding", "Wellbeing"): 2, ("Bridging", "Wellbeing"): 1,
                        ("Bonding", "Housing"): 1, "diagonal": [5, 2, 4, 3]},
}


@pytest.mark.parametrize("mode, same_coder", list(EXPECTED))
def test_counts_match_the_hand_count(small: SmallProject, mode: str, same_coder: bool) -> None:
    table = cooccurrence(small.store, mode, same_coder=same_coder)
    assert table.labels == CODES
    expected = EXPECTED[(mode, same_coder)]
    for i, a in enumerate(CODES):
        for j, b in enumerate(CODES):
            if i == j:
                assert table.count(a, b) == expected["diagonal"][i]
            else:
                assert table.count(a, b) == expected.get((a, b), expected.get((b, a), 0)), (a, b)
    assert (table.counts == table.counts.T).all()


def test_one_coder_only(small: SmallProject) -> None:
    table = cooccurrence(small.store, "overlap", coders=["tom"])
    assert table.labels == ["Bonding", "Housing"]
    assert np.triu(table.counts, 1).sum() == 0


def test_where_filters_codings_by_their_attributes(small: SmallProject) -> None:
    table = cooccurrence(small.store, "segment", where={"site": "Seacombe"})
    assert table.count("Bonding", "Housing") == 1 and table.count("Bonding", "Wellbeing") == 1
    assert "Bridging" not in table.labels


def test_top_pairs_are_ordered_by_count(small: SmallProject) -> None:
    pairs = cooccurrence(small.store, "segment").top_pairs()
    assert [p.count for p in pairs] == [2, 2, 1, 1]
    assert {(p.label_a, p.label_b) for p in pairs[:2]} == {("Bonding", "Bridging"), ("Bonding", "Wellbeing")}


def test_overlap_examples_carry_both_quotes_and_the_shared_words(small: SmallProject) -> None:
    table = cooccurrence(small.store, "overlap")
    [example] = pair_quotes(small.store, table, "Bonding", "Bridging")
    assert {example.first.code_name, example.second.code_name} == {"Bonding", "Bridging"}
    assert example.shared_text == "I met people from the mosque"
    assert example.first.source_name == "av-ben.txt"


def test_segment_examples_carry_the_segment(small: SmallProject) -> None:
    table = cooccurrence(small.store, "segment")
    examples = pair_quotes(small.store, table, small.codes["Bonding"], small.codes["Housing"])
    assert [e.shared_text for e in examples] == ["My sister lives next door and we share meals. Our house is cold."]
    assert examples[0].segment_id is not None
    assert len(pair_quotes(small.store, table, "Bonding", "Bridging")) == 2


def test_unknown_mode_and_code(small: SmallProject) -> None:
    with pytest.raises(CooccurrenceError, match="unknown co-occurrence mode"):
        cooccurrence(small.store, "nearby")
    table = cooccurrence(small.store, "overlap", coders=["tom"])
    with pytest.raises(CooccurrenceError, match="no codings"):
        table.count("Wellbeing", "Bonding")


def test_matches_a_brute_force_count_on_random_spans(tmp_path: Path) -> None:
    small = build_small_project(tmp_path / "random.wbproj")
    store, rng = small.store, np.random.default_rng(3)
    codes = [small.codes[c] for c in CODES]
    source_id, text = small.sources["ng-anna.txt"], small.texts["ng-anna.txt"]
    for _ in range(60):
        start = int(rng.integers(0, len(text) - 5))
        end = int(rng.integers(start + 1, min(len(text), start + 40) + 1))
        try:
            store.add_coding(source_id, start, end, int(rng.choice(codes)), str(rng.choice(["amira", "zoe"])))
        except Conflict:  # the same span, code and coder drawn twice
            pass
    codings = store.codings()
    brute: dict[tuple[int, int], int] = {}
    for i, a in enumerate(codings):
        for b in codings[i + 1:]:
            if a.source_id == b.source_id and a.code_id != b.code_id and a.start < b.end and b.start < a.end:
                key = tuple(sorted((a.code_id, b.code_id)))
                brute[key] = brute.get(key, 0) + 1
    table = cooccurrence(store, "overlap")
    for a in codes:
        for b in codes:
            if a < b:
                assert table.count(a, b) == brute.get((a, b), 0)


def test_cli_lists_pairs_and_examples(small: SmallProject, tmp_path: Path) -> None:
    out = tmp_path / "pairs.csv"
    result = CliRunner().invoke(cli, ["cooccur", "--project", str(small.store.path), "--same-segment",
                                      "--examples", "1", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "4 code pairs co-occur (segments)" in result.output
    assert result.output.splitlines()[0].split() == ["2", "Bonding", "+", "Bridging"]
    assert out.read_text().startswith("code,Bonding,Bridging,Wellbeing,Housing")
