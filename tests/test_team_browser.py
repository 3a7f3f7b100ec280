"""The team server end to end: `workbench serve --config team.toml` (the real command) and Debian's Chromium.

A wrong password is refused; a member signs in with a local account, sees only her project, and codes (accepts
a suggestion) as herself; a non-member sees no project; every page URL shows only the sign-in form before
sign-in. Skips when /usr/bin/chromium or Playwright is missing.
"""
from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import pytest

from test_app_browser import CHROMIUM, CHROMIUM_ARGS, free_port, run_server, wait_until
from workbench.model import Account, Role
from workbench.store import NewSuggestion, Store
from workbench.team.members import Team, add_member
from workbench.team.passwords import hash_password

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "correct horse battery"
TEXT = ("Interviewer: And the food pantry?\n\n"
        "Maureen: The pantry is a lifeline when money is tight. <img src=x onerror=alert(1)>\n")

pytestmark = pytest.mark.timeout(300)


def make_garden(projects: Path) -> None:
    """projects/garden.wbproj: Maureen's interview, one code and one pending suggestion on her words."""
    from helpers import interview_source

    store = Store.create(projects / "garden.wbproj", name="Garden")
    source_id = store.add_source(interview_source(TEXT, name="maureen.txt"), "lead")
    code_id = store.add_code("Poverty and cost of living", "lead")
    start = TEXT.index("The pantry is a lifeline")
    store.replace_suggestions([NewSuggestion(source_id, start, start + 24, code_id, 0.9, "mentions money",
                                             "lexical")], "engine")
    store.close()


@pytest.fixture
def team_server(tmp_path: Path):
    """Two projects, four accounts (amira: coder of garden; bo: viewer of pantry; lena: lead of garden; vic: viewer
    of garden), served by `workbench serve`."""
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed at /usr/bin/chromium")
    pytest.importorskip("playwright.sync_api")
    projects = tmp_path / "projects"
    make_garden(projects)
    Store.create(projects / "pantry.wbproj", name="Pantry").close()
    team = Team.at(projects)
    password_hash = hash_password(PASSWORD)
    for name in ("amira", "bo", "lena", "vic"):
        team.server.add_account(Account(name, "", password_hash, "2026-12-06T09:00:00.000+00:00"), "admin")
    add_member(team, "garden", "amira", Role.CODER)
    add_member(team, "pantry", "bo", Role.VIEWER)
    add_member(team, "garden", "lena", Role.LEAD)
    add_member(team, "garden", "vic", Role.VIEWER)
    port = free_port()
    config = tmp_path / "team.toml"
    config.write_text(f'projects = "projects"\nport = {port}\nupload_limit_mb = 1\n')
    env = {k: v for k, v in os.environ.items() if k not in ("WORKBENCH_PROJECT", "WORKBENCH_USER")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    for url in run_server([sys.executable, "-m", "workbench", "serve", "--config", str(config)], port,
                          cwd=tmp_path, env=env, log_path=tmp_path / "server.log"):
        yield url, team


def _open_garden(page, url: str, name: str, role: str) -> None:
    _sign_in(page, url, name, PASSWORD)
    page.get_by_role("button", name=f"garden ({role})").click()
    page.get_by_text("Open: Garden").wait_for(timeout=30_000)


def _sign_in(page, url: str, name: str, password: str) -> None:
    page.goto(url)
    page.get_by_role("textbox", name="Account name").fill(name)
    page.get_by_role("textbox", name="Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_sign_in_with_a_local_account_and_code_and_a_non_member_sees_nothing(team_server) -> None:
    from playwright.sync_api import sync_playwright

    url, team = team_server
    garden = team.project_path("garden")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1440, "height": 1000})
            page.goto(f"{url}/code")  # a page's URL before sign-in: only the sign-in form
            page.get_by_role("button", name="Sign in").wait_for(timeout=30_000)
            assert page.get_by_text("Code the selected words").count() == 0

            _sign_in(page, url, "amira", "not her password")
            page.get_by_text("wrong account name or password").wait_for(timeout=15_000)

            _sign_in(page, url, "amira", PASSWORD)
            page.get_by_role("button", name="garden (coder)").click()
            page.get_by_text("Open: Garden").wait_for(timeout=30_000)
            assert page.get_by_role("button", name="pantry (viewer)").count() == 0
            page.get_by_role("link", name="Suggestions", exact=True).first.click()
            [pending] = Store.open(garden).suggestions()
            page.locator(".st-key-suggestions-accept-%d button" % pending.id).click()

            def coded():
                """amira's coding to be stored"""
                return Store.open(garden).codings(coders=["amira"])

            [coding] = wait_until(coded, timeout=30)
            assert coding.accepted_by == "amira" and coding.origin == "suggestion"

            other = browser.new_context().new_page()
            _sign_in(other, url, "bo", PASSWORD)
            other.get_by_role("button", name="pantry (viewer)").wait_for(timeout=15_000)
            assert other.get_by_role("button", name="garden (coder)").count() == 0
        finally:
            browser.close()
    actions = [(e.actor, e.action) for e in team.server.audit_entries(action="signin")]
    assert actions == [("amira", "signin.failed"), ("amira", "signin.ok"), ("bo", "signin.ok")]


