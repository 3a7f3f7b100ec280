"""Attribute sidecar CSVs: file name -> attributes."""
from __future__ import annotations

from pathlib import Path

import pytest

from ingest import IngestError, load_attributes

DATA = Path(__file__).resolve().parent / "data" / "ingest"


def test_sidecar_keys_lowercased_values_stripped_empty_dropped():
    assert load_attributes(DATA / "attributes.csv") == {
        "garden_interview_colon.txt": {"site": "Millbrook", "participant": "Rosa", "role": "volunteer", "wave": "1"},
        "foodbank_otter.txt": {"site": "Northgate", "participant": "Priya", "role": "coordinator", "wave": "1"},
        "volunteers_meeting.vtt": {"site": "Riverside", "role": "wardens", "wave": "2"},
    }


@pytest.mark.parametrize("header", ["file", "Filename", " SOURCE "])
def test_file_column_names(tmp_path, header):
    path = tmp_path / "attrs.csv"
    path.write_text(f"{header},Method\ndiary_01.md,diary\n", encoding="utf-8")
    assert load_attributes(str(path)) == {"diary_01.md": {"method": "diary"}}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("document,site\na.txt,Millbrook\n", "no file-name column"),
        ("file,site\na.txt,Millbrook\nb.txt,Northgate\na.txt,Riverside\n", "'a.txt' is listed twice \\(rows 2 and 4\\)"),
        ("file,Site,site\na.txt,x,y\n", "attribute column 'site' appears twice"),
        ("file,site\n,Millbrook\n", "row 2 has attributes but no file name"),
        ("", "file is empty"),
    ],
)
def test_bad_sidecars(tmp_path, content, message):
    path = tmp_path / "attrs.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(IngestError, match=message) as caught:
        load_attributes(path)
    assert "attrs.csv" in str(caught.value)
