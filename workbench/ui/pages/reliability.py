"""Reliability: agreement between coders (or a suggester and a coder) per code, and their disagreements."""
import pandas as pd
import streamlit as st

from workbench.analysis import icr
from workbench.errors import WorkbenchError
from workbench.ui import results, session
from workbench.ui.nav import link_to
from workbench.ui.text import md

store = session.require_project()
st.title("Inter-coder reliability")
st.caption("Per code, each unit (a segment, a sentence or a character) counts as coded or not by each coder; "
           "only sources a coder coded count for them. Kappa compares the first two coders.")

available = icr.available_coders(store)
people = store.coders()
coders = st.multiselect("Coders", available, default=people[:2], key="reliability.coders",
                        help="People who coded, or suggester:NAME for a suggester's pending and accepted proposals.")
unit_col, uncoded_col, manual_col = st.columns(3)
unit = unit_col.radio("Unit", icr.UNITS, key="reliability.unit", horizontal=True)
ignore_uncoded = uncoded_col.checkbox("Leave out units nobody coded", key="reliability.ignore")
manual_only = manual_col.checkbox("People's manual codings only", key="reliability.manual",
                                  help="Leave out codings accepted from suggestions, e.g. when comparing a suggester.")
if len(available) < 2:
    st.info(f"Reliability needs at least two coders of the same sources (people, or a person and a suggester); "
            f"so far {len(people)} {'person has' if len(people) == 1 else 'people have'} coded.")
    link_to("code", "Code sources")
    st.stop()
if len(coders) < 2:
    st.info("Choose at least two coders to compare.")
    st.stop()
try:
    result = results.coder_reliability(store, coders, unit, ignore_uncoded=ignore_uncoded,
                                       origins=["manual", "import"] if manual_only else None)
except WorkbenchError as exc:
    st.error(md(str(exc)))
    st.stop()

overall, coded = result.overall, result.coded
coded_col, agree_col, kappa_col, alpha_col, units_col = st.columns([3, 2, 2, 2.4, 2.6])  # labels read whole at 1440 px
coded_col.metric("% agreement where someone coded", f"{100 * coded.percent_agreement:.1f}%")
agree_col.metric("% agreement", f"{100 * overall.percent_agreement:.1f}%")
kappa_col.metric("Cohen's kappa", icr.kappa_text(overall.cohen_kappa, len(coders)))
alpha_col.metric("Krippendorff's alpha", f"{overall.krippendorff_alpha:.3f}")
units_col.metric(f"code × {unit} decisions", f"{overall.n_units:,}",
                 help="Every code counts each unit once: codes × units of the shared sources (pooled figures).")
st.caption(f"{icr.CODED_UNITS_NOTE} ({coded.n_units:,} code × {unit} decisions)")
st.caption(icr.ALL_UNITS_NOTE)
st.caption(f"{result.shared_sources} sources coded by at least two of them · sources per coder: "
           + md(", ".join(f"{c} {n}" for c, n in result.sources_per_coder.items())))
if result.note:
    st.warning(result.note)

per_code = result.per_code_frame()
per_code["kappa"] = [icr.kappa_text(None if pd.isna(k) else k, len(coders)) for k in per_code["kappa"]]
st.dataframe(per_code, hide_index=True, width="stretch",
             column_config={"code": st.column_config.TextColumn(width="large", help="The code's full path"),
                            "% agreement": st.column_config.NumberColumn(format="%.1f"),
                            "kappa": st.column_config.TextColumn(),
                            "alpha": st.column_config.NumberColumn(format="%.3f")})

codes = sorted({d.code for d in result.report.all_disagreements})
st.markdown(f"**Disagreements** ({len(result.report.all_disagreements)})")
chosen = st.selectbox("Code", [None, *codes], key="reliability.code",
                      format_func=lambda c: "every code" if c is None else c,
                      help=md(st.session_state.get("reliability.code") or "every code"))
rows = result.disagreements(chosen, limit=300)
st.dataframe([{"code": r.code, "source": r.source_name, "coded by": ", ".join(r.coded_by),
               "not coded by": ", ".join(r.not_coded_by), "their words": r.coded_words, "unit text": r.text}
              for r in rows], hide_index=True, width="stretch",
             column_config={"code": st.column_config.TextColumn(width="medium", help="The code's full path"),
                            "their words": st.column_config.TextColumn(width="large"),
                            "unit text": st.column_config.TextColumn(width="large")})
if len(result.report.disagreements(chosen)) > len(rows):
    st.caption("The first 300 are shown.")
