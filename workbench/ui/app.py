"""Resilience Workbench: the Streamlit app's router (`workbench app` runs this file)."""
import streamlit as st

from workbench.ui import nav, session, team
from workbench.ui.text import md

st.set_page_config(page_title="Resilience Workbench", page_icon="🌱", layout="wide")
if team.active() and not team.signed_in():  # team server: nothing but the sign-in page before sign-in
    st.navigation([st.Page(team.sign_in_page, title="Sign in", url_path="sign-in")]).run()
    st.stop()
session.init_session()
page = st.navigation(nav.pages(team=team.active()))

with st.sidebar:
    store = session.project()
    if store is not None:
        st.caption(f"Project: **{md(store.setting('name') or store.path.stem)}**")
    if team.active():
        team.sidebar()
    else:
        st.caption(f"Coding as: **{md(session.coder()) or '—'}**")

page.run()
