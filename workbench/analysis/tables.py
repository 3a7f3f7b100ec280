"""Writing tables whose cells come from users (code names, sites, cases, variables, quotes) safely.

A spreadsheet program runs a cell that starts with ``=`` (and, in CSV, ``+``, ``-``, ``@``, tab or
CR) as a formula: a collaborator's code called ``=HYPERLINK("http://…","click")`` would become a
live link in someone else's Excel. So every writer of XLSX or CSV goes through here:

- XLSX: every text cell, header or data, is stored as text (never as a formula);
- CSV: a text cell starting with one of those characters gets a leading apostrophe (the OWASP
  rule for CSV injection), in the index, the headers and the data alike.
"""
from __future__ import annotations

import io
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import BinaryIO

import pandas as pd

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> object:
    """A CSV cell that no spreadsheet runs: text starting with = + - @ tab or CR gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _safe_index(index: pd.Index) -> pd.Index:
    if isinstance(index, pd.MultiIndex):
        return index.set_levels([level.map(csv_cell) for level in index.levels]).set_names(
            [csv_cell(n) for n in index.names])
    return pd.Index([csv_cell(v) for v in index], name=csv_cell(index.name), dtype=object)


def csv_safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with every text cell, index label and header made safe for CSV."""
    safe = frame.map(csv_cell) if len(frame.columns) else frame.copy()
    safe.index = _safe_index(frame.index)
    safe.columns = _safe_index(frame.columns)
    return safe


def frame_to_csv(frame: pd.DataFrame, path: str | Path | None = None, *, index: bool = True) -> str | None:
    """Write ``frame`` as CSV (safe cells) to ``path``, or return the CSV text."""
    return csv_safe_frame(frame).to_csv(path, index=index)


def text_not_formulas(worksheets: Iterable) -> None:
    """Store every formula-looking text cell of openpyxl ``worksheets`` as text (call before saving)."""
    for sheet in worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    cell.data_type = "s"


def frames_to_xlsx(target: str | Path | BinaryIO, sheets: Mapping[str, tuple[pd.DataFrame, bool]]) -> None:
    """Write sheet name → (frame, with its index) as one workbook whose text cells are all text."""
    with pd.ExcelWriter(target, engine="openpyxl") as writer:
        for name, (frame, index) in sheets.items():
            frame.to_excel(writer, sheet_name=name, index=index)
        text_not_formulas(writer.book.worksheets)


def xlsx_bytes(sheets: Mapping[str, tuple[pd.DataFrame, bool]]) -> bytes:
    """The workbook of ``frames_to_xlsx`` as bytes (for a download button)."""
    buffer = io.BytesIO()
    frames_to_xlsx(buffer, sheets)
    return buffer.getvalue()
