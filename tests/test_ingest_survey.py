"""Surveys from CSV and XLSX: column roles, rendered text, answer segments and case attributes."""
from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

import openpyxl
import pytest

from ingest import IngestError, load_path, load_survey

DATA = Path(__file__).resolve().parent / "data" / "ingest"
FIXTURES = Path(__file__).resolve().parents[2] / "shared" / "fixtures"
SURVEY = DATA / "resilience_survey.csv"
Q1 = "What does a resilient neighbourhood look like to you?"
Q2 = "What stopped you getting help during the floods?"
Q3 = "Anything else?"


def answers(source):
    return [(s.case, s.label, source.text[s.start:s.end]) for s in source.segments]


def write_xlsx(path: Path, rows: list[list[object]]) -> Path:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Responses"
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path


def csv_rows() -> list[list[str]]:
    with open(SURVEY, newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


def test_csv_survey_roles_and_text():
    [source] = load_path(SURVEY)
    assert source.kind == "survey" and source.format == "csv" and source.encoding == "utf-8"
    assert source.metadata["id_column"] == "Respondent ID"
    assert json.loads(source.metadata["open_columns"]) == [Q1, Q2, Q3]
    assert json.loads(source.metadata["attribute_columns"]) == ["Neighbourhood", "Age band", "Years living here"]
    assert source.text.startswith(
        f"Respondent R001\n{Q1}\nPeople who know each other's names and check in when the power goes off, "
        "not just when there is a crisis.\n\n"
        f"{Q2}\nNobody told us the rest centre had opened"
    )
    assert "\n\nRespondent R002\n" in source.text
    assert "Respondent R004" not in source.text  # answered nothing
    found = answers(source)
    assert [(case, label) for case, label, _ in found] == [
        ("R001", Q1), ("R001", Q2), ("R002", Q1), ("R002", Q3), ("R003", Q1), ("R003", Q2), ("R005", Q1), ("R005", Q2),
    ]
    assert found[3][2] == "Thank you for asking, nobody usually does."
    assert source.case_attributes["R004"] == {"Neighbourhood": "Eastfield", "Age band": "45-54", "Years living here": "7"}
    assert set(source.case_attributes) == {"R001", "R002", "R003", "R004", "R005"}


def test_xlsx_matches_csv(tmp_path):
    rows = csv_rows()
    typed = [rows[0]] + [[*row[:3], int(row[3]), *row[4:]] for row in rows[1:]]
    path = write_xlsx(tmp_path / "survey.xlsx", typed)
    [from_xlsx] = load_survey(path)
    [from_csv] = load_survey(SURVEY)
    assert from_xlsx.format == "xlsx"
    assert from_xlsx.text == from_csv.text
    assert answers(from_xlsx) == answers(from_csv)
    assert from_xlsx.case_attributes == from_csv.case_attributes  # 12 not "12.0"


def test_xlsx_cell_types_and_sheet_choice(tmp_path):
    workbook = openpyxl.Workbook()
    workbook.active.append(["ignored"])
    sheet = workbook.create_sheet("Wave 2")
    sheet.append(["participant", "joined", "score", "How has the pantry changed your week?"])
    sheet.append([7.0, dt.datetime(2024, 5, 1), 3.5, "It means I can pay the electric and still eat properly."])
    sheet.append([8.0, dt.datetime(2024, 5, 2, 14, 30), 4.0, "Less stress. I also met people from my building."])
    path = tmp_path / "waves.xlsx"
    workbook.save(path)
    [source] = load_path(path, sheet="Wave 2")
    assert source.case_attributes == {
        "7": {"joined": "2024-05-01", "score": "3.5"},
        "8": {"joined": "2024-05-02 14:30:00", "score": "4"},
    }
    with pytest.raises(IngestError, match="no sheet named 'Wave 3'"):
        load_path(path, sheet="Wave 3")


def test_explicit_columns(tmp_path):
    [source] = load_path(
        SURVEY, id_column="respondent id", open_columns=[Q2], attribute_columns=["Neighbourhood"]
    )
    assert [label for _, label, _ in answers(source)] == [Q2, Q2, Q2]
    assert source.case_attributes["R003"] == {"Neighbourhood": "Riverside"}


def test_unknown_explicit_column_lists_columns():
    with pytest.raises(IngestError, match="open_columns: no column named 'Q9'; columns are: Respondent ID, Neighbourhood"):
        load_survey(SURVEY, open_columns=["Q9"])


def test_no_open_answer_column(tmp_path):
    path = tmp_path / "counts.csv"
    path.write_text("id,site,visits\n1,Millbrook,4\n2,Northgate,9\n", encoding="utf-8")
    with pytest.raises(IngestError, match="no open-answer .* id, site, visits; pass open_columns") as caught:
        load_path(path)
    assert "counts.csv" in str(caught.value)


def test_header_without_rows(tmp_path):
    path = tmp_path / "header_only.csv"
    path.write_text("id,comment\n\n", encoding="utf-8")
    with pytest.raises(IngestError, match="no respondent rows"):
        load_path(path)


def test_ragged_rows_and_no_id_column(tmp_path):
    path = tmp_path / "ragged.csv"
    path.write_text(
        "site,comment\n"
        "Millbrook,The new shed means we can finally store tools on site\n"
        "Northgate\n"
        "Riverside,We need more people who can drive the van on weekdays,extra cell here\n",
        encoding="utf-8",
    )
    [source] = load_path(path, open_columns=["comment"])
    assert source.metadata["ragged_rows"] == "2"
    assert [(case, text) for case, _, text in answers(source)] == [
        ("1", "The new shed means we can finally store tools on site"),
        ("3", "We need more people who can drive the van on weekdays"),
    ]
    assert source.case_attributes["2"] == {"site": "Northgate"}
    assert source.text.startswith("Respondent 1\ncomment\nThe new shed")


def test_duplicate_ids(tmp_path):
    path = tmp_path / "dupes.csv"
    path.write_text(
        "respondent,answer\nA1,We share a freezer between four flats now\nA1,The church hall opened as a warm space\n",
        encoding="utf-8",
    )
    with pytest.raises(IngestError, match="'A1' appears in data rows 1 and 2"):
        load_path(path)


def test_multiline_answers_keep_blocks_unambiguous(tmp_path):
    path = tmp_path / "multi.csv"
    path.write_text(
        'id,story\n1,"First we lost power.\n\n\nThen the neighbours brought a camping stove round."\n',
        encoding="utf-8",
    )
    [source] = load_path(path, open_columns=["story"])
    [(_, _, text)] = answers(source)
    assert text == "First we lost power.\nThen the neighbours brought a camping stove round."


def test_semicolon_csv_in_cp1252(tmp_path):
    path = tmp_path / "excel_export.csv"
    path.write_bytes(
        "ID;Quartier;Réponse\r\n1;Nord;Le café solidaire a ouvert chaque matin pendant la crise\r\n"
        "2;Sud;On a organisé une chaîne téléphonique entre voisins âgés\r\n".encode("cp1252")
    )
    [source] = load_path(path)
    assert source.encoding == "cp1252"
    assert [text for _, _, text in answers(source)] == [
        "Le café solidaire a ouvert chaque matin pendant la crise",
        "On a organisé une chaîne téléphonique entre voisins âgés",
    ]
    assert source.case_attributes["2"] == {"Quartier": "Sud"}


def test_real_cp1252_survey_from_fixtures():
    path = FIXTURES / "coded" / "bopp-games-as-art" / "bopp_test.csv"
    if not path.exists():
        pytest.skip(f"shared fixture {path} is not available")
    [source] = load_path(path)
    assert source.encoding == "cp1252"
    assert len(source.segments) > 50
    assert all(source.text[s.start:s.end].strip() == source.text[s.start:s.end] for s in source.segments)
