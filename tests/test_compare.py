"""Comparison matrices on a small hand-built project whose every cell is counted by hand below.

The project (``build_small_project``, also used by the other analysis tests):

    source        kind       site (where from)          case(s)                 codings (coder)
    ng-anna.txt   interview  Northgate (source)         NG-A (source's)         Bonding (a, t), Wellbeing (a),
                                                                                Bridging (a, inside Wellbeing),
                                                                                Housing (a; t on its first words)
    av-ben.txt    interview  Ashby Vale (source)        AV-B                    Bridging (a), Wellbeing (a),
                                                                                Bonding (t, inside a's Bridging)
    sc-cara.txt   interview  Seacombe (source)          SC-C                    Bonding, Housing, Wellbeing (a)
    survey.csv    survey     respondents' own site      R1 NG, R2 SC, R3 SC     R1 Bonding; R3 Bonding + Wellbeing (a)
    notes.txt     fieldnote  none                       none                    Housing (a)

Codebook: Social (category) > Bonding, Bridging; Wellbeing; Housing.  a = amira, t = tom.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from workbench.cli import cli
from workbench.analysis.compare import (NONE, CompareError, Lookups, attribute_names, coding_frame, compare,
                               quotes_for_cell, quotes_for_codings)
from workbench.analysis.quotes import Context
from workbench.store import NewSegment, NewSource, Store

ANNA = [("Interviewer", "How do you know people here?"),
        ("Anna", "My neighbour checks on me every day. The garden group keeps me well."),
        ("Interviewer", "And the flat?"),
        ("Anna", "The flat is damp and the rent keeps rising.")]
BEN = [("Interviewer", "What changed?"),
       ("Ben", "I met people from the mosque at the repair cafe."),
       ("Interviewer", "How do you feel?"),
       ("Ben", "Lonely in winter, better in summer.")]
CARA = [("Interviewer", "Tell me about home."),
        ("Cara", "My sister lives next door and we share meals. Our house is cold."),
        ("Interviewer", "Anything else?"),
        ("Cara", "The beach clean makes me happy.")]
ANSWERS = [("R1", "Northgate", "My neighbours help."), ("R2", "Seacombe", "Nothing much."),
           ("R3", "Seacombe", "Friends at church help me cope.")]
NOTES = "Busy morning at the pantry. People queued in the rain."


@dataclass
class SmallProject:
    """The store and the ids the tests refer to."""

    store: Store
    sources: dict[str, int]
    codes: dict[str, int]
    texts: dict[str, str]

    def coding_ids(self, source: str, code: str, coder: str | None = None) -> list[int]:
        """Ids of the codings of one code in one source (optionally of one coder)."""
        return [c.id for c in self.store.codings(source_id=self.sources[source], code_ids=[self.codes[code]])
                if coder is None or c.coder == coder]


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _interview(name: str, turns: list[tuple[str, str]], case: str, attributes: dict[str, str]) -> NewSource:
    parts, segments, pos = [], [], 0
    for speaker, said in turns:
        label = f"{speaker}: "
        start = pos + len(label)
        segments.append(NewSegment(start=start, end=start + len(said), kind="turn", speaker=speaker,
                                   sentences=_sentences(said, start)))
        parts.append(label + said)
        pos += len(label) + len(said) + 2
    text = "\n\n".join(parts)
    return NewSource(name=name, kind="interview", text=text, content_hash=_digest(text), format="txt",
                     segments=segments, case=case, attributes=attributes)


def _sentences(said: str, offset: int) -> list[tuple[int, int]]:
    bounds, at = [], 0
    for piece in said.split(". "):
        piece = piece if piece.endswith(".") else piece + "."
        start = said.index(piece.rstrip("."), at)
        end = min(start + len(piece), len(said))
        bounds.append((offset + start, offset + end))
        at = end
    return bounds


def _survey() -> NewSource:
    text = "\n".join(answer for _case, _site, answer in ANSWERS)
    segments, pos = [], 0
    for case, _site, answer in ANSWERS:
        segments.append(NewSegment(start=pos, end=pos + len(answer), kind="answer", case=case,
                                   label="What helps you?", sentences=[(pos, pos + len(answer))]))
        pos += len(answer) + 1
    return NewSource(name="survey.csv", kind="survey", text=text, content_hash=_digest(text), format="csv",
                     segments=segments, attributes={"wave": "2"},
                     case_attributes={case: {"site": site} for case, site, _answer in ANSWERS})


def _notes() -> NewSource:
    return NewSource(name="notes.txt", kind="fieldnote", text=NOTES, content_hash=_digest(NOTES), format="txt",
                     segments=[NewSegment(start=0, end=len(NOTES), kind="paragraph",
                                          sentences=[(0, 27), (28, len(NOTES))])])


CODINGS = [  # source, words, code, coder
    ("ng-anna.txt", "My neighbour checks on me every day.", "Bonding", "amira"),
    ("ng-anna.txt", "The garden group keeps me well.", "Wellbeing", "amira"),
    ("ng-anna.txt", "The garden group", "Bridging", "amira"),
    ("ng-anna.txt", "The flat is damp and the rent keeps rising.", "Housing", "amira"),
    ("ng-anna.txt", "My neighbour checks on me every day.", "Bonding", "tom"),
    ("ng-anna.txt", "The flat is damp", "Housing", "tom"),
    ("av-ben.txt", "I met people from the mosque at the repair cafe.", "Bridging", "amira"),
    ("av-ben.txt", "Lonely in winter, better in summer.", "Wellbeing", "amira"),
    ("av-ben.txt", "I met people from the mosque", "Bonding", "tom"),
    ("sc-cara.txt", "My sister lives next door and we share meals.", "Bonding", "amira"),
    ("sc-cara.txt", "Our house is cold.", "Housing", "amira"),
    ("sc-cara.txt", "The beach clean makes me happy.", "Wellbeing", "amira"),
    ("survey.csv", "My neighbours help.", "Bonding", "amira"),
    ("survey.csv", "Friends at church help me cope.", "Bonding", "amira"),
    ("survey.csv", "Friends at church help me cope.", "Wellbeing", "amira"),
    ("notes.txt", "People queued in the rain.", "Housing", "amira"),
]


def build_small_project(path: Path) -> SmallProject:
    """The project described in this module's docstring."""
    store = Store.create(path, name="small")
    social = store.add_code("Social", "lead", codable=False)
    codes = {"Social": social, "Bonding": store.add_code("Bonding", "lead", parent_id=social),
             "Bridging": store.add_code("Bridging", "lead", parent_id=social),
             "Wellbeing": store.add_code("Wellbeing", "lead"), "Housing": store.add_code("Housing", "lead")}
    new_sources = [
        _interview("ng-anna.txt", ANNA, "NG-A", {"site": "Northgate", "role": "resident", "wave": "1"}),
        _interview("av-ben.txt", BEN, "AV-B", {"site": "Ashby Vale", "role": "volunteer", "wave": "1"}),
        _interview("sc-cara.txt", CARA, "SC-C", {"site": "Seacombe", "role": "resident", "wave": "2"}),
        _survey(), _notes()]
    sources = {new.name: store.add_source(new, "lead") for new in new_sources}
    texts = {new.name: new.text for new in new_sources}
    for source, words, code, coder in CODINGS:
        start = texts[source].index(words)
        store.add_coding(sources[source], start, start + len(words), codes[code], coder)
    return SmallProject(store, sources, codes, texts)


