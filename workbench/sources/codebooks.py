"""Codebook files in and out of a project: YAML (our format) and REFI-QDA .qdc."""
from __future__ import annotations

from pathlib import Path

from coding.codebook import Codebook, InvalidCodebook, dump_codebook, load_codebook
from coding.qdc import export_qdc, import_qdc

from workbench.store import Store

FORMATS = ("yaml", "qdc")


def read_codebook_file(path: str | Path) -> Codebook:
    """Read and validate a codebook file, choosing the format by its extension."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in (".yaml", ".yml"):
        return load_codebook(path)
    if suffix == ".qdc":
        return import_qdc(path)
    raise InvalidCodebook(f"unknown codebook format {suffix or '(no extension)'}: use .yaml, .yml or .qdc",
                          source=path.name)


def import_codebook_file(store: Store, path: str | Path, actor: str) -> dict[str, int]:
    """Add a codebook file's codes to the project (codes already there by uid or path are updated)."""
    codebook = read_codebook_file(path)
    result = store.import_codebook(codebook, actor)
    if not store.setting("codebook_name"):
        store.set_setting("codebook_name", codebook.name)
    return result


def project_codebook(store: Store) -> Codebook:
    """The project's codebook as a record, named as when it was imported."""
    return store.codebook(store.setting("codebook_name") or store.setting("name") or "Project codebook")


def export_codebook(store: Store, path: str | Path, fmt: str | None = None) -> Path:
    """Write the project's codebook as YAML or .qdc (format from ``fmt`` or the extension)."""
    path = Path(path)
    fmt = fmt or ("qdc" if path.suffix.lower() == ".qdc" else "yaml")
    if fmt not in FORMATS:
        raise ValueError(f"unknown codebook format {fmt!r}; choose one of {', '.join(FORMATS)}")
    codebook = project_codebook(store)
    if fmt == "qdc":
        export_qdc(codebook, path)
    else:
        path.write_text(dump_codebook(codebook), encoding="utf-8")
    return path
