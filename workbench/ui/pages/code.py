"""Code: read a source, select words with the mouse and apply codes; codings and suggestions in the margin."""
import uuid

import streamlit as st

from workbench.assist.review import accept, reject
from workbench.ui import document_view as dv
from workbench.errors import InvalidMedia, WorkbenchError
from workbench.model import Role
from workbench.sources import media
from workbench.ui import history as ui_history
from workbench.ui import session
from workbench.ui.document import document, trigger
from workbench.ui.memo_panel import memo_panel
from workbench.ui.nav import OPEN_KEY, page_file
from workbench.ui.text import esc, md, quote, swatch

DOC_KEY = "code.doc"
SOURCE_KEY = "code.source"
SELECTION = "code.selection"  # {"source_id", "start", "end"}: the words selected in the document
FOCUS = "code.focus"  # {"source_id", "offset", "kind", "id"}: the passage or margin note clicked
SCROLL = "code.scroll"  # {"offset", "end", "nonce"}: where to scroll the document (and select to end), once
MESSAGE = "code.message"  # (kind, text) shown once after an action
RECENT = "code.recent_codes"
PAGE = "code.page"
HANDLED = "code.handled"  # nonces of the document's actions already done (a trigger can arrive twice)
PLACE = "code.remembered"  # (coder, source id) last written as the coder's place in the project
PAGE_SIZE = 12


# -- actions (callbacks: they run before the page draws, so the document shows their result) --------------
def say(kind: str, text: str) -> None:
    """Leave a message for the next run of the page."""
    st.session_state[MESSAGE] = (kind, text)


def first_time(value: dict) -> bool:
    """Whether an action from the document is new: Streamlit can deliver one trigger with two reruns (the
    second interrupting the first), and an accept, an apply or an undo must happen once."""
    nonce = value.get("nonce")
    done = st.session_state.setdefault(HANDLED, [])
    if nonce is None:
        return True
    if nonce in done:
        return False
    done.append(nonce)
    del done[:-50]
    return True


def on_selection() -> None:
    """The researcher selected words in the document."""
    value = trigger(DOC_KEY, "selection")
    if value:
        st.session_state[SELECTION] = {"source_id": st.session_state[SOURCE_KEY], "start": int(value["start"]),
                                       "end": int(value["end"])}


def on_clicked() -> None:
    """The researcher clicked a highlighted passage or a margin note."""
    value = trigger(DOC_KEY, "clicked")
    if value:
        focus(int(value["offset"]), value.get("kind"), value.get("id"), scroll=False)


def focus(offset: int, kind: str | None = None, mark_id: int | None = None, *, scroll: bool = True) -> None:
    """Show what is at ``offset`` in the side panel (and scroll the document there)."""
    st.session_state[FOCUS] = {"source_id": st.session_state[SOURCE_KEY], "offset": offset, "kind": kind,
                               "id": mark_id}
    if scroll:
        st.session_state[SCROLL] = {"offset": offset, "end": None, "nonce": uuid.uuid4().hex}


def on_decide() -> None:
    """An accept or reject button beside the text was pressed."""
    value = trigger(DOC_KEY, "decide")
    if value and first_time(value):
        decide(value.get("action", ""), int(value["id"]))


def on_apply() -> None:
    """A quick code was applied in the document (a key 1-9, the finder, a click or a drop) to selected words."""
    value = trigger(DOC_KEY, "apply")
    if not value or not first_time(value):
        return
    source_id = st.session_state[SOURCE_KEY]
    try:
        text = session.project().get_source(source_id).text
    except WorkbenchError as exc:  # deleted in another session meanwhile
        say("error", str(exc))
        return
    start, end = dv.snap_to_words(text, int(value["start"]), int(value["end"]))
    if start >= end:
        say("warning", "The selection holds only white space.")
        return
    st.session_state[SELECTION] = {"source_id": source_id, "start": start, "end": end}
    apply_codes([int(value["code"])])


def on_history() -> None:
    """Ctrl+Z or Ctrl+Shift+Z in the document."""
    value = trigger(DOC_KEY, "history")
    if value and value.get("direction") in ("undo", "redo") and first_time(value):
        if not session.coder():
            say("error", "Say who is coding on the Start page first.")
            return
        step_history(value["direction"])


def decide(action: str, suggestion_id: int) -> None:
    """Accept or reject a suggestion as the session's coder."""
    store, actor = session.project(), session.coder()
    if store is None or not actor:
        say("error", "Say who is coding on the Start page first.")
        return
    try:
        if action == "accept":
            say("success", accept(store, suggestion_id, actor) + " (now your coding)")
        elif action == "reject":
            say("info", reject(store, suggestion_id, actor))
    except WorkbenchError as exc:
        say("error", str(exc))


