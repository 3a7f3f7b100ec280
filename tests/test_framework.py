"""The framework matrix: rows by case or attribute value, evidence per cell, summaries, exports."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from test_compare import SmallProject, build_small_project
from workbench.cli import cli
from workbench.errors import NotFound
from workbench.analysis.framework import (FrameworkError, cell_quotes, export_framework, framework, framework_xlsx,
                                 save_summaries, set_cell)
from workbench.store.themes import InvalidTheme


@pytest.fixture
def small(tmp_path: Path) -> SmallProject:
    """The small project (see test_compare) with two themes."""
    project = build_small_project(tmp_path / "small.wbproj")
    project.store.add_theme("Connections", "amira", code_ids=[project.codes["Social"]])
    project.store.add_theme("Home", "amira", code_ids=[project.codes["Housing"]])
    return project


def ids(small: SmallProject, *pairs: tuple[str, str]) -> list[int]:
    return sorted(i for source, code in pairs for i in small.coding_ids(source, code))


def test_rows_by_case_with_their_evidence(small: SmallProject) -> None:
    matrix = framework(small.store, "case")
    assert [r.label for r in matrix.rows] == ["AV-B", "NG-A", "R1", "R3", "SC-C"]  # R2 has no codings
    assert [t.name for t in matrix.themes] == ["Connections", "Home"]
    connections, home = (t.id for t in matrix.themes)
    assert matrix.cell("NG-A", connections).candidate_ids == ids(small, ("ng-anna.txt", "Bonding"),
                                                                  ("ng-anna.txt", "Bridging"))
    assert matrix.cell("NG-A", home).candidate_ids == ids(small, ("ng-anna.txt", "Housing"))
    evidence = matrix.to_frame("evidence")
    assert evidence.loc["AV-B"].tolist() == [2, 0] and evidence.loc["R3"].tolist() == [1, 0]
    assert evidence.to_numpy().sum() == 8 + 3  # Connections 8 codings; Home: 3 with a case (not the note)


def test_rows_by_site_use_each_codings_effective_site(small: SmallProject) -> None:
    matrix = framework(small.store, "site")
    assert matrix.row_type == "attribute"
    assert [(r.key, r.label) for r in matrix.rows] == [("site=Ashby Vale", "Ashby Vale"),
                                                        ("site=Northgate", "Northgate"), ("site=Seacombe", "Seacombe")]
    assert matrix.to_frame("evidence").to_dict("index") == {"Ashby Vale": {"Connections": 2, "Home": 0},
                                                             "Northgate": {"Connections": 4, "Home": 2},
                                                             "Seacombe": {"Connections": 2, "Home": 1}}
    assert framework(small.store, "site", coders=["tom"]).to_frame("evidence").to_numpy().sum() == 3


def test_summaries_and_cited_codings_are_stored_logged_and_shown(small: SmallProject) -> None:
    home = small.store.find_theme("Home").id
    cited = ids(small, ("ng-anna.txt", "Housing"))[:1]
    set_cell(small.store, "case", "NG-A", home, "Damp flat, rising rent.", cited, "amira")
    event = small.store.events()[-1]
    assert event.action == "framework.cell.set" and event.payload["before"] is None
    matrix = framework(small.store, "case")
    cell = matrix.cell("NG-A", home)
    assert (cell.summary, cell.linked_ids, cell.updated_by) == ("Damp flat, rising rent.", cited, "amira")
    assert matrix.to_frame().loc["NG-A", "Home"] == "Damp flat, rising rent."
    set_cell(small.store, "case", "NG-A", home, "Damp flat.", cited, "tom")
    assert small.store.events()[-1].payload["before"]["summary"] == "Damp flat, rising rent."
    assert len(small.store.framework_cells()) == 1
    quotes = cell_quotes(small.store, framework(small.store, "case"), "NG-A", home)
    assert quotes[0].coding_id == cited[0] and len(quotes) == 2  # cited first, then the other candidate


def test_a_site_row_keeps_its_summary_apart_from_case_rows(small: SmallProject) -> None:
    home = small.store.find_theme("Home").id
    set_cell(small.store, "attribute", "site=Seacombe", home, "Cold homes by the sea.", [], "amira")
    set_cell(small.store, "attribute", "role=resident", home, "Renters.", [], "amira")
    by_site = framework(small.store, "site")
    assert by_site.cell("site=Seacombe", home).summary == "Cold homes by the sea."
    assert "role=resident" not in [r.key for r in by_site.rows]
    assert all(not c.summary for c in framework(small.store, "case").cells.values())


@pytest.mark.parametrize("row_type, row_key, coding_ids, error, message", [
    ("case", "Nobody", [], NotFound, "no case called 'Nobody'"),
    ("attribute", "Seacombe", [], FrameworkError, "key=value"),
    ("case", "NG-A", [99999], NotFound, "no coding with id 99999"),
    ("site", "x=y", [], InvalidTheme, "unknown framework row type"),
])
def test_bad_cells_are_refused(small: SmallProject, row_type: str, row_key: str, coding_ids: list[int], error,
                               message: str) -> None:
    with pytest.raises(error, match=message):
        set_cell(small.store, row_type, row_key, small.store.find_theme("Home").id, "x", coding_ids, "amira")
    assert small.store.framework_cells() == []


def test_save_summaries_writes_only_edited_cells(small: SmallProject) -> None:
    matrix = framework(small.store, "case")
    edited = matrix.to_frame()
    edited.loc["SC-C", "Home"] = "Cold house."
    edited.loc["AV-B", "Connections"] = "Mosque, repair cafe."
    assert save_summaries(small.store, matrix, edited, "amira") == 2
    again = framework(small.store, "case")
    assert save_summaries(small.store, again, again.to_frame(), "amira") == 0
    assert again.to_frame().loc["SC-C", "Home"] == "Cold house."
    with pytest.raises(FrameworkError, match="does not match"):
        save_summaries(small.store, again, again.to_frame().iloc[:2], "amira")


def test_unknown_rows_and_discarded_themes(small: SmallProject) -> None:
    with pytest.raises(FrameworkError, match="no attribute 'planet'"):
        framework(small.store, "planet")
    small.store.update_theme(small.store.find_theme("Home").id, "amira", status="discarded")
    assert [t.name for t in framework(small.store, "case").themes] == ["Connections"]
    with pytest.raises(FrameworkError, match="no row"):
        framework(small.store, "case").cell("Nobody", 1)


def test_exports(small: SmallProject, tmp_path: Path) -> None:
    home = small.store.find_theme("Home").id
    cited = ids(small, ("sc-cara.txt", "Housing"))
    set_cell(small.store, "case", "SC-C", home, "Cold house.", cited, "amira")
    matrix = framework(small.store, "case")
    export_framework(small.store, matrix, tmp_path / "f.csv")
    assert pd.read_csv(tmp_path / "f.csv", index_col=0).loc["SC-C", "Home"] == "Cold house."
    export_framework(small.store, matrix, tmp_path / "f.xlsx")
    sheets = pd.read_excel(tmp_path / "f.xlsx", sheet_name=None)
    assert list(sheets) == ["framework", "evidence counts", "cited quotes"]
    assert sheets["cited quotes"].to_dict("records") == [
        {"row": "SC-C", "theme": "Home", "coding id": cited[0], "code": "Housing", "quote": "Our house is cold.",
         "attribution": "SC-C, resident, Seacombe · interview"}]  # one form, no file name (issue 12 item 8)
    assert framework_xlsx(small.store, matrix)[:2] == b"PK"
    with pytest.raises(FrameworkError, match="use .csv or .xlsx"):
        export_framework(small.store, matrix, tmp_path / "f.pdf")


def test_cli_prints_evidence_and_marks_written_cells(small: SmallProject, tmp_path: Path) -> None:
    set_cell(small.store, "attribute", "site=Northgate", small.store.find_theme("Home").id, "Damp.", [], "amira")
    result = CliRunner().invoke(cli, ["framework", "--project", str(small.store.path), "--rows", "site",
                                      "--out", str(tmp_path / "f.xlsx")])
    assert result.exit_code == 0, result.output
    northgate = next(line for line in result.output.splitlines() if line.startswith("Northgate"))
    assert northgate.split() == ["Northgate", "4", "2*"]
    assert (tmp_path / "f.xlsx").exists()
