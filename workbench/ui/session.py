"""The open project and the coder's name: UI state in ``st.session_state``, the Store behind ``st.cache_resource``."""
from __future__ import annotations

import getpass
import json
import os
from pathlib import Path

import streamlit as st

from workbench.errors import WorkbenchError
from workbench.model import Role
from workbench.store import Store
from workbench.store.access import WHAT
from workbench.ui import team
from workbench.ui.text import md

PROJECT_KEY = "project_path"
CODER_KEY = "coder"
MAX_RECENT = 8


@st.cache_resource(show_spinner=False, max_entries=8)
def open_store(path: str) -> Store:
    """The project at ``path``, opened once per server process and shared by every session."""
    return Store.open(path)


def forget_stores() -> None:
    """Drop every cached project (after a project file was replaced, e.g. the demo rebuilt)."""
    open_store.clear()


def init_session() -> None:
    """Fill the session's defaults: the project given to ``workbench app`` and the coder's name (team mode:
    none; the signed-in account is the coder)."""
    if team.active():
        return
    if PROJECT_KEY not in st.session_state:
        given = os.environ.get("WORKBENCH_PROJECT")
        st.session_state[PROJECT_KEY] = str(Path(given).resolve()) if given and Path(given).exists() else None
    if CODER_KEY not in st.session_state:
        st.session_state[CODER_KEY] = (os.environ.get("WORKBENCH_USER") or _login_name()).strip()


def _login_name() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return ""


def project() -> Store | None:
    """The open project, or None (with the error shown) when there is none or it cannot be opened.

    In team mode: opened as the signed-in account, so the store checks its role on every change."""
    if team.active():
        return team.project()
    path = st.session_state.get(PROJECT_KEY)
    if not path:
        return None
    try:
        return open_store(path)
    except WorkbenchError as exc:
        st.error(md(str(exc)))
        return None


def use_project(path: str | Path) -> Store:
    """Open a project for this session and remember it in the recent list (single-user mode only)."""
    if team.active():
        raise WorkbenchError("on a team server, open one of your projects on the Start page")
    resolved = str(Path(path).expanduser().resolve())
    store = open_store(resolved)
    st.session_state[PROJECT_KEY] = resolved
    remember(resolved)
    return store


def require_project() -> Store:
    """The open project; otherwise a pointer to the Start page, and the page stops here."""
    store = project()
    if store is None:
        st.info("No project is open yet: choose or create one on the Start page.")
        st.page_link(_start_page(), label="Go to Start", icon=":material/home:")
        st.stop()
    return store


def coder() -> str:
    """Who is coding in this session ('' when nobody said); in team mode the signed-in account, never typed."""
    if team.active():
        return team.account()
    return st.session_state.get(CODER_KEY, "")


def require_coder() -> str:
    """The coder's name; otherwise a pointer to the Start page, and the page stops here."""
    name = coder()
    if not name:
        st.warning("Say who is coding on the Start page first: your name goes on every coding.")
        st.page_link(_start_page(), label="Go to Start", icon=":material/home:")
        st.stop()
    return name


# -- what the signed-in account's role allows (team mode; alone, everything) -------------------------------
def may(store: Store, role: Role) -> bool:
    """Whether this session may make the changes that need ``role`` (always in single-user mode). Pages hide or
    disable what it may not: the store refuses it either way (``workbench.store.access``)."""
    return store.access is None or store.access.role >= role


def only(role: Role, what: str) -> str:
    """A disabled control's help: who may do it ("Only a lead may merge codes.")."""
    return f"Only {WHAT[role]} may {what}."


def role_caption(store: Store, *, viewer: str = "", coder: str = "") -> None:
    """Under a page's title, once: what the account's role allows here, given as the words after "you can" for
    a ``viewer`` and a ``coder`` ("read and search, not code"); nothing alone, for a lead, or without words."""
    access = store.access
    words = {Role.VIEWER: viewer, Role.CODER: coder}.get(access.role) if access is not None else ""
    if words:
        st.caption(f"You are a {access.role.label} of this project: you can {words}.")


def _start_page() -> str:
    from workbench.ui.nav import page_file

    return str(page_file("start"))


# -- recent projects (a small JSON file in the user's config folder; nothing leaves the machine) ---------
def recent_file() -> Path:
    """Where the recent-projects list is kept ($WORKBENCH_RECENT_FILE overrides)."""
    override = os.environ.get("WORKBENCH_RECENT_FILE")
    if override:
        return Path(override)
    base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return base / "resilience-workbench" / "recent.json"


def recent_projects() -> list[str]:
    """Recently opened project files that still exist, newest first."""
    try:
        paths = json.loads(recent_file().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    return [p for p in paths if isinstance(p, str) and Path(p).exists()][:MAX_RECENT]


def remember(path: str) -> None:
    """Put a project at the top of the recent list."""
    paths = [path] + [p for p in recent_projects() if p != path]
    target = recent_file()
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(paths[:MAX_RECENT], indent=1), encoding="utf-8")
    except OSError:
        pass  # a read-only home folder only costs the recent list
