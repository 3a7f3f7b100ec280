"""The framework matrix (framework method): one row per case or attribute value, one column per theme.

Each cell holds the researcher's summary and the codings it cites; alongside, the cell's *candidate*
evidence is computed fresh: the row's codings under the theme's codes (and the codes below them).
Rows are stored as ``case`` + the case name, or ``attribute`` + ``key=value`` (e.g. ``site=Seacombe``).
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from workbench.analysis.compare import Lookups, coding_frame, quotes_for_codings
from workbench.errors import NotFound, WorkbenchError
from workbench.analysis.tables import frame_to_csv, xlsx_bytes
from workbench.analysis.quotes import Quote, attribution
from workbench.store import Store
from workbench.store.themes import CITATION, FrameworkCellRecord, Theme
from workbench.analysis.themes import theme_code_ids


class FrameworkError(WorkbenchError):
    """A framework row or theme does not exist, or an export format is unknown."""


@dataclass
class FrameworkRow:
    """A matrix row: its stored key (case name or key=value) and its label."""

    key: str
    label: str


@dataclass
class FrameworkCell:
    """One row × theme cell: the summary, the codings it cites, and the row's codings under the theme."""

    row_key: str
    theme_id: int
    summary: str = ""
    linked_ids: list[int] = field(default_factory=list)
    candidate_ids: list[int] = field(default_factory=list)
    updated_by: str | None = None
    updated_at: str | None = None


@dataclass
class FrameworkMatrix:
    """Rows (cases or attribute values) × themes of researcher-written summaries."""

    rows_by: str  # "case" or an attribute name
    row_type: str  # case | attribute
    rows: list[FrameworkRow]
    themes: list[Theme]
    cells: dict[tuple[str, int], FrameworkCell]

    def cell(self, row_key: str, theme_id: int) -> FrameworkCell:
        """One cell (empty if nothing is written or coded there)."""
        if not any(r.key == row_key for r in self.rows):
            raise FrameworkError(f"no row {row_key!r} in this framework")
        return self.cells.get((row_key, theme_id)) or FrameworkCell(row_key, theme_id)

    def to_frame(self, content: str = "summary") -> pd.DataFrame:
        """Rows × theme names of the summaries (``content="evidence"``: number of candidate codings)."""
        data = [[self._content(self.cell(r.key, t.id), content) for t in self.themes] for r in self.rows]
        return pd.DataFrame(data, index=pd.Index([r.label for r in self.rows], name=self.rows_by),
                            columns=[t.name for t in self.themes])

    @staticmethod
    def _content(cell: FrameworkCell, content: str):
        if content == "summary":
            return cell.summary
        if content == "evidence":
            return len(cell.candidate_ids)
        raise FrameworkError(f"unknown framework content {content!r}; choose summary or evidence")


def row_type_of(rows: str) -> str:
    """The stored row type for a choice of rows: ``case`` or ``attribute``."""
    return "case" if rows == "case" else "attribute"


def framework(store: Store, rows: str = "case", *, themes: Sequence[int] | None = None,
              coders: Sequence[str] | None = None, where: Mapping[str, str] | None = None) -> FrameworkMatrix:
    """The framework matrix by case or by the values of an attribute, with each cell's evidence."""
    rows = rows.strip().lower()
    lookups = Lookups.load(store)
    if rows != "case" and rows not in lookups.attribute_names():
        raise FrameworkError(f"no attribute {rows!r} in this project; rows can be case or one of "
                             f"{', '.join(lookups.attribute_names())}")
    chosen = [t for t in store.themes(include_discarded=False) if themes is None or t.id in set(themes)]
    frame = coding_frame(store, lookups, coders=coders)
    frame = frame[lookups.where_mask(frame, where)].copy()
    frame["row"] = _row_keys(lookups, frame, rows)
    stored = [c for c in store.framework_cells(row_type_of(rows))
              if rows == "case" or c.row_key.split("=", 1)[0] == rows]
    row_list = _rows(frame, stored, rows)
    cells = _evidence(store, frame, chosen)
    for record in stored:
        if any(t.id == record.theme_id for t in chosen):
            cell = cells.setdefault((record.row_key, record.theme_id), FrameworkCell(record.row_key, record.theme_id))
            cell.summary, cell.linked_ids = record.summary, record.coding_ids
            cell.updated_by, cell.updated_at = record.updated_by, record.updated_at
    return FrameworkMatrix(rows, row_type_of(rows), row_list, chosen, cells)


def _row_keys(lookups: Lookups, frame: pd.DataFrame, rows: str) -> pd.Series:
    """Each coding's row key: its case's name, or key=value of its effective attribute."""
    values = lookups.column(frame, "case" if rows == "case" else rows)
    return values if rows == "case" else values.map(lambda v: f"{rows}={v}", na_action="ignore")


def _rows(frame: pd.DataFrame, stored: Sequence[FrameworkCellRecord], rows: str) -> list[FrameworkRow]:
    """Rows with codings or with something written, in natural order of their labels."""
    keys = set(frame["row"].dropna().tolist()) | {c.row_key for c in stored}
    label = (lambda k: k) if rows == "case" else (lambda k: k.split("=", 1)[1])
    return [FrameworkRow(k, label(k)) for k in sorted(keys, key=lambda k: _natural(label(k)))]


