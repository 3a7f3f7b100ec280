"""Compare: codes or themes across sites (or any attribute) as a heatmap with quotes; co-occurrence; code queries."""
import altair as alt
import streamlit as st

from workbench.analysis import compare as cmp, cooccurrence as cooc, query as qry
from workbench.errors import WorkbenchError
from workbench.analysis.quotes import attribution
from workbench.ui import results, session
from workbench.ui.nav import link_to
from workbench.ui.text import md, quote

CHART = "compare.chart"
ROW, COLUMN = "compare.row", "compare.column"
MAX_QUOTES = 40
TOP_LEVEL = "indexof(datum.value, '/') < 0"  # a top-level code or a theme: its label is bold


def chart_picked() -> None:
    """Copy the heatmap cell the researcher clicked into the row and column pickers."""
    picked = (st.session_state.get(CHART) or {}).get("selection", {}).get("cell") or []
    if picked:
        st.session_state[ROW] = int(picked[0]["row"])
        st.session_state[COLUMN] = picked[0]["column"]


def heatmap(matrix: cmp.Matrix) -> alt.LayerChart:
    """Rows × columns coloured by the measure, tooltips with counts and residuals, one clickable cell."""
    long = matrix.to_long()
    fmt = ".0%" if matrix.measure == "participants" else (".2f" if matrix.measure == "per_1000_words" else ".0f")
    pick = alt.selection_point(name="cell", fields=["row", "column"], on="click")
    high = float(long["value"].max()) * 0.6 if len(long) and long["value"].notna().any() else 0.0
    base = alt.Chart(long).encode(
        y=alt.Y("path:N", sort=matrix.row_paths), x=alt.X("column:N", sort=matrix.columns))
    numbers = base.mark_text(fontSize=10).transform_filter("isValid(datum.value)").encode(
        text=alt.Text("value:Q", format=fmt),
        color=alt.condition(f"datum.value > {high}", alt.value("white"), alt.value("#333")))
    return (alt.Chart(long).mark_rect().encode(
        y=alt.Y("path:N", sort=matrix.row_paths, title=None, axis=row_axis(matrix)),
        x=alt.X("column:N", sort=matrix.columns, title=matrix.by, axis=alt.Axis(orient="top", labelAngle=0)),
        color=alt.Color("value:Q", title=cmp.MEASURE_LABELS[matrix.measure], scale=alt.Scale(scheme="blues")),
        opacity=alt.condition(pick, alt.value(1.0), alt.value(0.45)),
        tooltip=[alt.Tooltip("path:N", title=matrix.row_kind), alt.Tooltip("column:N", title=matrix.by),
                 alt.Tooltip("value:Q", title=matrix.measure, format=fmt),
                 alt.Tooltip("count:Q", title="count"), alt.Tooltip("residual:Q", title="residual", format="+.1f")],
    ).add_params(pick) + numbers).properties(height=max(160, 19 * len(matrix.row_ids)))


def row_axis(matrix: cmp.Matrix) -> alt.Axis:
    """Code rows show their own name (top-level codes in bold); theme names are shown whole."""
    if matrix.row_kind == "theme":
        return alt.Axis(labelLimit=260, labelOverlap=False)
    return alt.Axis(labelExpr="peek(split(datum.value, '/'))", labelLimit=260, labelOverlap=False,
                    labelFontWeight={"condition": {"test": TOP_LEVEL, "value": "bold"}, "value": "normal"})


def show_quotes(quotes, note: str = "") -> None:
    """Quotes with their attribution, the first MAX_QUOTES of them."""
    if not quotes:
        st.info("No quotes here.")
    for q in quotes[:MAX_QUOTES]:
        quote(q.text, note=f"{q.code_name} · {q.coder} · {attribution(q)}" + note)
    if len(quotes) > MAX_QUOTES:
        st.caption(f"… and {len(quotes) - MAX_QUOTES} more.")


def show_passages(passages) -> None:
    """Each distinct passage once, with everyone who coded it, the first MAX_QUOTES of them."""
    if not passages:
        st.info("No quotes here.")
    for p in passages[:MAX_QUOTES]:
        quote(p.quote.text, note=f"{p.quote.code_name} · coded by {', '.join(p.coders)} · {attribution(p.quote)}")
    if len(passages) > MAX_QUOTES:
        st.caption(f"… and {len(passages) - MAX_QUOTES} more.")


store = session.require_project()
st.title("Compare")
matrix_tab, cooc_tab, query_tab = st.tabs(["Across sites", "Co-occurrence", "Code query"])
coders = store.coders()

