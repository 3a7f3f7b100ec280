"""Suggestions: the review queue of machine-suggested codings across the project; accept, reject, bulk accept."""
import pandas as pd
import streamlit as st

from workbench.ui import document_view as dv
from workbench.errors import WorkbenchError
from workbench.assist.review import (accept, accept_in_bulk, adjusted_span, plan_bulk_accept,
                                     reject, review_queue)
from workbench.assist.suggest import (DEFAULT_MIN_SCORE, SUGGESTERS, run_suggestions, set_skipped_speakers,
                               skipped_speakers)
from workbench.assist.trust import code_trust, trust_text
from workbench.ui import session
from workbench.ui.nav import open_in_code_page
from workbench.ui.teach import teach_panel
from workbench.ui.text import esc, md, quote

MESSAGE = "suggestions.message"
PAGE = "suggestions.page"
CONFIRM = "suggestions.confirm_bulk"  # the bulk accept waiting for a yes: (threshold, suggestion ids)
PAGE_SIZE = 15


def decide(action: str, suggestion_id: int) -> None:
    """Accept or reject one suggestion as the session's coder."""
    try:
        if action == "accept":
            st.session_state[MESSAGE] = ("success", accept(session.project(), suggestion_id, session.coder()))
        else:
            st.session_state[MESSAGE] = ("info", reject(session.project(), suggestion_id, session.coder()))
    except WorkbenchError as exc:
        st.session_state[MESSAGE] = ("error", str(exc))


def accept_adjusted(row) -> None:
    """Accept a suggestion with the words and code the person set in its Adjust box."""
    store = session.project()
    try:
        start, end = adjusted_span(store.get_source(row.source_id).text, row.start, row.end,
                                   st.session_state[f"suggestions.words.{row.id}"])
        st.session_state[MESSAGE] = ("success", accept(store, row.id, session.coder(), start=start, end=end,
                                                       code_id=st.session_state[f"suggestions.code.{row.id}"]))
    except WorkbenchError as exc:
        st.session_state[MESSAGE] = ("error", str(exc))


def ask_bulk(min_score: float, ids: list[int]) -> None:
    """The bulk accept button was pressed: ask before accepting (the question names what would happen)."""
    st.session_state[CONFIRM] = (min_score, ids)


def accept_all(plan) -> None:
    """Accept the previewed suggestions in bulk, once the person has said yes (one Undo takes them back)."""
    st.session_state.pop(CONFIRM, None)
    try:
        st.session_state[MESSAGE] = ("success", accept_in_bulk(session.project(), plan, session.coder(),
                                                               confirmed=True))
    except WorkbenchError as exc:
        st.session_state[MESSAGE] = ("error", str(exc))


store = session.require_project()
actor = session.require_coder()
st.title("Suggestions")
st.caption("Codings the machine proposes, waiting for a person to decide. Accepting one makes it your coding "
           "(its score, reason and suggester are kept); a rejected suggestion is never proposed again and teaches the engine.")

teach_panel(store, actor)
codes = {c.id: c for c in store.codes()}
trust = code_trust(store)  # each code's kappa and precision from the last evaluation
paths = dv.code_lookup(list(codes.values()))
codable = [c for c in codes if codes[c].codable]
sources = {s.id: s for s in store.list_sources()}
sites = sorted({s.attributes["site"] for s in sources.values() if "site" in s.attributes})

code_col, source_col, site_col, score_col = st.columns(4)
code_filter = code_col.multiselect("Codes", [c for c in codes if codes[c].codable], key="suggestions.codes",
                                   format_func=lambda i: paths[i][1], placeholder="every code")
source_filter = source_col.selectbox("Source", [None, *sources], key="suggestions.source",
                                     format_func=lambda i: "every source" if i is None else sources[i].name)
site_filter = site_col.selectbox("Site", [None, *sites], key="suggestions.site",
                                 format_func=lambda v: "every site" if v is None else v)
min_score = score_col.slider("Lowest score", 0.0, 1.0, 0.0, 0.05, key="suggestions.min_score")

