"""Themes (store and logic) and candidate themes from clustering the coded passages."""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from test_compare import SmallProject, build_small_project
from workbench.cli import cli
from workbench.errors import Conflict, NotFound
from workbench.store.themes import InvalidTheme, NewCandidate
from workbench.analysis.themes import (CandidateError, candidate_quotes, cluster, default_k_range, discard_candidate,
                              distinctive_terms, find_candidates, promote_candidate, save_theme, theme_overview,
                              theme_quotes)


@pytest.fixture
def small(tmp_path: Path) -> SmallProject:
    """A fresh small project (see test_compare)."""
    return build_small_project(tmp_path / "small.wbproj")


def actions(small: SmallProject, since: int) -> list[str]:
    return [e.action for e in small.store.events(since_id=since)]


def last_event(small: SmallProject) -> int:
    return small.store.events()[-1].id


def test_create_edit_and_delete_a_theme_are_logged(small: SmallProject) -> None:
    store, start = small.store, last_event(small)
    theme_id = store.add_theme(" Connections ", "amira", description="Who people lean on",
                               code_ids=[small.codes["Bonding"]])
    theme = store.get_theme(theme_id)
    assert (theme.name, theme.status, theme.code_ids, theme.created_by) == ("Connections", "candidate",
                                                                            [small.codes["Bonding"]], "amira")
    store.update_theme(theme_id, "amira", name="Ties")
    store.update_theme(theme_id, "tom", memo="check Ben", status="final")
    assert store.find_theme("ties").memo == "check Ben" and store.find_theme(str(theme_id)).status == "final"
    store.delete_theme(theme_id, "amira")
    with pytest.raises(NotFound):
        store.get_theme(theme_id)
    assert actions(small, start) == ["theme.add", "theme.rename", "theme.update", "theme.delete"]
    deleted = store.events()[-1].payload["theme"]
    assert deleted["name"] == "Ties" and deleted["code_ids"] == [small.codes["Bonding"]]


@pytest.mark.parametrize("name, fields, error, message", [
    ("", {}, InvalidTheme, "needs a name"),
    ("X", {"status": "done"}, InvalidTheme, "unknown theme status 'done'"),
    ("connections", {}, Conflict, "already exists"),
    ("Y", {"code_ids": [999]}, NotFound, "no code with id 999"),
])
def test_invalid_themes_are_refused(small: SmallProject, name: str, fields: dict, error, message: str) -> None:
    small.store.add_theme("Connections", "amira")
    with pytest.raises(error, match=message):
        small.store.add_theme(name, "amira", **fields)
    assert [t.name for t in small.store.themes()] == ["Connections"]  # nothing half-written


def test_update_refuses_unknown_fields_and_clashing_names(small: SmallProject) -> None:
    first = small.store.add_theme("A", "amira")
    small.store.add_theme("B", "amira")
    with pytest.raises(InvalidTheme, match="unknown theme fields: colour"):
        small.store.update_theme(first, "amira", colour="red")
    with pytest.raises(Conflict):
        small.store.update_theme(first, "amira", name="b")


def test_codes_serve_several_themes_and_links_are_idempotent(small: SmallProject) -> None:
    store, bonding, housing = small.store, small.codes["Bonding"], small.codes["Housing"]
    first, second = store.add_theme("One", "amira"), store.add_theme("Two", "amira")
    assert store.add_theme_codes(first, [bonding, housing], "amira") == 2
    assert store.add_theme_codes(first, [bonding], "amira") == 0
    assert store.add_theme_codes(second, [bonding], "amira") == 1
    assert store.remove_theme_codes(first, [bonding, small.codes["Wellbeing"]], "amira") == 1
    assert store.get_theme(first).code_ids == [housing] and store.get_theme(second).code_ids == [bonding]
    store.delete_code(housing, "lead")  # the link goes with the code
    assert store.get_theme(first).code_ids == []


