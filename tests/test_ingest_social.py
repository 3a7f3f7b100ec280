"""Social-media exports (JSON and CSV) as posts."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from ingest import IngestError, load_path, load_social
from ingest.social import parse_time

DATA = Path(__file__).resolve().parent / "data" / "ingest"


def posts(source):
    return [(s.label, s.speaker, s.entry_date, source.text[s.start:s.end]) for s in source.segments]


def test_json_export_with_posts_key():
    [source] = load_path(DATA / "neighbourhood_posts.json")
    assert source.kind == "social" and source.format == "json"
    assert posts(source) == [
        ("p1", "jo_alder", "2025-01-14", "Burst main on the corner of Alder and Vine. Water everywhere, council says 4 hours."),
        ("p2", "mikeb", "2025-01-14", "We have spare bottled water if anyone needs it.\nNumber 23, just knock."),
        ("p4", "Vine_St_Ana", "2025-01-14", "Water back on at our end. Thanks Mike for the bottles!"),
    ]
    assert source.text.startswith("jo_alder (2025-01-14 07:42): Burst main")
    assert "Vine_St_Ana (2025-01-14 13:30): Water back on" in source.text  # epoch seconds read as UTC
    assert "\r" not in source.text


def test_csv_export_is_recognised_by_its_columns():
    [source] = load_path(DATA / "neighbourhood_posts.csv")
    assert source.kind == "social" and source.format == "csv"
    assert posts(source)[2] == ("103", "carla.w", "2025-02-03", "Found her! Thank you all, she was in the bike shed.")
    assert source.text.split("\n\n")[1] == "tom_h (2025-02-02 19:05): Seen one like that by the allotments, will keep an eye out."


def test_csv_forced_to_survey_or_social():
    [survey] = load_path(DATA / "neighbourhood_posts.csv", kind="survey")
    assert survey.kind == "survey"
    assert json.loads(survey.metadata["open_columns"]) == ["message"]
    with pytest.raises(IngestError, match="no post text field"):
        load_path(DATA / "resilience_survey.csv", kind="social")


def test_plain_list_and_aliases(tmp_path):
    path = tmp_path / "export.json"
    path.write_text(json.dumps([
        {"message_id": 9, "sender": "Ward Councillor", "timestamp": "03/04/2025 09:15", "body": "Gritting lorry is out tonight."},
        {"user_name": "ravi", "date": "2025-04-03", "content": "Thanks! Our hill is like glass."},
        {"name": "anon", "time": "last Tuesday", "text": "Is the bus running?"},
    ]), encoding="utf-8")
    [source] = load_social(path)
    assert posts(source) == [
        ("9", "Ward Councillor", "2025-04-03", "Gritting lorry is out tonight."),  # day first
        ("2", "ravi", "2025-04-03", "Thanks! Our hill is like glass."),
        ("3", "anon", None, "Is the bus running?"),
    ]
    assert source.metadata["undated_posts"] == "1"
    assert "anon: Is the bus running?" in source.text


@pytest.mark.parametrize(
    ("value", "iso"),
    [
        ("2025-01-14T07:42:10Z", "2025-01-14T07:42:10+00:00"),
        ("2025-01-14 07:42", "2025-01-14T07:42:00"),
        (1736861400, "2025-01-14T13:30:00+00:00"),
        (1736861400000, "2025-01-14T13:30:00+00:00"),
        ("1736861400", "2025-01-14T13:30:00+00:00"),
        ("14/01/2025", "2025-01-14T00:00:00"),
    ],
)
def test_parse_time(value, iso):
    assert parse_time(value).isoformat() == iso


@pytest.mark.parametrize("value", [None, "", "soon", True, "x" * 500])
def test_unreadable_times(value):
    assert parse_time(value) is None


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"posts": [{"id": 1, "author": "a"', "not valid JSON"),
        ('{"group": "no list here"}', "expected a list of posts"),
        ('"just a string"', "expected a list of posts"),
        ('[{"id": 1, "text": "ok"}, 42]', "post 2 is not a JSON object"),
        ('[{"id": 1, "author": "a", "likes": 3}]', "no post text field"),
        ('[{"id": 1, "text": "   "}]', "no posts with text"),
    ],
)
def test_bad_json(tmp_path, content, message):
    path = tmp_path / "bad.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(IngestError, match=message) as caught:
        load_path(path)
    assert "bad.json" in str(caught.value)
