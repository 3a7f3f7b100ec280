"""The Framework page in Debian's Chromium: write a summary in the matrix, save it, and read that it was saved.

Skips when Chromium or Playwright is missing.
"""
from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from test_app_browser import CHROMIUM, CHROMIUM_ARGS, serve, wait_until
from test_compare import build_small_project
from workbench.store import Store

pytestmark = pytest.mark.timeout(240)


@pytest.fixture
def served(tmp_path: Path):
    """The small project of test_compare with one theme, served by `streamlit run app.py`."""
    project = build_small_project(tmp_path / "small.wbproj")
    project.store.add_theme("Home", "amira", code_ids=[project.codes["Housing"]])
    project.store.close()
    for url in serve(project.store.path, tmp_path):
        yield url, project.store.path


def test_saving_a_summary_says_so_and_the_message_stays(served) -> None:
    """The saved summary changed the editor's data, and Streamlit's editor then sent its (reset) edits again: a
    second rerun that wiped "1 summaries saved." half a second after it appeared."""
    from playwright.sync_api import sync_playwright

    url, path = served
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1440, "height": 1000})
            page.goto(f"{url}/framework")
            grid = page.locator('[data-testid="stDataFrame"]').first
            grid.wait_for(timeout=60_000)
            box = grid.bounding_box()
            page.mouse.click(box["x"] + box["width"] * 0.6, box["y"] + 50)  # the first row's Home cell
            page.keyboard.press("Enter")
            time.sleep(1)
            page.keyboard.type("Rent and damp, every time.", delay=20)
            page.keyboard.press("Enter")
            time.sleep(1)
            page.get_by_role("button", name="Save summaries").click()

            def saved():
                """the summary in the project"""
                return [c for c in Store.open(path).framework_cells() if c.summary == "Rent and damp, every time."]

            wait_until(saved, timeout=30)
            message = page.get_by_text(re.compile(r"^1 summar(y|ies) saved\.$"))
            message.wait_for(timeout=30_000)
            time.sleep(2)
            assert message.is_visible()
        finally:
            browser.close()