def test_save_theme_writes_only_what_changed(small: SmallProject) -> None:
    store = small.store
    theme_id = store.add_theme("Home", "amira", code_ids=[small.codes["Housing"]])
    start = last_event(small)
    save_theme(store, theme_id, "amira", name="Home", description="damp, cold, rent",
               code_ids=[small.codes["Housing"], small.codes["Wellbeing"]])
    assert actions(small, start) == ["theme.update", "theme.codes.add"]
    start = last_event(small)
    theme = save_theme(store, theme_id, "amira", name="Home", description="damp, cold, rent",
                       code_ids=[small.codes["Wellbeing"]])
    assert actions(small, start) == ["theme.codes.remove"] and theme.code_ids == [small.codes["Wellbeing"]]


def test_supporting_quotes_are_the_codings_of_the_codes_and_below(small: SmallProject) -> None:
    theme_id = small.store.add_theme("Connections", "amira", code_ids=[small.codes["Social"]])
    quotes = theme_quotes(small.store, theme_id)
    assert len(quotes) == 8  # Bonding 6 + Bridging 2
    assert {q.code_name for q in quotes} == {"Bonding", "Bridging"}
    assert len(theme_quotes(small.store, theme_id, coders=["tom"])) == 2
    [summary] = theme_overview(small.store)
    assert (summary.codings, summary.sources, summary.code_names) == (8, 4, ["Social"])
    assert theme_quotes(small.store, small.store.add_theme("Empty", "amira")) == []


def test_framework_cells_go_with_their_theme(small: SmallProject) -> None:
    store = small.store
    theme_id = store.add_theme("Home", "amira")
    store.set_framework_cell("case", "NG-A", theme_id, "damp flat", [], "amira")
    store.delete_theme(theme_id, "amira")
    assert store.framework_cells() == []
    assert store.events()[-1].payload["framework_cells"][0]["summary"] == "damp flat"


def test_stored_candidates_promote_and_discard(small: SmallProject) -> None:
    store = small.store
    ids = small.coding_ids("ng-anna.txt", "Housing") + small.coding_ids("sc-cara.txt", "Housing")
    store.replace_candidates([NewCandidate("flat / damp / cold", ["flat", "damp", "cold"], ids,
                                           [small.codes["Housing"]]),
                              NewCandidate("neighbour", ["neighbour"], ids[:1], [small.codes["Bonding"]])], "amira")
    first, second = store.candidate_themes()
    store.add_theme("flat / damp / cold", "amira")  # the label is taken: the promoted theme gets a number
    theme_id = promote_candidate(store, first.id, "amira")
    theme = store.get_theme(theme_id)
    assert theme.name == "flat / damp / cold (2)" and theme.code_ids == [small.codes["Housing"]]
    assert "flat, damp, cold" in theme.description and "3 coded passages" in theme.description
    assert store.get_candidate(first.id).status == "promoted" and store.get_candidate(first.id).theme_id == theme_id
    with pytest.raises(Conflict, match="already promoted"):
        discard_candidate(store, first.id, "amira")
    discard_candidate(store, second.id, "amira")
    assert store.candidate_themes() == [] and len(store.candidate_themes(status=None)) == 2
    assert [q.coding_id for q in candidate_quotes(store, first.id)] == sorted(ids)
    store.replace_candidates([NewCandidate("x", [], ids, [])], "amira")
    renamed = promote_candidate(store, store.candidate_themes()[0].id, "amira", name="Housing stress")
    assert store.get_theme(renamed).name == "Housing stress"
    assert [e.action for e in store.events()[-2:]] == ["theme.add", "candidate.promote"]


def test_cluster_picks_k_by_silhouette_on_separated_groups() -> None:
    rng = np.random.default_rng(0)
    centres = np.eye(8)[:3] * 5
    vectors = np.concatenate([c + rng.normal(0, 0.1, (10, 8)) for c in centres])
    labels, k, score = cluster(vectors, (2, 6), seed=0)
    assert k == 3 and score > 0.5
    assert len({tuple(labels[i * 10:(i + 1) * 10]) for i in range(3)}) == 3  # each group is one cluster
    assert all(len(set(labels[i * 10:(i + 1) * 10])) == 1 for i in range(3))


@pytest.mark.parametrize("n, expected", [(14, (2, 3)), (100, (2, 5)), (487, (8, 12)), (5000, (10, 12))])
def test_default_k_range(n: int, expected: tuple[int, int]) -> None:
    assert default_k_range(n) == expected


