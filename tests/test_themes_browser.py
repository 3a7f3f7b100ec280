"""The Themes page in Debian's Chromium: build a theme by dragging two codes onto it, write a narrative citing a
passage, see the map; then the Word report, rendered by LibreOffice, holds the narrative, the cited quote and the map.

Skips when Chromium, Playwright or (for the report) LibreOffice is missing.
"""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from test_app_browser import ARTEFACTS, CHROMIUM, CHROMIUM_ARGS, serve, wait_until
from test_compare import build_small_project
from workbench.store import Store
from workbench.store.themes import NewCandidate, cited_uids

pytestmark = pytest.mark.timeout(300)


@pytest.fixture
def served(tmp_path: Path):
    """The small project of test_compare, served by `streamlit run app.py`."""
    project = build_small_project(tmp_path / "small.wbproj")
    project.store.close()
    for url in serve(project.store.path, tmp_path):
        yield url, project


def pick(page, box, option: str, attempts: int = 4) -> None:
    """Open a select box and click an option; again if a rerun (the narrative just typed) closed the list."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    for attempt in range(attempts):
        box.click()
        try:
            page.get_by_role("option", name=re.compile(re.escape(option))).click(timeout=8_000)
            return
        except PlaywrightTimeout:
            if attempt == attempts - 1:
                raise


def test_build_a_theme_write_its_narrative_and_find_it_in_the_report(served, tmp_path: Path) -> None:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import sync_playwright

    url, project = served
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1440, "height": 1100})
            page.goto(f"{url}/themes")
            form = page.locator('[data-testid="stForm"]').filter(has_text="New theme")
            form.wait_for(timeout=60_000)
            form.get_by_label("Name").fill("Home and health")
            form.get_by_role("button", name="Create theme").click()
            box = page.locator(".wb-tb-theme").filter(has_text="Home and health")
            box.wait_for(timeout=30_000)
            for code in ("Housing", "Wellbeing"):  # drag each code's chip onto the theme
                page.locator(".wb-tb-codes .wb-tb-chip").filter(has_text=re.compile(f"^{code}$")).drag_to(box)
                page.locator(".wb-tb-theme .wb-tb-linked").filter(has_text=code).wait_for(timeout=30_000)

            def created():
                """the theme with both codes"""
                store = Store.open(project.store.path)
                return [t for t in store.themes() if t.name == "Home and health" and len(t.code_ids) == 2]

            [theme] = wait_until(created, timeout=30)
            ARTEFACTS.mkdir(exist_ok=True)
            box.screenshot(path=str(ARTEFACTS / "themes_board.png"))
            box.locator(".wb-tb-linked").filter(has_text="Wellbeing").get_by_role("button").click()

            def unlinked():
                """Wellbeing taken off the theme"""
                return Store.open(project.store.path).get_theme(theme.id).code_ids == [project.codes["Housing"]]

            wait_until(unlinked, timeout=30)
            page.get_by_text("Wellbeing removed from Home and health.").wait_for(timeout=30_000)
            page.locator(".wb-tb-codes .wb-tb-chip").filter(has_text=re.compile("^Wellbeing$")).drag_to(box)
            wait_until(created, timeout=30)
            page.get_by_text("Wellbeing added to Home and health.").wait_for(timeout=30_000)
            assert set(theme.code_ids) == {project.codes["Housing"], project.codes["Wellbeing"]}

            narrative = page.get_by_label("Narrative", exact=True)
            narrative.wait_for(timeout=30_000)
            narrative.fill("Damp flats wear people down.")
            narrative.blur()
            picker = page.locator('[data-testid="stSelectbox"]').filter(has_text="Passage to cite")
            pick(page, picker, "The flat is damp and the rent")
            page.get_by_role("button", name="Insert citation").click()
            page.wait_for_function("() => Array.from(document.querySelectorAll('textarea'))"
                                   ".some(t => t.value.includes('[[q:'))", timeout=30_000)
            page.get_by_role("button", name="Save narrative").click()

            def saved():
                """the narrative with its citation"""
                return cited_uids(Store.open(project.store.path).get_theme(theme.id).narrative)

            [uid] = wait_until(saved, timeout=30)
            store = Store.open(project.store.path)
            assert store.get_theme(theme.id).narrative.startswith("Damp flats wear people down.")
            [(coding_id, _code)] = store.codings_by_uid([uid]).values()
            coding = store.get_coding(coding_id)
            assert project.texts["ng-anna.txt"][coding.start:coding.end].startswith("The flat is damp and the rent")

            ARTEFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTEFACTS / "themes_workspace.png"), full_page=True)
            drawn = page.locator("svg").filter(has_text="Home and health").first

            def map_shown():
                """the Map tab showing the theme map (a rerun still running after Save may put the first tab back:
                seen once on a loaded machine, so click again)"""
                page.get_by_role("tab", name="Map").click()
                try:
                    drawn.wait_for(timeout=5_000)
                except PlaywrightTimeout:
                    return False
                return True

            wait_until(map_shown, timeout=90, every=0.5)
            page.screenshot(path=str(ARTEFACTS / "themes_map.png"), full_page=True)
        finally:
            browser.close()

    if shutil.which("soffice") is None:
        pytest.skip("LibreOffice (soffice) is not installed: the report is not rendered")
    from pypdf import PdfReader
    from test_report_render import render_pdf

    from workbench.export.report import ReportOptions, build_report

    docx_path = tmp_path / "report.docx"
    build_report(Store.open(project.store.path), docx_path, ReportOptions())
    pages = PdfReader(str(render_pdf(docx_path, tmp_path))).pages
    text = " ".join(" ".join(p.extract_text().split()) for p in pages)
    assert "Damp flats wear people down." in text and "The flat is damp and the rent keeps rising." in text
    if shutil.which("dot"):
        assert "Figure 1. Thematic map" in text and any(p.images for p in pages)


@pytest.fixture
def served_with_theme(tmp_path: Path):
    """The small project of test_compare with a theme whose passages come from three sites and two waves."""
    project = build_small_project(tmp_path / "small.wbproj")
    codes = [project.codes[name] for name in ("Social", "Wellbeing", "Housing")]
    project.store.add_theme("Ties that hold", "lead", code_ids=codes)
    project.store.close()
    for url in serve(project.store.path, tmp_path):
        yield url


def test_a_themes_site_by_wave_heatmap_draws_a_cell_for_each_pair(served_with_theme) -> None:
    """Streamlit fits the chart's whole height (axes included) into the height it is given: the cells must not
    be squeezed to nothing under the wave axis (seen at 0.25 px, the site names overlapping)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1440, "height": 1000})
            page.goto(f"{served_with_theme}/themes")
            cells = page.locator('[data-testid="stVegaLiteChart"] [aria-roledescription="rect mark"]')
            cells.first.wait_for(timeout=60_000)
            heights = cells.evaluate_all("cells => cells.map(c => c.getBBox().height)")
            ARTEFACTS.mkdir(exist_ok=True)
            page.locator('[data-testid="stVegaLiteChart"]').screenshot(path=str(ARTEFACTS / "themes_heatmap.png"))
        finally:
            browser.close()
    assert len(heights) >= 3 and min(heights) >= 16, heights