def apply_codes(code_ids: list[int]) -> None:
    """Apply codes to the selected words, as the session's coder."""
    store, actor, selection = session.project(), session.coder(), st.session_state.get(SELECTION)
    if store is None or not selection or not code_ids:
        return
    if not actor:
        say("error", "Say who is coding on the Start page first: your name goes on every coding.")
        return
    applied, problems = [], []
    for code_id in code_ids:
        try:
            store.add_coding(selection["source_id"], selection["start"], selection["end"], code_id, actor)
            applied.append(store.get_code(code_id).name)
        except WorkbenchError as exc:
            problems.append(str(exc))
    recent = [c for c in code_ids if c not in st.session_state.get(RECENT, [])]
    st.session_state[RECENT] = (recent + st.session_state.get(RECENT, []))[:9]
    st.session_state.pop(SELECTION, None)
    st.session_state.pop("code.apply_codes", None)
    if (st.session_state.get(SCROLL) or {}).get("end") is not None:  # a search hit, now coded: stop selecting it
        st.session_state[SCROLL] = {**st.session_state[SCROLL], "end": None}
    say("error" if problems and not applied else "success",
        (f"Coded with {', '.join(applied)}. " if applied else "") + " ".join(problems))


def apply_chosen() -> None:
    """Apply the codes chosen in the list (read when the button is pressed, not when it was drawn)."""
    chosen = list(st.session_state.get("code.apply_codes") or [])
    if chosen:
        apply_codes(chosen)
    else:
        say("warning", "Choose one or more codes to apply.")


def label_of(lookup: dict, code_id: int) -> str:
    """A code as the list shows it: its name first, then where it sits in the tree."""
    name, path, _color = lookup[code_id]
    parent = path[:-len(name) - 1]
    return f"{name} · {parent}" if parent else name


def remove_coding(coding_id: int) -> None:
    """Remove one of the codings (undo brings it back)."""
    try:
        session.project().remove_coding(coding_id, session.coder() or "unknown")
        say("info", "Coding removed (Undo brings it back).")
    except WorkbenchError as exc:
        say("error", str(exc))


def save_memo(coding_id: int) -> None:
    """Store the memo typed for a coding."""
    try:
        session.project().update_coding(coding_id, session.coder() or "unknown",
                                        memo=st.session_state[f"code.memo.{coding_id}"])
        say("success", "Memo saved.")
    except WorkbenchError as exc:
        say("error", str(exc))


def step_history(direction: str) -> None:
    """Undo or redo the coder's last action."""
    ui_history.step(direction, session.project(), session.coder(), say)


def set_page(number: int) -> None:
    """Show another page of the margin list."""
    st.session_state[PAGE] = max(0, number)


# -- the page ---------------------------------------------------------------------------------------------
store = session.require_project()
actor = session.coder()
can_code = session.may(store, Role.CODER)  # codings, their memos, suggestions, undo: a coder's (store/access.py)
sources = {s.id: s for s in store.list_sources()}
if not sources:
    st.info("This project has no sources yet.")
    st.page_link(str(page_file("sources")), label="Import sources", icon=":material/description:")
    st.stop()

request = st.session_state.pop(OPEN_KEY, None)
if request and request["source_id"] in sources:
    st.session_state[SOURCE_KEY] = request["source_id"]
    if request.get("offset") is not None:
        select = bool(request.get("select")) and request.get("end") is not None
        st.session_state[SCROLL] = {"offset": request["offset"], "end": request["end"] if select else None,
                                    "nonce": request["nonce"]}
        if select:  # a search hit: its words are selected, ready to code
            st.session_state[SELECTION] = {"source_id": request["source_id"], "start": request["offset"],
                                           "end": request["end"]}
            st.session_state.pop(FOCUS, None)
        else:
            st.session_state[FOCUS] = {"source_id": request["source_id"], "offset": request["offset"],
                                       "kind": None, "id": None}
if st.session_state.get(SOURCE_KEY) not in sources:  # a new session: the source this coder had open last
    remembered = store.last_source(actor) if actor else None
    st.session_state[SOURCE_KEY] = remembered if remembered in sources else next(iter(sources))

session.role_caption(store, viewer="read and search, not code")
pick_col, coder_col, toggle_col, undo_col, redo_col = st.columns([4, 3, 1.6, 1.2, 1.2],
                                                                vertical_alignment="bottom")
