"""Search: full-text search with keyword-in-context results, filters, and a way into the Code page."""
import streamlit as st

from workbench.ui import document_view as dv
from workbench.errors import WorkbenchError
from workbench.analysis.search import search
from workbench.ui import session
from workbench.ui.nav import open_in_code_page
from workbench.ui.text import esc, kwic, md

KINDS = ["interview", "diary", "journal", "fieldnote", "survey", "social", "document"]

store = session.require_project()
st.title("Search")

query = st.text_input("Search for", key="search.query", placeholder='e.g. bus  ·  "food bank"  ·  volunteer* NOT '
                      "council")
st.caption('Words match by stem (volunteer finds volunteering); "quoted phrases", OR, NOT and word* work too.')

codes = store.codes()
paths = dv.code_lookup(codes)
keys = store.attribute_keys()
sources = store.list_sources()
code_col, key_col, value_col, speaker_col, kind_col = st.columns(5)
code_id = code_col.selectbox("Coded with", [None, *[c.id for c in codes]], key="search.code",
                             format_func=lambda i: "any code" if i is None else paths[i][1])
attr_key = key_col.selectbox("Attribute", keys, key="search.attr_key",
                             index=keys.index("site") if "site" in keys else 0) if keys else None
values = sorted({s.attributes[attr_key] for s in sources if attr_key in s.attributes}) if attr_key else []
attr_value = value_col.selectbox("Value", [None, *values], key="search.attr_value",
                                 format_func=lambda v: "any" if v is None else v)
speaker = speaker_col.text_input("Speaker", key="search.speaker", placeholder="any")
kind = kind_col.selectbox("Kind of source", [None, *KINDS], key="search.kind",
                          format_func=lambda v: "any" if v is None else v)

if not query.strip():
    st.info("Type a word or phrase to search the project's sources.")
    st.stop()

try:
    lines = search(store, query, attributes={attr_key: attr_value} if attr_key and attr_value else None,
                   speaker=speaker.strip() or None, kind=kind, code=store.get_code(code_id).uid if code_id else None,
                   limit=200)
except WorkbenchError as exc:
    st.error(md(str(exc)))
    st.stop()

noun = "hit" if len(lines) == 1 else "hits"
st.markdown(f"**{len(lines)} {noun}**" + (" (the best 200)" if len(lines) == 200 else ""))
for n, line in enumerate(lines):
    hit = line.hit
    text_col, open_col = st.columns([9, 1], vertical_alignment="center")
    with text_col:
        where = " · ".join(p for p in (hit.source_name, hit.speaker or hit.case_name or "", hit.label or "",
                                       dv.format_time(hit.start_time), dv.format_date(hit.entry_date)) if p)
        st.html(f'<div style="font-size:0.8rem;opacity:0.75">{esc(where)}</div>')
        kwic(line.before, line.match, line.after, cut_before=line.cut_before, cut_after=line.cut_after)
    if open_col.button("Open", key=f"search.open.{n}",
                       help=f"Show it in the Code page, selected, ready to code: {md(hit.source_name)}"):
        open_in_code_page(hit.source_id, line.match_start, line.match_end, select=True)
