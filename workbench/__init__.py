"""Resilience Workbench: a local, private qualitative research workbench.

Layers, top to bottom: `ui` (Streamlit) and `cli` (click) are thin shells over `sources`, `assist`,
`analysis` and `export`, which keep all SQL in `store`, which stores the records of `model` and
raises the errors of `errors`. The contracts are checked by import-linter (see pyproject.toml).
"""
