"""The Themes page as a workspace (AppTest on the small project): codes, status and sub-themes, evidence,
narratives with citations, undo, and the thematic map."""
from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from test_compare import SmallProject, build_small_project
from workbench.store.themes import citation, cited_uids

PAGE = Path(__file__).resolve().parents[1] / "workbench" / "ui" / "pages" / "themes.py"


@pytest.fixture
def small(tmp_path: Path) -> SmallProject:
    """The small project (see test_compare) with two themes."""
    project = build_small_project(tmp_path / "small.wbproj")
    project.store.add_theme("Connections", "lead", code_ids=[project.codes["Social"]])
    project.store.add_theme("Home", "lead", code_ids=[project.codes["Housing"]])
    return project


def page(small: SmallProject, coder: str = "amira") -> AppTest:
    app = AppTest.from_file(str(PAGE), default_timeout=60)
    app.session_state["project_path"] = str(small.store.path)
    app.session_state["coder"] = coder
    return app.run()


def button(app: AppTest, label: str):
    return next(b for b in app.button if b.label == label)


def test_the_workspace_lists_themes_with_their_evidence(small: SmallProject) -> None:
    app = page(small)
    assert not app.exception
    table = app.dataframe[0].value
    assert table["theme"].tolist() == ["Connections", "Home"]
    # Connections: Bonding and Bridging passages; tom's Bonding in Anna's interview repeats amira's span
    assert table["passages"].tolist()[0] == len({(s, w) for s, w, c, _ in _codings() if c in ("Bonding", "Bridging")})
    metrics = {m.label: m.value for m in app.metric}
    assert metrics["passages"] == str(table["passages"].tolist()[0]) and metrics["sites"] == "3"
    assert len(app.get("vega_lite_chart")) >= 1  # the site × wave heatmap
    assert len([b for b in app.button if b.label == "Open"]) == 5  # best quotes, each with an Open link


def _codings():
    from test_compare import CODINGS

    return CODINGS


def test_codes_status_and_parent_are_edited_and_undo_reverses_them(small: SmallProject) -> None:
    app = page(small, "researcher")
    home = small.store.find_theme("Home").id
    app.selectbox(key="themes.selected").set_value(home).run()
    app.multiselect(key=f"themes.codes.{home}").set_value([small.codes["Housing"], small.codes["Wellbeing"]])
    form = [s for s in app.selectbox if s.label == "Status"][0]
    form.set_value("reviewed")
    [s for s in app.selectbox if s.label == "Sub-theme of" and s.options[0] == "(a top-level theme)"][-1] \
        .set_value(small.store.find_theme("Connections").id)
    button(app, "Save theme").click().run()
    assert not app.exception
    theme = small.store.get_theme(home)
    assert (theme.status, theme.parent_id, theme.code_ids) == (
        "reviewed", small.store.find_theme("Connections").id, [small.codes["Wellbeing"], small.codes["Housing"]]
        if small.codes["Wellbeing"] < small.codes["Housing"] else [small.codes["Housing"], small.codes["Wellbeing"]])
    assert app.dataframe[0].value["theme"].tolist() == ["Connections", "    Home"]
    app.button(key="themes.undo").click().run()
    assert small.store.get_theme(home).code_ids == [small.codes["Housing"]]
    assert "Undo: link codes to theme" in app.success[0].value.replace("\\", "")  # as the reader sees it
    app.button(key="themes.undo").click().run()
    theme = small.store.get_theme(home)
    assert (theme.status, theme.parent_id) == ("candidate", None)


def test_a_narrative_cites_a_picked_passage(small: SmallProject) -> None:
    app = page(small)
    home = small.store.find_theme("Home").id
    app.selectbox(key="themes.selected").set_value(home).run()
    app.text_area(key=f"themes.narrative.{home}").input("Damp flats and rising rents. <b>not html</b>")
    pick = app.selectbox(key=f"themes.cite.{home}")
    flat = [c for c in small.store.codings(code_ids=[small.codes["Housing"]]) if c.coder == "amira"
            and small.texts["ng-anna.txt"][c.start:c.end].startswith("The flat is damp and")][0]
    # the theme's distinct passages (tom's shorter span inside Anna's is the same passage), labelled by who said it
    assert pick.options == ["NG-A: The flat is damp and the rent keeps rising.",
                            "notes.txt: People queued in the rain.", "SC-C: Our house is cold."]
    pick.set_value(flat.uid)
    app.button(key=f"themes.insert.{home}").click().run()
    assert app.text_area(key=f"themes.narrative.{home}").value.endswith(citation(flat.uid))
    app.button(key=f"themes.narrative.save.{home}").click().run()
    assert not app.exception
    saved = small.store.get_theme(home).narrative
    assert saved.startswith("Damp flats and rising rents.") and cited_uids(saved) == [flat.uid]
    texts = [t.value for t in app.text]
    assert "Damp flats and rising rents. <b>not html</b>" in texts  # shown as text, never as Markdown or HTML
    bodies = [e.proto.body for e in app.get("html")]
    assert any("The flat is damp and the rent keeps rising." in b and "NG-A" in b for b in bodies)


def test_the_map_tab_draws_themes_and_codes(small: SmallProject) -> None:
    app = page(small)
    [chart] = app.get("graphviz_chart")
    assert "Connections" in chart.proto.spec and "Housing" in chart.proto.spec
    app.checkbox(key="themes.map.sites").check().run()
    [chart] = app.get("graphviz_chart")
    assert "Seacombe" in chart.proto.spec


def test_candidates_are_merged_on_the_page_and_undone(small: SmallProject) -> None:
    from workbench.store.themes import NewCandidate

    ids = small.coding_ids("ng-anna.txt", "Housing")
    small.store.replace_candidates([NewCandidate("damp", ["damp"], ids, [small.codes["Housing"]]),
                                    NewCandidate("rent", ["rent"], ids[:1], [small.codes["Housing"]])], "engine")
    first, second = small.store.candidate_themes()
    app = page(small, "researcher")
    app.multiselect(key="themes.cand.merge").set_value([first.id, second.id]).run()
    app.button(key="themes.cand.merge.go").click().run()
    assert not app.exception
    [merged] = small.store.candidate_themes()
    assert merged.label == "damp / rent" and "Candidates merged\\." in app.success[0].value
    app.button(key="themes.undo").click().run()
    assert [c.id for c in small.store.candidate_themes()] == [first.id, second.id]


def test_the_framework_page_gives_a_citation_to_paste_into_a_summary(small: SmallProject) -> None:
    home = small.store.find_theme("Home").id
    app = AppTest.from_file(str(PAGE.with_name("framework.py")), default_timeout=60)
    app.session_state["project_path"] = str(small.store.path)
    app.session_state["coder"] = "amira"
    app.run()
    app.selectbox(key="framework.cell.row").set_value("NG-A")
    app.selectbox(key="framework.cell.theme").set_value(home).run()
    flat = small.coding_ids("ng-anna.txt", "Housing", "amira")[0]
    app.selectbox(key=f"framework.token.NG-A.{home}").set_value(flat).run()
    assert not app.exception
    token = citation(small.store.get_coding(flat).uid)
    assert app.code[0].value == token
    small.store.set_framework_cell("case", "NG-A", home, f"Damp, rising rent {token}", [], "amira")
    assert small.store.framework_cells()[0].coding_ids == [flat]
