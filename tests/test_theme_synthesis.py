"""Theme synthesis in the store: sub-themes, the candidate → reviewed → final status, narratives citing passages,
the schema migration that adds them, and undo/redo of every theme edit."""
from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from test_compare import SmallProject, build_small_project
from workbench.errors import Conflict
from workbench.sources.history import NothingToUndo, history, redo, undo
from workbench.store import Store
from workbench.store.db import APPLICATION_ID
from workbench.store.migrations import MIGRATIONS
from workbench.store.themes import InvalidTheme, NewCandidate, citation, cited_uids


@pytest.fixture
def small(tmp_path: Path) -> SmallProject:
    """A fresh small project (see test_compare)."""
    return build_small_project(tmp_path / "small.wbproj")


def uid_of(small: SmallProject, source: str, code: str) -> str:
    return small.store.get_coding(small.coding_ids(source, code)[0]).uid


def state(store: Store) -> list[tuple]:
    """Every theme as (name, parent, status, narrative, codes), with framework cells, for before/after checks."""
    themes = [(t.name, t.parent_id, t.status, t.narrative, t.description, tuple(t.code_ids)) for t in store.themes()]
    cells = [(c.row_key, c.theme_id, c.summary) for c in store.framework_cells()]
    return themes + cells


def test_sub_themes_status_and_narrative_are_stored(small: SmallProject) -> None:
    store = small.store
    parent = store.add_theme("Belonging", "amira", code_ids=[small.codes["Social"]])
    anna = uid_of(small, "ng-anna.txt", "Bonding")
    child = store.add_theme("Neighbours look out", "amira", parent_id=parent,
                            narrative=f"Neighbours check in daily. {citation(anna)}")
    theme = store.get_theme(child)
    assert (theme.parent_id, theme.status, cited_uids(theme.narrative)) == (parent, "candidate", [anna])
    store.update_theme(child, "amira", status="reviewed")
    store.update_theme(child, "amira", status="final")
    assert store.find_theme("neighbours look out").status == "final"
    actions = [e.action for e in store.events()[-2:]]
    assert actions == ["theme.status", "theme.status"]


@pytest.mark.parametrize("changes, message", [
    ({"status": "developing"}, "unknown theme status 'developing'"),
    ({"narrative": "See [[q:NOT-A-CODING]]."}, r"cites \[\[q:NOT-A-CODING\]\], but no coding has that uid"),
    ({"parent_id": "self"}, "cannot be a sub-theme of itself"),
    ({"parent_id": "child"}, "cannot be a sub-theme of itself or of its own sub-themes"),
])
def test_bad_theme_changes_are_refused_and_nothing_changes(small: SmallProject, changes: dict, message: str) -> None:
    store = small.store
    top = store.add_theme("Belonging", "amira")
    child = store.add_theme("Neighbours", "amira", parent_id=top)
    changes = {k: {"self": top, "child": child}.get(v, v) for k, v in changes.items()}
    before = state(store)
    with pytest.raises(InvalidTheme, match=message):
        store.update_theme(top, "amira", **changes)
    assert state(store) == before


def test_deleting_a_theme_lifts_its_sub_themes_and_undo_puts_everything_back(small: SmallProject) -> None:
    store = small.store
    top = store.add_theme("Belonging", "amira", code_ids=[small.codes["Bonding"]])
    child = store.add_theme("Neighbours", "amira", parent_id=top)
    store.set_framework_cell("case", "NG-A", top, "neighbour checks daily", [], "amira")
    before = state(store)
    store.delete_theme(top, "amira")
    assert store.get_theme(child).parent_id is None and store.framework_cells() == []
    undo(store, "amira")
    assert state(store) == before and store.get_theme(top).uid == store.find_theme("Belonging").uid
    redo(store, "amira")
    assert [t.name for t in store.themes()] == ["Neighbours"]


