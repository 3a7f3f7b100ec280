"""Files uploaded in the browser, imported safely: each under its own name (never a path the browser sent);
uploads that share a name go to folders of their own, so both land, and the others share one folder, so a
transcript and its recording (interview.vtt + interview.wav) are imported together."""
from __future__ import annotations

import tempfile
from pathlib import Path

import streamlit as st

from workbench.sources.importer import IngestReport, Skipped, ingest_paths
from workbench.store import Store

NOT_A_FILE_NAME = "is not a file name that can be imported: rename the file and upload it again"


def upload_name(name: str) -> str | None:
    """The file name of an upload without any folder the browser sent; None for ``..``, ``.`` or nothing."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1].strip()
    return None if base in ("", ".", "..") else base


def import_uploads(store: Store, files: list, kind: str | None, actor: str) -> IngestReport:
    """Save each upload under its own name (two uploads may share a name, ``same.txt`` and ``sub/same.txt``:
    the second goes to a folder of its own), then import them all."""
    bar = st.progress(0.0, text="Importing…")

    def progress(done: int, total: int, name: str) -> None:
        bar.progress(min(done / max(total, 1), 1.0), text=f"{done} of {total}: {name}")

    refused = []
    with tempfile.TemporaryDirectory(prefix="workbench-upload-") as folder:
        paths: list[Path] = []
        for upload in files:
            name = upload_name(upload.name)  # never a path from the browser
            if name is None:
                refused.append(Skipped(upload.name, NOT_A_FILE_NAME))
                continue
            target = Path(folder) / str(sum(p.name == name for p in paths)) / name
            target.parent.mkdir(exist_ok=True)
            target.write_bytes(upload.getvalue())
            paths.append(target)
        report = ingest_paths(store, paths, actor=actor, kind=kind, on_progress=progress)
    report.skipped = refused + report.skipped
    bar.progress(1.0, text="Done")
    return report
