"""The evidence report renders in LibreOffice: the PDF has the title, headings, quotes and every page numbered."""
from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from pypdf import PdfReader
from test_report import small_project

from workbench.export.report import ReportOptions, build_report

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
pytestmark = pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed")


def render_pdf(docx_path: Path, out_dir: Path) -> Path:
    """Convert a .docx to PDF with headless LibreOffice (own profile, bounded time)."""
    profile = out_dir / "lo-profile"
    try:
        subprocess.run([SOFFICE, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "pdf",
                        "--outdir", str(out_dir), str(docx_path)], check=True, capture_output=True, timeout=120)
    except subprocess.TimeoutExpired:
        pytest.skip("LibreOffice did not finish within 120 s")
    pdf = out_dir / (docx_path.stem + ".pdf")
    assert pdf.exists(), "LibreOffice wrote no PDF"
    return pdf


def _squash(text: str) -> str:
    return " ".join(text.split())


def test_report_renders_to_pdf_with_title_headings_quotes(tmp_path: Path) -> None:
    store = small_project(tmp_path / "pilot.wbproj")
    docx_path = tmp_path / "report.docx"
    summary = build_report(store, docx_path, ReportOptions(max_quotes_per_code=None))
    pdf = render_pdf(docx_path, tmp_path)
    pages = [_squash(page.extract_text()) for page in PdfReader(str(pdf)).pages]
    text = " ".join(pages)
    assert "Stronger Together pilot" in pages[0] and "Evidence report" in pages[0]
    for heading in ("Method", "Codes across sites", "Social connectivity", "Bonding ties", "Transport"):
        assert heading in text
    assert "My neighbour dragged me along one Saturday and now I go every week." in text
    assert "NG-R01, resident, Northgate" in text
    assert "Maureen" not in text and "Jean" not in text
    assert summary.quotes == len(re.findall(r"· (?:interview|survey)\b", text))  # one attribution per quote
    assert len(pages) >= 4
    for number, page in enumerate(pages[1:], start=2):  # the title page has no footer
        assert f"page {number}" in page
