"""Attribute sidecar files: a CSV (or XLSX) mapping each source file name to its attributes."""
from __future__ import annotations

from pathlib import Path

from ingest.errors import IngestError
from ingest.tables import read_table

FILE_COLUMNS = ("file", "filename", "file_name", "file name", "source")


def load_attributes(path: Path | str) -> dict[str, dict[str, str]]:
    """File name -> {attribute: value}; attribute names lowercased and stripped, empty values dropped."""
    table = read_table(path)
    folded = [c.strip().casefold() for c in table.columns]
    file_index = next((i for i, c in enumerate(folded) if c in FILE_COLUMNS), None)
    if file_index is None:
        raise IngestError(
            path,
            f"no file-name column: name the first column 'file', 'filename' or 'source' "
            f"(found: {', '.join(table.columns)})",
        )
    keys = [c.strip().lower() for c in table.columns]
    _check_unique_keys(path, keys, file_index)
    result: dict[str, dict[str, str]] = {}
    first_row: dict[str, int] = {}
    for number, row in enumerate(table.rows, start=2):
        name = row[file_index].strip()
        if not name:
            raise IngestError(path, f"row {number} has attributes but no file name")
        if name in first_row:
            raise IngestError(path, f"file {name!r} is listed twice (rows {first_row[name]} and {number})")
        first_row[name] = number
        result[name] = {
            key: value.strip() for i, (key, value) in enumerate(zip(keys, row))
            if i != file_index and value.strip()
        }
    return result


def _check_unique_keys(path: Path | str, keys: list[str], file_index: int) -> None:
    seen: set[str] = set()
    for i, key in enumerate(keys):
        if i == file_index:
            continue
        if key in seen:
            raise IngestError(path, f"attribute column {key!r} appears twice (names are compared lowercased)")
        seen.add(key)
