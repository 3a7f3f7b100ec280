"""Suggestions: the review queue of machine-suggested codings across the project; accept, reject, bulk accept.

The queue is read a page at a time (`review_page`: filtered, ordered and cut in SQL, the shown rows' words
only); the bulk-accept panel counts in SQL and reads words only when its preview is asked for. Session state
holds what the person chose (code ids, a page number, a confirmation's fingerprint), never rows."""
import json

import pandas as pd
import streamlit as st

from workbench.assist.review import (QueuePage, QueueRow, accept, accept_in_bulk, adjusted_span,
                                     plan_bulk_accept, reject, review_page)
from workbench.assist.suggest import (DEFAULT_MIN_SCORE, SUGGESTERS, run_suggestions, set_skipped_speakers,
                                      skipped_speakers)
from workbench.assist.trust import code_trust, trust_text
from workbench.errors import NotFound, WorkbenchError
from workbench.model import Role
from workbench.ui import document_view as dv
from workbench.ui import session
from workbench.ui.nav import open_in_code_page
from workbench.ui.teach import teach_panel
from workbench.ui.text import esc, md, quote

MESSAGE = "suggestions.message"
PAGE = "suggestions.page"
CODES = "suggestions.codes"  # the code ids the queue is filtered by (chosen by typing a code's name)
FIND = "suggestions.code_find"
NEAR = "suggestions.code_near"  # codes whose name contains what was typed, when none is called exactly that
CONFIRM = "suggestions.confirm_bulk"  # the bulk accept waiting for a yes: (scope, plan fingerprint, question)
PAGE_SIZE = 15
PREVIEW_ROWS = 200


# -- callbacks ------------------------------------------------------------------------------------------------
def decide(action: str, suggestion_id: int) -> None:
    """Accept or reject one suggestion as the session's coder."""
    try:
        if action == "accept":
            st.session_state[MESSAGE] = ("success", accept(session.project(), suggestion_id, session.coder()))
        else:
            st.session_state[MESSAGE] = ("info", reject(session.project(), suggestion_id, session.coder()))
    except WorkbenchError as exc:
        st.session_state[MESSAGE] = ("error", str(exc))


def accept_adjusted(row: QueueRow) -> None:
    """Accept a suggestion with the words and code the person set in its Adjust box."""
    store = session.project()
    try:
        text = store.texts([row.source_id])[row.source_id]
        start, end = adjusted_span(text, row.start, row.end, st.session_state[f"suggestions.words.{row.id}"])
        st.session_state[MESSAGE] = ("success", accept(store, row.id, session.coder(), start=start, end=end,
                                                       code_id=st.session_state[f"suggestions.code.{row.id}"]))
    except WorkbenchError as exc:
        st.session_state[MESSAGE] = ("error", str(exc))


def add_typed_code() -> None:
    """Enter in the code box: filter by the code called exactly that (name or path, any case), nothing fuzzy;
    when none is, offer the codes whose names contain the words."""
    typed = st.session_state.get(FIND, "").strip()
    st.session_state.pop(NEAR, None)
    if not typed:
        return
    store = session.project()
    try:
        code = store.find_code(typed)
    except NotFound:
        words = typed.casefold()
        st.session_state[NEAR] = [c.id for c in store.codes() if words in c.name.casefold()][:12]
        if not st.session_state[NEAR]:
            st.session_state[MESSAGE] = ("error", f"No code is called “{typed}”.")
        return
    except WorkbenchError as exc:  # several codes share the name: the message lists their paths
        st.session_state[MESSAGE] = ("error", str(exc))
        return
    add_code(code.id)


def add_code(code_id: int) -> None:
    """Filter the queue by one more code."""
    chosen = st.session_state.get(CODES, [])
    st.session_state[CODES] = chosen if code_id in chosen else [*chosen, code_id]
    st.session_state[FIND] = ""
    st.session_state.pop(NEAR, None)
    st.session_state[PAGE] = 0


def remove_code(code_id: int) -> None:
    """Stop filtering by a code."""
    st.session_state[CODES] = [c for c in st.session_state.get(CODES, []) if c != code_id]
    st.session_state[PAGE] = 0


