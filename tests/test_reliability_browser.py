"""The Reliability page in Debian's Chromium at 1440 px: its headline figures' labels are read whole.

Skips when Chromium or Playwright is missing.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from test_app_browser import CHROMIUM, CHROMIUM_ARGS, serve
from test_compare import build_small_project

pytestmark = pytest.mark.timeout(240)

CUT_LABELS_JS = """() => Array.from(document.querySelectorAll(
  '[data-testid="stMetricLabel"] p, [data-testid="stMetricLabel"] div'))
  .filter(e => e.scrollWidth > e.clientWidth + 1).map(e => e.textContent)"""


@pytest.fixture
def served(tmp_path: Path):
    """The small project of test_compare (amira and tom coded the same sources)."""
    project = build_small_project(tmp_path / "small.wbproj")
    project.store.close()
    for url in serve(project.store.path, tmp_path):
        yield url


def test_the_headline_figures_labels_are_not_cut_off(served) -> None:
    """'% agreement where someone coded', the figure to report, showed as '% agreement where someon…'."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1440, "height": 1000})
            page.goto(f"{served}/reliability")
            page.locator('[data-testid="stMetricLabel"]').first.wait_for(timeout=60_000)
            cut = {}
            for unit in ("segment", "sentence", "character"):
                page.get_by_text(unit, exact=True).click()
                page.get_by_text(f"code × {unit} decisions").first.wait_for(timeout=30_000)
                page.wait_for_timeout(500)
                cut[unit] = page.evaluate(CUT_LABELS_JS)
        finally:
            browser.close()
    assert cut == {"segment": [], "sentence": [], "character": []}
