"""The app in team mode (as `workbench serve` starts it), driven with AppTest: nothing but the sign-in page
before sign-in, wrong passwords refused, the signed-in account is the coder, a member sees only their
projects, a viewer's action is refused in the core, and a lead manages members."""
from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from test_app_pages import build_project
from workbench.model import Role
from workbench.store import Store
from workbench.team.accounts import add_user
from workbench.team.members import Team, add_member
from workbench.team.serve import TEAM_CONFIG_ENV

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "app.py"
PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    """A projects directory: 'garden' (the app tests' small project) and 'pantry'; three accounts."""
    folder = tmp_path_factory.mktemp("team")
    projects = folder / "projects"
    projects.mkdir()
    build_project(folder).rename(projects / "garden.wbproj")
    Store.create(projects / "pantry.wbproj").close()
    team = Team.at(projects)
    for name in ("lena", "cody", "vic"):
        add_user(team.server, name, PASSWORD)
    add_member(team, "garden", "lena", Role.LEAD)
    add_member(team, "garden", "cody", Role.CODER)
    add_member(team, "garden", "vic", Role.VIEWER)
    add_member(team, "pantry", "lena", Role.LEAD)
    team.server.close()
    return projects


@pytest.fixture
def team(template: Path, tmp_path: Path, monkeypatch) -> Team:
    return team_from(template, tmp_path, monkeypatch)


