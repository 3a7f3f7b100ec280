"""Theme prevalence by wave × site (two attributes combined into columns), counted independently here."""
from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

from test_compare import ANSWERS, CODINGS, SmallProject, build_small_project
from workbench.analysis.compare import JOIN, NONE, CompareError, compare, quotes_for_cell
from workbench.cli import cli

WAVE_SITE = {"ng-anna.txt": ("1", "Northgate"), "av-ben.txt": ("1", "Ashby Vale"), "sc-cara.txt": ("2", "Seacombe")}
THEMES = {"Connections": ["Bonding", "Bridging"], "Home and health": ["Housing", "Wellbeing"]}


@pytest.fixture
def small(tmp_path: Path) -> SmallProject:
    """The small project with two themes: Connections (the Social category) and Home and health."""
    project = build_small_project(tmp_path / "small.wbproj")
    project.store.add_theme("Connections", "amira", code_ids=[project.codes["Social"]])
    project.store.add_theme("Home and health", "amira", code_ids=[project.codes["Housing"], project.codes["Wellbeing"]])
    return project


def column_of(source: str, words: str) -> str:
    """Where a coding falls, read off the fixture's own declarations: interviews carry wave and site; survey
    answers take the survey's wave (2) and the respondent's site; the field note has neither."""
    if source == "survey.csv":
        site = next(s for _case, s, answer in ANSWERS if words in answer)
        return f"2{JOIN}{site}"
    if source in WAVE_SITE:
        return JOIN.join(WAVE_SITE[source])
    return NONE


def expected_counts() -> dict[str, Counter]:
    counts: dict[str, Counter] = {theme: Counter() for theme in THEMES}
    for source, words, code, _coder in CODINGS:
        for theme, codes in THEMES.items():
            if code in codes:
                counts[theme][column_of(source, words)] += 1
    return counts


def test_theme_prevalence_by_wave_and_site_matches_an_independent_count(small: SmallProject) -> None:
    matrix = compare(small.store, ["wave", "site"], themes=True)
    assert matrix.by == "wave × site" and matrix.row_labels == list(THEMES)
    assert matrix.columns == [f"1{JOIN}Ashby Vale", f"1{JOIN}Northgate", f"2{JOIN}Northgate", f"2{JOIN}Seacombe",
                              NONE]
    expected = expected_counts()
    for r, theme in enumerate(matrix.row_labels):
        got = {c: int(v) for c, v in zip(matrix.columns, matrix.values[r]) if v}
        assert got == dict(expected[theme]), theme


def test_the_passages_behind_a_wave_site_cell(small: SmallProject) -> None:
    matrix = compare(small.store, ["wave", "site"], themes=True)
    quotes = quotes_for_cell(small.store, matrix, "Home and health", f"1{JOIN}Northgate")
    assert sorted(q.text for q in quotes) == sorted(
        words for source, words, code, _c in CODINGS if source == "ng-anna.txt" and code in ("Housing", "Wellbeing"))


def test_one_attribute_is_unchanged_and_a_repeated_one_is_refused(small: SmallProject) -> None:
    single, listed = compare(small.store, "site", themes=True), compare(small.store, ["site"], themes=True)
    assert single.columns == listed.columns and (single.values == listed.values).all() and single.by == "site"
    with pytest.raises(CompareError, match="several different ones"):
        compare(small.store, ["site", "site"])
    with pytest.raises(CompareError, match="no attribute 'colour'"):
        compare(small.store, ["wave", "colour"])


def test_cli_compare_themes_by_wave_and_site(small: SmallProject) -> None:
    result = CliRunner().invoke(cli, ["compare", "--themes", "--by", "wave", "--by", "site", "--passages",
                                      "Connections", f"2{JOIN}Seacombe", "--project", str(small.store.path)])
    assert result.exit_code == 0, result.output
    assert "by wave × site" in result.output and f"1{JOIN}Northgate" in result.output
    expected = expected_counts()["Connections"][f"2{JOIN}Seacombe"]
    assert f"{expected} codings behind Connections × 2{JOIN}Seacombe" in result.output
    assert "My sister lives next door and we share meals." in result.output


def test_compare_page_by_wave_and_site(small: SmallProject) -> None:
    from streamlit.testing.v1 import AppTest

    pages = Path(__file__).resolve().parents[1] / "workbench" / "ui" / "pages"
    app = AppTest.from_file(str(pages / "compare.py"), default_timeout=60)
    app.session_state["project_path"] = str(small.store.path)
    app.session_state["coder"] = "amira"
    app.run()
    app.radio(key="compare.rows").set_value("themes")
    app.selectbox(key="compare.measure").set_value("codings")  # the counts computed below are codings
    app.selectbox(key="compare.by").set_value("wave").run()
    app.selectbox(key="compare.then_by").set_value("site").run()
    assert not app.exception
    app.selectbox(key="compare.row").set_value(1)  # Home and health
    app.selectbox(key="compare.column").set_value(f"1{JOIN}Northgate").run()
    expected = expected_counts()["Home and health"][f"1{JOIN}Northgate"]
    assert f"**Home and health · 1 {JOIN.strip()} Northgate**: {expected} codings" in [m.value for m in app.markdown]