with matrix_tab:
    attributes = cmp.attribute_names(store)
    by_col, measure_col, rows_col, coder_col = st.columns(4)
    by = by_col.selectbox("Columns", attributes, key="compare.by",
                          index=attributes.index("site") if "site" in attributes else 0)
    measure = measure_col.selectbox("Measure", cmp.MEASURES, key="compare.measure",
                                    format_func=lambda m: cmp.MEASURE_LABELS[m])
    rows = rows_col.radio("Rows", ["codes", "themes"], key="compare.rows", horizontal=True)
    chosen_coders = coder_col.multiselect("Coders", coders, key="compare.coders", placeholder="everyone")
    then_by = st.selectbox("…and by (a column per combination, e.g. wave × site)",
                           [None] + [a for a in attributes if a != by], key="compare.then_by",
                           format_func=lambda a: "nothing else" if a is None else a)
    rollup = st.checkbox("Categories include the codes under them", value=True, key="compare.rollup")
    try:
        wanted = {"by": [by, then_by] if then_by else by, "measure": measure, "themes": rows == "themes",
                  "coders": chosen_coders or None, "rollup": rollup}
        matrix = results.compare(store, **wanted)
    except WorkbenchError as exc:
        st.error(md(str(exc)))
        st.stop()
    if not matrix.row_ids:
        st.info("No themes yet: build some on the Themes page." if rows == "themes" else "The codebook is empty.")
        if rows == "themes":
            link_to("themes", "Build themes")
        else:
            link_to("codebook", "Write the codebook")
    else:
        st.altair_chart(heatmap(matrix), key=CHART, on_select=chart_picked, selection_mode="cell", width="stretch")
        st.caption("Click a cell (or choose it below) to read its quotes. A residual above +2 or below −2 means "
                   "the code is clearly more (or less) present there than its spread over all columns predicts.")
        differences = matrix.differences(limit=8)
        if differences:
            st.markdown("**Differs at a glance**")
            st.dataframe([{"code" if rows == "codes" else "theme": d.row_path, matrix.by: d.column,
                           "value": round(d.value, 3), "residual": round(d.residual, 1),
                           "": "more than expected" if d.residual > 0 else "less than expected"}
                          for d in differences], hide_index=True, width="stretch")
        if st.session_state.get(ROW) not in range(len(matrix.row_ids)):
            st.session_state.pop(ROW, None)
        if st.session_state.get(COLUMN) not in matrix.columns:
            st.session_state.pop(COLUMN, None)
        row_col, col_col = st.columns(2)
        row = row_col.selectbox("Row", range(len(matrix.row_ids)), key=ROW,
                                format_func=lambda i: "  " * matrix.row_depths[i] + matrix.row_labels[i],
                                help=md(matrix.row_paths[st.session_state.get(ROW) or 0]))
        column = col_col.selectbox("Column", matrix.columns, key=COLUMN)
        if measure == "passages":
            passages = results.cell_passages(store, row, column, **wanted)
            noun = "passage" if len(passages) == 1 else "passages"
            st.markdown(f"**{md(matrix.row_labels[row])} · {md(column)}**: {len(passages)} {noun}")
            show_passages(passages)
        else:
            cell_quotes = results.cell_quotes(store, row, column, **wanted)
            st.markdown(f"**{md(matrix.row_labels[row])} · {md(column)}**: {len(cell_quotes)} codings")
            show_quotes(cell_quotes)
        csv_col, xlsx_col = st.columns(2)
        csv_col.download_button("Download CSV", matrix.to_csv(), file_name=f"compare-{by}-{measure}.csv",
                                mime="text/csv", key="compare.csv")
        xlsx_col.download_button("Download Excel", results.compare_xlsx(store, **wanted), file_name=f"compare-{by}-{measure}.xlsx",
                                 key="compare.xlsx")

with cooc_tab:
    mode_col, coder_col, same_col = st.columns(3)
    mode = mode_col.radio("Count", cooc.MODES, key="cooc.mode", horizontal=True,
                          format_func=lambda m: "overlapping codings" if m == "overlap" else "same segment")
    cooc_coders = coder_col.multiselect("Coders", coders, key="cooc.coders", placeholder="everyone")
    same_coder = same_col.checkbox("Only pairs by the same coder", key="cooc.same_coder")
    table = results.cooccurrence(store, mode, coders=cooc_coders or None, same_coder=same_coder)
    pairs = table.top_pairs()
    if not pairs:
        st.info("No two codes co-occur yet.")
        link_to("code", "Code sources")
    else:
        st.dataframe([{"code": p.label_a, "with": p.label_b, "count": p.count} for p in pairs[:100]],
                     hide_index=True, width="stretch")
        pair = st.selectbox("Read a pair", range(len(pairs)), key="cooc.pair",
                            format_func=lambda i: f"{pairs[i].label_a} + {pairs[i].label_b} ({pairs[i].count})")
        for example in cooc.pair_quotes(store, table, pairs[pair].code_a, pairs[pair].code_b, limit=20):
            quote(example.shared_text, limit=600,
                  note=f"{example.first.code_name} ({example.first.coder}) + {example.second.code_name} "
                       f"({example.second.coder}) · {attribution(example.first)}")

with query_tab:
    expression = st.text_input("Codes", key="query.text",
                               placeholder='Wellbeing AND (Bonding ties OR "Green and shared spaces") AND NOT Housing')
    st.caption("AND, OR, NOT in capitals, brackets to group; code names may contain spaces (quote them to be "
               "sure). A category stands for every code under it.")
    keys = [a for a in cmp.attribute_names(store) if a not in ("kind", "coder", "speaker", "case")]
    key_col, value_col, unit_col = st.columns(3)
    where_key = key_col.selectbox("Only where", [None, *keys], key="query.key",
                                  format_func=lambda k: "anywhere" if k is None else k)
    where_value = value_col.text_input("is", key="query.value", disabled=where_key is None)
    unit = unit_col.radio("Unit", qry.UNITS, key="query.unit", horizontal=True)
    if expression.strip():
        try:
            hits = results.run_query(store, expression, unit=unit,
                                     where={where_key: where_value.strip()} if where_key and where_value.strip()
                                     else None)
        except qry.QuerySyntaxError as exc:
            st.error(md(exc.reason))
            st.code(exc.pointer, language=None)
        except WorkbenchError as exc:
            st.error(md(str(exc)))
        else:
            st.markdown(f"**{len(hits)} {unit}s match**")
            for hit in hits[:100]:
                who = ", ".join(p for p in (hit.case or hit.speaker, hit.attributes.get("site"), hit.source_name) if p)
                quote(hit.text, note=f"{who} · codes: {', '.join(hit.codes)}")
