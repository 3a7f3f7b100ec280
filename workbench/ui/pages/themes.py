"""Themes: a workspace to build themes from codes, weigh their evidence and write their narratives; the thematic
map; candidate themes from clusters of coded passages."""
import altair as alt
import pandas as pd
import streamlit as st

from workbench.analysis import themes as th
from workbench.analysis.compare import Lookups, coding_frame
from workbench.analysis.quotes import Context, attribution
from workbench.analysis.thememap import thematic_map, to_dot
from workbench.errors import WorkbenchError
from workbench.model import Role
from workbench.export.report.data import load_excerpts
from workbench.export.report.names import export_names
from workbench.export.report.select import choose_quotes, distinct_passages
from workbench.export.report.sections import attribution_line
from workbench.export.thememap import dot_available, render_dot
from workbench.store.themes import CITATION, THEME_STATUSES, citation
from workbench.ui import history as ui_history
from workbench.ui import session
from workbench.ui import theme_board as board
from workbench.ui.nav import link_to, open_in_code_page
from workbench.ui.text import counted, md, name_first, paths_help, quote

SELECTED = "themes.selected"
BOARD = "themes.board"
MESSAGE = "themes.message"
MAX_QUOTES = 30
BEST_QUOTES = 5


def run(action, *args, done: str, **kwargs):
    """Call a core function; keep its error or a success message for the next run."""
    try:
        result = action(*args, **kwargs)
    except WorkbenchError as exc:
        st.session_state[MESSAGE] = ("error", str(exc))
        return None
    st.session_state[MESSAGE] = ("success", done)
    return result


def insert_citation(narrative_key: str, pick_key: str) -> None:
    """Append the picked passage's citation to the narrative being written (a callback: before the widget)."""
    uid = st.session_state.get(pick_key)
    if uid:
        text = st.session_state.get(narrative_key, "").rstrip()
        st.session_state[narrative_key] = (text + " " if text else "") + citation(uid)


def board_changed(name: str) -> None:
    """A code was dropped on a theme (link) or removed from one (unlink) on the board."""
    value = board.trigger(BOARD, name)
    if not value:
        return
    theme, code = int(value["theme"]), int(value["code"])
    change = store.add_theme_codes if name == "link" else store.remove_theme_codes
    run(change, theme, [code], actor,
        done=f"{code_label.get(code, 'Code')} {'added to' if name == 'link' else 'removed from'} "
             f"{names.get(theme, 'the theme')}.")
    st.session_state.pop(f"themes.codes.{theme}", None)  # the theme's Codes box shows the change


def step_history(direction: str) -> None:
    """Undo or redo the researcher's last action (theme edits included)."""
    try:
        done = ui_history.undo(store, actor) if direction == "undo" else ui_history.redo(store, actor)
        st.session_state[MESSAGE] = ("success", f"{direction.capitalize()}: {done}.")
    except WorkbenchError as exc:
        st.session_state[MESSAGE] = ("error", str(exc))
    st.session_state.pop(f"themes.narrative.{st.session_state.get(SELECTED)}", None)
    st.session_state.pop(f"themes.codes.{st.session_state.get(SELECTED)}", None)


def heatmap(table: pd.DataFrame) -> alt.Chart:
    """A small site × wave heatmap of a theme's passages, 28 px a site: the height is the cells' own (fit-x:
    Streamlit's default, fit, would squeeze the cells into what the axes leave of it)."""
    return alt.Chart(table).mark_rect().encode(
        x=alt.X("wave:N", title="wave", axis=alt.Axis(labelAngle=0)), y=alt.Y("site:N", title=None),
        color=alt.Color("passages:Q", scale=alt.Scale(scheme="blues"), legend=None),
        tooltip=["site", "wave", "passages"]).properties(
            height=28 * table["site"].nunique(), autosize=alt.AutoSizeParams(type="fit-x", contains="padding"))


def preview(narrative: str, cited: dict) -> None:
    """The narrative as plain text (never Markdown) with each cited passage quoted where it stands."""
    for n, piece in enumerate(CITATION.split(narrative)):
        if n % 2 == 0:
            if piece.strip():
                st.text(piece.strip())
        elif piece in cited:
            quote(cited[piece].text, note=attribution_line(cited[piece]))
        else:
            st.warning(f"Cited passage not found: {md(piece)}")


