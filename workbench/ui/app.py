"""Resilience Workbench: the Streamlit app's router (`workbench app` runs this file)."""
import streamlit as st

from workbench.ui import nav, session
from workbench.ui.text import md

st.set_page_config(page_title="Resilience Workbench", page_icon="🌱", layout="wide")
session.init_session()
page = st.navigation(nav.pages())

with st.sidebar:
    store = session.project()
    if store is not None:
        st.caption(f"Project: **{md(store.setting('name') or store.path.stem)}**")
    st.caption(f"Coding as: **{md(session.coder()) or '—'}**")

page.run()