source_id = pick_col.selectbox("Source", list(sources), key=SOURCE_KEY, format_func=lambda i: (
    f"{sources[i].name} ({sources[i].kind}, {sources[i].words:,} words)"))
if actor and st.session_state.get(PLACE) != (actor, source_id):
    try:
        store.remember_source(actor, source_id)
    except WorkbenchError:  # a place not kept is no reason to stop coding
        pass
    st.session_state[PLACE] = (actor, source_id)
coders_shown = coder_col.multiselect("Codings by", store.coders(), key="code.coders", placeholder="every coder")
show_suggestions = toggle_col.toggle("Suggestions", value=True, key="code.show_suggestions")
ui_history.buttons(store, actor, undo_col, redo_col, key="code", on_click=step_history)

notice = st.empty()  # always drawn, so a message never moves (and remounts) the document below it
if MESSAGE in st.session_state:  # good news as a toast, problems in place
    kind, text = st.session_state.pop(MESSAGE)
    if kind in ("success", "info"):
        st.toast(md(text), icon=":material/check:" if kind == "success" else ":material/info:")
    else:
        getattr(notice, kind)(md(text))
elif not actor:
    notice.warning("Say who is coding on the Start page before coding.")

view = dv.load_view(store, source_id, coders=coders_shown or None, show_suggestions=show_suggestions)
html = dv.render_html(view, decide=can_code)
scroll = st.session_state.get(SCROLL)
all_codes = store.codes()
quick_codes = dv.quick_codes(all_codes, store.coding_counts(), st.session_state.get(RECENT, []))
chosen = st.session_state.get(SELECTION)
text_col, side_col = st.columns([7, 3])
with text_col:
    recording = media.playable(store, source_id)  # none without a recording or without times
    if recording is not None:
        with st.container(border=True, key="code-player"):  # the player, then the document
            try:
                path = media.recording_path(store, recording)
            except InvalidMedia as exc:
                st.warning(md(str(exc)), icon=":material/music_off:")
            else:
                (st.video if recording.kind == "video" else st.audio)(str(path), format=media.mime_type(recording))
                st.caption(md(f"{recording.original_name}: click a turn's time to play from there; "
                              "the turn playing is highlighted."))
    st.caption("Select words, then press 1–9, click a quick code or drag it onto them. Click a highlighted "
               "passage or a margin card for its details; ✓ and ✗ (or j, k, a, r) decide suggestions; ? shows "
               "the keys." if can_code else "Click a highlighted passage or a margin card for its details.")
    document(html, dv.view_version(html), key=DOC_KEY, source_id=source_id, focus=scroll,
             codes=quick_codes if can_code else [], readonly=not can_code,
             selection={"start": chosen["start"], "end": chosen["end"]}
             if chosen and chosen["source_id"] == source_id else None,
             on_selection=on_selection, on_clicked=on_clicked, on_decide=on_decide, on_apply=on_apply,
             on_history=on_history)