with st.expander("Run suggestions", expanded=not store.suggestion_counts()["pending"]):
    st.caption("The engine reads the codebook, learns from everyone's codings and rejected suggestions, and "
               "proposes codes for every sentence of the chosen sources (the codes and source picked above, or all). "
               "Everything runs on this computer.")
    run_col, score_run_col = st.columns([2, 1])
    suggester = run_col.selectbox("Suggester", SUGGESTERS, key="suggestions.suggester",
                                  help="ensemble.v1 combines keyword matching, closeness in meaning to the "
                                       "codebook, and models learned from this project's codings.")
    run_min = score_run_col.number_input("Keep scores from", 0.0, 1.0, DEFAULT_MIN_SCORE, 0.05,
                                         key="suggestions.run_min")
    skip_text = st.text_input("No suggestions for turns by", ", ".join(skipped_speakers(store)),
                              key="suggestions.skip_speakers",
                              help="Speakers who ask rather than tell, separated by commas; empty: every speaker.")
    if st.button("Run suggestions", type="primary", key="suggestions.run"):
        set_skipped_speakers(store, skip_text.split(","))
        bar = st.progress(0.0, text="Learning from the codings…")

        def progress(done: int, total: int, what: str) -> None:
            bar.progress(min(1.0, done / max(total, 1)), text=f"{what.capitalize()}… {done:,} of {total:,} sentences")

        try:
            result = run_suggestions(store, actor, suggester=suggester, code_ids=code_filter or None,
                                     source_ids=[source_filter] if source_filter else None, min_score=run_min,
                                     on_progress=progress)
            st.session_state[MESSAGE] = ("success", " ".join(result.summary()))
        except WorkbenchError as exc:
            st.session_state[MESSAGE] = ("error", str(exc))
        bar.empty()

if MESSAGE in st.session_state:
    kind, text = st.session_state.pop(MESSAGE)
    getattr(st, kind)(md(text))

order = st.radio("Order", ["learn", "score"], horizontal=True, key="suggestions.order",
                 format_func={"learn": "Learn fastest (uncovered codes, uncertain first)",
                              "score": "Highest score first"}.get)
queue = review_queue(store, code_ids=code_filter or None, source_id=source_filter,
                        attributes={"site": site_filter} if site_filter else None, min_score=min_score or None,
                        order=order)
counts = store.suggestion_counts()
st.markdown(f"**{len(queue)} pending here** · {counts['pending']} pending in the project · "
            f"{counts['accepted']} accepted · {counts['rejected']} rejected")
if not queue:
    st.info("No pending suggestions match these filters.")
    st.stop()

with st.expander("Accept all above a score", expanded=CONFIRM in st.session_state):
    threshold = st.slider("Accept suggestions scoring at least", 0.0, 1.0, 0.8, 0.01, key="suggestions.threshold",
                          on_change=lambda: st.session_state.pop(CONFIRM, None))
    plan = plan_bulk_accept(store, max(threshold, min_score), code_ids=code_filter or None, source_id=source_filter,
                            attributes={"site": site_filter} if site_filter else None)
    batch = plan.rows
    st.dataframe(pd.DataFrame([{"score": round(r.score, 3), "code": r.code, "source": r.source, "words": r.quote,
                                "reason": r.reason} for r in batch], columns=["score", "code", "source", "words",
                                                                              "reason"]),
                 hide_index=True, width="stretch", height=min(38 + 35 * len(batch), 300))
    st.caption("Codings accepted in bulk are marked “accepted in bulk” with the score and your name in the report, "
               "the spreadsheets and the Code page.")
    if st.session_state.get(CONFIRM) != (plan.min_score, [r.id for r in batch]):
        st.button(f"Accept these {len(batch)} suggestions…", type="primary", disabled=not batch,
                  key="suggestions.bulk", on_click=ask_bulk, args=(plan.min_score, [r.id for r in batch]))
    else:
        st.warning(md(plan.question()))
        yes_col, no_col = st.columns(2)
        yes_col.button(f"Yes, accept {len(batch)} in bulk", type="primary", key="suggestions.bulk_confirm",
                       on_click=accept_all, args=(plan,))
        no_col.button("Cancel", key="suggestions.bulk_cancel", on_click=lambda: st.session_state.pop(CONFIRM, None))

pages = max(1, -(-len(queue) // PAGE_SIZE))
page = min(st.session_state.get(PAGE, 0), pages - 1)
for row in queue[page * PAGE_SIZE:(page + 1) * PAGE_SIZE]:
    with st.container(border=True):
        st.html(f'<b>{esc(row.code)}</b> <span style="opacity:0.7">· score {row.score:.2f} · '
                f'{esc(row.source)} · {esc(row.suggester)}</span> <span class="trust" style="opacity:0.7">'
                f'· agreement: {esc(trust_text(trust, row.code_id))}</span>')
        quote(row.quote, limit=500, note=row.reason)
        accept_col, reject_col, adjust_col, open_col, _ = st.columns([1, 1, 1.2, 1, 2])
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
        if open_col.button("Open", key=f"suggestions.open.{row.id}", help="Show it in the Code page"):
            open_in_code_page(row.source_id, row.start, row.end)
if pages > 1:
    st.number_input("Page", 1, pages, page + 1, key="suggestions.page_input",
                    on_change=lambda: st.session_state.update({PAGE: st.session_state["suggestions.page_input"] - 1}))
