"""The machine's part: running the suggesters over a project (suggest), ordering the review queue and
adjusting a suggestion before it is accepted (review), and measuring suggesters and coders against a
reference coder (evaluate).

May import: `workbench.sources`, `workbench.store`, `workbench.model`, `workbench.errors`, `coding`,
`ingest`. Never `workbench.analysis`, `workbench.export`, the shells or streamlit.
"""