codes = [c for c in all_codes if c.codable]
lookup = dv.code_lookup(all_codes)
with side_col:
    selection = st.session_state.get(SELECTION)
    if selection and selection["source_id"] == source_id and can_code:
        start, end = dv.snap_to_words(view.text, selection["start"], selection["end"])
        with st.container(border=True):
            st.markdown("**Code the selected words**")
            if start >= end:
                st.caption("The selection holds only white space.")
            else:
                st.session_state[SELECTION].update(start=start, end=end)
                quote(view.text[start:end], limit=300, note=f"characters {start}–{end}")
                # A form: choosing codes costs no rerun, Apply is one. Apply sits above the list, which grows
                # as codes are chosen: a button that moves under the mouse between press and release loses the click.
                with st.form("code.apply_form", border=False):
                    apply_col, clear_col = st.columns(2)
                    apply_col.form_submit_button("Apply", type="primary", key="code.apply", disabled=not actor,
                                                 on_click=apply_chosen, width="stretch")
                    clear_col.form_submit_button("Clear", key="code.clear", width="stretch",
                                                 on_click=lambda: st.session_state.pop(SELECTION, None))
                    st.multiselect("Codes to apply", [c.id for c in codes], key="code.apply_codes",
                                   format_func=lambda i: label_of(lookup, i), placeholder="Choose codes",
                                   filter_mode="contains", select_all=False)  # never all 27 codes by one slip
                recent = [c for c in st.session_state.get(RECENT, []) if c in lookup]
                if recent:
                    st.caption("Recently used: one click applies")
                    for code_id in recent:
                        st.button(f"+ {md(lookup[code_id][0])}", key=f"code.quick.{code_id}",
                                  on_click=apply_codes, args=([code_id],), disabled=not actor)

    spot = st.session_state.get(FOCUS)
    if spot and spot["source_id"] == source_id:
        here = view.marks_at(spot["offset"]) or [m for m in view.marks if m.kind == spot["kind"]
                                                  and m.id == spot["id"]]
        with st.container(border=True):
            st.markdown("**At this place**")
            if not here:
                st.caption("Nothing is coded here yet: select words to code them.")
            for mark in here:
                st.html(swatch(mark.color, mark.path))
                quote(view.text[mark.start:mark.end], limit=200)
                if mark.kind == "coding":
                    st.caption(md(f"{mark.coder} · " + (mark.provenance or mark.origin)
                                  + (f" · score {mark.score:.2f}" if mark.score is not None else "")))
                    if not can_code:
                        if mark.memo:
                            st.text(mark.memo)  # from people and imports: plain text, never Markdown
                        continue
                    st.text_area("Memo", value=mark.memo, key=f"code.memo.{mark.id}", height=70)
                    memo_col, remove_col = st.columns(2)
                    memo_col.button("Save memo", key=f"code.save_memo.{mark.id}", on_click=save_memo,
                                    args=(mark.id,))
                    remove_col.button("Remove", key=f"code.remove.{mark.id}", on_click=remove_coding,
                                      args=(mark.id,), icon=":material/delete:")
                else:
                    st.caption(md(f"suggested by {mark.coder} · score {mark.score:.2f} · {mark.reason}"))
                    if not can_code:
                        continue
                    yes_col, no_col = st.columns(2)
                    yes_col.button("Accept", key=f"code.f_accept.{mark.id}", on_click=decide,
                                   args=("accept", mark.id), type="primary")
                    no_col.button("Reject", key=f"code.f_reject.{mark.id}", on_click=decide, args=("reject", mark.id))

    if not (selection and selection["source_id"] == source_id and can_code) \
            and not (spot and spot["source_id"] == source_id):
        st.caption("Select words in the text to code them; click a highlighted passage or a margin note to see "
                   "its codes, memo and suggestions here." if can_code else
                   "Click a highlighted passage or a margin note to see its codes, memo and suggestions here.")
    marks = view.marks
    n_codings = sum(m.kind == "coding" for m in marks)
    with st.expander(f"All {n_codings} codings and {len(marks) - n_codings} suggestions, in text order"):
        pages = max(1, -(-len(marks) // PAGE_SIZE))
        page = min(st.session_state.get(PAGE, 0), pages - 1)
        for mark in marks[page * PAGE_SIZE:(page + 1) * PAGE_SIZE]:
            label = swatch(mark.color, mark.code)
            if mark.kind == "suggestion":
                label += f' <small style="opacity:0.7">suggested · {mark.score:.2f}</small>'
            else:
                label += f' <small style="opacity:0.7">{esc(mark.coder)}</small>'
                if mark.provenance:  # a machine's coding is never shown as if a person made it
                    label += f' <small style="opacity:0.7">· {esc(mark.provenance)}</small>'
            st.html(label)
            quote(view.text[mark.start:mark.end], limit=120,
                  note=mark.reason if mark.kind == "suggestion" else mark.memo)
            buttons = st.columns(3)
            buttons[0].button("Show", key=f"code.show.{mark.kind}.{mark.id}", on_click=focus,
                              args=(mark.start, mark.kind, mark.id))
            if mark.kind == "suggestion" and can_code:
                buttons[1].button("Accept", key=f"code.accept.{mark.id}", on_click=decide, args=("accept", mark.id))
                buttons[2].button("Reject", key=f"code.reject.{mark.id}", on_click=decide, args=("reject", mark.id))
        if pages > 1:
            prev_col, where_col, next_col = st.columns([1, 2, 1], vertical_alignment="center")
            prev_col.button("◀", key="code.prev", disabled=page == 0, on_click=set_page, args=(page - 1,))
            where_col.caption(f"page {page + 1} of {pages}")
            next_col.button("▶", key="code.next", disabled=page >= pages - 1, on_click=set_page, args=(page + 1,))

    # -- document memos (memos branch: a self-contained block; the panel lives in workbench/ui/memo_panel.py) --
    memo_panel(store, "source", source_id, actor, key="code.doc_memo", label="Document memos")
    # -- end of document memos ------------------------------------------------------------------------------