def ask_bulk(scope: str, min_score: float, filters: dict) -> None:
    """The bulk accept button was pressed: ask before accepting (the question names what would happen)."""
    plan = plan_bulk_accept(session.project(), min_score, **filters)
    st.session_state[CONFIRM] = (scope, plan.fingerprint(), plan.question())


def accept_all(min_score: float, filters: dict, fingerprint: str) -> None:
    """Accept in bulk what the person said yes to, once they have; if the queue changed meanwhile (someone
    decided some of them), nothing is accepted and the person is asked again."""
    st.session_state.pop(CONFIRM, None)
    store = session.project()
    plan = plan_bulk_accept(store, min_score, **filters)
    if plan.fingerprint() != fingerprint:
        st.session_state[MESSAGE] = ("error", "These suggestions changed since you were asked (someone decided "
                                              "some of them meanwhile): nothing was accepted; look again.")
        return
    try:
        st.session_state[MESSAGE] = ("success", accept_in_bulk(store, plan, session.coder(), confirmed=True))
    except WorkbenchError as exc:
        st.session_state[MESSAGE] = ("error", str(exc))


def turn_page() -> None:
    st.session_state[PAGE] = st.session_state["suggestions.page_input"] - 1


# -- the page's parts -----------------------------------------------------------------------------------------
def filter_bar(store, paths: dict) -> dict:
    """The filters (codes typed by name, source, site, lowest score, suggester) as `review_page` arguments."""
    names = store.source_names()
    sources = sorted(names, key=names.get)
    sites = sorted({a["site"] for a in store.all_attributes("source").values() if "site" in a})
    suggesters = store.pending_suggesters()
    code_col, source_col, site_col, score_col = st.columns(4)
    code_col.text_input("Codes", key=FIND, on_change=add_typed_code, placeholder="type a code, press Enter",
                        help="The code called exactly what you type (its name or its path) is added; "
                             "without one, codes whose names contain the words are offered.")
    source_filter = source_col.selectbox("Source", [None, *sources], key="suggestions.source",
                                         format_func=lambda i: "every source" if i is None else names[i])
    site_filter = site_col.selectbox("Site", [None, *sites], key="suggestions.site",
                                     format_func=lambda v: "every site" if v is None else v)
    min_score = score_col.slider("Lowest score", 0.0, 1.0, 0.0, 0.05, key="suggestions.min_score")
    suggester = None
    if len(suggesters) > 1:
        suggester = st.selectbox("Suggester", [None, *suggesters], key="suggestions.suggester_filter",
                                 format_func=lambda s: "every suggester" if s is None else s)
    code_chips(paths)
    chosen = [c for c in st.session_state.get(CODES, []) if c in paths]
    return {"code_ids": chosen or None, "source_id": source_filter, "suggester": suggester,
            "attributes": {"site": site_filter} if site_filter else None, "min_score": min_score or None}


def code_chips(paths: dict) -> None:
    """The chosen codes, each with its whole path (and removed by a click); codes offered for what was typed."""
    chosen = [c for c in st.session_state.get(CODES, []) if c in paths]
    near = [c for c in st.session_state.get(NEAR, []) if c in paths]
    if not chosen and not near:
        return
    with st.container(horizontal=True, gap="small"):
        if chosen:
            st.caption("Only these codes:")
        for code_id in chosen:
            st.button(f"{md(paths[code_id][1])} ✕", key=f"suggestions.chip.{code_id}", on_click=remove_code,
                      args=(code_id,), help=md(f"{paths[code_id][1]}: click to stop filtering by it"))
        if near:
            st.caption(md(f"No code is called “{st.session_state.get(FIND, '').strip()}”; add one of these:"))
        for code_id in near:
            st.button(f"+ {md(paths[code_id][1])}", key=f"suggestions.near.{code_id}", type="tertiary",
                      on_click=add_code, args=(code_id,), help=md(paths[code_id][1]))


