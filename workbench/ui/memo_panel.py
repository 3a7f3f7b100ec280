"""A small memo panel for one document or code: its memos as plain text, and a box to write another.

Used by the Code page (document memos) and the Codebook editor (code memos); the Memos page lists them all.
"""
from __future__ import annotations

import streamlit as st

from workbench.errors import WorkbenchError
from workbench.model import Role
from workbench.sources.memos import add_memo, memos_about
from workbench.store import Store
from workbench.ui import session
from workbench.ui.text import md


def _write(store: Store, about: str, target_id: int, actor: str, key: str) -> None:
    """Store the memo typed in the panel's box (a callback: runs before the page draws again)."""
    try:
        add_memo(store, st.session_state.get(f"{key}.new", ""), actor or "unknown", about=about, target=target_id)
    except WorkbenchError as exc:
        st.session_state[f"{key}.error"] = str(exc)
        return
    st.session_state[f"{key}.new"] = ""


def memo_panel(store: Store, about: str, target_id: int, actor: str | None, *, key: str, label: str) -> None:
    """An expander with the memos about ``target_id`` (newest last) and a box to add one as ``actor`` (not for a
    viewer in team mode)."""
    memos = memos_about(store, about, target_id)
    with st.expander(f"{label} ({len(memos)})", expanded=False):
        if f"{key}.error" in st.session_state:
            st.error(md(st.session_state.pop(f"{key}.error")))
        for memo in memos:
            st.caption(md(f"{memo.title + ' · ' if memo.title else ''}{memo.author} · "
                          f"{memo.updated_at[:16].replace('T', ' ')}"))
            st.text(memo.text)  # from people and imports: plain text, never Markdown
        if not session.may(store, Role.CODER):  # a viewer in team mode reads them
            return
        # labelled "Text", not "… memo": on the Code page "Memo" is the focused coding's own memo box
        st.text_area("Text", key=f"{key}.new", height=80, placeholder="What do you want to remember?")
        st.button("Add memo", key=f"{key}.add", on_click=_write, args=(store, about, target_id, actor or "", key),
                  disabled=not actor)
        st.caption("Edit or remove memos on the Memos page.")
