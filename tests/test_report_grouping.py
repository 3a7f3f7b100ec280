"""One meaning of "theme": the report is organised by the project's themes, and, while it has none, by the
codebook's top-level categories, called categories (on the page, in the command's output and in the report)."""
from __future__ import annotations

from pathlib import Path

import docx
import pytest
from click.testing import CliRunner

from workbench.cli import cli
from workbench.export.report import ReportOptions, build_report, gather_report
from workbench.export.report.data import ExportError
from workbench.export.report.themes import report_grouping
from workbench.store import Store

from helpers import interview_source
from test_app_pages import open_page


def _project(tmp_path: Path) -> Store:
    store = Store.create(tmp_path / "p.wbproj", name="Grouping")
    source = store.add_source(interview_source(), "amira")
    food = store.add_code("Everyday needs", "lead", codable=False)
    pantry = store.add_code("Food", "lead", parent_id=food)
    text = store.get_source(source).text
    start = text.index("The pantry is a lifeline")
    store.add_coding(source, start, start + 24, pantry, "amira")
    return store


def test_without_themes_the_report_is_organised_by_categories_and_says_so(tmp_path: Path) -> None:
    store = _project(tmp_path)
    assert report_grouping(store) == "category"
    path = tmp_path / "r.docx"
    summary = build_report(store, path, ReportOptions())
    assert summary.grouping == "category"
    text = "\n".join(p.text for p in docx.Document(str(path)).paragraphs)
    assert "1 category · 1 code" in text and "1 theme" not in text
    with pytest.raises(ExportError, match="no theme called 'Money'.*no themes yet.*categories: Everyday needs"):
        gather_report(store, ReportOptions(themes=["Money"]))


def test_with_themes_only_real_themes_are_offered(tmp_path: Path) -> None:
    store = _project(tmp_path)
    theme = store.add_theme("Getting by", "amira")
    store.add_theme_codes(theme, [store.find_code("Food").id], "amira")
    assert report_grouping(store) == "theme"
    summary = build_report(store, tmp_path / "r.docx", ReportOptions())
    assert (summary.grouping, summary.themes) == ("theme", ["Getting by"])
    with pytest.raises(ExportError, match="the themes are Getting by"):
        gather_report(store, ReportOptions(themes=["Everyday needs"]))


def test_cli_says_categories_when_there_are_no_themes(tmp_path: Path) -> None:
    store = _project(tmp_path)
    result = CliRunner().invoke(cli, ["export", "report", "--out", str(tmp_path / "r.docx"),
                                      "--project", str(store.path)])
    assert result.exit_code == 0, result.output
    assert ": 1 category, 1 code" in result.output


def test_report_page_labels_categories_and_links_to_themes(tmp_path: Path, monkeypatch) -> None:
    store = _project(tmp_path)
    monkeypatch.setenv("WORKBENCH_RECENT_FILE", str(tmp_path / "recent.json"))
    at = open_page(store.path, "report")
    [chooser] = [m for m in at.multiselect if m.key == "report.themes"]
    assert chooser.label == "Codebook categories (all when empty)"
    assert chooser.options == ["Everyday needs"]
    assert any("no themes yet" in c.value for c in at.caption)
    assert {link.proto.page for link in at.get("page_link")} >= {"themes"}
    at.button(key="FormSubmitter:report.options-Build report").click().run()
    assert "in 1 category" in at.success[0].value