@pytest.fixture
def small(tmp_path: Path) -> SmallProject:
    """A fresh small project."""
    return build_small_project(tmp_path / "small.wbproj")


ROWS = ["Social", "Bonding", "Bridging", "Wellbeing", "Housing"]
SITES = ["Ashby Vale", "Northgate", "Seacombe", NONE]
EXPECTED = {  # measure -> rows x (Ashby Vale, Northgate, Seacombe, (none)), counted by hand
    "codings": [[2, 4, 2, 0], [1, 3, 2, 0], [1, 1, 0, 0], [1, 1, 2, 0], [0, 2, 1, 1]],
    "sources": [[1, 2, 2, 0], [1, 2, 2, 0], [1, 1, 0, 0], [1, 1, 2, 0], [0, 1, 1, 1]],
    # participants with the value: AV 1 (Ben), NG 2 (Anna, R1), SC 3 (Cara, R2, R3), none 0
    "participants": [[1, 1, 2 / 3, np.nan], [1, 1, 2 / 3, np.nan], [1, 0.5, 0, np.nan], [1, 0.5, 2 / 3, np.nan],
                     [0, 0.5, 1 / 3, np.nan]],
}


@pytest.mark.parametrize("measure", ["codings", "sources", "participants"])
def test_matrix_by_site_matches_the_hand_count(small: SmallProject, measure: str) -> None:
    matrix = compare(small.store, "site", measure)
    assert matrix.row_labels == ROWS and matrix.columns == SITES
    assert matrix.row_depths == [0, 1, 1, 0, 0]
    np.testing.assert_allclose(matrix.values, np.array(EXPECTED[measure], dtype=float), equal_nan=True)


