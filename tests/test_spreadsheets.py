"""Quote spreadsheets and the presence matrix: offsets, attributes, formats, pseudonyms (read back for real)."""
from __future__ import annotations

import hashlib
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from test_report import code_words, small_project

from workbench.export.report.data import HUMAN_ORIGINS, ExportError
from workbench.export.spreadsheets import QUOTE_COLUMNS, quote_sheet, write_matrix, write_quotes
from workbench.store import NewSegment, NewSource, Store


@pytest.fixture
def project(tmp_path: Path) -> Store:
    """The small two-site project, plus a diary with accents, emoji and a formula-like line."""
    store = small_project(tmp_path / "pilot.wbproj")
    text = ("Monday — went to the café ☕ with Zofia, first time out in weeks 😀.\n\n"
            "=1+1 is what the kids chalked on the wall by the garden.")
    first, second = text.split("\n\n")
    segments = [NewSegment(0, len(first), "entry", entry_date="2024-03-04"),
                NewSegment(len(first) + 2, len(text), "entry", entry_date="2024-03-05")]
    diary = store.add_source(NewSource(
        name="NG-V03_fatima_diary.md", kind="diary", text=text, format="md", segments=segments, case="NG-V03",
        content_hash=hashlib.sha256(text.encode()).hexdigest(), attributes={"site": "Northgate", "wave": "1"},
        case_attributes={"NG-V03": {"site": "Northgate", "role": "volunteer", "age_band": "35-44"}}), "lead")
    code_words(store, diary, "went to the café ☕ with Zofia, first time out in weeks 😀", "Bonding ties", "amira")
    code_words(store, diary, "=1+1 is what the kids chalked on the wall", "Bonding ties", "tom")
    return store


def _rows(path: Path) -> tuple[list[str], list[dict]]:
    sheet = openpyxl.load_workbook(path).active
    values = list(sheet.iter_rows(values_only=True))
    header = list(values[0])
    return header, [dict(zip(header, row)) for row in values[1:]]


def test_quote_xlsx_one_row_per_coding_with_exact_offsets(project: Store, tmp_path: Path) -> None:
    path = tmp_path / "quotes.xlsx"
    summary = write_quotes(project, path, pseudonymise=False)
    header, rows = _rows(path)
    assert summary.rows == len(rows) == len(project.codings()) == 13
    assert header[:len(QUOTE_COLUMNS)] == list(QUOTE_COLUMNS)
    assert {"site", "role", "wave", "age_band"} <= set(header[len(QUOTE_COLUMNS):])
    for row in rows:
        source = project.source_by_name(row["source"])
        assert row["quote"] == source.text[row["start"]:row["end"]]
    emoji = next(r for r in rows if "😀" in r["quote"])
    assert emoji["entry_date"] == "2024-03-04" and emoji["case"] == "NG-V03" and emoji["age_band"] == "35-44"
    turn = next(r for r in rows if r["quote"].startswith("Since the bus stopped"))
    assert turn["time"] == "0:02:35" and turn["speaker"] == "Maureen" and turn["coder"] == "tom"
    survey = next(r for r in rows if r["quote"] == "the bus is worse than ever")
    assert (survey["case"], survey["site"], survey["question"]) == ("S002", "Ashby Vale",
                                                                      "What has changed in your neighbourhood?")
    assert {r["origin"] for r in rows} == {"manual", "suggestion"}
    assert next(r for r in rows if r["memo"])["memo"] == "Pantry as a meeting place; compare with the survey."


def test_quote_xlsx_is_formatted_for_people(project: Store, tmp_path: Path) -> None:
    path = tmp_path / "quotes.xlsx"
    write_quotes(project, path)
    sheet = openpyxl.load_workbook(path).active
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == sheet.dimensions
    assert all(cell.font.bold for cell in sheet[1])
    quote_column = openpyxl.utils.get_column_letter(QUOTE_COLUMNS.index("quote") + 1)
    assert sheet.column_dimensions[quote_column].width >= 60
    assert sheet[f"{quote_column}2"].alignment.wrap_text
    formula_like = next(c for c in sheet[quote_column][1:] if str(c.value).startswith("=1+1"))
    assert formula_like.data_type == "s"


def test_quotes_are_pseudonymised_by_default(project: Store, tmp_path: Path) -> None:
    path = tmp_path / "quotes.xlsx"
    write_quotes(project, path)
    _header, rows = _rows(path)
    cells = " ".join(str(v) for row in rows for v in row.values() if v is not None)
    for name in ("Maureen", "Jean", "maureen", "jean", "Fatima", "fatima"):
        assert name not in cells
    assert {r["speaker"] for r in rows if r["speaker"]} == {"NG-R01", "AV-R01"}
    assert "NG-R01.txt" in {r["source"] for r in rows}
    pantry = next(r for r in rows if r["quote"].startswith("The pantry"))
    assert pantry["quote"] == "The pantry is a lifeline when money is tight. [name] from the tenants' group runs it"


