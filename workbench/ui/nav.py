"""The app's pages and moving between them."""
from __future__ import annotations

import uuid
from pathlib import Path

import streamlit as st
from streamlit.errors import StreamlitPageNotFoundError

PAGES_DIR = Path(__file__).resolve().parent / "pages"
PAGES = {  # name: (file, title, icon)
    "start": ("start.py", "Start", ":material/home:"),
    "sources": ("sources.py", "Sources", ":material/description:"),
    "code": ("code.py", "Code", ":material/edit_note:"),
    "suggestions": ("suggestions.py", "Suggestions", ":material/lightbulb:"),
    "codebook": ("codebook.py", "Codebook", ":material/account_tree:"),
    "memos": ("memos.py", "Memos", ":material/sticky_note_2:"),
    "search": ("search.py", "Search", ":material/search:"),
}
ANALYSIS_PAGES = {  # pages other parts of the project add; listed when their file is there
    "compare": ("compare.py", "Compare", ":material/grid_on:"),
    "themes": ("themes.py", "Themes", ":material/category:"),
    "framework": ("framework.py", "Framework", ":material/table_chart:"),
    "reliability": ("reliability.py", "Reliability", ":material/balance:"),
    "report": ("report.py", "Report", ":material/summarize:"),
}
TEAM_PAGES = {  # pages only a team server has
    "members": ("members.py", "Members", ":material/group:"),
}
OPEN_KEY = "code.open"  # a request to show a source (and a position in it) on the Code page


def page_file(name: str) -> Path:
    """The file of a page."""
    return PAGES_DIR / {**PAGES, **ANALYSIS_PAGES, **TEAM_PAGES}[name][0]


def pages(*, team: bool = False) -> dict[str, list[st.Page]]:
    """Every page by menu section, in menu order (Start first and default); ``team``: with the Members page."""
    listed = {**PAGES, **TEAM_PAGES} if team else PAGES
    work = [st.Page(page_file(name), title=title, icon=icon, default=name == "start")
            for name, (_file, title, icon) in listed.items()]
    analyse = [st.Page(page_file(name), title=title, icon=icon)
               for name, (_file, title, icon) in ANALYSIS_PAGES.items() if page_file(name).exists()]
    return {"Code": work, "Analyse": analyse} if analyse else {"": work}


def open_in_code_page(source_id: int, offset: int | None = None, end: int | None = None, *,
                      select: bool = False) -> None:
    """Show a source on the Code page scrolled to ``offset``; with ``select``, ``[offset, end)`` is selected,
    ready to code (call when a button returns True, not in a callback)."""
    st.session_state[OPEN_KEY] = {"source_id": int(source_id), "offset": offset, "end": end, "select": select,
                                  "nonce": uuid.uuid4().hex}
    st.switch_page(page_file("code"))


def link_to(name: str, label: str) -> None:
    """A link to another page of the app (an empty state's way to where the work is done); where that page is
    not in the menu (a page run on its own), the same words without the link."""
    _file, title, icon = {**PAGES, **ANALYSIS_PAGES, **TEAM_PAGES}[name]
    try:
        st.page_link(str(page_file(name)), label=label, icon=icon)
    except StreamlitPageNotFoundError:
        st.caption(f"{label}: on the {title} page.")
