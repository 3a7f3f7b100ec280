"""Team mode of the app (`workbench serve`): sign-in (local account or institutional OIDC), the signed-in
account as the coder, idle timeout, and the projects opened with the account's role.

Team mode is on when the server process has $WORKBENCH_TEAM_CONFIG; without it (`workbench app`) nothing here
runs and the app is the single-user workbench.
"""
from __future__ import annotations

import os
import time

import streamlit as st

from workbench.errors import SignInFailed, WorkbenchError
from workbench.model import Access, Role
from workbench.store import Store
from workbench.team.accounts import sign_in, sign_in_institutional, sign_out
from workbench.team.config import TeamConfig, load_config
from workbench.team.members import Team, my_projects, open_project
from workbench.team.serve import TEAM_CONFIG_ENV
from workbench.ui.text import md

ACCOUNT_KEY = "team.account"  # the signed-in account's name
METHOD_KEY = "team.method"  # "password" or "oidc"
SEEN_KEY = "team.last_seen"  # time.monotonic() of the last page run, for the idle timeout
PROJECT_KEY = "team.project"  # the open project's name


def active() -> bool:
    """Whether the app runs as a team server."""
    return bool(os.environ.get(TEAM_CONFIG_ENV))


@st.cache_resource(show_spinner=False)
def _config(path: str) -> TeamConfig:
    return load_config(path)


@st.cache_resource(show_spinner=False)
def _team(projects: str) -> Team:
    return Team.at(projects)


def config() -> TeamConfig:
    """The server's checked config (read once per process)."""
    return _config(os.environ[TEAM_CONFIG_ENV])


def team() -> Team:
    """The server's projects directory and its database."""
    return _team(str(config().projects))


def address() -> str:
    """The browser's address: the proxy's X-Forwarded-For (last hop, added by our proxy) when behind one."""
    if config().behind_proxy:
        forwarded = st.context.headers.get("X-Forwarded-For")
        if isinstance(forwarded, str) and forwarded.split(",")[-1].strip():
            return forwarded.split(",")[-1].strip()
    ip = st.context.ip_address
    return ip if isinstance(ip, str) and ip else "unknown"  # (no address in tests without a browser)


def account() -> str:
    """The signed-in account ('' before sign-in)."""
    return st.session_state.get(ACCOUNT_KEY, "")


def _end(reason: str) -> None:
    name, method = account(), st.session_state.get(METHOD_KEY)
    if name:
        sign_out(team().server, name, address=address(), reason=reason)
    for key in (ACCOUNT_KEY, METHOD_KEY, SEEN_KEY, PROJECT_KEY):
        st.session_state.pop(key, None)
    if method == "oidc":
        st.logout()


def sign_out_button() -> None:
    """'Sign out' in the sidebar."""
    if st.button("Sign out", key="team.sign_out", icon=":material/logout:"):
        _end("signed out")
        st.rerun()


def _idle_expired() -> bool:
    seen = st.session_state.get(SEEN_KEY)
    now = time.monotonic()
    st.session_state[SEEN_KEY] = now
    return seen is not None and now - seen > config().session_idle_minutes * 60


def signed_in() -> bool:
    """Whether this session has a signed-in account (ending it after the idle timeout)."""
    if not account() and config().oidc is not None and st.user.is_logged_in \
            and "team.refused" not in st.session_state:
        _institutional()
    if account() and _idle_expired():
        _end("idle timeout")
        st.session_state["team.notice"] = "You were signed out after a while without activity: sign in again."
        return False
    if account():
        _last_activity()[account().lower()] = time.time()
    return bool(account())


@st.cache_resource(show_spinner=False)
def _last_activity() -> dict[str, float]:
    """When each account last did something in this server process (time.time()), across its sessions."""
    return {}


def _identity_is_fresh(email: str) -> bool:
    """Whether the provider's sign-in cookie (valid for 30 days) may still stand for ``email``: it was issued
    within the idle timeout, or the account was active in this server within it. A cookie left for longer
    is ended, so the idle timeout holds across browser sessions too."""
    idle = config().session_idle_minutes * 60
    issued = st.user.get("iat")
    now = time.time()
    if isinstance(issued, (int, float)) and now - issued < idle:
        return True
    return now - _last_activity().get(email.lower(), float("-inf")) < idle