def test_every_theme_edit_is_undone_and_redone_in_turn(small: SmallProject) -> None:
    store = small.store
    anna = uid_of(small, "ng-anna.txt", "Bonding")
    snapshots = [state(store)]
    top = store.add_theme("Belonging", "researcher")
    snapshots.append(state(store))
    child = store.add_theme("Neighbours", "researcher")
    snapshots.append(state(store))
    edits = [
        lambda: store.update_theme(child, "researcher", name="Neighbours look out"),
        lambda: store.update_theme(child, "researcher", parent_id=top),
        lambda: store.add_theme_codes(child, [small.codes["Bonding"], small.codes["Housing"]], "researcher"),
        lambda: store.remove_theme_codes(child, [small.codes["Housing"]], "researcher"),
        lambda: store.update_theme(child, "researcher", status="reviewed"),
        lambda: store.update_theme(child, "researcher", narrative=f"Daily visits {citation(anna)}."),
        lambda: store.update_theme(child, "researcher", description="who checks on whom", memo="ask Ben"),
        lambda: store.delete_theme(top, "researcher"),
    ]
    for edit in edits:
        edit()
        snapshots.append(state(store))
    assert len(history(store, "researcher").done) == 10
    for expected in reversed(snapshots[:-1]):
        undo(store, "researcher")
        assert state(store) == expected
    with pytest.raises(NothingToUndo):
        undo(store, "researcher")
    for expected in snapshots[1:]:
        redo(store, "researcher")
        assert state(store) == expected


def test_undo_of_a_theme_someone_else_changed_is_refused(small: SmallProject) -> None:
    store = small.store
    theme_id = store.add_theme("Belonging", "amira")
    store.update_theme(theme_id, "tom", description="tom's words")
    with pytest.raises(Conflict, match="changed since it was made"):
        undo(store, "amira")
    assert store.get_theme(theme_id).description == "tom's words"


def test_promote_and_discard_of_candidates_are_one_undoable_action_each(small: SmallProject) -> None:
    store = small.store
    ids = small.coding_ids("ng-anna.txt", "Housing") + small.coding_ids("sc-cara.txt", "Housing")
    store.replace_candidates([NewCandidate("damp / cold", ["damp", "cold"], ids, [small.codes["Housing"]]),
                              NewCandidate("neighbour", ["neighbour"], ids[:1], [small.codes["Bonding"]])], "amira")
    first, second = store.candidate_themes()
    theme_id = store.promote_candidate_theme(first.id, "Cold homes", "", "amira")
    store.discard_candidate_theme(second.id, "amira")
    assert undo(store, "amira") == "discard candidate theme 'neighbour'"
    assert [c.id for c in store.candidate_themes()] == [second.id]
    undo(store, "amira")
    assert store.themes() == [] and [c.id for c in store.candidate_themes()] == [first.id, second.id]
    redo(store, "amira")
    assert store.get_theme(theme_id).code_ids == [small.codes["Housing"]]
    assert store.get_candidate(first.id).theme_id == theme_id
    redo(store, "amira")
    assert store.get_candidate(second.id).status == "discarded"


def _schema_3_project(path: Path) -> None:
    """A project file as the previous schema (3) wrote it, with a 'developing' theme, its code and a cell."""
    conn = sqlite3.connect(path)
    for number, _name, fn in MIGRATIONS[:3]:
        fn(conn)
    conn.execute(f"PRAGMA user_version = 3")
    conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    conn.execute("INSERT INTO codes (id, uid, name, created_at, updated_at) VALUES (1, 'C1', 'Bonding', 't', 't')")
    conn.execute("INSERT INTO themes (id, uid, name, status, created_by, created_at, updated_at) "
                 "VALUES (7, 'T7', 'Belonging', 'developing', 'amira', 't', 't')")
    conn.execute("INSERT INTO theme_codes VALUES (7, 1)")
    conn.execute("INSERT INTO framework_cells (row_type, row_key, theme_id, summary, updated_by, updated_at) "
                 "VALUES ('case', 'NG-A', 7, 'daily visits', 'amira', 't')")
    conn.commit()
    conn.close()


def test_the_migration_keeps_themes_links_and_cells_and_renames_developing(tmp_path: Path) -> None:
    path = tmp_path / "old.wbproj"
    _schema_3_project(path)
    store = Store.open(path)
    [theme] = store.themes()
    assert (theme.id, theme.status, theme.code_ids, theme.parent_id, theme.narrative) == (7, "reviewed", [1], None, "")
    assert [c.summary for c in store.framework_cells()] == ["daily visits"]
    assert store.database.conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    store.delete_theme(7, "amira")  # the rebuilt table still cascades to its links and cells
    assert store.framework_cells() == [] and not store.database.scalar("SELECT count(*) FROM theme_codes")