def test_distinctive_terms_prefer_what_sets_a_cluster_apart() -> None:
    texts = ["the bus was cut by the council", "we signed a petition for the bus", "the council bus petition",
             "people said the damp flat was cold", "our flat is damp and cold", "damp walls in the flat, people said"]
    terms = distinctive_terms(texts, np.array([0, 0, 0, 1, 1, 1]), 3)
    assert set(terms[0]) <= {"bus", "council", "petition"} and "bus" in terms[0]
    assert set(terms[1]) <= {"damp", "flat", "cold"} and "people" not in terms[1] and "said" not in terms[1]


def test_too_few_passages_is_a_clear_error(tmp_path: Path) -> None:
    from workbench.store import Store

    store = Store.create(tmp_path / "empty.wbproj")
    with pytest.raises(CandidateError, match="only 0 coded passages"):
        find_candidates(store, "amira", embedder=object())


def test_candidates_with_the_real_model_are_stored_and_not_reproposed_once_discarded(small: SmallProject) -> None:
    """Loads all-MiniLM-L6-v2 (a few seconds) and embeds the small project's 14 coded passages."""
    began = time.perf_counter()
    run = find_candidates(small.store, "amira", min_size=2)
    assert 2 <= run.k <= 3 and run.passages == 14 and run.candidates
    members = [i for c in run.candidates for i in c.coding_ids]
    assert len(members) == len(set(members))  # a coding is in one candidate at most
    assert set(members) <= {c.id for c in small.store.codings()}
    for candidate in run.candidates:
        assert candidate.code_ids and candidate.label and candidate.status == "open"
        assert 0.0 <= candidate.stability <= 1.0
    discard_candidate(small.store, run.candidates[0].id, "amira")
    again = find_candidates(small.store, "amira", min_size=2)
    assert run.candidates[0].label in again.skipped
    assert all(set(c.coding_ids) != set(run.candidates[0].coding_ids) for c in again.candidates)
    assert time.perf_counter() - began < 30


def test_cli_theme_commands(small: SmallProject) -> None:
    project = ["--project", str(small.store.path), "--as", "amira"]
    runner = CliRunner()
    added = runner.invoke(cli, ["theme", "add", "Connections", "--code", "Bonding", "--code", "Social/Bridging",
                                *project])
    assert added.exit_code == 0, added.output
    codes = runner.invoke(cli, ["theme", "codes", "connections", "--remove", "Bridging", "--add", "Wellbeing",
                                *project])
    assert codes.output.split() == ["Social/Bonding", "Wellbeing"]
    listed = runner.invoke(cli, ["theme", "list", "--project", str(small.store.path)])
    assert "Connections" in listed.output and "10 codings" in listed.output
    small.store.replace_candidates([NewCandidate("damp / cold", ["damp", "cold"],
                                                 small.coding_ids("sc-cara.txt", "Housing"),
                                                 [small.codes["Housing"]])], "amira")
    candidate_id = small.store.candidate_themes()[0].id
    shown = runner.invoke(cli, ["theme", "candidates", "--project", str(small.store.path)])
    assert "damp / cold" in shown.output and "1 open candidates" in shown.output
    promoted = runner.invoke(cli, ["theme", "promote", str(candidate_id), "--name", "Cold homes", *project])
    assert promoted.exit_code == 0 and "Cold homes" in promoted.output
    again = runner.invoke(cli, ["theme", "discard", str(candidate_id), *project])
    assert again.exit_code == 1 and "already promoted" in again.output


def test_stability_tells_real_clusters_from_noise() -> None:
    from workbench.analysis.themes import cluster_stability

    rng = np.random.default_rng(1)
    centres = np.eye(16)[:4] * 5
    groups = np.concatenate([c + rng.normal(0, 0.3, (25, 16)) for c in centres])
    labels, k, _score = cluster(groups, (4, 4), seed=0)
    assert min(cluster_stability(groups, labels, k).values()) > 0.95
    noise = rng.normal(0, 1, (100, 16))
    labels, k, _score = cluster(noise, (4, 4), seed=0)
    assert np.mean(list(cluster_stability(noise, labels, k).values())) < 0.75
