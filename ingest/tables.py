"""Reading tabular files (CSV with encoding and delimiter detection, XLSX read-only) into plain rows."""
from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import openpyxl
from lxml.etree import XMLSyntaxError
from openpyxl.utils.exceptions import InvalidFileException
from xml.etree.ElementTree import ParseError

from ingest.docx import check_zip_container
from ingest.errors import IngestError
from ingest.text import normalise, read_text

_DELIMITERS = (",", ";", "\t", "|")
# what openpyxl raises on damaged workbooks (bad ZIP data, broken XML, missing parts)
_XLSX_ERRORS = (
    InvalidFileException, KeyError, ValueError, IndexError, TypeError, zipfile.BadZipFile, zlib.error,
    EOFError, OSError, ParseError, XMLSyntaxError,
)


@dataclass
class Table:
    """A header and rows of strings, every row as long as the header."""

    columns: list[str]
    rows: list[list[str]]
    fmt: str  # "csv" or "xlsx"
    encoding: str | None = None
    ragged_rows: int = 0  # rows that were shorter or longer than the header

    def column(self, name: str) -> list[str]:
        """All values of one column."""
        index = self.columns.index(name)
        return [row[index] for row in self.rows]


def read_table(path: str | Path, sheet: str | None = None) -> Table:
    """Read a .csv or .xlsx file into a Table (first non-empty row is the header)."""
    if Path(path).suffix.lower() == ".xlsx":
        return _make_table(path, _xlsx_rows(path, sheet), "xlsx", None)
    text, encoding = read_text(path)
    return _make_table(path, _csv_rows(path, text), "csv", encoding)


def _csv_rows(path: str | Path, text: str) -> list[list[str]]:
    first_line = text[: text.find("\n")] if "\n" in text else text
    delimiter = max(_DELIMITERS, key=first_line.count)
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        return [row for row in reader]
    except csv.Error as error:
        hint = "; a quote may be missing its closing quote" if "field limit" in str(error) else ""
        raise IngestError(path, f"malformed CSV near line {reader.line_num}: {error}{hint}") from error


def _xlsx_rows(path: str | Path, sheet: str | None) -> list[list[str]]:
    check_zip_container(path, "xl/workbook.xml", "XLSX")
    try:
        workbook = openpyxl.load_workbook(str(path), read_only=True, data_only=True)
    except _XLSX_ERRORS as error:
        raise IngestError(path, f"not a valid XLSX file: {type(error).__name__}: {error}") from error
    try:
        if sheet is not None and sheet not in workbook.sheetnames:
            raise IngestError(path, f"no sheet named {sheet!r}; sheets: {', '.join(workbook.sheetnames)}")
        worksheet = workbook[sheet] if sheet is not None else workbook.worksheets[0]
        return _sheet_rows(path, worksheet)
    finally:
        workbook.close()


def _sheet_rows(path: str | Path, worksheet) -> list[list[str]]:
    try:
        return [[cell_text(value) for value in row] for row in worksheet.iter_rows(values_only=True)]
    except _XLSX_ERRORS as error:
        raise IngestError(path, f"damaged XLSX sheet {worksheet.title!r}: {type(error).__name__}: {error}") from error


def cell_text(value: object) -> str:
    """A spreadsheet cell as text: integers without '.0', dates as ISO, empty cells as ''."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return normalise(str(value))


def _make_table(path: str | Path, raw: list[list[str]], fmt: str, encoding: str | None) -> Table:
    rows = [row for row in raw if any(cell.strip() for cell in row)]
    if not rows:
        raise IngestError(path, "the table is empty (no header row)")
    columns = unique_names([" ".join(cell.split()) for cell in rows[0]])
    body = rows[1:]
    width = max([len(columns), *(len(row) for row in body)])
    ragged = sum(len(row) != len(columns) for row in body)
    if width > len(columns):
        columns = unique_names(columns + [""] * (width - len(columns)))
    padded = [row + [""] * (width - len(row)) for row in body]
    return Table(columns, padded, fmt, encoding, ragged)


def unique_names(names: list[str]) -> list[str]:
    """Name empty columns 'column N' and make repeated names unique with ' (2)', ' (3)'."""
    seen: dict[str, int] = {}
    result = []
    for position, name in enumerate(names, start=1):
        name = name or f"column {position}"
        seen[name] = seen.get(name, 0) + 1
        result.append(name if seen[name] == 1 else f"{name} ({seen[name]})")
    return result


def find_column(columns: list[str], wanted: str, path: str | Path, option: str) -> str:
    """The column called ``wanted`` (exact, then case-insensitive), or IngestError listing the columns."""
    if wanted in columns:
        return wanted
    for column in columns:
        if column.casefold() == wanted.strip().casefold():
            return column
    raise IngestError(path, f"{option}: no column named {wanted!r}; columns are: {', '.join(columns)}")