def test_per_1000_words_divides_by_the_words_of_each_value(small: SmallProject) -> None:
    words = {name: len(text.split()) for name, text in small.texts.items()}
    answer = {case: len(text.split()) for case, _site, text in ANSWERS}
    per_site = {"Ashby Vale": words["av-ben.txt"], "Northgate": words["ng-anna.txt"] + answer["R1"],
                "Seacombe": words["sc-cara.txt"] + answer["R2"] + answer["R3"], NONE: words["notes.txt"]}
    matrix = compare(small.store, "site", "per_1000_words")
    expected = np.array(EXPECTED["codings"], dtype=float) * 1000 / np.array([per_site[s] for s in SITES])
    np.testing.assert_allclose(matrix.values, expected)
    np.testing.assert_allclose(matrix.exposure, [per_site[s] for s in SITES])


@pytest.mark.parametrize("by, columns, bonding", [
    ("kind", ["fieldnote", "interview", "survey"], [0, 4, 2]),
    ("coder", ["amira", "tom"], [4, 2]),
    ("speaker", ["Anna", "Ben", "Cara", "Interviewer", NONE], [2, 1, 1, 0, 2]),  # columns: values with text
    ("wave", ["1", "2", NONE], [3, 3, 0]),
    ("case", ["AV-B", "NG-A", "R1", "R2", "R3", "SC-C", NONE], [1, 2, 1, 0, 1, 1, 0]),
])
def test_built_ins_and_other_attributes_as_columns(small: SmallProject, by: str, columns: list[str],
                                                   bonding: list[int]) -> None:
    matrix = compare(small.store, by, "codings")
    assert matrix.columns == columns
    assert matrix.values[matrix.row_index("Bonding")].tolist() == bonding


def test_filters_by_coder_where_and_origin(small: SmallProject) -> None:
    tom = compare(small.store, "site", "codings", coders=["tom"])
    assert tom.columns == ["Ashby Vale", "Northgate", "Seacombe"]  # Seacombe has text, tom coded none of it
    assert tom.values[tom.row_index("Bonding")].tolist() == [1, 1, 0]
    residents = compare(small.store, "site", "codings", where={"role": "resident"})
    assert residents.columns == ["Northgate", "Seacombe"]  # the survey's respondents have no role
    assert residents.values[residents.row_index("Social")].tolist() == [3, 1]
    assert compare(small.store, "site", "codings", origins=["suggestion"]).values.sum() == 0


def test_without_rollup_a_category_counts_only_its_own_codings(small: SmallProject) -> None:
    flat = compare(small.store, "site", "codings", rollup=False)
    assert flat.values[flat.row_index("Social")].sum() == 0
    assert flat.values[flat.row_index("Bonding")].tolist() == EXPECTED["codings"][1]


def test_theme_rows_take_the_codings_of_their_codes_and_below(small: SmallProject) -> None:
    small.store.add_theme("Connections", "amira", code_ids=[small.codes["Social"]])
    small.store.add_theme("Home", "amira", code_ids=[small.codes["Housing"], small.codes["Wellbeing"]])
    matrix = compare(small.store, "site", "codings", themes=True)
    assert matrix.row_kind == "theme" and matrix.row_labels == ["Connections", "Home"]
    assert matrix.values.tolist() == [[2, 4, 2, 0], [1, 3, 3, 1]]


def test_codes_limit_the_rows(small: SmallProject) -> None:
    matrix = compare(small.store, "site", codes=[small.codes["Social"], small.codes["Housing"]])
    assert matrix.row_labels == ["Social", "Housing"]
    assert matrix.values.tolist() == [EXPECTED["codings"][0], EXPECTED["codings"][4]]


def test_cells_drill_down_to_their_codings_and_quotes(small: SmallProject) -> None:
    matrix = compare(small.store, "site", "codings")
    ids = matrix.cell_coding_ids("Bonding", "Northgate")
    expected = small.coding_ids("ng-anna.txt", "Bonding") + small.coding_ids("survey.csv", "Bonding")[:1]
    assert ids == sorted(expected)
    quotes = quotes_for_cell(small.store, matrix, 1, "Northgate")
    assert sorted(q.text for q in quotes) == sorted(["My neighbour checks on me every day."] * 2
                                                    + ["My neighbours help."])
    respondent = next(q for q in quotes if q.source_name == "survey.csv")
    assert respondent.case == "R1" and respondent.attributes["site"] == "Northgate"
    assert matrix.cell_coding_ids("Housing", NONE) == small.coding_ids("notes.txt", "Housing")
    assert quotes_for_codings(small.store, []) == []


