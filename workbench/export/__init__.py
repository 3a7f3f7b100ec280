"""Writing the project for others: the Word evidence report (`report/`), quote and matrix spreadsheets,
and REFI-QDA project exchange (`refi/`, .qdpx import and export).

May import: `workbench.analysis`, `workbench.assist`, `workbench.sources`, `workbench.store`,
`workbench.model`, `workbench.errors`, `coding`, `ingest`. Never the shells or streamlit.
"""