def test_csv_has_a_bom_and_round_trips_through_pandas(project: Store, tmp_path: Path) -> None:
    path = tmp_path / "quotes.csv"
    write_quotes(project, path, pseudonymise=False)
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    frame = pd.read_csv(path, encoding="utf-8-sig", keep_default_na=False)
    sheet = quote_sheet(project, pseudonymise=False)
    assert list(frame.columns) == sheet.columns
    assert len(frame) == len(sheet.rows) == 13
    for (_n, row), expected in zip(frame.iterrows(), sheet.rows):
        quote = row["quote"].removeprefix("'") if expected[2].startswith("=") else row["quote"]
        assert quote == expected[2]
        source = project.source_by_name(row["source"])
        assert source.text[int(row["start"]):int(row["end"])] == expected[2]
    assert frame.loc[frame["quote"].str.startswith("'="), "quote"].tolist() == \
        ["'=1+1 is what the kids chalked on the wall"]


def test_filters_limit_the_rows(project: Store) -> None:
    human = quote_sheet(project, origins=HUMAN_ORIGINS)
    assert len(human.rows) == 12 and "suggestion" not in {r[QUOTE_COLUMNS.index("origin")] for r in human.rows}
    transport = quote_sheet(project, codes=["Transport"], sites=["Ashby Vale"])
    assert sorted(r[2] for r in transport.rows) == ["We lost the bus, the bank and the butcher in the space of "
                                                    "two years.", "the bus is worse than ever"]
    with pytest.raises(ExportError, match="use .xlsx or .csv"):
        write_quotes(project, Path("quotes.ods"))


def test_presence_matrix_matches_the_codings(project: Store, tmp_path: Path) -> None:
    for suffix in (".csv", ".xlsx"):
        path = tmp_path / f"matrix{suffix}"
        summary = write_matrix(project, path)
        frame = (pd.read_csv(path, encoding="utf-8-sig", keep_default_na=False) if suffix == ".csv"
                 else pd.read_excel(path, keep_default_na=False))
        assert list(frame.columns[:4]) == ["case", "site", "role", "age_band"]
        assert len(frame) == summary.rows == len(project.cases())
        paths = list(frame.columns[frame.columns.get_loc("age_band") + 1:])
        assert "Social connectivity/Bonding ties" in paths and "Social connectivity" not in paths
        values = frame[paths].to_numpy()
        assert set(values.ravel().tolist()) <= {0, 1}
        expected = set()
        cases = {c.id: c.name for c in project.cases()}
        for fact in project.coding_facts():
            if fact.case_id is not None:
                expected.add((cases[fact.case_id], project.code_path(fact.code_id)))
        found = {(frame.loc[i, "case"], p) for i in frame.index for p in paths if frame.loc[i, p] == 1}
        assert found == expected
        assert frame.set_index("case").loc["S002", "System conditions/Transport"] == 1
        assert frame.set_index("case").loc["S001", "System conditions/Transport"] == 0


def test_presence_matrix_for_one_site(project: Store, tmp_path: Path) -> None:
    path = tmp_path / "matrix.csv"
    write_matrix(project, path, sites=["Ashby Vale"])
    frame = pd.read_csv(path, encoding="utf-8-sig")
    assert sorted(frame["case"]) == ["AV-R01", "S002"]


def test_the_quote_sheet_says_which_codings_were_machine_suggested(project: Store, tmp_path: Path) -> None:
    from test_report import _bulk_accept

    _bulk_accept(project, [("AV-R01_jean.txt", "the older ones without one are stuck in their houses", "Transport")])
    path = tmp_path / "quotes.xlsx"
    write_quotes(project, path, pseudonymise=False)
    header, rows = _rows(path)
    assert header[header.index("origin") + 1] == "machine_suggested"
    by_quote = {r["quote"]: r["machine_suggested"] for r in rows}
    assert by_quote["the older ones without one are stuck in their houses"] == \
        "machine-suggested, accepted in bulk (score ≥ 0.90) by zoe"
    assert by_quote["Tariq at the shop will drop a loaf round if I ring him"] == \
        "machine-suggested, accepted by tom"
    assert by_quote["the bus is worse than ever"] is None  # coded by hand: empty
