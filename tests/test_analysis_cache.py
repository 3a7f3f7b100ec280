"""Analysis results cached per project version (workbench/ui/results.py): a widget change that changes no data
reuses them; any change to the data (a coding, an undo, an attribute) computes them afresh."""
from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from test_compare import SmallProject, build_small_project
from workbench.sources.history import undo
from workbench.ui import results

PAGES = Path(__file__).resolve().parents[1] / "workbench" / "ui" / "pages"


@pytest.fixture
def small(tmp_path: Path) -> SmallProject:
    return build_small_project(tmp_path / "small.wbproj")


def test_the_data_version_changes_with_every_change(small: SmallProject) -> None:
    store = small.store
    seen = [store.data_version()]
    assert store.data_version() == seen[0]  # reading changes nothing
    text = small.texts["sc-cara.txt"]
    store.add_coding(small.sources["sc-cara.txt"], 0, text.index(" "), small.codes["Housing"], "tom")
    seen.append(store.data_version())
    undo(store, "tom")
    seen.append(store.data_version())
    store.set_attributes("source", small.sources["notes.txt"], {"site": "Northgate"}, "lead")
    seen.append(store.data_version())
    assert len(set(seen)) == 4


def test_reliability_is_reused_until_the_data_changes(small: SmallProject) -> None:
    store = small.store
    first = results.coder_reliability(store, ["amira", "tom"], "segment")
    assert results.coder_reliability(store, ["amira", "tom"], "segment") is first
    assert results.coder_reliability(store, ("amira", "tom"), "segment") is first  # same arguments, any sequence
    assert results.coder_reliability(store, ["amira", "tom"], "sentence") is not first
    text = small.texts["sc-cara.txt"]
    start = text.index("Our house is cold.")
    store.add_coding(small.sources["sc-cara.txt"], start, start + 18, small.codes["Housing"], "tom")
    again = results.coder_reliability(store, ["amira", "tom"], "segment")
    assert again is not first
    assert again.overall.percent_agreement > first.overall.percent_agreement  # tom now agrees on Cara's house


def test_compare_and_its_cells_are_reused_until_the_data_changes(small: SmallProject) -> None:
    store = small.store
    wanted = {"by": "site", "measure": "codings"}
    matrix = results.compare(store, **wanted)
    assert results.compare(store, **wanted) is matrix
    assert results.compare(store, by="site", measure="sources") is not matrix
    row = matrix.row_labels.index("Housing")
    quotes = results.cell_quotes(store, row, "Northgate", **wanted)
    assert results.cell_quotes(store, row, "Northgate", **wanted) is quotes and len(quotes) == 2
    text = small.texts["ng-anna.txt"]
    start = text.index("The flat is damp")
    store.add_coding(small.sources["ng-anna.txt"], start, start + 16, small.codes["Housing"], "zoe")
    assert len(results.cell_quotes(store, row, "Northgate", **wanted)) == 3
    assert results.compare(store, **wanted) is not matrix


def test_cooccurrence_and_queries_are_reused_until_the_data_changes(small: SmallProject) -> None:
    store = small.store
    table = results.cooccurrence(store, "overlap")
    assert results.cooccurrence(store, "overlap") is table
    hits = results.run_query(store, "Bonding AND Wellbeing", unit="segment")
    assert results.run_query(store, "Bonding AND Wellbeing", unit="segment") is hits
    store.set_attributes("source", small.sources["notes.txt"], {"site": "Northgate"}, "lead")
    assert results.cooccurrence(store, "overlap") is not table
    assert results.run_query(store, "Bonding AND Wellbeing", unit="segment") is not hits


def test_the_reliability_page_shows_new_data_after_a_change_elsewhere(small: SmallProject) -> None:
    app = AppTest.from_file(str(PAGES / "reliability.py"), default_timeout=60)
    app.session_state["project_path"] = str(small.store.path)
    app.session_state["coder"] = "amira"
    app.run()
    assert {m.label: m.value for m in app.metric}["% agreement"] == "84.4%"
    app.selectbox(key="reliability.code").set_value("Bonding").run()  # a widget change: the same figures
    assert {m.label: m.value for m in app.metric}["% agreement"] == "84.4%"
    text = small.texts["sc-cara.txt"]
    start = text.index("Our house is cold.")
    small.store.add_coding(small.sources["sc-cara.txt"], start, start + 18, small.codes["Housing"], "tom")
    app.run()
    assert {m.label: m.value for m in app.metric}["% agreement"] != "84.4%"


def test_the_compare_spreadsheet_is_written_once_per_version(small: SmallProject) -> None:
    from openpyxl import load_workbook
    import io

    store = small.store
    first = results.compare_xlsx(store, by="site", measure="codings")
    assert results.compare_xlsx(store, by="site", measure="codings") is first
    sheet = load_workbook(io.BytesIO(first)).active
    assert [c.value for c in sheet[1]][1:4] == ["Ashby Vale", "Northgate", "Seacombe"]
    store.set_attributes("source", small.sources["notes.txt"], {"site": "Northgate"}, "lead")
    assert results.compare_xlsx(store, by="site", measure="codings") != first
