"""Material into the project and edits to it: the importer (files → sources, segments, sentences),
sentence splitting, the speakers who ask rather than tell, editing a source's text with its codings
re-anchored, pseudonyms, the project's codebook, memos (project, document, code, case and coding), undo/redo
of a coder's own actions, recordings, and the bundled demo project.

May import: `workbench.store`, `workbench.model`, `workbench.errors`, `coding`, `ingest`.
"""
from pathlib import Path

DEFAULT_DEMO_PATH = Path("demo-project") / "stronger-together.wbproj"  # where `workbench demo` builds
