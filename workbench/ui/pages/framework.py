"""Framework matrix: summaries per case (or site) × theme, with each cell's supporting quotes; export."""
import streamlit as st

from workbench.analysis import compare as cmp, framework as fw
from workbench.errors import WorkbenchError
from workbench.model import Role
from workbench.analysis.quotes import attribution
from workbench.analysis.tables import frame_to_csv
from workbench.store.themes import citation
from workbench.ui import session
from workbench.ui.nav import link_to
from workbench.ui.text import counted, md, quote

MESSAGE = "framework.message"
EDITOR = "framework.editor"
SAVES = "framework.saves"  # saves so far: a new editor after each, so the saved data does not reset the old one
MAX_QUOTES = 30

store = session.require_project()
actor = session.require_coder()
st.title("Framework matrix")
st.caption("One row per participant (or site, role…), one column per theme. Write what each row says about each "
           "theme; the quotes below are the row's codings under the theme's codes.")
can_write = session.may(store, Role.CODER)  # framework.cell.set is a coder's (store/access.py)
session.role_caption(store, viewer="read the matrix and its quotes, not write summaries")
if MESSAGE in st.session_state:
    level, text = st.session_state.pop(MESSAGE)
    getattr(st, level)(md(text))

choices = ["case", *[a for a in cmp.attribute_names(store) if a not in ("kind", "coder", "speaker", "case")]]
rows_col, coder_col = st.columns(2)
rows = rows_col.selectbox("Rows", choices, key="framework.rows",
                          format_func=lambda r: "participants (cases)" if r == "case" else r)
coders = coder_col.multiselect("Evidence from coders", store.coders(), key="framework.coders",
                               placeholder="everyone")
try:
    matrix = fw.framework(store, rows, coders=coders or None)
except WorkbenchError as exc:
    st.error(md(str(exc)))
    st.stop()
if not matrix.themes:
    st.info("No themes yet: create them on the Themes page first.")
    link_to("themes", "Build themes")
    st.stop()
if not matrix.rows:
    st.info("No codings yet for these rows.")
    link_to("code", "Code sources")
    st.stop()

edited = st.data_editor(matrix.to_frame(), key=f"{EDITOR}.{rows}.{st.session_state.get(SAVES, 0)}", width="stretch",
                        num_rows="fixed", disabled=not can_write)
if can_write and st.button("Save summaries", type="primary", key="framework.save"):
    try:
        changed = fw.save_summaries(store, matrix, edited, actor)
    except WorkbenchError as exc:
        st.session_state[MESSAGE] = ("error", str(exc))
    else:
        st.session_state[MESSAGE] = ("success", f"{counted(changed, 'summary', 'summaries')} saved.")
        st.session_state[SAVES] = st.session_state.get(SAVES, 0) + 1
    st.rerun()

st.markdown("**Evidence per cell** (number of codings)")
st.dataframe(matrix.to_frame("evidence"), width="stretch")

row_col, theme_col = st.columns(2)
labels = {r.key: r.label for r in matrix.rows}
row_key = row_col.selectbox("Row", list(labels), key="framework.cell.row", format_func=labels.get)
theme_names = {t.id: t.name for t in matrix.themes}
theme_id = theme_col.selectbox("Theme", list(theme_names), key="framework.cell.theme", format_func=theme_names.get)
cell = matrix.cell(row_key, theme_id)
quotes = fw.cell_quotes(store, matrix, row_key, theme_id)
st.markdown(f"**{md(labels[row_key])} · {md(theme_names[theme_id])}**: {counted(len(quotes), 'supporting quote')}")
if cell.summary:  # plain text, each cited passage quoted where the summary cites it (never the raw token)
    st.markdown("**Summary**")
    for piece in fw.summary_pieces(store, cell.summary):
        if isinstance(piece, str):
            st.text(piece.strip())
        elif piece is None:
            st.warning("A cited passage is no longer in the project.")
        else:
            quote(piece.text, note=f"cited · {piece.code_name} · {attribution(piece)}")
excerpt = {q.coding_id: f"{q.code_name}: {q.text[:80]}" for q in quotes}
cited = st.multiselect("Quotes this summary cites", list(excerpt), default=[i for i in cell.linked_ids if i in excerpt],
                       format_func=excerpt.get, key=f"framework.cited.{row_key}.{theme_id}", disabled=not can_write)
if can_write and st.button("Save cited quotes", key="framework.cite"):
    try:
        fw.set_cell(store, matrix.row_type, row_key, theme_id, cell.summary, cited, actor)
    except WorkbenchError as exc:
        st.session_state[MESSAGE] = ("error", str(exc))
    else:
        st.session_state[MESSAGE] = ("success", f"{counted(len(cited), 'quote')} cited.")
    st.rerun()
to_cite = st.selectbox("Cite a quote in the summary", list(excerpt), index=None, format_func=excerpt.get,
                       key=f"framework.token.{row_key}.{theme_id}", placeholder="choose a quote") if can_write else None
if to_cite is not None:
    st.code(citation(store.get_coding(to_cite).uid), language=None)
    st.caption("Paste this into the summary cell and save: the summary cites the quote where the token stands, "
               "as a theme's narrative does, and the quote counts as cited.")
for q in quotes[:MAX_QUOTES]:
    quote(q.text, note=("cited · " if q.coding_id in cell.linked_ids else "") + f"{q.code_name} · {attribution(q)}")

csv_col, xlsx_col = st.columns(2)
csv_col.download_button("Download CSV", frame_to_csv(matrix.to_frame()), file_name=f"framework-{rows}.csv",
                        mime="text/csv", key="framework.csv")
xlsx_col.download_button("Download Excel (with cited quotes)", fw.framework_xlsx(store, matrix),
                         file_name=f"framework-{rows}.xlsx", key="framework.xlsx")
