"""Codebook: the code tree with definitions and counts; edit, add, move, merge, delete; a code's quotes."""
import streamlit as st

from workbench.ui import document_view as dv
from workbench.errors import WorkbenchError
from workbench.model import Code, Role
from workbench.analysis.quotes import attribution, load_quotes
from workbench.assist.suggest import edit_code
from workbench.ui import session
from workbench.ui.nav import open_in_code_page
from workbench.ui.memo_panel import memo_panel
from workbench.ui.text import counted, esc, md, quote, swatch

SELECTED = "codebook.code"
NEXT = "codebook.next"  # the code to select on the next run (the selectbox's own key is locked once drawn)
CONFIRM = "codebook.confirm"  # ("merge", source, target) or ("delete", code) awaiting confirmation
MESSAGE = "codebook.message"


def run(action, *args, done: str) -> bool:
    """Call a store method; show its error or leave a success message."""
    try:
        action(*args)
    except WorkbenchError as exc:
        st.error(md(str(exc)))
        return False
    st.session_state[MESSAGE] = done
    st.session_state.pop(CONFIRM, None)
    return True


def save_code(store, code_id: int, actor: str, changes: dict) -> None:
    """Save a code's changes; the first save in a session also loads the models that cache its new text."""
    with st.spinner("Saving, and caching the code's new text for suggestions…"):
        edit_code(store, code_id, actor, **changes)


def lines(text: str) -> list[str]:
    """One item per non-empty line."""
    return [line.strip() for line in text.splitlines() if line.strip()]


def details_html(code: Code, color: str, *, path: str) -> str:
    """A code's definition, notes, examples and keywords as escaped HTML, under its name and where it sits
    (``path``: the code's whole path; nothing more for a top-level code)."""
    notes = []
    if code.definition:
        notes.append(f"<p>{esc(code.definition)}</p>")
    if code.use_when:
        notes.append(f"<p><b>Use when:</b> {esc(code.use_when)}</p>")
    if code.dont_use_when:
        notes.append(f"<p><b>Don't use when:</b> {esc(code.dont_use_when)}</p>")
    if code.examples:
        notes.append("<p><b>Examples:</b></p><ul>" + "".join(f"<li>{esc(e)}</li>" for e in code.examples)
                     + "</ul>")
    if code.keywords:
        notes.append(f"<p><b>Keywords:</b> {esc(', '.join(code.keywords))}</p>")
    category = "" if code.codable else ' <i style="opacity:0.6">category</i>'
    body = "".join(notes) or "<p><i>No definition yet.</i></p>"
    parent = path.rpartition("/")[0]
    where = f' <span style="opacity:0.6">in {esc(parent)}</span>' if parent else ""
    return f'<div style="font-size:0.9rem"><p>{swatch(color, code.name)}{category}{where}</p>{body}</div>'


def pick(code_id: int) -> None:
    """Open a code of the tree in the editor (a callback: the selectbox is not drawn yet)."""
    st.session_state[NEXT] = code_id


store = session.require_project()
actor = session.require_coder()
st.title("Codebook")
lead = session.may(store, Role.LEAD)  # code.* and codebook.* changes are a lead's (store/access.py); memos a coder's
session.role_caption(store, viewer="read the codebook, its memos and its quotes; only its leads change it",
                     coder="write code memos; only its leads change the codebook")
notice = st.container()  # always there, so that a message does not move the tabs (which would show the first)
if MESSAGE in st.session_state:
    notice.success(md(st.session_state.pop(MESSAGE)))

codes = store.codes()
by_id = {c.id: c for c in codes}
colors = dv.code_lookup(codes)
depth: dict[int, int] = {}
for c in codes:
    depth[c.id] = depth[c.parent_id] + 1 if c.parent_id is not None else 0
counts = store.coding_counts()
coded_in = store.coded_sources()
below = {c.id: store.descendants(c.id) for c in codes}
totals = {c.id: sum(counts.get(i, 0) for i in below[c.id]) for c in codes}
source_totals = {c.id: len(set().union(*(coded_in.get(i, set()) for i in below[c.id]))) for c in codes}
if st.session_state.get(NEXT) in by_id:
    st.session_state[SELECTED] = st.session_state.pop(NEXT)

