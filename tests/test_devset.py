"""Parsing and aligning the human-coded development set."""
from __future__ import annotations

import csv
import difflib
import re
from pathlib import Path

import pytest

from coding.devset import DevSetError, code_uid, load_devset, parse_marked, position_map

FIXTURE = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "coded" / "bopp-games-as-art"


@pytest.fixture(scope="module")
def devset():
    """The real development set, or skip when the shared fixtures are absent."""
    if not FIXTURE.is_dir():
        pytest.skip(f"development set not available at {FIXTURE}")
    return load_devset(FIXTURE)


def test_parse_marked_strips_markup_and_ignores_bold_without_codes():
    text, spans = parse_marked("I played **Zelda**, **it was so beautiful**<sup>beauty; visuals</sup> indeed.")
    assert text == "I played Zelda, it was so beautiful indeed."
    assert spans == [(16, 35, ["beauty", "visuals"])]
    assert text[16:35] == "it was so beautiful"


def test_position_map_follows_a_typo_fix():
    source, target = "the color scheme", "the  olor scheme"
    mapping = position_map(source, target)
    assert target[mapping[4] : mapping[9]] == " olor"  # "color" -> the typo'd word in the plain text
    assert mapping[10] == 10 and mapping[len(source)] == len(target)


def test_code_uids_are_deterministic_upper_case_guids():
    uid = code_uid("beauty")
    assert uid == code_uid("beauty") != code_uid("Beauty")
    assert re.fullmatch(r"[0-9A-F]{8}-[0-9A-F]{4}-5[0-9A-F]{3}-[89AB][0-9A-F]{3}-[0-9A-F]{12}", uid)


def test_load_devset_reads_every_text_code_and_span(devset):
    assert len(devset.texts) == 90
    assert len(devset.codebook.codes) == 31
    assert all(c.definition for c in devset.codebook.codes)
    assert devset.report.n_spans == len(devset.spans) == 693
    assert devset.report.unaligned == []
    assert devset.report.exact + devset.report.whitespace + devset.report.fuzzy == 693
    assert devset.report.exact >= 650


def test_every_span_lands_on_the_marked_text(devset):
    names = devset.code_names()
    with (FIXTURE / "bopp_test_coded_texts.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    marked = {}
    for index, row in enumerate(rows):
        unmarked, spans = parse_marked(row["coded_text"])
        marked[index] = [(unmarked[s:e], n) for s, e, code_names in spans for n in code_names]
    exact = 0
    for t, s, e, uid in devset.spans:
        found = devset.texts[t][s:e]
        candidates = [m for m, n in marked[t] if n == names[uid]]
        best = max(difflib.SequenceMatcher(None, found, m).ratio() for m in candidates)
        assert best >= 0.9, (t, found)
        exact += found in candidates
    assert exact == devset.report.exact


def test_spans_have_valid_offsets_without_surrounding_space(devset):
    for t, s, e, _ in devset.spans:
        piece = devset.texts[t][s:e]
        assert 0 <= s < e <= len(devset.texts[t])
        assert piece == piece.strip()


def test_missing_folder_is_a_named_error(tmp_path):
    with pytest.raises(DevSetError, match="not found"):
        load_devset(tmp_path)