store = session.require_project()
actor = session.require_coder()
st.title("Themes")
st.caption("A theme gathers codes that tell one story across the data; its evidence is the passages of its codes, "
           "its narrative is your account of it, citing those passages.")
can_edit = session.may(store, Role.CODER)  # theme.* and candidate.* are a coder's (store/access.py)
session.role_caption(store, viewer="read the themes, their evidence and narratives, not change them")
# the page shows quotes, not an export, but real names stay a lead's (export_names refuses the others)
names_policy = export_names(store, pseudonymise=not session.may(store, Role.LEAD))
notice = st.container()  # always there, so that a message does not move the tabs (which would show the first)
if MESSAGE in st.session_state:
    level, text = st.session_state.pop(MESSAGE)
    getattr(notice, level)(md(text))

code_label = Context.load(store).code_paths  # code id -> "Category/Code"
themes_tab, map_tab, candidates_tab = st.tabs(["Themes", "Map", "Candidate themes"])
all_themes = store.themes()
names = {t.id: t.name for t in all_themes}

with themes_tab:
    if can_edit:
        with st.form("themes.new", clear_on_submit=True):
            st.markdown("**New theme**")
            name = st.text_input("Name", key="themes.new.name")
            description = st.text_area("Description", key="themes.new.description", height=68)
            new_codes = st.multiselect("Codes", list(code_label), format_func=lambda i: name_first(code_label[i]),
                                       key="themes.new.codes",
                                       help="Each code by its name, then where it sits in the codebook.")
            parent = st.selectbox("Sub-theme of", [None, *names], key="themes.new.parent",
                                  format_func=lambda i: "(a top-level theme)" if i is None else names[i])
            if st.form_submit_button("Create theme"):
                created = run(store.add_theme, name, actor, description=description, code_ids=new_codes,
                              parent_id=parent, done=f"Theme “{name.strip()}” created.")
                if created:
                    st.session_state[SELECTED] = created
                st.rerun()
    undo_col, redo_col, _ = st.columns([1, 1, 6])
    ui_history.buttons(store, actor, undo_col, redo_col, key="themes", on_click=step_history)
    if all_themes:
        lookups = Lookups.load(store)
        frame = coding_frame(store, lookups)
        tree = th.theme_tree(all_themes)
        evidence = {t.id: th.theme_evidence(store, t, lookups=lookups, frame=frame) for t, _depth in tree}
        st.dataframe([{"theme": "    " * (depth - 1) + t.name, "status": t.status,
                       "codes": ", ".join(code_label.get(c, "?") for c in t.code_ids),
                       "passages": evidence[t.id].passages, "participants": evidence[t.id].participants,
                       "sites": evidence[t.id].sites} for t, depth in tree], hide_index=True, width="stretch")
        if can_edit:  # the table above shows each theme's codes to everyone
            with st.expander("Arrange codes on themes: drag a code onto a theme", expanded=True):
                board.theme_board(board.board_data(tree, code_label), key=BOARD,
                                  on_link=lambda: board_changed("link"), on_unlink=lambda: board_changed("unlink"))
        ids = [t.id for t, _depth in tree]
        if st.session_state.get(SELECTED) not in ids:
            st.session_state[SELECTED] = ids[0]
        theme_id = st.selectbox("Theme", ids, key=SELECTED, format_func=names.get)
        theme = store.get_theme(theme_id)
        work_col, evidence_col = st.columns([3, 2], gap="large")
        with work_col:
            if can_edit:
                with st.form(f"themes.edit.{theme_id}"):
                    new_name = st.text_input("Name", theme.name)
                    new_status = st.selectbox("Status", THEME_STATUSES, index=THEME_STATUSES.index(theme.status),
                                              help="candidate → reviewed → final (or discarded)")
                    others = [None, *[i for i in ids if i != theme_id]]
                    new_parent = st.selectbox("Sub-theme of", others, index=others.index(theme.parent_id)
                                              if theme.parent_id in others else 0,
                                              format_func=lambda i: "(a top-level theme)" if i is None else names[i])
                    chosen = st.multiselect("Codes", list(code_label), default=theme.code_ids,
                                            format_func=lambda i: name_first(code_label[i]),
                                            key=f"themes.codes.{theme_id}",
                                            help=paths_help([code_label[c] for c in theme.code_ids if c in code_label],
                                                            "Type to find a code; remove one with its ×. A code may "
                                                            "serve several themes. Its codes in full:"))
                    new_description = st.text_area("Description", theme.description, height=80)
                    new_memo = st.text_area("Memo", theme.memo, height=80)
                    if st.form_submit_button("Save theme"):
                        run(th.save_theme, store, theme_id, actor, name=new_name, description=new_description,
                            memo=new_memo, status=new_status, parent_id=new_parent, code_ids=chosen,
                            done="Theme saved.")
                        st.rerun()
            else:  # read-only: the table above shows its status and codes
                for label, value in (("Description", theme.description), ("Memo", theme.memo)):
                    if value:
                        st.markdown(f"**{label}**")
                        st.text(value)  # from people and imports: plain text, never Markdown
            children = [t.name for t in all_themes if t.parent_id == theme_id]
            if children:
                st.caption("Sub-themes: " + md(", ".join(children)))
            if can_edit:
                if st.button("Delete this theme", key=f"themes.delete.{theme_id}"):
                    st.session_state["themes.confirm"] = theme_id
                if st.session_state.get("themes.confirm") == theme_id:
                    st.warning(f"Delete {md(theme.name)} and its framework summaries? Its codes and codings stay, "
                               "its sub-themes move up, and Undo brings it all back.")
                    if st.button("Yes, delete it", key=f"themes.delete.yes.{theme_id}"):
                        st.session_state.pop("themes.confirm", None)
                        run(store.delete_theme, theme_id, actor, done=f"Theme {theme.name!r} deleted.")
                        st.rerun()
        excerpts = load_excerpts(store, names_policy,
                                 code_ids=th.theme_code_ids(store, theme)) if theme.code_ids else []
        uids = {c.id: c.uid for c in store.codings(code_ids=th.theme_code_ids(store, theme))} if excerpts else {}
        with evidence_col:
            shown = evidence[theme_id]
            p_col, people_col, sites_col = st.columns(3)
            p_col.metric("passages", shown.passages)
            people_col.metric("participants", shown.participants)
            sites_col.metric("sites", shown.sites)
            if len(shown.by_site_wave):
                st.altair_chart(heatmap(shown.by_site_wave), width="stretch")
            best = choose_quotes(excerpts, BEST_QUOTES)
            st.markdown(f"**Supporting quotes** (the best {len(best)} of {counted(shown.passages, 'passage')})")
            st.caption("The best quotes, chosen across sites and participants as the report chooses them.")
            for excerpt in best:
                quote(excerpt.text, note=f"{attribution_line(excerpt)} · {excerpt.quote.code_name}")
                if st.button("Open", key=f"themes.open.{excerpt.quote.coding_id}", icon=":material/open_in_new:"):
                    open_in_code_page(excerpt.quote.source_id, excerpt.quote.start, excerpt.quote.end)
        st.markdown("**Narrative**")
        narrative_key, pick_key = f"themes.narrative.{theme_id}", f"themes.cite.{theme_id}"
        if narrative_key not in st.session_state or not can_edit:
            st.session_state[narrative_key] = theme.narrative
        if can_edit:
            st.caption("Your account of the theme, in Markdown (the report keeps paragraphs, lists and emphasis). "
                       "Pick a passage and insert its citation; the report quotes it there, attributed.")
            passages = distinct_passages(excerpts)
            by_uid = {uids[e.quote.coding_id]: e for e in passages if e.quote.coding_id in uids}
            pick_col, insert_col = st.columns([5, 1], vertical_alignment="bottom")
            pick_col.selectbox("Passage to cite", list(by_uid), key=pick_key, index=None,
                               placeholder="choose a passage",
                               format_func=lambda u: f"{by_uid[u].who or by_uid[u].source}: "
                                                     f"{' '.join(by_uid[u].text.split())[:110]}")
            insert_col.button("Insert citation", key=f"themes.insert.{theme_id}", on_click=insert_citation,
                              args=(narrative_key, pick_key), disabled=not by_uid)
            st.text_area("Narrative", key=narrative_key, height=220, label_visibility="collapsed")
            if st.button("Save narrative", key=f"themes.narrative.save.{theme_id}", type="primary"):
                run(store.update_theme, theme_id, actor, narrative=st.session_state[narrative_key],
                    done="Narrative saved.")
                st.rerun()
        with st.expander("Preview: the narrative with its cited passages", expanded=not can_edit):
            cited_ids = store.codings_by_uid(CITATION.findall(st.session_state[narrative_key]))
            everything = {e.quote.coding_id: e for e in load_excerpts(
                store, names_policy,
                code_ids=sorted({code for _i, code in cited_ids.values()}))} if cited_ids else {}
            preview(st.session_state[narrative_key],
                    {u: everything[i] for u, (i, _c) in cited_ids.items() if i in everything})
        if len(excerpts) > MAX_QUOTES:
            st.caption(f"{len(excerpts)} codings support this theme; export them all from the Report page.")

