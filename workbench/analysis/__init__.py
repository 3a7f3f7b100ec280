"""Search and analysis over a project's codings: full-text search, boolean code queries, quotes with
their attribution, code × attribute comparison, co-occurrence, the framework matrix, themes and
candidate clusters, and inter-coder reliability.

May import: `workbench.store`, `workbench.model`, `workbench.errors`, `coding` (agreement statistics,
embeddings for clustering). Never `workbench.assist`, `workbench.export`, the shells or streamlit.
"""