def _natural(value: str) -> tuple:
    try:
        return (0, float(value), value)
    except ValueError:
        return (1, value.lower(), value)


def _evidence(store: Store, frame: pd.DataFrame, themes: Sequence[Theme]) -> dict[tuple[str, int], FrameworkCell]:
    """Cells with the row's codings under each theme's codes."""
    cells: dict[tuple[str, int], FrameworkCell] = {}
    coded = frame.dropna(subset=["row"])
    for theme in themes:
        hit = coded[coded["code_id"].isin(theme_code_ids(store, theme))]
        for key, ids in hit.groupby("row")["coding_id"]:
            cells[(key, theme.id)] = FrameworkCell(key, theme.id, candidate_ids=sorted(ids.astype(int).tolist()))
    return cells


def set_cell(store: Store, row_type: str, row_key: str, theme_id: int, summary: str,
             coding_ids: Sequence[int], actor: str) -> FrameworkCellRecord:
    """Write a cell's summary and the codings it cites (logged)."""
    if row_type == "case" and row_key not in set(store.case_names().values()):
        raise NotFound(f"no case called {row_key!r}")
    if row_type == "attribute" and "=" not in row_key:
        raise FrameworkError(f"an attribute row is written key=value (e.g. site=Seacombe), not {row_key!r}")
    return store.set_framework_cell(row_type, row_key, theme_id, summary, coding_ids, actor)


def save_summaries(store: Store, matrix: FrameworkMatrix, edited: pd.DataFrame, actor: str) -> int:
    """Store the summaries changed in an edited copy of ``matrix.to_frame()``; returns how many changed."""
    if edited.shape != (len(matrix.rows), len(matrix.themes)):
        raise FrameworkError("the edited table does not match the framework (rows or themes changed); reload it")
    changed = 0
    with store.database.transaction():
        for i, row in enumerate(matrix.rows):
            for j, theme in enumerate(matrix.themes):
                new = edited.iat[i, j]
                new = "" if new is None or (isinstance(new, float) and pd.isna(new)) else str(new)
                cell = matrix.cell(row.key, theme.id)
                if new != cell.summary:
                    set_cell(store, matrix.row_type, row.key, cell.theme_id, new, cell.linked_ids, actor)
                    changed += 1
    return changed


def cell_quotes(store: Store, matrix: FrameworkMatrix, row_key: str, theme_id: int) -> list[Quote]:
    """A cell's candidate supporting quotes, the ones its summary cites first."""
    cell = matrix.cell(row_key, theme_id)
    linked = set(cell.linked_ids)
    quotes = quotes_for_codings(store, sorted(set(cell.candidate_ids) | linked))
    return sorted(quotes, key=lambda q: (q.coding_id not in linked, q.source_name, q.start))


def summary_pieces(store: Store, summary: str) -> list[str | Quote | None]:
    """A summary as a reader sees it: its text pieces, and where a passage is cited (``[[q:UID]]``) that
    passage's quote, or None where the citation names no coding (any more)."""
    pieces = CITATION.split(summary or "")  # text, uid, text, uid, ...
    found = store.codings_by_uid(pieces[1::2])
    quotes = {q.coding_id: q for q in quotes_for_codings(store, [coding_id for coding_id, _ in found.values()])}
    return [piece if n % 2 == 0 else quotes.get(found.get(piece, (None, None))[0])
            for n, piece in enumerate(pieces) if n % 2 or piece.strip()]


def export_framework(store: Store, matrix: FrameworkMatrix, path: str | Path) -> Path:
    """Write the summaries (.csv) or the summaries, evidence counts and every cited quote (.xlsx)."""
    path = Path(path)
    if path.suffix.lower() == ".csv":
        frame_to_csv(matrix.to_frame(), path)
        return path
    if path.suffix.lower() != ".xlsx":
        raise FrameworkError(f"cannot export a framework as {path.suffix or 'a file without extension'}; "
                             "use .csv or .xlsx")
    path.write_bytes(framework_xlsx(store, matrix))
    return path


def framework_xlsx(store: Store, matrix: FrameworkMatrix) -> bytes:
    """The framework as an Excel workbook: summaries, evidence counts and the quotes the summaries cite."""
    return xlsx_bytes({"framework": (matrix.to_frame(), True), "evidence counts": (matrix.to_frame("evidence"), True),
                       "cited quotes": (_cited(store, matrix), False)})


def _cited(store: Store, matrix: FrameworkMatrix) -> pd.DataFrame:
    """One line per quote a summary cites."""
    names = {t.id: t.name for t in matrix.themes}
    labels = {r.key: r.label for r in matrix.rows}
    lines = []
    for (row_key, theme_id), cell in sorted(matrix.cells.items()):
        if cell.linked_ids:
            for quote in cell_quotes(store, matrix, row_key, theme_id):
                if quote.coding_id in cell.linked_ids:
                    lines.append({"row": labels.get(row_key, row_key), "theme": names[theme_id],
                                  "coding id": quote.coding_id, "code": quote.code_name, "quote": quote.text,
                                  "attribution": attribution(quote)})
    return pd.DataFrame(lines, columns=["row", "theme", "coding id", "code", "quote", "attribution"])