def test_over_http_an_upload_without_the_xsrf_token_is_refused_and_no_other_origin_is_allowed(team_server) -> None:
    import urllib.error
    import urllib.request

    url, team = team_server
    upload = urllib.request.Request(f"{url}/_stcore/upload_file/session/file", method="PUT",
                                    data=b"--x\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\""
                                         b"\r\n\r\nhello\r\n--x--\r\n",
                                    headers={"Content-Type": "multipart/form-data; boundary=x"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(upload, timeout=10)
    assert refused.value.code == 403
    probe = urllib.request.Request(f"{url}/_stcore/health", headers={"Origin": "https://evil.example"})
    with urllib.request.urlopen(probe, timeout=10) as response:
        assert response.headers.get("Access-Control-Allow-Origin") is None
        assert "_streamlit_xsrf" in (response.headers.get("Set-Cookie") or "")


def test_a_huge_or_wrong_type_upload_is_refused_and_a_coder_cannot_import(team_server, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    url, team = team_server
    garden = team.project_path("garden")
    huge = tmp_path / "huge.txt"
    huge.write_text("Interviewer: Hello?\n\nAmir: " + "words " * 400_000)  # 2.4 MB, the limit is 1 MB
    page_file = tmp_path / "evil.html"
    page_file.write_text("<script>alert(1)</script>")
    small = tmp_path / "amir.txt"
    small.write_text("Interviewer: Hello?\n\nAmir: The mosque hall became the food bank.\n")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_context().new_page()
            _open_garden(page, url, "lena", "lead")
            page.get_by_role("link", name="Sources", exact=True).first.click()
            chooser = page.locator('[data-testid="stFileUploaderDropzoneInput"]')
            chooser.set_input_files(str(huge))
            page.get_by_text(re.compile(r"File must be 1(\.0)? ?MB or smaller")).first.wait_for(state="attached",
                                                                                              timeout=30_000)
            chooser.set_input_files(str(page_file))
            page.get_by_text(re.compile("html files are not allowed", re.I)).first.wait_for(state="attached",
                                                                                             timeout=30_000)
            assert [s.name for s in Store.open(garden).list_sources()] == ["maureen.txt"]

            coder = browser.new_context().new_page()
            _open_garden(coder, url, "amira", "coder")
            coder.get_by_role("link", name="Sources", exact=True).first.click()
            # only a lead may import sources (the store refuses it, test_team_roles.py): a coder has no import form
            coder.get_by_text("only its leads import, describe or remove them").wait_for(timeout=30_000)
            assert coder.get_by_text("Import files").count() == 0
            assert coder.locator('[data-testid="stFileUploaderDropzoneInput"]').count() == 0
            assert [s.name for s in Store.open(garden).list_sources()] == ["maureen.txt"]
        finally:
            browser.close()


def test_a_viewer_reads_the_code_page_with_nothing_to_code_with(team_server) -> None:
    from playwright.sync_api import sync_playwright

    url, team = team_server
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1440, "height": 1000})
            _open_garden(page, url, "vic", "viewer")
            page.get_by_role("link", name="Code", exact=True).first.click()
            page.get_by_text("you can read and search, not code").wait_for(timeout=30_000)
            chip = page.locator('.wb-chip[data-k="g"]')
            chip.wait_for(timeout=30_000)  # the suggestion is shown ...
            assert chip.locator("button").count() == 0  # ... without ✓ and ✗
            assert not page.locator(".wb-quick").is_visible() and not page.locator(".wb-find").is_visible()
            assert page.locator(".st-key-code-undo button").first.is_disabled()
            page.locator(".wb-doc").click()
            page.keyboard.press("a")  # no key decides for a viewer
            page.keyboard.press("Control+z")
            page.wait_for_timeout(1500)
            assert [s.status for s in Store.open(team.project_path("garden")).suggestions()] == ["pending"]
            page.keyboard.press("?")  # the keys listed are the keys that work for a viewer
            keys = page.locator(".wb-keys")
            keys.wait_for(state="visible", timeout=10_000)
            assert "next / previous suggestion" in keys.inner_text()
            assert "apply that quick code" not in keys.inner_text() and "undo" not in keys.inner_text()
        finally:
            browser.close()
