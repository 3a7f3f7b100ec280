"""The Compare, Themes, Framework and Reliability pages, driven with Streamlit's AppTest on the small project."""
from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from test_compare import SmallProject, build_small_project
from workbench.store import NewSegment, NewSource
from workbench.store.themes import NewCandidate

PAGES = Path(__file__).resolve().parents[1] / "workbench" / "ui" / "pages"


@pytest.fixture
def small(tmp_path: Path) -> SmallProject:
    """A fresh small project (see test_compare)."""
    return build_small_project(tmp_path / "small.wbproj")


def page(name: str, small: SmallProject, coder: str = "amira") -> AppTest:
    """A page of the app with the project and coder in session state, as workbench.ui.session keeps them."""
    app = AppTest.from_file(str(PAGES / f"{name}.py"), default_timeout=60)
    app.session_state["project_path"] = str(small.store.path)
    app.session_state["coder"] = coder
    return app.run()


def html(app: AppTest) -> list[str]:
    """The bodies of the st.html elements (quotes) on the page."""
    return [element.proto.body for element in app.get("html")]


def test_compare_cell_quotes_are_escaped_with_attribution(small: SmallProject) -> None:
    text = "The <b>pantry</b> & the bus keep us going."
    source_id = small.store.add_source(NewSource(
        name="ng-note.txt", kind="fieldnote", text=text, content_hash=hashlib.sha256(text.encode()).hexdigest(),
        format="txt", segments=[NewSegment(0, len(text), "paragraph")], attributes={"site": "Northgate"}), "lead")
    small.store.add_coding(source_id, 0, len(text), small.codes["Wellbeing"], "amira")
    app = page("compare", small)
    assert not app.exception
    # the default measure is distinct passages: tom's Bonding lies inside amira's Bridging (issue 12 item 4)
    assert "**Social · Ashby Vale**: 1 passage" in [m.value for m in app.markdown]
    app.selectbox(key="compare.measure").set_value("codings").run()
    assert "**Social · Ashby Vale**: 2 codings" in [m.value for m in app.markdown]
    app.selectbox(key="compare.row").set_value(3)  # Wellbeing
    app.selectbox(key="compare.column").set_value("Northgate").run()
    assert "**Wellbeing · Northgate**: 2 codings" in [m.value for m in app.markdown]
    bodies = html(app)
    assert any("The &lt;b&gt;pantry&lt;/b&gt; &amp; the bus" in b for b in bodies)
    assert not any("<b>pantry</b>" in b for b in bodies)
    assert any("NG-A, resident, Northgate · " in b for b in bodies)  # one form (issue 12 item 8)
    assert not any("ng-anna.txt" in b for b in bodies)  # never a file name
    assert [d.proto.label for d in app.get("download_button")] == ["Download CSV", "Download Excel"]


def test_compare_measure_and_theme_rows(small: SmallProject) -> None:
    small.store.add_theme("Connections", "amira", code_ids=[small.codes["Social"]])
    app = page("compare", small)
    app.selectbox(key="compare.measure").set_value("participants")
    app.radio(key="compare.rows").set_value("themes").run()
    assert not app.exception
    assert "**Connections · Ashby Vale**: 2 codings" in [m.value for m in app.markdown]


def test_query_tab_counts_hits_and_points_at_errors(small: SmallProject) -> None:
    app = page("compare", small)
    app.text_input(key="query.text").input("Bonding AND NOT Wellbeing").run()
    assert "**3 segments match**" in [m.value for m in app.markdown]
    app.selectbox(key="query.key").set_value("site").run()
    app.text_input(key="query.value").input("Seacombe").run()
    assert "**1 segments match**" in [m.value for m in app.markdown]
    app.text_input(key="query.text").input("Bonding AND (Housing").run()
    assert "expected" in app.error[0].value and app.code[0].value.splitlines()[1].endswith("^")


def test_cooccurrence_tab_reads_a_pair(small: SmallProject) -> None:
    app = page("compare", small)
    app.radio(key="cooc.mode").set_value("segment").run()
    assert not app.exception
    labels = app.selectbox(key="cooc.pair").options
    assert labels[0].startswith("Bonding + Bridging (2)")
    assert any("I met people from the mosque at the repair cafe." in b for b in html(app))


