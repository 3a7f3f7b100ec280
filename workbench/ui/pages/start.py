"""Start: who is coding, and which project to work on (open, create, recent, or the demo)."""
import os
from pathlib import Path

import streamlit as st

from workbench.sources import DEFAULT_DEMO_PATH
from workbench.sources.demo import build_demo
from workbench.errors import WorkbenchError
from workbench.model import Role
from workbench.store import Store
from workbench.ui import session, team
from workbench.ui.nav import page_file
from workbench.ui.text import md


def set_coder() -> None:
    """Copy the name typed into the session (the widget's own key disappears on other pages)."""
    st.session_state[session.CODER_KEY] = st.session_state["start.coder"].strip()


def open_project(path: str, *, create: bool = False, name: str = "") -> None:
    """Open (or create) a project and make it this session's."""
    path = path.strip()
    if not path:
        st.error("Type the path of a project file.")
        return
    try:
        if create:
            if Path(path).expanduser().exists():
                raise WorkbenchError(f"{path} already exists: open it instead")
            Store.create(Path(path).expanduser(), name=name.strip() or Path(path).stem).close()
        session.use_project(path)
    except WorkbenchError as exc:
        st.error(md(str(exc)))
        return
    except OSError as exc:
        st.error(md(f"{path}: {exc.strerror or exc}"))
        return
    st.rerun()


def open_demo() -> None:
    """Build the demo project (once) and open it."""
    demo_path = Path(os.environ.get("WORKBENCH_DEMO_PATH") or DEFAULT_DEMO_PATH).resolve()
    bar = st.progress(0.0, text="Building the demo project…")

    def progress(done: int, total: int, name: str) -> None:
        bar.progress(min(done / max(total, 1), 1.0), text=f"Importing {name}")

    try:
        build_demo(demo_path, on_progress=progress).close()
        session.use_project(demo_path)
    except WorkbenchError as exc:
        bar.empty()
        st.error(md(str(exc)))
        return
    bar.empty()
    st.rerun()


st.title("Resilience Workbench")
WHERE = "on your team's server" if team.active() else "on this computer"
st.write("Code interviews, diaries, surveys and field notes; review machine suggestions; find and compare "
         f"evidence. Everything stays {WHERE}.")

if team.active():  # the signed-in account is the coder: no name to type, only the account's projects
    team.my_project_list()
else:
    st.subheader("Who is coding?")
    st.text_input("Your name (it goes on every coding you make)", value=session.coder(), key="start.coder",
                  on_change=set_coder, max_chars=80, placeholder="e.g. amira")
    if not session.coder():
        st.warning("Type your name before coding.")

st.subheader("Project")
current = session.project()
if current is not None:
    counts = current.counts()
    st.success(f"Open: **{md(current.setting('name') or current.path.stem)}** — {counts['sources']} sources, "
               f"{counts['words']:,} words, {counts['codes']} codes, {counts['codings']:,} codings")
    if not team.active():  # the server's folders are none of a team member's business
        st.caption(md(str(current.path)))
    go_sources, go_code = st.columns(2)
    go_sources.page_link(str(page_file("sources")), label="Import and describe sources"
                         if session.may(current, Role.LEAD) else "Sources",
                         icon=":material/description:")
    go_code.page_link(str(page_file("code")), label="Start coding" if session.may(current, Role.CODER)
                      else "Read the sources", icon=":material/edit_note:")

if team.active():
    st.stop()  # no opening by path, creating or demo on a team server: the admin adds projects

open_tab, create_tab, demo_tab = st.tabs(["Open", "Create", "Demo"])
with open_tab:
    with st.form("start.open"):
        path = st.text_input("Project file", placeholder="/path/to/project.wbproj", key="start.open_path")
        if st.form_submit_button("Open", type="primary", key="start.open"):
            open_project(path)
    recent = [p for p in session.recent_projects() if p != st.session_state.get(session.PROJECT_KEY)]
    if recent:
        st.caption("Recent projects")
        for i, recent_path in enumerate(recent):
            if st.button(md(Path(recent_path).name), key=f"start.recent.{i}", help=md(recent_path)):
                open_project(recent_path)
with create_tab:
    with st.form("start.create"):
        new_path = st.text_input("New project file", placeholder="/path/to/evaluation.wbproj", key="start.new_path")
        new_name = st.text_input("Project name", placeholder="e.g. Stronger Together evaluation",
                                 key="start.new_name")
        if st.form_submit_button("Create", type="primary", key="start.create"):
            open_project(new_path, create=True, name=new_name)
with demo_tab:
    st.write("A fictional programme in three sites: 18 interviews, diaries and journals, field notes, two "
             "surveys and 80 social-media posts, coded by two researchers with the resilience codebook.")
    if st.button("Open the demo project", type="primary", key="start.demo"):
        open_demo()