def run_panel(store, actor: str, filters: dict, pending: int) -> None:
    """Run the suggestion engine on the chosen codes and source (or everything)."""
    with st.expander("Run suggestions", expanded=not pending):
        st.caption("The engine reads the codebook, learns from everyone's codings and rejected suggestions, and "
                   "proposes codes for every sentence of the chosen sources (the codes and source picked above, or "
                   "all). Everything runs on this computer.")
        run_col, score_run_col = st.columns([2, 1])
        suggester = run_col.selectbox("Suggester", SUGGESTERS, key="suggestions.suggester",
                                      help="ensemble.v1 combines keyword matching, closeness in meaning to the "
                                           "codebook, and models learned from this project's codings.")
        run_min = score_run_col.number_input("Keep scores from", 0.0, 1.0, DEFAULT_MIN_SCORE, 0.05,
                                             key="suggestions.run_min")
        skipped = ", ".join(skipped_speakers(store))
        lead = session.may(store, Role.LEAD)  # a project setting: a lead's
        skip_text = st.text_input("No suggestions for turns by", skipped, key="suggestions.skip_speakers",
                                  disabled=not lead,
                                  help="Speakers who ask rather than tell, separated by commas; empty: every speaker."
                                  + ("" if lead else " " + session.only(Role.LEAD, "change them")))
        if st.button("Run suggestions", type="primary", key="suggestions.run"):
            if lead and skip_text != skipped:
                set_skipped_speakers(store, skip_text.split(","))
            bar = st.progress(0.0, text="Learning from the codings…")

            def progress(done: int, total: int, what: str) -> None:
                bar.progress(min(1.0, done / max(total, 1)),
                             text=f"{what.capitalize()}… {done:,} of {total:,} sentences")

            try:
                result = run_suggestions(store, actor, suggester=suggester, code_ids=filters["code_ids"],
                                         source_ids=[filters["source_id"]] if filters["source_id"] else None,
                                         min_score=run_min, on_progress=progress)
                st.session_state[MESSAGE] = ("success", " ".join(result.summary()))
            except WorkbenchError as exc:
                st.session_state[MESSAGE] = ("error", str(exc))
            bar.empty()


def show_message() -> None:
    if MESSAGE in st.session_state:
        kind, text = st.session_state.pop(MESSAGE)
        getattr(st, kind)(md(text))


def bulk_panel(store, filters: dict) -> None:
    """Accept everything above a score: counted in SQL; the rows are read only for the preview, when asked."""
    with st.expander("Accept all above a score", expanded=CONFIRM in st.session_state):
        threshold = st.slider("Accept suggestions scoring at least", 0.0, 1.0, 0.8, 0.01,
                              key="suggestions.threshold", on_change=lambda: st.session_state.pop(CONFIRM, None))
        min_score = max(threshold, filters["min_score"] or 0.0)
        scope = json.dumps([min_score, filters], sort_keys=True)
        wider = {k: v for k, v in filters.items() if k != "min_score"}
        count = store.count_pending(min_score=min_score, **wider)
        if st.toggle(f"Show the {count:,} suggestions", key="suggestions.bulk_preview", disabled=not count):
            plan = plan_bulk_accept(store, min_score, **wider)
            rows = plan.preview(PREVIEW_ROWS)
            st.dataframe(pd.DataFrame([{"score": round(r.score, 3), "code": r.code, "source": r.source,
                                        "words": r.quote, "reason": r.reason} for r in rows],
                                      columns=["score", "code", "source", "words", "reason"]),
                         hide_index=True, width="stretch", height=min(38 + 35 * len(rows), 300))
            if len(plan) > len(rows):
                st.caption(f"The best {len(rows)} of {len(plan):,} are shown.")
        st.caption("Codings accepted in bulk are marked “accepted in bulk” with the score and your name in the "
                   "report, the spreadsheets and the Code page.")
        asked = st.session_state.get(CONFIRM)
        if not asked or asked[0] != scope:
            st.button(f"Accept these {count:,} suggestions…", type="primary", disabled=not count,
                      key="suggestions.bulk", on_click=ask_bulk, args=(scope, min_score, wider))
        else:
            st.warning(md(asked[2]))
            yes_col, no_col = st.columns(2)
            yes_col.button(f"Yes, accept {count:,} in bulk", type="primary", key="suggestions.bulk_confirm",
                           on_click=accept_all, args=(min_score, wider, asked[1]))
            no_col.button("Cancel", key="suggestions.bulk_cancel",
                          on_click=lambda: st.session_state.pop(CONFIRM, None))