def test_themes_page_creates_edits_and_promotes(small: SmallProject) -> None:
    from workbench.analysis.themes import theme_evidence

    app = page("themes", small)
    app.text_input(key="themes.new.name").input("Connections")
    app.multiselect(key="themes.new.codes").set_value([small.codes["Social"]])
    app.button[0].click().run()
    assert not app.exception
    assert app.success[0].value == "Theme “Connections” created\\."
    assert small.store.find_theme("Connections").code_ids == [small.codes["Social"]]
    passages = theme_evidence(small.store, small.store.find_theme("Connections")).passages
    assert passages == 7  # 8 codings of Social's codes: amira and tom coded one passage both
    assert f"**Supporting quotes** (the best 5 of {passages} passages)" in [m.value for m in app.markdown]
    small.store.replace_candidates([NewCandidate("damp / cold", ["damp", "cold"],
                                                 small.coding_ids("sc-cara.txt", "Housing"),
                                                 [small.codes["Housing"]])], "engine")
    app.run()
    candidate = small.store.candidate_themes()[0].id
    app.text_input(key=f"themes.cand.name.{candidate}").input("Cold homes")
    app.button(key=f"themes.cand.promote.{candidate}").click().run()
    assert not app.exception
    assert small.store.find_theme("Cold homes").code_ids == [small.codes["Housing"]]
    assert small.store.get_candidate(candidate).status == "promoted"


def test_themes_page_reports_a_clash(small: SmallProject) -> None:
    small.store.add_theme("Home", "amira")
    app = page("themes", small)
    app.text_input(key="themes.new.name").input("home")
    app.button[0].click().run()
    assert "already exists" in app.error[0].value


def test_framework_page_cites_quotes(small: SmallProject) -> None:
    home = small.store.add_theme("Home", "amira", code_ids=[small.codes["Housing"]])
    app = page("framework", small)
    assert not app.exception
    app.selectbox(key="framework.cell.row").set_value("NG-A").run()
    assert "**NG\\-A · Home**: 2 supporting quotes" in [m.value for m in app.markdown]  # escaped for Markdown
    cited = small.coding_ids("ng-anna.txt", "Housing", "tom")
    app.multiselect(key=f"framework.cited.NG-A.{home}").set_value(cited)
    app.button(key="framework.cite").click().run()
    assert not app.exception
    assert small.store.framework_cells()[0].coding_ids == cited
    assert app.success[0].value == "1 quote cited\\."
    app.button(key="framework.save").click().run()
    assert app.success[0].value == "0 summaries saved\\."


def test_framework_summaries_show_cited_passages_not_tokens(small: SmallProject) -> None:
    from workbench.store.themes import citation

    home = small.store.add_theme("Home", "amira", code_ids=[small.codes["Housing"]])
    [cited] = small.coding_ids("ng-anna.txt", "Housing", "tom")
    words = next(c for c in small.store.codings() if c.id == cited)
    text = small.store.get_source(words.source_id).text[words.start:words.end]
    uid = {c.id: c.uid for c in small.store.codings()}
    [gone] = small.coding_ids("ng-anna.txt", "Housing", "amira")
    small.store.set_framework_cell("case", "NG-A", home, f"Rent keeps rising: {citation(uid[cited])} and "
                                   f"{citation(uid[gone])}.", [cited], "amira")
    small.store.remove_coding(gone, "amira")  # a cited passage someone later uncoded
    app = page("framework", small)
    app.selectbox(key="framework.cell.row").set_value("NG-A").run()
    assert not app.exception
    shown = " ".join([t.value for t in app.text] + [h.proto.body for h in app.get("html")])
    assert "Rent keeps rising:" in shown and text.strip()[:40] in shown
    assert "[[q:" not in shown and "[[q:" not in " ".join(m.value for m in app.markdown)
    assert any("no longer in the project" in w.value for w in app.warning)


def test_framework_page_without_themes(small: SmallProject) -> None:
    app = page("framework", small)
    assert "No themes yet" in app.info[0].value


def test_reliability_page_shows_figures_and_disagreements(small: SmallProject) -> None:
    app = page("reliability", small)
    assert not app.exception
    metrics = {m.label: m.value for m in app.metric}
    assert metrics["% agreement"] == "84.4%" and metrics["code × segment decisions"] == "32"
    assert app.dataframe[1].value["code"].tolist().count("Wellbeing") == 2
    app.checkbox(key="reliability.ignore").check().run()
    assert "Uncoded units left out" in app.warning[0].value
    app.selectbox(key="reliability.code").set_value("Bonding").run()
    assert app.dataframe[1].value["their words"].tolist() == ["I met people from the mosque"]
    app.multiselect(key="reliability.coders").set_value(["amira"]).run()
    assert "at least two coders" in app.info[0].value
