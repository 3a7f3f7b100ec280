"""Themes: create and edit themes from codes, read their supporting quotes; candidate themes from clusters."""
import streamlit as st

from workbench.analysis import themes as th
from workbench.errors import WorkbenchError
from workbench.analysis.quotes import Context, attribution
from workbench.store.themes import THEME_STATUSES
from workbench.ui import session
from workbench.ui.text import md, quote

SELECTED = "themes.selected"
MESSAGE = "themes.message"
MAX_QUOTES = 30


def run(action, *args, done: str, **kwargs):
    """Call a core function; keep its error or a success message for the next run."""
    try:
        result = action(*args, **kwargs)
    except WorkbenchError as exc:
        st.session_state[MESSAGE] = ("error", str(exc))
        return None
    st.session_state[MESSAGE] = ("success", done)
    return result


store = session.require_project()
actor = session.require_coder()
st.title("Themes")
st.caption("A theme gathers codes that tell one story across the data; its evidence is the quotes of its codes.")
if MESSAGE in st.session_state:
    level, text = st.session_state.pop(MESSAGE)
    getattr(st, level)(md(text))

code_label = Context.load(store).code_paths  # code id -> "Category/Code"
themes_tab, candidates_tab = st.tabs(["Themes", "Candidate themes"])

with themes_tab:
    overview = th.theme_overview(store)
    if overview:
        st.dataframe([{"theme": s.theme.name, "status": s.theme.status, "codes": ", ".join(s.code_names),
                       "codings": s.codings, "sources": s.sources} for s in overview],
                     hide_index=True, width="stretch")
    with st.form("themes.new", clear_on_submit=True):
        st.markdown("**New theme**")
        name = st.text_input("Name", key="themes.new.name")
        description = st.text_area("Description", key="themes.new.description", height=68)
        new_codes = st.multiselect("Codes", list(code_label), format_func=code_label.get, key="themes.new.codes")
        if st.form_submit_button("Create theme"):
            created = run(store.add_theme, name, actor, description=description, code_ids=new_codes,
                          done=f"Theme {name.strip()!r} created.")
            if created:
                st.session_state[SELECTED] = created
            st.rerun()
    if overview:
        ids = [s.theme.id for s in overview]
        if st.session_state.get(SELECTED) not in ids:
            st.session_state[SELECTED] = ids[0]
        names = {s.theme.id: s.theme.name for s in overview}
        theme_id = st.selectbox("Theme", ids, key=SELECTED, format_func=names.get)
        theme = store.get_theme(theme_id)
        with st.form(f"themes.edit.{theme_id}"):
            new_name = st.text_input("Name", theme.name)
            new_description = st.text_area("Description", theme.description, height=80)
            new_memo = st.text_area("Memo", theme.memo, height=80)
            new_status = st.selectbox("Status", THEME_STATUSES, index=THEME_STATUSES.index(theme.status))
            chosen = st.multiselect("Codes", list(code_label), default=theme.code_ids, format_func=code_label.get)
            if st.form_submit_button("Save theme"):
                run(th.save_theme, store, theme_id, actor, name=new_name, description=new_description,
                    memo=new_memo, status=new_status, code_ids=chosen, done="Theme saved.")
                st.rerun()
        if st.button("Delete this theme", key=f"themes.delete.{theme_id}"):
            st.session_state["themes.confirm"] = theme_id
        if st.session_state.get("themes.confirm") == theme_id:
            st.warning(f"Delete {md(theme.name)} and its framework summaries? Its codes and codings stay.")
            if st.button("Yes, delete it", key=f"themes.delete.yes.{theme_id}"):
                st.session_state.pop("themes.confirm", None)
                run(store.delete_theme, theme_id, actor, done=f"Theme {theme.name!r} deleted.")
                st.rerun()
        supporting = th.theme_quotes(store, theme_id)
        st.markdown(f"**Supporting quotes** ({len(supporting)})")
        for q in supporting[:MAX_QUOTES]:
            quote(q.text, note=f"{q.code_name} · {q.coder} · {attribution(q)}")
        if len(supporting) > MAX_QUOTES:
            st.caption(f"… and {len(supporting) - MAX_QUOTES} more (export them from the Report page).")

with candidates_tab:
    st.caption("The coded passages are embedded with a local language model and grouped by k-means into clusters "
               "that read alike, each labelled by its most distinctive words. Promote a cluster to make it a theme "
               "with its most frequent codes, or discard it: it will not be proposed again.")
    coders = st.multiselect("Coders", store.coders(), key="themes.cand.coders", placeholder="everyone")
    text = st.radio("Embed", th.TEXT_SOURCES, key="themes.cand.text", horizontal=True,
                    format_func=lambda t: "each coded quote" if t == "quote" else "the sentence it starts in")
    if st.button("Propose candidate themes", key="themes.cand.run", type="primary"):
        with st.spinner("Embedding and clustering the coded passages…"):
            found = run(th.find_candidates, store, actor, coders=coders or None, text=text, done="")
        if found:
            st.session_state[MESSAGE] = ("success", f"{len(found.candidates)} candidates from {found.passages} "
                                         f"passages in {found.k} clusters (silhouette {found.silhouette:.3f}).")
        st.rerun()
    for candidate in store.candidate_themes("open"):
        with st.expander(f"{md(candidate.label)} — {len(candidate.coding_ids)} codings"):
            st.markdown("**Distinctive words:** " + md(", ".join(candidate.terms)))
            st.markdown("**Most frequent codes:** " + md(", ".join(code_label.get(i, "?") for i in candidate.code_ids)))
            for q in th.candidate_quotes(store, candidate.id, limit=5):
                quote(q.text, note=f"{q.code_name} · {attribution(q)}")
            name_col, promote_col, discard_col = st.columns([3, 1, 1], vertical_alignment="bottom")
            new_name = name_col.text_input("Theme name", candidate.label, key=f"themes.cand.name.{candidate.id}")
            if promote_col.button("Promote", key=f"themes.cand.promote.{candidate.id}"):
                run(th.promote_candidate, store, candidate.id, actor, new_name, done=f"Theme {new_name!r} created.")
                st.rerun()
            if discard_col.button("Discard", key=f"themes.cand.discard.{candidate.id}"):
                run(th.discard_candidate, store, candidate.id, actor, done="Candidate discarded.")
                st.rerun()