def test_cli_sub_themes_status_narrative_and_citations(small: SmallProject, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from workbench.cli import cli

    project = ["--project", str(small.store.path), "--as", "amira"]
    runner = CliRunner()
    assert runner.invoke(cli, ["theme", "add", "Belonging", "--code", "Social", *project]).exit_code == 0
    added = runner.invoke(cli, ["theme", "add", "Neighbours", "--parent", "belonging", "--status", "reviewed",
                                *project])
    assert added.exit_code == 0, added.output
    coding_id = small.coding_ids("ng-anna.txt", "Bonding", "amira")[0]
    cited = runner.invoke(cli, ["theme", "cite", str(coding_id), "--project", str(small.store.path)])
    token = cited.output.split()[0]
    assert token == f"[[q:{small.store.get_coding(coding_id).uid}]]" and "neighbour" in cited.output
    text = tmp_path / "neighbours.md"
    text.write_text(f"Neighbours check in every day.\n\n{token}\n", encoding="utf-8")
    saved = runner.invoke(cli, ["theme", "narrative", "Neighbours", "--file", str(text), *project])
    assert saved.exit_code == 0 and "1 citations" in saved.output
    shown = runner.invoke(cli, ["theme", "narrative", "Neighbours", "--project", str(small.store.path)])
    assert token in shown.output
    bad = tmp_path / "bad.md"
    bad.write_bytes(b"caf\xe9 [[q:NOPE]]")
    refused = runner.invoke(cli, ["theme", "narrative", "Neighbours", "--file", str(bad), *project])
    assert refused.exit_code == 1 and "bad.md: not UTF-8" in refused.output
    bad.write_text("see [[q:NOPE]]", encoding="utf-8")
    refused = runner.invoke(cli, ["theme", "narrative", "Neighbours", "--file", str(bad), *project])
    assert refused.exit_code == 1 and "[[q:NOPE]]" in refused.output
    assert small.store.find_theme("Neighbours").narrative.startswith("Neighbours check in")  # nothing lost
    assert runner.invoke(cli, ["theme", "status", "Neighbours", "final", *project]).exit_code == 0
    moved = runner.invoke(cli, ["theme", "move", "Neighbours", "--top", *project])
    assert moved.exit_code == 0 and "a top-level theme" in moved.output
    theme = small.store.find_theme("Neighbours")
    assert (theme.status, theme.parent_id) == ("final", None)


def test_theme_evidence_counts_passages_participants_sites_and_site_by_wave(small: SmallProject) -> None:
    from workbench.analysis.themes import theme_evidence

    theme = small.store.get_theme(small.store.add_theme("Home", "amira", code_ids=[small.codes["Housing"]]))
    evidence = theme_evidence(small.store, theme)
    # Housing: Anna's flat and tom's shorter span of it (two passages, NG-A), Cara's house (SC-C), the field note
    assert (evidence.passages, evidence.participants, evidence.sites) == (4, 2, 2)
    table = {(r.site, r.wave): r.passages for r in evidence.by_site_wave.itertuples()}
    assert table == {("Northgate", "1"): 2, ("Seacombe", "2"): 1, ("(none)", "(none)"): 1}


def test_theme_evidence_in_a_project_without_sites_or_waves_warns_of_nothing(tmp_path: Path) -> None:
    import warnings

    from test_compare import NOTES, _notes
    from workbench.analysis.themes import theme_evidence

    store = Store.create(tmp_path / "plain.wbproj", name="plain")  # no source or case has a site or a wave
    queues = store.add_code("Queues", "lead")
    start = NOTES.index("People queued")
    store.add_coding(store.add_source(_notes(), "lead"), start, start + len("People queued"), queues, "amira")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # pandas: a string fill value for an all-missing (float) column
        evidence = theme_evidence(store, store.get_theme(store.add_theme("Waiting", "amira", code_ids=[queues])))
    assert (evidence.passages, evidence.sites) == (1, 0)
    assert [(r.site, r.wave, r.passages) for r in evidence.by_site_wave.itertuples()] == [("(none)", "(none)", 1)]


def test_framework_summaries_cite_passages_like_narratives(small: SmallProject) -> None:
    store = small.store
    theme_id = store.add_theme("Home", "amira", code_ids=[small.codes["Housing"]])
    flat = small.coding_ids("ng-anna.txt", "Housing", "amira")[0]
    cell = store.set_framework_cell("case", "NG-A", theme_id, f"Damp flat {citation(store.get_coding(flat).uid)}",
                                    [], "amira")
    assert cell.coding_ids == [flat]
    with pytest.raises(InvalidTheme, match=r"\[\[q:GONE\]\]"):
        store.set_framework_cell("case", "NG-A", theme_id, "See [[q:GONE]]", [], "amira")
    assert store.framework_cells()[0].summary.startswith("Damp flat")


class WordEmbedder:
    """A stand-in sentence model for splitting: a passage's vector says whether it speaks of people or of homes."""

    TOPICS = (("neighbour", "sister", "friends", "mosque"), ("flat", "house", "cold", "damp"))

    def encode(self, texts):
        import numpy as np

        return np.array([[float(any(w in t.lower() for w in words)) for words in self.TOPICS] + [0.1]
                         for t in texts])


def test_merge_and_split_candidates_are_undone_and_redone(small: SmallProject) -> None:
    from workbench.analysis.themes import merge_candidates, split_candidate

    store = small.store
    housing = small.coding_ids("ng-anna.txt", "Housing") + small.coding_ids("sc-cara.txt", "Housing")
    bonding = small.coding_ids("ng-anna.txt", "Bonding") + small.coding_ids("sc-cara.txt", "Bonding")
    store.replace_candidates([NewCandidate("damp / cold", ["damp", "cold"], housing, [small.codes["Housing"]]),
                              NewCandidate("neighbour", ["neighbour"], bonding, [small.codes["Bonding"]])], "engine")
    first, second = store.candidate_themes()
    before = [(c.id, c.label, c.coding_ids) for c in store.candidate_themes()]
    merged = merge_candidates(store, [first.id, second.id], "researcher")
    [only] = store.candidate_themes()
    assert only.id == merged and only.coding_ids == sorted(housing + bonding)
    assert only.code_ids == [small.codes["Housing"], small.codes["Bonding"]] and only.label == "damp / cold / neighbour"
    halves = split_candidate(store, merged, "researcher", embedder=WordEmbedder())
    parts = sorted(sorted(store.get_candidate(i).coding_ids) for i in halves)
    assert parts == sorted([sorted(housing), sorted(bonding)])  # the split finds the two stories again
    undo(store, "researcher")
    assert [c.id for c in store.candidate_themes()] == [merged]
    undo(store, "researcher")
    assert [(c.id, c.label, c.coding_ids) for c in store.candidate_themes()] == before
    redo(store, "researcher")
    redo(store, "researcher")
    assert sorted(c.id for c in store.candidate_themes()) == sorted(halves)


def test_merging_needs_two_open_candidates(small: SmallProject) -> None:
    from workbench.analysis.themes import CandidateError, merge_candidates

    store = small.store
    ids = small.coding_ids("ng-anna.txt", "Housing")
    store.replace_candidates([NewCandidate("a", ["a"], ids, []), NewCandidate("b", ["b"], ids, [])], "engine")
    first, second = store.candidate_themes()
    with pytest.raises(CandidateError, match="at least two"):
        merge_candidates(store, [first.id], "researcher")
    store.discard_candidate_theme(second.id, "researcher")
    with pytest.raises(Conflict, match="already discarded"):
        merge_candidates(store, [first.id, second.id], "researcher")
    assert [c.id for c in store.candidate_themes()] == [first.id]  # nothing half-done


def test_cli_merge_candidates(small: SmallProject) -> None:
    from click.testing import CliRunner

    from workbench.cli import cli

    ids = small.coding_ids("ng-anna.txt", "Housing")
    small.store.replace_candidates([NewCandidate("damp", ["damp"], ids, []), NewCandidate("rent", ["rent"], ids, [])],
                                   "engine")
    first, second = small.store.candidate_themes()
    result = CliRunner().invoke(cli, ["theme", "merge", str(first.id), str(second.id), "--project",
                                      str(small.store.path), "--as", "amira"])
    assert result.exit_code == 0 and "damp / rent (2 codings)" in result.output
    [merged] = small.store.candidate_themes()
    refused = CliRunner().invoke(cli, ["theme", "split", str(merged.id), "--project", str(small.store.path),
                                       "--as", "amira"])
    assert refused.exit_code == 1 and "has 2 passages; splitting needs at least 4" in refused.output
    assert [c.id for c in small.store.candidate_themes()] == [merged.id]


def test_candidate_sites_count_distinct_passages(small: SmallProject) -> None:
    from workbench.analysis.themes import candidate_sites

    ids = (small.coding_ids("ng-anna.txt", "Housing") + small.coding_ids("sc-cara.txt", "Housing")
           + small.coding_ids("notes.txt", "Housing"))
    small.store.replace_candidates([NewCandidate("damp", ["damp"], ids, [])], "engine")
    [candidate] = small.store.candidate_themes()
    # Anna's flat (amira) and its first words (tom) are two passages in Northgate; Cara's house; the field note
    assert candidate_sites(small.store, candidate.id) == {"Northgate": 2, "(none)": 1, "Seacombe": 1}