def _institutional() -> None:
    settings = config().oidc
    email = str(st.user.get("email") or "")
    if not _identity_is_fresh(email):
        sign_out(team().server, email.lower() or "?", address=address(), reason="idle timeout")
        st.session_state["team.notice"] = "You were signed out after a while without activity: sign in again."
        st.logout()
        return
    try:
        name = sign_in_institutional(team().server, email,
                                     allowed_domains=settings.allowed_domains,
                                     allowed_addresses=settings.allowed_emails, address=address())
    except SignInFailed as exc:  # stay signed in at the provider until they choose another account
        st.session_state["team.notice"] = str(exc)
        st.session_state["team.refused"] = True
        return
    st.session_state[ACCOUNT_KEY], st.session_state[METHOD_KEY] = name, "oidc"


def _password_sign_in() -> None:
    name, password = st.session_state.get("team.name", ""), st.session_state.get("team.password", "")
    st.session_state["team.password"] = ""
    try:
        found = sign_in(team().server, name, password, address=address())
    except SignInFailed as exc:
        st.session_state["team.notice"] = str(exc)
        return
    st.session_state[ACCOUNT_KEY], st.session_state[METHOD_KEY] = found.name, "password"
    st.session_state.pop("team.notice", None)


def sign_in_page() -> None:
    """The only page before sign-in: institutional sign-in if configured, and a local account form."""
    st.title("Resilience Workbench")
    st.write("Sign in to see your team's projects.")
    notice = st.session_state.get("team.notice")
    if notice:
        st.error(notice)
    if config().oidc is not None and st.session_state.get("team.refused"):
        if st.button("Sign in with another institutional account", key="team.oidc_out", icon=":material/logout:"):
            st.session_state.pop("team.refused", None)
            st.logout()
    elif config().oidc is not None:
        if st.button("Sign in with your institution", type="primary", key="team.oidc", icon=":material/login:"):
            st.login()
        st.caption("or with a local account")
    with st.form("team.sign_in"):
        st.text_input("Account name", key="team.name", max_chars=100, autocomplete="username")
        st.text_input("Password", key="team.password", type="password", max_chars=1024,
                      autocomplete="current-password")
        st.form_submit_button("Sign in", on_click=_password_sign_in)


@st.cache_resource(show_spinner=False, max_entries=64)
def _open(projects: str, name: str, project: str, role: Role) -> Store:
    """A project opened as ``name`` with ``role`` (a role change makes a new key, so a new check)."""
    return open_project(_team(projects), name, project)


def project() -> Store | None:
    """This session's open project, opened as the signed-in account (None when none or no longer a member)."""
    name = st.session_state.get(PROJECT_KEY)
    if not name or not account():
        return None
    role = team().server.role(name, account())
    try:
        if role is None:
            open_project(team(), account(), name, address=address())  # logs the refusal and raises
        return _open(str(config().projects), account(), name, role)
    except WorkbenchError as exc:
        st.session_state.pop(PROJECT_KEY, None)
        st.error(str(exc))
        return None


def use_project(name: str) -> Store | None:
    """Open the project called ``name`` for this session, if the account is a member."""
    st.session_state[PROJECT_KEY] = name
    return project()


def access() -> Access | None:
    """The signed-in account's access to the open project."""
    store = project()
    return store.access if store is not None else None


def my_project_list() -> None:
    """Start page in team mode: the account's projects with its role on each, to open."""
    st.subheader("Your projects")
    mine = my_projects(team(), account())
    if not mine:
        st.info("You are not a member of any project yet: ask a project's lead to add you.")
    for member in mine:
        label = f"{member.project} ({member.role.label})"
        if st.button(label, key=f"team.open.{member.project}", type="primary"
                     if member.project == st.session_state.get(PROJECT_KEY) else "secondary"):
            use_project(member.project)
            st.rerun()


def sidebar() -> None:
    """Who is signed in, as what, and the sign-out button."""
    current = access()
    role = f" ({current.role.label})" if current else ""
    st.caption(f"Signed in as: **{md(account())}**{md(role)}")
    sign_out_button()