tree_col, act_col = st.columns([3, 2])
with tree_col:
    st.caption(f"{len(codes)} codes · click one to {'edit' if lead else 'read'} it · sources and codings count the "
               "codes below too")
    if not codes:
        st.info("No codes yet: add the first one on the right." if lead else "No codes yet.")
    for c in codes:
        dot_col, name_col, count_col = st.columns([0.12, 3, 2], vertical_alignment="center", gap="small")
        dot_col.html(swatch(colors[c.id][2], "", css_class="wb-code-dot"))  # its codings' colour in the text
        indent = "\u00a0\u00a0\u00a0" * depth[c.id]
        name_col.button(f"{indent}{md(c.name)}" + ("" if c.codable else " *(category)*"), key=f"codebook.tree.{c.id}",
                        type="secondary" if c.id == st.session_state.get(SELECTED) else "tertiary",
                        help=md(colors[c.id][1]), on_click=pick, args=(c.id,))
        count_col.caption(f"{counted(source_totals[c.id], 'source')} · {counted(totals[c.id], 'coding')}")

with act_col:
    if codes:
        if st.session_state.get(SELECTED) not in by_id:
            st.session_state[SELECTED] = codes[0].id
        code_id = st.selectbox("Code", list(by_id), key=SELECTED, format_func=lambda i: colors[i][1],
                               help=md(colors[st.session_state[SELECTED]][1]))
        code = by_id[code_id]
        st.html(details_html(code, colors[code.id][2], path=colors[code.id][1]))
    else:
        code = None
    tabs = st.tabs(["Edit", "Add", "Move · merge · delete", "Quotes"] if lead else ["Memos", "Quotes"])
    edit_tab, quotes_tab = tabs[0], tabs[-1]

    with edit_tab:
        if code is not None and lead:
            with st.form(f"codebook.edit.{code.id}"):
                name = st.text_input("Name", code.name, key=f"codebook.name.{code.id}")
                definition = st.text_area("Definition", code.definition)
                use_when = st.text_area("Use when", code.use_when)
                dont_use = st.text_area("Don't use when", code.dont_use_when)
                examples = st.text_area("Examples (one per line)", "\n".join(code.examples))
                keywords = st.text_input("Keywords (comma-separated)", ", ".join(code.keywords))
                color = st.color_picker("Colour", colors[code.id][2])
                codable = st.checkbox("Codable (off: a category that only groups codes)", code.codable)
                if st.form_submit_button("Save", type="primary", key=f"codebook.save.{code.id}"):
                    new = {"name": name.strip(), "definition": definition.strip(), "use_when": use_when.strip(),
                           "dont_use_when": dont_use.strip(), "examples": lines(examples),
                           "keywords": [k.strip() for k in keywords.split(",") if k.strip()],
                           "color": color, "codable": codable}
                    if new["color"] == colors[code.id][2] and not code.color:
                        new["color"] = None  # keep inheriting the parent's colour
                    elif code.color and new["color"].lower() == code.color.lower():
                        new["color"] = code.color
                    changes = {k: v for k, v in new.items() if getattr(code, k) != v}
                    if not new["name"]:
                        st.error("A code needs a name.")
                    elif changes and run(save_code, store, code.id, actor, changes,
                                         done=f"Saved {code.name}: {', '.join(changes)}."):
                        st.rerun()
        if code is not None:
            memo_panel(store, "code", code.id, actor, key=f"codebook.memo.{code.id}", label="Code memos")

    if lead:  # the Add and Move · merge · delete tabs
        with tabs[1]:
            with st.form("codebook.add", clear_on_submit=True):
                new_name = st.text_input("Name of the new code", key="codebook.new_name")
                parent = st.selectbox("Under", [None, *by_id], key="codebook.new_parent",
                                      format_func=lambda i: "top level" if i is None else colors[i][1],
                                      index=1 + list(by_id).index(code.id) if code else 0)
                new_definition = st.text_area("Definition")
                new_codable = st.checkbox("Codable", True)
                if st.form_submit_button("Add code", type="primary", key="codebook.add_code"):
                    if not new_name.strip():
                        st.error("A code needs a name.")
                    elif run(lambda: st.session_state.update(
                            {NEXT: store.add_code(new_name.strip(), actor, parent_id=parent,
                                                  definition=new_definition.strip(), codable=new_codable)}),
                             done=f"Added {new_name.strip()}."):
                        st.rerun()

        with tabs[2]:
            if code is not None:
                others = [i for i in by_id if i not in store.descendants(code.id)]
                new_parent = st.selectbox("Move under", [None, *others], key=f"codebook.move_to.{code.id}",
                                          format_func=lambda i: "top level" if i is None else colors[i][1])
                if st.button("Move", key="codebook.move", disabled=new_parent == code.parent_id):
                    if run(store.move_code, code.id, new_parent, actor, done=f"Moved {code.name}."):
                        st.rerun()
                st.divider()
                target = st.selectbox("Merge into", [i for i in by_id if i != code.id],
                                      key=f"codebook.merge_to.{code.id}", format_func=lambda i: colors[i][1])
                if st.button("Merge…", key="codebook.merge"):
                    st.session_state[CONFIRM] = ("merge", code.id, target)
                st.divider()
                if st.button(f"Delete {md(code.name)}…", key="codebook.delete"):
                    st.session_state[CONFIRM] = ("delete", code.id)
                pending = st.session_state.get(CONFIRM)
                if pending and pending[1] == code.id:
                    if pending[0] == "merge" and pending[2] in by_id:
                        st.warning(f"Merge **{md(code.name)}** into **{md(colors[pending[2]][1])}**: its "
                                   f"{counts.get(code.id, 0)} codings, its suggestions and its child codes move there, "
                                   "and the code goes.")
                        if st.button("Confirm merge", type="primary", key="codebook.confirm_merge"):
                            if run(store.merge_codes, code.id, pending[2], actor,
                                   done=f"Merged {code.name} into {colors[pending[2]][1]}."):
                                st.session_state[NEXT] = pending[2]
                                st.rerun()
                    elif pending[0] == "delete":
                        below = len(store.descendants(code.id)) - 1
                        st.warning(f"Delete **{md(code.name)}**"
                                   + (f" and the {below} codes under it" if below else "")
                                   + f": **{totals.get(code.id, 0)} codings will go** (Undo can bring them back).")
                        if st.button("Confirm delete", type="primary", key="codebook.confirm_delete"):
                            if run(store.delete_code, code.id, actor, done=f"Deleted {code.name}."):
                                st.rerun()
                    if st.button("Cancel", key="codebook.cancel"):
                        st.session_state.pop(CONFIRM, None)
                        st.rerun()

    with quotes_tab:
        if code is not None:
            found = load_quotes(store, code_ids=store.descendants(code.id))
            passages: dict[tuple, list] = {}  # the same words with the same code by several coders: shown once
            for q in found:
                passages.setdefault((q.source_id, q.start, q.end, q.code_id), []).append(q)
            st.caption(f"{counted(len(passages), 'passage')} ({counted(len(found), 'coding')}) for {md(code.name)} "
                       "and the codes under it")
            for same in list(passages.values())[:100]:
                q = same[0]
                provenance = sorted({s.provenance for s in same if s.provenance})
                with st.container(border=True):
                    quote(q.text, limit=500, note=f"{attribution(q)} · {q.code_path} · "
                          f"{', '.join(dict.fromkeys(s.coder for s in same))}"
                          + (f" · {'; '.join(provenance)}" if provenance else ""))
                    if st.button("Open", key=f"codebook.open.{q.coding_id}", help="Show it in the Code page"):
                        open_in_code_page(q.source_id, q.start, q.end)
            if len(passages) > 100:
                st.caption(f"… and {len(passages) - 100} more")
