"""No user-derived cell of any export runs as a formula (issue 12 item 9a).

One project whose code names, site values, case name, variable name, theme name and summary are
formula-like; every export that writes a spreadsheet or a CSV, in both formats: XLSX cells (data
and headers) are text, never formulas; CSV cells never start with = + - @ tab or CR.
"""
from __future__ import annotations

import csv
import io
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from helpers import interview_source
from workbench.analysis.framework import framework, set_cell
from workbench.cli import cli
from workbench.store import Store

HYPERLINK = '=HYPERLINK("http://x","click")'
HOSTILE = [HYPERLINK, "=1+1", "+1+1", "-1+1", "@SUM(A1)", "\t=1+1", "\r=1+1"]
RISKY_START = ("=", "+", "-", "@", "\t", "\r")


@pytest.fixture
def hostile(tmp_path: Path) -> Store:
    store = Store.create(tmp_path / "hostile.wbproj")
    source = store.add_source(interview_source(case="-2+3", attributes={"site": HYPERLINK, "=1+1": "@SUM(A1)"},
                                               case_attributes={"-2+3": {"+role": "=1+1"}}), "amira")
    text = store.get_source(source).text
    first = store.add_code("=1+1", "amira")
    second = store.add_code(HYPERLINK, "amira")
    third = store.add_code("@cmd", "amira", parent_id=first)
    for code, words in ((first, "neighbour"), (second, "neighbour dragged"), (third, "lifeline")):
        start = text.index(words)
        store.add_coding(source, start, start + len(words), code, "amira")
        store.add_coding(source, start, start + len(words), code, "+tom")
    theme = store.add_theme("+theme", "amira", code_ids=[first, second])
    matrix = framework(store, "case")
    cell = matrix.cell("-2+3", theme)
    set_cell(store, "case", "-2+3", theme, "=1+1 summary", cell.candidate_ids[:1], "amira")
    return store


EXPORTS = {
    "compare": ["compare", "--by", "site"],
    "compare-by-variable": ["compare", "--by", "=1+1"],
    "matrix": ["export", "matrix"],
    "quotes": ["export", "quotes"],
    "cooccur": ["cooccur"],
    "framework": ["framework"],
}


def _cells_xlsx(path: Path) -> list[object]:
    """Every cell of every sheet; fails on a formula cell."""
    values = []
    for sheet in openpyxl.load_workbook(path).worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{path.name} {sheet.title}!{cell.coordinate} is a formula: {cell.value}"
                values.append(cell.value)
    return values


def _cells_csv(path: Path) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"), newline=""))
            for cell in row]


@pytest.mark.parametrize("export", EXPORTS)
@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_no_export_writes_a_formula(hostile: Store, tmp_path: Path, export: str, suffix: str) -> None:
    out = tmp_path / f"{export}{suffix}"
    result = CliRunner().invoke(cli, [*EXPORTS[export], "--project", str(hostile.path), "--out", str(out)])
    assert result.exit_code == 0, result.output
    if suffix == ".xlsx":
        cells = [str(v) for v in _cells_xlsx(out) if v is not None]
        assert any(c in HOSTILE or c == "+theme" or c == "-2+3" for c in cells)  # kept, as text
    else:
        cells = _cells_csv(out)
        risky = [c for c in cells if c.startswith(RISKY_START)]
        assert not risky, f"{export}: cells that would run as formulas: {risky}"
        assert any(c.startswith("'") and c[1:].startswith(RISKY_START) for c in cells)
    assert not any("HYPERLINK" in c and c.startswith("=") for c in cells if suffix == ".csv")