@pytest.fixture
def served_with_candidates(tmp_path: Path):
    """The small project of test_compare with two open candidate themes."""
    project = build_small_project(tmp_path / "small.wbproj")
    project.store.replace_candidates(
        [NewCandidate("damp / cold", ["damp", "cold"], project.coding_ids("sc-cara.txt", "Housing"),
                      [project.codes["Housing"]]),
         NewCandidate("neighbours", ["neighbour"], project.coding_ids("ng-anna.txt", "Bonding"),
                      [project.codes["Bonding"]])], "engine")
    project.store.close()
    for url in serve(project.store.path, tmp_path):
        yield url


def test_deciding_a_candidate_theme_stays_on_the_candidate_themes_tab(served_with_candidates, tmp_path: Path) -> None:
    """The message of a decision (Discard, Promote, Split, Merge, Propose) used to appear above the tabs and put
    the first tab back, hiding the candidates the person was deciding."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1440, "height": 1000})
            page.goto(f"{served_with_candidates}/themes")
            tab = page.get_by_role("tab", name="Candidate themes")
            tab.wait_for(timeout=60_000)
            tab.click()
            page.get_by_text("damp / cold").click()  # open its expander
            discard = page.get_by_role("button", name="Discard").first
            discard.wait_for(timeout=30_000)

            def discarded() -> bool:
                """the damp / cold candidate to be discarded"""
                open_ = {c.label for c in Store.open(tmp_path / "small.wbproj").candidate_themes()}
                return "damp / cold" not in open_

            discard.click()
            try:
                wait_until(discarded, timeout=10)
            except AssertionError:  # the click fell in a rerun of the page (the browser's timing, not the page's)
                discard.click()
                wait_until(discarded, timeout=20)
            page.get_by_text("Candidate discarded.").wait_for(timeout=30_000)
            wait_until(lambda: page.get_by_text("neighbours").count() == 1, timeout=30)  # the rerun has settled
            assert tab.get_attribute("aria-selected") == "true"
            assert page.get_by_text("neighbours").is_visible()
        finally:
            browser.close()
