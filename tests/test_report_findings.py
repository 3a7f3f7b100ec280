"""The report's Findings section, read back with python-docx: narratives with their cited quotes attributed."""
from __future__ import annotations

import shutil
from pathlib import Path

import docx
import pytest

from test_report import code_words, small_project
from workbench.export.report import ReportOptions, build_report
from workbench.export.report.findings import FINDINGS_HEADING, MAP_CAPTION, MISSING
from workbench.export.report.sections import attribution_line
from workbench.export.report.word import ATTRIBUTION_STYLE
from workbench.store import Store
from workbench.store.themes import citation, cited_uids


@pytest.fixture
def project(tmp_path: Path) -> Store:
    """The report tests' small project with two themes (one a sub-theme) whose narratives cite passages."""
    store = small_project(tmp_path / "pilot.wbproj")
    codings = {store.get_source(c.source_id).text[c.start:c.end]: c for c in store.codings(coders=["amira"])}
    lifeline = codings["The pantry is a lifeline when money is tight. Jean from the tenants' group runs it"]
    bus = codings["We lost the bus, the bank and the butcher in the space of two years."]
    top = store.add_theme("Getting by together", "amira", status="final",
                          code_ids=[store.find_code("Bonding ties").id],
                          narrative=("Neighbours **share** what they have, and the pantry is a meeting place "
                                     f"as much as a food bank. {citation(lifeline.uid)}\n\n"
                                     "- older residents rely on lifts\n- nobody is turned away"))
    store.add_theme("Cut off", "amira", parent_id=top, code_ids=[store.find_code("Transport").id],
                    narrative=f"When the bus goes, everything goes with it {citation(bus.uid)}. Jean says so too.")
    store.add_theme("Not yet written", "amira")
    return store


def _paragraphs(path: Path) -> list[tuple[str, str]]:
    return [(p.style.name, p.text) for p in docx.Document(str(path)).paragraphs]


def _findings(paragraphs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The Findings section after the thematic map (when Graphviz drew one)."""
    start = paragraphs.index(("Heading 1", FINDINGS_HEADING))
    end = next(i for i, (style, _t) in enumerate(paragraphs) if i > start and style == "Heading 1")
    found = paragraphs[start + 1:end]
    if found and found[0] == ("Caption", MAP_CAPTION):
        assert shutil.which("dot") and found[1] == ("Normal", "")  # the picture's paragraph
        return found[2:]
    return found


def test_findings_come_before_the_evidence_with_each_cited_quote_attributed(project: Store, tmp_path: Path) -> None:
    path = tmp_path / "report.docx"
    build_report(project, path, ReportOptions(pseudonymise=False))
    paragraphs = _paragraphs(path)
    level_1 = [t for s, t in paragraphs if s == "Heading 1"]
    assert level_1[:3] == ["Method", FINDINGS_HEADING, "Codes across sites"]
    findings = _findings(paragraphs)
    assert findings[0] == ("Heading 2", "Getting by together")
    assert findings[1] == ("Normal", "Neighbours share what they have, and the pantry is a meeting place as much "
                                     "as a food bank.")
    assert findings[2][0] == "Quote" and findings[2][1].startswith("The pantry is a lifeline when money is tight.")
    assert findings[3][0] == ATTRIBUTION_STYLE and findings[3][1].startswith("— NG-R01, resident, Northgate")
    assert findings[4:6] == [("List Bullet", "older residents rely on lifts"), ("List Bullet", "nobody is turned away")]
    assert findings[6:8] == [("Heading 3", "Cut off"), ("Report Note", "Candidate theme, still being developed.")]
    assert findings[8] == ("Normal", "When the bus goes, everything goes with it")
    assert findings[9] == ("Quote", "We lost the bus, the bank and the butcher in the space of two years.")
    assert findings[11] == ("Normal", "Jean says so too.")
    assert "Not yet written" not in [t for _s, t in findings]  # no narrative: no finding


def test_the_attribution_is_the_reports_own(project: Store, tmp_path: Path) -> None:
    from workbench.export.report import gather_report

    content = gather_report(project, ReportOptions())
    [lifeline] = content.findings[0].cited.values()
    path = tmp_path / "report.docx"
    build_report(project, path, ReportOptions())
    findings = _findings(_paragraphs(path))
    assert (ATTRIBUTION_STYLE, attribution_line(lifeline)) in findings
    assert "Jean" not in "\n".join(t for _s, t in findings)  # pseudonymised like every other quote


def test_a_citation_whose_coding_is_gone_says_so(project: Store, tmp_path: Path) -> None:
    cut_off = project.find_theme("Cut off")
    bus = project.codings_by_uid(cited_uids(cut_off.narrative))
    [(coding_id, _code)] = bus.values()
    project.remove_coding(coding_id, "amira")
    path = tmp_path / "report.docx"
    build_report(project, path, ReportOptions(pseudonymise=False))
    texts = [t for _s, t in _findings(_paragraphs(path))]
    assert f"When the bus goes, everything goes with it {MISSING}. Jean says so too." in texts


def test_choosing_a_theme_keeps_its_sub_themes_only(project: Store, tmp_path: Path) -> None:
    path = tmp_path / "report.docx"
    build_report(project, path, ReportOptions(themes=["Cut off"]))
    headings = [t for s, t in _findings(_paragraphs(path)) if s.startswith("Heading")]
    assert headings == ["Cut off"]


def test_no_narratives_no_findings_section(tmp_path: Path) -> None:
    store = small_project(tmp_path / "pilot.wbproj")
    path = tmp_path / "report.docx"
    build_report(store, path, ReportOptions())
    assert ("Heading 1", FINDINGS_HEADING) not in _paragraphs(path)


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")
def test_the_thematic_map_is_in_the_findings_as_a_picture(project: Store, tmp_path: Path) -> None:
    path = tmp_path / "report.docx"
    build_report(project, path, ReportOptions())
    document = docx.Document(str(path))
    paragraphs = [(p.style.name, p.text) for p in document.paragraphs]
    at = paragraphs.index(("Heading 1", FINDINGS_HEADING))
    assert paragraphs[at + 1] == ("Caption", MAP_CAPTION)
    [picture] = document.inline_shapes
    assert picture.width > 0 and document.paragraphs[at + 2]._p.xpath(".//pic:pic")
    images = [r.target_part.blob for r in document.part.rels.values() if "image" in r.reltype]
    assert len(images) == 1 and images[0][:4] == b"\x89PNG"


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed")
def test_findings_render_in_libreoffice_with_the_map(project: Store, tmp_path: Path) -> None:
    from pypdf import PdfReader
    from test_report_render import render_pdf

    docx_path = tmp_path / "report.docx"
    build_report(project, docx_path, ReportOptions())
    pages = PdfReader(str(render_pdf(docx_path, tmp_path))).pages
    texts = [" ".join(page.extract_text().split()) for page in pages]
    [at] = [n for n, text in enumerate(texts) if text.startswith(FINDINGS_HEADING) or f" {FINDINGS_HEADING} Figure" in text
            or "Figure 1. Thematic map" in text]
    text = " ".join(texts[at:])
    assert "Neighbours share what they have, and the pantry is a meeting place as much as a food bank." in text
    assert "The pantry is a lifeline when money is tight." in text and "NG-R01, resident, Northgate" in text
    assert text.index("Getting by together") < text.index("Cut off") < text.index("Codes across sites")
    if shutil.which("dot"):
        assert "Figure 1. Thematic map" in texts[at] and len(pages[at].images) == 1