with map_tab:
    st.caption("Themes, their sub-themes and the codes they draw on; each link is labelled with the coded passages "
               "behind it (a passage coded twice counts once).")
    with_sites = st.checkbox("Show the sites each code's passages come from", key="themes.map.sites")
    themap = thematic_map(store, sites=with_sites)
    if not themap.nodes:
        st.info("No themes yet: create one on the Themes tab, or promote a candidate.")
    else:
        dot = to_dot(themap, title=store.setting("name") or "Thematic map")
        st.graphviz_chart(dot)
        if dot_available():
            svg_col, png_col, _ = st.columns([1, 1, 4])
            svg_col.download_button("Download SVG", render_dot(dot, "svg"), "thematic-map.svg", "image/svg+xml",
                                    key="themes.map.svg")
            png_col.download_button("Download PNG", render_dot(dot, "png"), "thematic-map.png", "image/png",
                                    key="themes.map.png")
        else:
            st.download_button("Download DOT", dot, "thematic-map.dot", "text/vnd.graphviz", key="themes.map.dot")

with candidates_tab:
    st.caption("The coded passages are embedded with a local language model and grouped by k-means into clusters "
               "that read alike, each labelled by its most distinctive words. Promote a cluster to make it a theme "
               "with its most frequent codes, merge or split clusters, or discard one: it will not be proposed again. "
               "Undo reverses each of these. "
               "Stability says how well a cluster reappears when the clustering is re-run on random 80% samples: "
               "around 85% and above it is stable, below 60% it is likely noise.")
    if not store.coders():
        st.info("Candidate themes are drawn from coded passages, and nothing is coded yet.")
        link_to("code", "Code sources")
    if can_edit:
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
    open_candidates = store.candidate_themes("open")
    if can_edit and len(open_candidates) >= 2:
        labels = {c.id: f"{c.label} ({len(c.coding_ids)} codings)" for c in open_candidates}
        merge_col, merge_button_col = st.columns([5, 1], vertical_alignment="bottom")
        to_merge = merge_col.multiselect("Merge candidates", list(labels), format_func=labels.get,
                                         key="themes.cand.merge", placeholder="choose two or more")
        if merge_button_col.button("Merge", key="themes.cand.merge.go", disabled=len(to_merge) < 2):
            run(th.merge_candidates, store, to_merge, actor, done="Candidates merged.")
            st.rerun()
    for candidate in open_candidates:
        stable = f" — stability {candidate.stability:.0%}" if candidate.stability is not None else ""
        with st.expander(f"{md(candidate.label)} — {len(candidate.coding_ids)} codings{stable}"):
            st.markdown("**Distinctive words:** " + md(", ".join(candidate.terms)))
            st.markdown("**Most frequent codes:** " + md(", ".join(code_label.get(i, "?") for i in candidate.code_ids)))
            st.markdown("**Sites:** " + md(", ".join(f"{site} ({n})" for site, n in
                                                     th.candidate_sites(store, candidate.id).items())))
            for q in th.candidate_quotes(store, candidate.id, limit=5):
                quote(q.text, note=f"{q.code_name} · {attribution(q)}")
            if not can_edit:
                continue
            name_col, promote_col, split_col, discard_col = st.columns([3, 1, 1, 1], vertical_alignment="bottom")
            new_name = name_col.text_input("Theme name", candidate.label, key=f"themes.cand.name.{candidate.id}")
            if promote_col.button("Promote", key=f"themes.cand.promote.{candidate.id}"):
                run(th.promote_candidate, store, candidate.id, actor, new_name, done=f"Theme “{new_name}” created.")
                st.rerun()
            if split_col.button("Split", key=f"themes.cand.split.{candidate.id}"):
                with st.spinner("Clustering its passages in two…"):
                    run(th.split_candidate, store, candidate.id, actor, done="Candidate split in two.")
                st.rerun()
            if discard_col.button("Discard", key=f"themes.cand.discard.{candidate.id}"):
                run(th.discard_candidate, store, candidate.id, actor, done="Candidate discarded.")
                st.rerun()
