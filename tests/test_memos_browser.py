"""The Memos page in a real browser (Debian's Chromium, Playwright): write a document memo, see it listed as
plain text after a reload, and find it in the Code page's Document memos. Skips without Chromium or Playwright."""
from __future__ import annotations

from pathlib import Path

import pytest

from workbench.store import Store

from test_app_browser import CHROMIUM, CHROMIUM_ARGS, serve, wait_until
from test_app_pages import HOSTILE, build_project

pytestmark = pytest.mark.timeout(240)


@pytest.fixture
def server(tmp_path: Path):
    project = build_project(tmp_path)
    yield from serve(project, tmp_path)


def test_write_a_document_memo_and_find_it_again(server: str, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    project = tmp_path / "project.wbproj"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1440, "height": 1000})
            page.goto(f"{server}/memos")
            page.get_by_text("No memos yet").wait_for(timeout=30_000)
            form = page.locator('[data-testid="stExpander"]').filter(has_text="Write a memo")
            form.locator('[data-testid="stSelectbox"]').first.click()
            page.get_by_role("option", name="Document").click()
            target = form.locator('[data-testid="stSelectbox"]').nth(1)
            target.wait_for(timeout=15_000)
            target.click()
            page.get_by_role("option", name="NG-R01_maureen.txt").click()
            form.locator("input[type=text]").last.fill("Setting")
            form.locator("textarea").fill(f"Recorded in the shed. {HOSTILE}")
            form.locator("textarea").press("Tab")  # Streamlit takes a text area's value when it loses focus
            form.get_by_role("button", name="Save memo").click()

            def stored():
                """the memo to be stored"""
                return Store.open(project).memos()

            [memo] = wait_until(stored)
            assert (memo.target_type, memo.author, memo.title) == ("source", "zoe", "Setting")
            page.reload()
            listed = page.locator('[data-testid="stExpander"]').filter(has_text="Document · NG-R01_maureen.txt")
            listed.wait_for(timeout=30_000)
            listed.click()
            box = listed.locator("textarea").first
            box.wait_for(timeout=10_000)
            assert box.input_value() == f"Recorded in the shed. {HOSTILE}"
            assert page.locator("img[src=x]").count() == 0  # the hostile text stays text

            page.goto(f"{server}/code")
            page.get_by_text("Document memos (1)").wait_for(timeout=30_000)
        finally:
            browser.close()
