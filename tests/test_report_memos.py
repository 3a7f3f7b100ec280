"""`--memos`: a Memos section in the Word report with project, document and case memos, names pseudonymised."""
from __future__ import annotations

from pathlib import Path

import docx
from click.testing import CliRunner

from workbench.cli import cli
from workbench.export.report import ReportOptions, build_report
from workbench.sources.memos import add_memo
from workbench.store import Store

from helpers import interview_source


def _project(tmp_path: Path) -> Store:
    store = Store.create(tmp_path / "p.wbproj", name="Memo study")
    source = store.add_source(interview_source(name="NG-R01_maureen.txt"), "amira")
    code = store.add_code("Food", "lead")
    text = store.get_source(source).text
    start = text.index("The pantry is a lifeline")
    store.add_coding(source, start, start + 24, code, "amira")
    store.set_roster({"Maureen": "Rose"}, "lead")
    store.ensure_case("Maureen", "lead")
    add_memo(store, "Saturation after ten interviews?", "amira", title="Saturation")
    add_memo(store, "Maureen spoke freely once the recorder was off.", "ben", about="source",
             target="NG-R01_maureen.txt", title="Setting")
    add_memo(store, "Maureen moved here in 1998.", "amira", about="case", target="Maureen")
    add_memo(store, "Food overlaps with money worries.", "amira", about="code", target="Food")
    return store


def _paragraphs(path: Path) -> list[tuple[str, str]]:
    return [(p.style.name, p.text) for p in docx.Document(str(path)).paragraphs]


def test_the_memos_section_groups_project_document_and_case_memos_pseudonymised(tmp_path: Path) -> None:
    store = _project(tmp_path)
    path = tmp_path / "report.docx"
    build_report(store, path, ReportOptions(include_memos=True))
    paragraphs = _paragraphs(path)
    memos_at = paragraphs.index(("Heading 1", "Memos"))
    section = paragraphs[memos_at:]
    headings = [text for style, text in section if style.startswith("Heading")]
    assert headings == ["Memos", "Project memos", "Saturation", "Document memos", "NG-R01.txt — Setting",
                        "Case memos", "Rose"]
    text = "\n".join(t for _s, t in section)
    assert "Rose spoke freely once the recorder was off." in text and "Rose moved here in 1998." in text
    assert "Maureen" not in "\n".join(t for _s, t in paragraphs)
    assert "ben, " in text  # author and date under each memo
    assert "Food overlaps with money worries." in "\n".join(t for _s, t in paragraphs[:memos_at])  # under its code


def test_real_names_stay_when_not_pseudonymising(tmp_path: Path) -> None:
    store = _project(tmp_path)
    path = tmp_path / "report.docx"
    build_report(store, path, ReportOptions(include_memos=True, pseudonymise=False))
    text = "\n".join(t for _s, t in _paragraphs(path))
    assert "NG-R01_maureen.txt — Setting" in text and "Maureen moved here in 1998." in text


def test_cli_report_memos(tmp_path: Path) -> None:
    store = _project(tmp_path)
    out = tmp_path / "r.docx"
    result = CliRunner().invoke(cli, ["export", "report", "--out", str(out), "--memos", "--project", str(store.path)])
    assert result.exit_code == 0, result.output
    assert ("Heading 2", "Document memos") in _paragraphs(out)