def card_heading(row: QueueRow, trust: dict) -> str:
    """HTML of a card's first line: the code's whole path (also on hover), score, source and suggester, and
    how well suggestions for this code agreed with people when last measured."""
    return (f'<b title="{esc(row.code)}">{esc(row.code)}</b> <span style="opacity:0.7">· score {row.score:.2f} · '
            f'{esc(row.source)} · {esc(row.suggester)}</span> <span class="trust" style="opacity:0.7">'
            f'· agreement: {esc(trust_text(trust, row.code_id))}</span>')


def suggestion_card(row: QueueRow, codable: list[int], paths: dict, trust: dict, *, decide_too: bool) -> None:
    """One suggestion: its code (whole path, also on hover), score, source, words and reason; the decisions
    (``decide_too``: not for a viewer in team mode)."""
    with st.container(border=True):
        st.html(card_heading(row, trust))
        quote(row.quote, limit=500, note=row.reason)
        accept_col, reject_col, adjust_col, open_col, _ = st.columns([1, 1, 1.2, 1, 2])
        if open_col.button("Open", key=f"suggestions.open.{row.id}", help="Show it in the Code page"):
            open_in_code_page(row.source_id, row.start, row.end)
        if not decide_too:
            return
        accept_col.button("Accept", key=f"suggestions.accept.{row.id}", type="primary", on_click=decide,
                          args=("accept", row.id))
        reject_col.button("Reject", key=f"suggestions.reject.{row.id}", on_click=decide, args=("reject", row.id))
        with adjust_col.popover("Adjust…", help="Accept with other words or another code"):
            st.text_area("Words to code", row.quote, key=f"suggestions.words.{row.id}",
                         help="Trim or extend the words; they must stand in the text near the suggestion.")
            st.selectbox("Code", codable, index=codable.index(row.code_id) if row.code_id in codable else 0,
                         key=f"suggestions.code.{row.id}", format_func=lambda i: paths[i][1])
            st.button("Accept as adjusted", key=f"suggestions.adjust.{row.id}", type="primary",
                      on_click=accept_adjusted, args=(row,))


def pager(queue: QueuePage) -> None:
    if queue.pages > 1:
        st.number_input(f"Page (of {queue.pages:,})", 1, queue.pages, queue.page + 1, key="suggestions.page_input",
                        on_change=turn_page)


@st.fragment
def queue_section(store, filters: dict, codable: list[int], paths: dict) -> None:
    """The queue: counts, the bulk panel, one page of suggestions. A decision reruns only this part (a
    Streamlit fragment), not the filters above it."""
    show_message()
    order = st.radio("Order", ["learn", "score"], horizontal=True, key="suggestions.order",
                     format_func={"learn": "Learn fastest (uncovered codes, uncertain first)",
                                  "score": "Highest score first"}.get)
    queue = review_page(store, page=st.session_state.get(PAGE, 0), page_size=PAGE_SIZE, order=order, **filters)
    counts = store.suggestion_counts()
    st.markdown(f"**{queue.total:,} pending here** · {counts['pending']:,} pending in the project · "
                f"{counts['accepted']:,} accepted · {counts['rejected']:,} rejected")
    if not queue.total:
        st.info("No pending suggestions match these filters.")
        return
    decide_too = session.may(store, Role.CODER)  # suggestion.* is a coder's (store/access.py)
    if decide_too:
        bulk_panel(store, filters)
    trust = code_trust(store)  # each code's kappa and precision from the last evaluation
    for row in queue.rows:
        suggestion_card(row, codable, paths, trust, decide_too=decide_too)
    pager(queue)


# -- the page -------------------------------------------------------------------------------------------------
store = session.require_project()
actor = session.require_coder()
st.title("Suggestions")
st.caption("Codings the machine proposes, waiting for a person to decide. Accepting one makes it your coding "
           "(its score, reason and suggester are kept); a rejected suggestion is never proposed again and teaches "
           "the engine.")
session.role_caption(store, viewer="read the queue, not decide or run suggestions",
                     coder="decide and run suggestions; only its leads train the assistant and choose whose turns "
                           "get none")

teach_panel(store, actor)
codes = store.codes()
paths = dv.code_lookup(codes)
codable = [c.id for c in codes if c.codable]
filters = filter_bar(store, paths)
if session.may(store, Role.CODER):
    run_panel(store, actor, filters, store.count_pending())
queue_section(store, filters, codable, paths)
