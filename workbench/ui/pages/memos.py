"""Memos: every project, document, code, case and coding memo in one list, with filters; write and edit them."""
import streamlit as st

from workbench.errors import WorkbenchError
from workbench.model import Role
from workbench.sources.memos import KIND_LABELS, KINDS, MemoEntry, add_memo, edit_memo, list_memos, memo_authors, \
    remove_memo
from workbench.ui import history as ui_history
from workbench.ui import session
from workbench.ui.nav import open_in_code_page
from workbench.ui.text import md

MESSAGE = "memos.message"
PAGE = "memos.page"
PAGE_SIZE = 25  # memos drawn at once: each is an expander with a text box
NEW_KINDS = ("project", "source", "code", "case")  # a coding's memo is written where the coding is (Code page)


def say(kind: str, text: str) -> None:
    """Leave a message for the next run of the page."""
    st.session_state[MESSAGE] = (kind, text)


def set_page(number: int) -> None:
    """Show another page of the list."""
    st.session_state[PAGE] = max(0, number)


def entry_key(entry: MemoEntry) -> str:
    """A widget key part for an entry: ``m<id>`` for a stored memo, ``c<id>`` for a coding's own memo."""
    return f"m{entry.memo_id}" if entry.memo_id is not None else f"c{entry.coding_id}"


def write_memo() -> None:
    """Store the memo typed in the form."""
    state = st.session_state
    try:
        add_memo(session.project(), state.get("memos.new.text", ""), session.coder() or "unknown",
                 about=state["memos.new.kind"], target=state.get("memos.new.target"),
                 title=state.get("memos.new.title", ""))
    except WorkbenchError as exc:
        say("error", str(exc))
        return
    state["memos.new.text"] = state["memos.new.title"] = ""
    say("success", "Memo saved.")


def save(entry: MemoEntry) -> None:
    """Store the edited text (and title) of a memo, or a coding's memo."""
    key, state, store = entry_key(entry), st.session_state, session.project()
    try:
        if entry.memo_id is not None:
            edit_memo(store, entry.memo_id, session.coder() or "unknown", text=state[f"memos.text.{key}"],
                      title=state.get(f"memos.title.{key}", entry.title))
        else:
            store.update_coding(entry.coding_id, session.coder() or "unknown", memo=state[f"memos.text.{key}"])
    except WorkbenchError as exc:
        say("error", str(exc))
        return
    say("success", "Memo saved.")


def remove(entry: MemoEntry) -> None:
    """Delete a memo (or empty a coding's memo); Undo brings it back."""
    store, actor = session.project(), session.coder() or "unknown"
    try:
        if entry.memo_id is not None:
            remove_memo(store, entry.memo_id, actor)
        else:
            store.update_coding(entry.coding_id, actor, memo="")
    except WorkbenchError as exc:
        say("error", str(exc))
        return
    say("info", "Memo removed (Undo brings it back).")


def step_history(direction: str) -> None:
    """Undo or redo the coder's last action (a memo's, or any other of theirs)."""
    ui_history.step(direction, session.project(), session.coder(), say)


store = session.require_project()
coder = session.require_coder()
st.title("Memos")
st.caption("Free text with author and date about the project, a document, a code, a case or a coding. "
           "Coding memos are written beside the coding on the Code page; all of them are listed here.")
can_write = session.may(store, Role.CODER)  # memo.* and a coding's memo (coding.update) are a coder's
session.role_caption(store, viewer="read and filter the memos, not write them")
undo_col, redo_col, _ = st.columns([1, 1, 6])
ui_history.buttons(store, coder, undo_col, redo_col, key="memos", on_click=step_history)
if MESSAGE in st.session_state:
    level, text = st.session_state.pop(MESSAGE)
    getattr(st, level)(md(text))

if can_write:
    with st.expander("Write a memo", expanded=not store.memos()):
        kind = st.selectbox("About", NEW_KINDS, format_func=lambda k: KIND_LABELS[k], key="memos.new.kind")
        targets: dict = {}
        if kind == "source":
            targets = {s.id: s.name for s in store.list_sources()}
        elif kind == "code":
            targets = {c.id: store.code_path(c.id) for c in store.codes()}
        elif kind == "case":
            targets = {c.id: c.name for c in store.cases()}
        if kind != "project":
            st.selectbox(KIND_LABELS[kind], list(targets), format_func=targets.get, key="memos.new.target",
                         index=None, placeholder=f"choose a {KIND_LABELS[kind].lower()}")
        st.text_input("Title", key="memos.new.title")
        st.text_area("Memo", key="memos.new.text", height=120)
        st.button("Save memo", key="memos.add", type="primary", on_click=write_memo)

kinds_col, author_col, words_col = st.columns(3)
kinds = kinds_col.multiselect("About", KINDS, format_func=lambda k: KIND_LABELS[k], key="memos.kinds",
                              placeholder="everything")
author = author_col.selectbox("Author", memo_authors(store), index=None, key="memos.author", placeholder="anyone")
words = words_col.text_input("Containing", key="memos.contains", placeholder="words in the title or text")

entries = list_memos(store, kinds=kinds, author=author, contains=words)
if not entries:
    st.info("No memos match these filters." if kinds or author or words else
            "No memos yet: write one above, beside a coding on the Code page, or on a code in the Codebook."
            if can_write else "No memos yet.")
pages = max(1, -(-len(entries) // PAGE_SIZE))
page = min(st.session_state.get(PAGE, 0), pages - 1)
shown = entries[page * PAGE_SIZE:(page + 1) * PAGE_SIZE]
if pages > 1:
    st.caption(f"Memos {page * PAGE_SIZE + 1}–{page * PAGE_SIZE + len(shown)} of {len(entries)}")
for entry in shown:
    key = entry_key(entry)
    about = "" if entry.kind == "project" else f" · {entry.about}" + (f" · {entry.where}" if entry.where else "")
    title = f" — {entry.title}" if entry.title else ""
    label = f"{KIND_LABELS[entry.kind]}{about}{title} · {entry.author} · {entry.updated_at[:10]}"
    with st.expander(md(label)):  # memo text and names come from people and imports: shown as plain text
        if can_write:
            if entry.memo_id is not None:
                st.text_input("Title", value=entry.title, key=f"memos.title.{key}")
            st.text_area("Memo", value=entry.text, key=f"memos.text.{key}", height=120,
                         help=f"Written by {entry.author} on {entry.created_at[:16].replace('T', ' ')} UTC")
            save_col, remove_col, open_col = st.columns(3)
            save_col.button("Save", key=f"memos.save.{key}", on_click=save, args=(entry,))
            remove_col.button("Remove", key=f"memos.remove.{key}", on_click=remove, args=(entry,))
        else:
            st.text(entry.text)
            open_col = st.container()
        if entry.source_id is not None and open_col.button("Open on the Code page", key=f"memos.open.{key}"):
            offset = store.get_coding(entry.coding_id).start if entry.coding_id is not None else None
            open_in_code_page(entry.source_id, offset)
if pages > 1:
    prev_col, where_col, next_col = st.columns([1, 2, 1], vertical_alignment="center")
    prev_col.button("◀ Previous", key="memos.prev", disabled=page == 0, on_click=set_page, args=(page - 1,))
    where_col.caption(f"page {page + 1} of {pages}")
    next_col.button("Next ▶", key="memos.next", disabled=page >= pages - 1, on_click=set_page, args=(page + 1,))
