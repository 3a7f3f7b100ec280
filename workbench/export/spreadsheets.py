"""Quote spreadsheets and the code × case presence matrix, as XLSX or CSV.

CSV files are written as UTF-8 **with a byte-order mark** (``utf-8-sig``): Excel on Windows reads a
CSV without one in the local code page and garbles accents, emoji and non-Latin scripts, while
pandas (``encoding="utf-8-sig"``), R (``readr``) and SPSS/Stata read the BOM-marked file fine.
Cells that a spreadsheet would run as a formula (starting with ``=``, ``+``, ``-``, ``@``, tab or
CR), headers included, get a leading apostrophe in CSV; in XLSX every text cell is stored as text
(``workbench.analysis.tables``).

The ``machine_suggested`` column says how a coding from an accepted suggestion was accepted
("machine-suggested, accepted by zoe", or "… accepted in bulk (score ≥ 0.90) by zoe"); it is empty for
codings people made by hand or imported.

With pseudonyms on (the default) the speaker, case, source and memo columns and the quote text
pass through the project's roster, so a quote that mentions a name differs from
``source.text[start:end]`` exactly there; ``start`` and ``end`` always point into the stored text.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from workbench.analysis.tables import csv_cell, text_not_formulas
from workbench.export.report.data import ALL_ORIGINS, Excerpt, ExportError, check_sites, load_excerpts, resolve_codes
from workbench.export.report.names import ReportNames, export_names
from workbench.store import Store

QUOTE_COLUMNS = ("code_path", "code", "quote", "source", "source_kind", "start", "end", "speaker", "time",
                 "entry_date", "question", "case", "coder", "origin", "machine_suggested", "memo")
LEADING_ATTRIBUTES = ("site", "role", "wave")
WRAPPED = {"quote", "memo", "question"}
FORMATS = (".xlsx", ".csv")


@dataclass
class Sheet:
    """A table to write: column names and rows of plain values."""

    name: str
    columns: list[str]
    rows: list[list[object]]


@dataclass
class SheetSummary:
    """What a written spreadsheet holds."""

    path: Path
    rows: int
    columns: int
    skipped: int = 0  # codings left out (the presence matrix leaves out codings without a case)


def clock(seconds: float | None) -> str:
    """``h:mm:ss`` for a recording position (empty when there is none)."""
    if seconds is None:
        return ""
    hours, rest = divmod(int(seconds), 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}"


def _filtered(store: Store, codes: Sequence[str], sites: Sequence[str], origins: Sequence[str],
              coders: Sequence[str] | None, pseudonymise: bool) -> tuple[list[Excerpt], ReportNames]:
    """The codings an export covers, and the naming policy they were read with."""
    names = export_names(store, pseudonymise)
    code_ids = resolve_codes(store, codes) if codes else None
    site_names = check_sites(store, sites) if sites else None
    excerpts = load_excerpts(store, names, code_ids=code_ids, origins=origins, sites=site_names, coders=coders)
    return excerpts, names


def _attribute_columns(keys: set[str]) -> list[str]:
    return [k for k in LEADING_ATTRIBUTES if k in keys] + sorted(keys - set(LEADING_ATTRIBUTES))


def quote_sheet(store: Store, *, codes: Sequence[str] = (), sites: Sequence[str] = (),
                origins: Sequence[str] = ALL_ORIGINS, coders: Sequence[str] | None = None,
                pseudonymise: bool = True) -> Sheet:
    """One row per coding with its words, position, attribution and every attribute as a column."""
    excerpts, names = _filtered(store, codes, sites, origins, coders, pseudonymise)
    order = {c.id: n for n, c in enumerate(store.codes())}
    excerpts.sort(key=lambda e: (order.get(e.quote.code_id, 0), e.quote.source_name, e.quote.start, e.quote.coder))
    keys = _attribute_columns({k for e in excerpts for k in e.quote.attributes})
    header = [*QUOTE_COLUMNS, *(f"attr_{k}" if k in QUOTE_COLUMNS else k for k in keys)]
    rows = []
    for e in excerpts:
        q = e.quote
        rows.append([q.code_path, q.code_name, e.text, e.source, q.source_kind, q.start, q.end,
                     names.who(q.speaker) if q.speaker else "", clock(q.start_time), q.entry_date or "",
                     e.question or "", names.who(q.case) if q.case else "", q.coder, q.origin, q.provenance, names.text(q.memo),
                     *(q.attributes.get(k, "") for k in keys)])
    return Sheet("Quotes", header, rows)


def presence_sheet(store: Store, *, codes: Sequence[str] = (), sites: Sequence[str] = (),
                   origins: Sequence[str] = ALL_ORIGINS, coders: Sequence[str] | None = None,
                   pseudonymise: bool = True) -> tuple[Sheet, int]:
    """Cases × code paths of 0/1 (1: the case has at least one coding of the code), case attributes first.

    Returns the sheet and the number of codings that belong to no case (left out).
    """
    excerpts, names = _filtered(store, codes, sites, origins, coders, pseudonymise)
    wanted = set(resolve_codes(store, codes)) if codes else None
    paths = [e for e in _code_paths(store) if e[1] and (wanted is None or e[0] in wanted)]
    cases = [c for c in store.cases() if not sites or c.attributes.get("site", "").lower()
             in {s.lower() for s in sites}]
    present: set[tuple[str, int]] = {(e.quote.case, e.quote.code_id) for e in excerpts if e.quote.case}
    keys = _attribute_columns({k for c in cases for k in c.attributes})
    header = ["case", *keys, *(path for _id, _codable, path in paths)]
    rows = [[names.who(c.name), *(c.attributes.get(k, "") for k in keys),
             *(int((c.name, code_id) in present) for code_id, _codable, _path in paths)] for c in cases]
    return Sheet("Presence", header, rows), sum(1 for e in excerpts if not e.quote.case)


def _code_paths(store: Store) -> list[tuple[int, bool, str]]:
    """(id, codable, path) of every code in codebook order."""
    paths: dict[int, str] = {}
    result = []
    for code in store.codes():
        parent = paths.get(code.parent_id) if code.parent_id else None
        paths[code.id] = f"{parent}/{code.name}" if parent else code.name
        result.append((code.id, code.codable, paths[code.id]))
    return result


def write_quotes(store: Store, path: str | Path, **filters) -> SheetSummary:
    """Write the quote spreadsheet (XLSX or CSV by extension); ``filters`` as for :func:`quote_sheet`."""
    sheet = quote_sheet(store, **filters)
    return write_sheet(sheet, path)


def write_matrix(store: Store, path: str | Path, **filters) -> SheetSummary:
    """Write the code × case presence matrix (XLSX or CSV by extension)."""
    sheet, skipped = presence_sheet(store, **filters)
    summary = write_sheet(sheet, path, freeze_columns=1)
    summary.skipped = skipped
    return summary


def quotes_file(store: Store, suffix: str, **filters) -> bytes:
    """The quote spreadsheet as file bytes (``.xlsx`` or ``.csv``); ``filters`` as for :func:`quote_sheet`."""
    return sheet_bytes(quote_sheet(store, **filters), suffix)


def matrix_file(store: Store, suffix: str, **filters) -> bytes:
    """The presence matrix as file bytes (``.xlsx`` or ``.csv``); ``filters`` as for :func:`presence_sheet`."""
    sheet, _skipped = presence_sheet(store, **filters)
    return sheet_bytes(sheet, suffix, freeze_columns=1)


def write_sheet(sheet: Sheet, path: str | Path, *, freeze_columns: int = 0) -> SheetSummary:
    """Write a sheet as .xlsx or .csv (chosen by the file's extension)."""
    path = Path(path)
    path.write_bytes(sheet_bytes(sheet, path.suffix, freeze_columns=freeze_columns))
    return SheetSummary(path=path, rows=len(sheet.rows), columns=len(sheet.columns))


def sheet_bytes(sheet: Sheet, suffix: str, *, freeze_columns: int = 0) -> bytes:
    """A sheet as the bytes of a ``.xlsx`` or ``.csv`` file (for a download button)."""
    suffix = suffix.lower() if suffix.startswith(".") else f".{suffix.lower()}"
    if suffix not in FORMATS:
        raise ExportError(f"cannot write a {suffix or 'file without extension'}: use .xlsx or .csv")
    return _csv_bytes(sheet) if suffix == ".csv" else _xlsx_bytes(sheet, freeze_columns)


def _csv_bytes(sheet: Sheet) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow([csv_cell(v) for v in sheet.columns])
    writer.writerows([csv_cell(v) for v in row] for row in sheet.rows)
    return buffer.getvalue().encode("utf-8-sig")


def _xlsx_value(value: object) -> object:
    return ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value


def _xlsx_bytes(sheet: Sheet, freeze_columns: int) -> bytes:
    workbook = Workbook()
    ws = workbook.active
    ws.title = sheet.name
    ws.append([_xlsx_value(v) for v in sheet.columns])
    for row in sheet.rows:
        ws.append([_xlsx_value(v) for v in row])
    text_not_formulas([ws])  # headers too: a variable may be called =1+1
    _format(ws, sheet, freeze_columns)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _format(ws, sheet: Sheet, freeze_columns: int) -> None:
    """Bold shaded header, frozen header row (and first columns), autofilter, widths, wrapped text."""
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DBE5F1")
        cell.alignment = Alignment(vertical="top", wrap_text=True)
    ws.freeze_panes = ws.cell(row=2, column=freeze_columns + 1)
    if sheet.rows:
        ws.auto_filter.ref = ws.dimensions
    for n, name in enumerate(sheet.columns, start=1):
        letter = get_column_letter(n)
        if name in WRAPPED:
            ws.column_dimensions[letter].width = 70 if name == "quote" else 40
            for cell in ws[letter][1:]:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
            continue
        longest = max([len(str(name))] + [len(str(r[n - 1])) for r in sheet.rows[:500]])
        ws.column_dimensions[letter].width = min(max(longest + 2, 6), 45)
