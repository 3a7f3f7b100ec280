"""Distinct coded passages (issue 12 item 4): the Compare page counts a passage coded by two coders once,
lists its quote once with both coders, and gives the numbers the Word report prints."""
from __future__ import annotations

from pathlib import Path

import docx
import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from test_compare import SmallProject, build_small_project
from workbench.analysis.compare import MEASURES, compare, passages_for_cell
from workbench.analysis.passages import Span, group_passages
from workbench.errors import WorkbenchError
from workbench.export.report import build_report

PAGES = Path(__file__).resolve().parents[1] / "workbench" / "ui" / "pages"
BRIDGING = "Bridging and linking ties"
# a code the demo's themes draw on (the report shows the codes of its themes), coded twice in Northgate
IN_A_THEME = "Participation and empowerment"


@pytest.fixture
def small(tmp_path: Path) -> SmallProject:
    return build_small_project(tmp_path / "small.wbproj")


def test_a_passage_coded_by_two_coders_counts_once(small: SmallProject) -> None:
    # Anna's "My neighbour checks on me every day." is coded Bonding by amira and by tom: one passage.
    codings = compare(small.store, "site", "codings")
    passages = compare(small.store, "site", "passages")
    assert codings.values[codings.row_index("Bonding")].tolist() == [1, 3, 2, 0]
    assert passages.values[passages.row_index("Bonding")].tolist() == [1, 2, 2, 0]
    assert MEASURES[0] == "passages"  # the page's default


def test_cell_passages_are_quoted_once_with_their_coders(small: SmallProject) -> None:
    matrix = compare(small.store, "site", "passages")
    found = passages_for_cell(small.store, matrix, "Bonding", "Northgate")
    assert [(p.quote.text, p.coders) for p in found] == [
        ("My neighbour checks on me every day.", ["amira", "tom"]), ("My neighbours help.", ["amira"])]
    assert sorted(i for p in found for i in p.coding_ids) == matrix.cell_coding_ids("Bonding", "Northgate")


def test_one_coding_inside_another_of_the_same_row_is_the_same_passage() -> None:
    spans = [Span(1, 7, "a.txt", 0, 40, "amira", 40), Span(2, 7, "a.txt", 0, 15, "tom", 15),
             Span(3, 7, "a.txt", 30, 80, "tom", 50), Span(4, 8, "b.txt", 0, 40, "tom", 40)]
    found = group_passages(spans)
    assert found[1] == found[2] and found[4] == 4 and len(set(found.values())) == 3


def _report_table_cell(path: Path, code: str, site: str) -> int:
    """The count the Word report prints for ``code`` in ``site`` (Table 3: coded passages by code and site)."""
    for table in docx.Document(str(path)).tables:
        header = [c.text for c in table.rows[0].cells]
        if header[0] == "Code" and site in header:
            for row in table.rows[1:]:
                cells = [c.text for c in row.cells]
                if cells[0] == code:
                    return int(cells[header.index(site)])
    raise AssertionError(f"no {code} × {site} cell in the report's tables")


def test_the_compare_page_and_the_word_report_agree(tmp_path: Path) -> None:
    from workbench.sources.demo import build_demo

    try:
        store = build_demo(tmp_path / "demo.wbproj")
    except WorkbenchError as exc:
        pytest.skip(f"demo project does not build: {exc}")
    build_report(store, tmp_path / "report.docx")
    in_report = _report_table_cell(tmp_path / "report.docx", IN_A_THEME, "Northgate")
    app = AppTest.from_file(str(PAGES / "compare.py"), default_timeout=120)
    app.session_state["project_path"] = str(store.path)
    app.session_state["coder"] = "amira"
    app.run()
    row = next(i for i, label in enumerate(app.selectbox(key="compare.row").options) if label.strip() == IN_A_THEME)
    app.selectbox(key="compare.row").set_value(row)
    app.selectbox(key="compare.column").set_value("Northgate").run()
    assert not app.exception
    heading = f"**{IN_A_THEME} · Northgate**: {in_report} passages"
    assert heading in [m.value for m in app.markdown]
    quotes = [e.proto.body for e in app.get("html") if "coded by" in e.proto.body]
    assert len(quotes) == in_report  # each passage quoted once
    codings = compare(store, "site", "codings")
    assert codings.values[codings.row_index(IN_A_THEME), codings.columns.index("Northgate")] > in_report
    np.testing.assert_array_equal(compare(store, "site").values.shape, codings.values.shape)
