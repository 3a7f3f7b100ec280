"""The bundled demo project builds completely: every source, attribute and coding lands."""
from __future__ import annotations

from pathlib import Path

import pytest

from workbench.sources.demo import CORPUS_DIR, build_demo, demo_codings, demo_themes, locate
from workbench.store import Store
from workbench.store.themes import cited_uids


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Store:
    return build_demo(Path(tmp_path_factory.mktemp("demo")) / "demo.wbproj")


def test_every_demo_file_and_coding_lands(demo: Store) -> None:
    files = [p for p in CORPUS_DIR.rglob("*") if p.is_file() and p.parent != CORPUS_DIR]
    assert len(demo.list_sources()) == len(files) >= 30
    assert len(demo.codings()) == len(demo_codings()) >= 500
    assert set(demo.coders()) == {"amira", "tom"}


def test_demo_has_three_sites_two_waves_and_every_kind(demo: Store) -> None:
    sources = demo.list_sources()
    assert {s.kind for s in sources} >= {"interview", "diary", "journal", "fieldnote", "survey", "social"}
    sites = {s.attributes.get("site") for s in sources} - {None}
    assert sites == {"Northgate", "Ashby Vale", "Seacombe"}
    assert {s.attributes.get("wave") for s in sources} >= {"1", "2"}
    roles = {c.attributes.get("role") for c in demo.cases()}
    assert {"resident", "volunteer", "professional"} <= roles


def test_demo_codings_sit_on_their_quotes(demo: Store) -> None:
    texts = {s.id: demo.get_source(s.id).text for s in demo.list_sources()}
    by_name = {s.name: s.id for s in demo.list_sources()}
    stored = {(c.source_id, c.start, c.end, c.coder) for c in demo.codings()}
    for item in demo_codings()[:200]:
        source_id = by_name[item.source]
        span = locate(texts[source_id], item.quote)
        assert span is not None and (source_id, span[0], span[1], item.coder) in stored


def test_every_codable_code_is_used_somewhere(demo: Store) -> None:
    used = set(demo.coding_counts())
    codable = {c.id for c in demo.codes() if c.codable}
    assert codable <= used


def test_building_again_keeps_the_existing_project(demo: Store) -> None:
    before = demo.counts()
    again = build_demo(demo.path)
    assert again.counts() == before


def test_demo_ships_themes_at_every_status_with_narratives_citing_real_quotes(demo: Store) -> None:
    themes = demo.themes()
    assert len(themes) == len(demo_themes()) >= 4
    assert {t.status for t in themes} == {"candidate", "reviewed", "final"}
    assert any(t.parent_id for t in themes) and all(t.code_ids for t in themes)
    uids = {c.uid: c for c in demo.codings()}
    texts = {s.id: demo.get_source(s.id).text for s in demo.list_sources()}
    for theme, entry in zip(themes, demo_themes()):
        cited = cited_uids(theme.narrative)
        assert len(cited) == len(entry["cites"]) and "[[cite:" not in theme.narrative
        for uid, cite in zip(cited, entry["cites"]):
            coding = uids[uid]
            assert texts[coding.source_id][coding.start:coding.end] == cite["quote"]


def test_the_demo_report_opens_with_its_findings(demo: Store, tmp_path: Path) -> None:
    import docx

    from workbench.export.report import ReportOptions, build_report
    from workbench.export.report.findings import FINDINGS_HEADING

    path = tmp_path / "demo.docx"
    build_report(demo, path, ReportOptions(pseudonymise=False))
    paragraphs = [(p.style.name, p.text) for p in docx.Document(str(path)).paragraphs]
    start = paragraphs.index(("Heading 1", FINDINGS_HEADING))
    end = next(i for i, (s, _t) in enumerate(paragraphs) if i > start and s == "Heading 1")
    findings = paragraphs[start:end]
    assert [t for s, t in findings if s in ("Heading 2", "Heading 3")] == [e["name"] for e in demo_themes()]
    quotes = " ".join(t for s, t in findings if s == "Quote")
    for entry in demo_themes():
        for cite in entry["cites"]:
            assert " ".join(cite["quote"].split())[:60] in quotes


@pytest.mark.parametrize("page_name", ["themes", "framework", "compare", "report"])
def test_every_analysis_page_shows_the_demo_themes(demo: Store, page_name: str) -> None:
    from streamlit.testing.v1 import AppTest

    pages = Path(__file__).resolve().parents[1] / "workbench" / "ui" / "pages"
    app = AppTest.from_file(str(pages / f"{page_name}.py"), default_timeout=120)
    app.session_state["project_path"] = str(demo.path)
    app.session_state["coder"] = "amira"
    if page_name == "compare":
        app.session_state["compare.rows"] = "themes"
    app.run()
    assert not app.exception
    assert not any("No themes yet" in i.value for i in app.info)
    shown = " ".join(str(e.value) for e in [*app.markdown, *app.dataframe, *app.selectbox, *app.multiselect,
                                             *app.caption])
    shown += " ".join(" ".join(map(str, s.options)) for s in [*app.selectbox, *app.multiselect])
    assert "Being asked what you are good at" in shown or "Loneliness behind closed doors" in shown
