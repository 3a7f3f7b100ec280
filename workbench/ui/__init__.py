"""The Streamlit app: the router (`app.py`), one file per page (`pages/`), and the shared pieces:
the open project and the coder (`session`), navigation, the document component, safe text.

May import: every layer of the core (sources, assist, analysis, export, store, model), `coding` and
`ingest`, and streamlit. Never `workbench.cli`.
"""