@pytest.mark.parametrize("row, column", [("Nope", "Northgate"), ("Bonding", "Nowhere"), (99, 0)])
def test_unknown_cells_are_named_errors(small: SmallProject, row, column) -> None:
    matrix = compare(small.store, "site")
    with pytest.raises(CompareError):
        matrix.cell_coding_ids(row, column)


@pytest.mark.parametrize("by, measure, where, message", [
    ("planet", "codings", None, "no attribute 'planet'"),
    ("site", "votes", None, "unknown measure 'votes'"),
    ("site", "codings", {"planet": "Mars"}, "no attribute 'planet' to filter on"),
])
def test_unknown_attribute_measure_or_filter(small: SmallProject, by: str, measure: str, where, message: str) -> None:
    with pytest.raises(CompareError, match=message):
        compare(small.store, by, measure, where=where)


def test_residuals_compare_each_row_with_the_spread_of_all_codings(small: SmallProject) -> None:
    matrix = compare(small.store, "site", "codings")
    # Housing has 4 codings; (none) holds 1 of the 16 codings: expected 0.25, observed 1 -> (1 - .25)/.5
    assert matrix.residuals()[matrix.row_index("Housing"), SITES.index(NONE)] == pytest.approx(1.5)
    totals = np.array([3, 7, 5, 1])  # codings per site, all codes
    np.testing.assert_allclose(matrix.exposure, totals)
    strongest = matrix.differences(threshold=1.0)
    assert strongest and all(abs(d.residual) >= 1.0 for d in strongest)
    assert [abs(d.residual) for d in strongest] == sorted((abs(d.residual) for d in strongest), reverse=True)


def test_exports_round_trip(small: SmallProject, tmp_path: Path) -> None:
    matrix = compare(small.store, "site", "participants", where={"wave": "1"})
    matrix.to_csv(tmp_path / "m.csv")
    back = pd.read_csv(tmp_path / "m.csv", index_col=0)
    assert list(back.columns) == matrix.columns and back.loc["Social/Bonding", "Northgate"] == 1.0
    matrix.to_xlsx(tmp_path / "m.xlsx")
    sheets = pd.read_excel(tmp_path / "m.xlsx", sheet_name=None, index_col=0)
    assert set(sheets) == {"matrix", "about"}
    assert sheets["matrix"].loc["Social", "Ashby Vale"] == 1.0
    assert "wave" in sheets["about"].index
    long = matrix.to_long()
    assert len(long) == matrix.values.size and set(long.columns) >= {"path", "column", "value", "residual"}


def test_coding_frame_agrees_with_coding_facts_and_context(small: SmallProject) -> None:
    _assert_frame_matches_facts(small.store)


def test_coding_frame_agrees_with_coding_facts_on_the_demo(tmp_path: Path) -> None:
    from workbench.sources.demo import build_demo
    from workbench.errors import WorkbenchError

    try:
        store = build_demo(tmp_path / "demo.wbproj")
    except WorkbenchError as exc:  # another helper may still be writing the demo corpus
        pytest.skip(f"demo project does not build: {exc}")
    _assert_frame_matches_facts(store)


def _assert_frame_matches_facts(store: Store) -> None:
    lookups, context = Lookups.load(store), Context.load(store)
    frame = coding_frame(store, lookups).set_index("coding_id")
    facts = store.coding_facts()
    assert len(frame) == len(facts)
    for attribute in attribute_names(store):
        column = lookups.column(frame, attribute)
        for fact in facts:
            value = column[fact.coding_id]
            assert (None if pd.isna(value) else value) == context.value(fact, attribute), (attribute, fact)
    segments = frame["segment_id"]
    assert all(segments[f.coding_id] == f.segment_id for f in facts)


def test_attribute_names_lists_built_ins_first(small: SmallProject) -> None:
    assert attribute_names(small.store) == ["kind", "coder", "speaker", "case", "role", "site", "wave"]


def test_cli_prints_an_aligned_matrix_and_writes_it(small: SmallProject, tmp_path: Path) -> None:
    out = tmp_path / "m.xlsx"
    result = CliRunner().invoke(cli, ["compare", "--project", str(small.store.path), "--by", "site",
                                      "--measure", "participants", "--out", str(out)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    header = next(line for line in lines if "Ashby Vale" in line)
    bridging = next(line for line in lines if "Bridging" in line)
    assert bridging.startswith("  Bridging")  # indented under its category
    assert bridging.split()[1:] == ["100%", "50%", "0%"]
    assert header.index("Northgate") < header.index("Seacombe")
    assert pd.read_excel(out, index_col=0).shape == (5, 4)
    bad = CliRunner().invoke(cli, ["compare", "--project", str(small.store.path), "--by", "planet"])
    assert bad.exit_code == 1 and "no attribute 'planet'" in bad.output