def team_from(template: Path, tmp_path: Path, monkeypatch) -> Team:
    """A copy of ``template``'s projects folder in ``tmp_path``, with this process in team mode on it."""
    projects = tmp_path / "projects"
    projects.mkdir()
    for path in template.iterdir():
        if path.is_file() and not path.name.endswith(("-wal", "-shm")):
            (projects / path.name).write_bytes(path.read_bytes())
    config = tmp_path / "team.toml"
    config.write_text('projects = "projects"\n')
    monkeypatch.setenv(TEAM_CONFIG_ENV, str(config))
    for variable in ("WORKBENCH_PROJECT", "WORKBENCH_USER"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("WORKBENCH_RECENT_FILE", str(tmp_path / "recent.json"))
    return Team.at(projects)


def sign_in(name: str, password: str = PASSWORD) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.run()
    at.text_input(key="team.name").input(name)
    at.text_input(key="team.password").input(password)
    [button] = [b for b in at.button if b.label == "Sign in"]
    button.click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def open_garden(at: AppTest) -> AppTest:
    at.button(key="team.open.garden").click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_before_sign_in_there_is_only_the_sign_in_page(team: Team) -> None:
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.run()
    assert not at.exception
    assert [t.value for t in at.title] == ["Resilience Workbench"]
    assert [b.label for b in at.button] == ["Sign in"]
    with pytest.raises(ValueError):  # no other page is in the navigation
        at.switch_page("workbench/ui/pages/code.py")


def test_a_wrong_password_is_refused_with_a_clear_message_and_logged(team: Team) -> None:
    at = sign_in("cody", "not the password")
    assert [e.value for e in at.error] == ["wrong account name or password"]
    assert [b.label for b in at.button] == ["Sign in"]
    assert [e.action for e in team.server.audit_entries(action="signin")] == ["signin.failed"]


def test_a_member_sees_only_their_projects_and_codes_as_the_signed_in_account(team: Team) -> None:
    at = sign_in("cody")
    buttons = [b.label for b in at.button]
    assert "garden (coder)" in buttons and not any("pantry" in b for b in buttons)
    assert not [t for t in at.text_input if t.key == "start.coder"]  # no name to type in team mode
    open_garden(at)
    assert any("Signed in as: **cody** \\(coder\\)" in c.value for c in at.sidebar.caption)
    store = Store.open(team.project_path("garden"))
    best, _ = store.suggestions()
    at.switch_page("workbench/ui/pages/suggestions.py").run()
    at.button(key=f"suggestions.accept.{best.id}").click().run()
    assert not at.exception
    [coding] = store.codings(coders=["cody"])
    assert coding.accepted_by == "cody"
    assert [e.action for e in team.server.audit_entries(action="signin")] == ["signin.ok"]


def test_a_viewer_accepting_a_suggestion_is_refused_in_the_core_and_nothing_changes(team: Team) -> None:
    # A viewer's page has no Accept (test_role_controls.py); this one was drawn while vic was still a coder.
    add_member(team, "garden", "vic", Role.CODER)
    at = open_garden(sign_in("vic"))
    store = Store.open(team.project_path("garden"))
    before = (len(store.codings()), len(store.events()))
    best, _ = store.suggestions()
    at.switch_page("workbench/ui/pages/suggestions.py").run()
    add_member(team, "garden", "vic", Role.VIEWER)
    at.button(key=f"suggestions.accept.{best.id}").click().run()
    assert any("vic is a viewer of garden: only a coder or lead may" in e.value.replace("\\", "")  # as read
               for e in at.error), \
        [e.value for e in at.error]
    assert (len(store.codings()), len(store.events())) == before
    assert store.get_suggestion(best.id).status == "pending"


def test_a_member_removed_meanwhile_loses_the_project_at_once(team: Team) -> None:
    at = open_garden(sign_in("cody"))
    team.server.remove_member("garden", "cody", "admin", "2026-12-06T10:00:00.000+00:00")
    at.switch_page("workbench/ui/pages/search.py").run()
    assert any("cody is no member of a project called 'garden'" in e.value for e in at.error)
    assert team.server.audit_entries(action="project.refused")[-1].actor == "cody"


def test_a_lead_adds_a_member_on_the_members_page_and_a_coder_cannot(team: Team) -> None:
    at = open_garden(sign_in("lena"))
    at.switch_page("workbench/ui/pages/members.py").run()
    assert not at.exception
    at.text_input(key="members.who").input("dana@uni.example")
    at.selectbox(key="members.role").set_value("viewer")
    [add] = [b for b in at.button if b.label == "Add or change"]
    add.click().run()
    assert team.server.role("garden", "dana@uni.example") == Role.VIEWER
    assert team.server.audit_entries(action="member.add")[-1].actor == "lena"

    at = open_garden(sign_in("cody"))
    at.switch_page("workbench/ui/pages/members.py").run()
    assert any("its leads manage the members" in i.value for i in at.info)
    assert not [b for b in at.button if b.label == "Add or change"]


def test_sign_out_ends_the_session_and_is_logged(team: Team) -> None:
    at = sign_in("cody")
    at.button(key="team.sign_out").click().run()
    assert [b.label for b in at.button] == ["Sign in"]
    assert team.server.audit_entries()[-1].action == "signout"


def test_an_idle_session_is_signed_out_and_that_is_logged(team: Team) -> None:
    import time

    at = open_garden(sign_in("cody"))
    at.session_state["team.last_seen"] = time.monotonic() - 31 * 60  # the default idle timeout is 30 minutes
    at.run()
    assert [b.label for b in at.button] == ["Sign in"]
    assert any("signed out after a while without activity" in e.value for e in at.error)
    last = team.server.audit_entries()[-1]
    assert (last.actor, last.action, last.detail) == ("cody", "signout", {"reason": "idle timeout"})


def test_repeated_wrong_passwords_are_throttled_in_the_app(team: Team) -> None:
    from workbench.team.accounts import MAX_FAILURES_PER_ACCOUNT

    for _ in range(MAX_FAILURES_PER_ACCOUNT):
        sign_in("cody", "guessing again")
    at = sign_in("cody")  # the right password now waits too
    assert any("too many failed sign-ins for this account" in e.value for e in at.error)
    assert [b.label for b in at.button] == ["Sign in"]
    assert team.server.audit_entries()[-1].action == "signin.throttled"


def test_only_a_lead_may_switch_pseudonyms_off_on_the_report_page(team: Team) -> None:
    at = open_garden(sign_in("cody"))
    at.switch_page("workbench/ui/pages/report.py").run()
    assert not at.exception
    assert all(t.disabled and t.value for t in at.toggle)  # pseudonyms on, and fixed
    at = open_garden(sign_in("lena"))
    at.switch_page("workbench/ui/pages/report.py").run()
    assert at.toggle and not any(t.disabled for t in at.toggle)
