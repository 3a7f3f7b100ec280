"""Institutional sign-in end to end: `workbench serve` with an ``[oidc]`` config against `oidc-provider-mock`
(run on localhost by the test), through Streamlit's `st.login`, in Debian's Chromium. A member's e-mail signs
in and sees their project; a forged sign-in cookie gets only the sign-in page; an e-mail of a domain the
config does not allow is refused and logged.
Skips when Chromium, Playwright or oidc-provider-mock is missing."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from test_app_browser import CHROMIUM, CHROMIUM_ARGS, free_port, run_server
from workbench.model import Role
from workbench.store import Store
from workbench.team.members import Team, add_member

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.timeout(300)


@pytest.fixture
def provider():
    mock = pytest.importorskip("oidc_provider_mock")
    with mock.run_server_in_thread(port=free_port()) as server:
        yield f"http://localhost:{server.server_port}"


@pytest.fixture
def oidc_server(tmp_path: Path, provider: str, request):
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed at /usr/bin/chromium")
    pytest.importorskip("playwright.sync_api")
    projects = tmp_path / "projects"
    Store.create(projects / "garden.wbproj", name="Garden").close()
    Store.create(projects / "pantry.wbproj", name="Pantry").close()
    team = Team.at(projects)
    add_member(team, "garden", "dana@uni.example", Role.CODER)
    secret = tmp_path / "oidc-secret.txt"
    secret.write_text("any secret: the mock provider accepts every client\n")
    secret.chmod(0o600)
    port = free_port()
    (tmp_path / "team.toml").write_text(f"""projects = "projects"
port = {port}
public_url = "http://localhost:{port}"
session_idle_minutes = {getattr(request, "param", 30)}

[oidc]
issuer = "{provider}"
client_id = "resilience-workbench"
client_secret_file = "oidc-secret.txt"
allowed_domains = ["uni.example"]
""")
    env = {k: v for k, v in os.environ.items() if k not in ("WORKBENCH_PROJECT", "WORKBENCH_USER")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    for _url in run_server([sys.executable, "-m", "workbench", "serve", "--config", str(tmp_path / "team.toml")],
                           port, cwd=tmp_path, env=env, log_path=tmp_path / "server.log"):
        yield f"http://localhost:{port}", team


def _institutional_sign_in(page, url: str, email: str) -> None:
    page.goto(url)
    page.get_by_role("button", name="Sign in with your institution").click()
    page.locator('input[name="sub"]').fill(email)  # the mock provider's form: the e-mail claim is the subject
    page.get_by_role("button", name="Authorize").click()


def test_an_allowed_email_signs_in_through_oidc_and_a_disallowed_domain_is_refused(oidc_server) -> None:
    from playwright.sync_api import sync_playwright

    url, team = oidc_server
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_context().new_page()
            _institutional_sign_in(page, url, "dana@uni.example")
            page.get_by_role("button", name="garden (coder)").wait_for(timeout=30_000)
            assert page.get_by_role("button", name="pantry (coder)").count() == 0
            page.get_by_text("Signed in as:").wait_for(timeout=15_000)

            real = {c["name"]: c for c in page.context.cookies()}["_streamlit_user"]
            for forged in (real["value"][:-6] + "AAAAAA",  # a tampered signature
                           '{"email": "dana@uni.example", "is_logged_in": true}'):  # an unsigned made-up one
                context = browser.new_context()
                context.add_cookies([{**real, "value": forged}])
                stranger = context.new_page()
                stranger.goto(url)
                stranger.get_by_role("button", name="Sign in with your institution").wait_for(timeout=30_000)
                assert stranger.get_by_role("button", name="garden (coder)").count() == 0

            intruder = browser.new_context().new_page()
            _institutional_sign_in(intruder, url, "eve@evil.example")
            intruder.get_by_text("eve@evil.example may not sign in to this server").wait_for(timeout=30_000)
            assert intruder.get_by_role("button", name="garden (coder)").count() == 0
        finally:
            browser.close()
    log = [(e.actor, e.action, e.detail.get("method")) for e in team.server.audit_entries(action="signin")]
    assert ("dana@uni.example", "signin.ok", "oidc") in log
    assert ("eve@evil.example", "signin.refused", "oidc") in log


@pytest.mark.parametrize("oidc_server", [0.5], indirect=True)  # an idle timeout of 30 seconds
def test_a_sign_in_cookie_left_longer_than_the_idle_timeout_signs_in_no_more(oidc_server) -> None:
    import time

    from playwright.sync_api import sync_playwright

    url, team = oidc_server
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_context().new_page()
            _institutional_sign_in(page, url, "dana@uni.example")
            page.get_by_role("button", name="garden (coder)").wait_for(timeout=30_000)
            cookies = page.context.cookies()
            page.context.close()
            time.sleep(32)
            context = browser.new_context()
            context.add_cookies(cookies)  # the provider's 30-day cookie, still valid as a cookie
            later = context.new_page()
            later.goto(url)  # signed out: Streamlit ends the session at the provider too (its confirmation page)
            later.get_by_role("button", name="End session").click(timeout=30_000)
            later.get_by_role("button", name="Sign in with your institution").wait_for(timeout=30_000)
            assert later.get_by_role("button", name="garden (coder)").count() == 0
        finally:
            browser.close()
    last = team.server.audit_entries()[-1]
    assert (last.actor, last.action, last.detail) == ("dana@uni.example", "signout", {"reason": "idle timeout"})
