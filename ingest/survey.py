"""Surveys (CSV/XLSX, one row per respondent) as one source of open answers plus case attributes.

Columns are inferred unless given: the id column by name (id, respondent, participant, ...);
open-answer columns hold free text (on average 20+ characters, mostly containing spaces, mostly
distinct); the other short columns (numbers, categories) become case attributes. The text is,
per respondent, ``Respondent <id>`` then each non-empty answer as its question on one line and the
answer on the next, blocks separated by blank lines; each answer segment covers the answer only.
"""
from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ingest.dispatch import resolve_kind
from ingest.errors import IngestError
from ingest.records import LoadedSource
from ingest.tables import Table, find_column, read_table
from ingest.text import TextBuilder, tidy_block

ID_NAMES = frozenset({
    "id", "respondent", "respondentid", "respondentno", "respondentnumber", "participant",
    "participantid", "participantno", "responseid", "caseid", "case",
})
OPEN_MIN_AVG_CHARS = 20
OPEN_MIN_SPACE_SHARE = 0.5
OPEN_MIN_DISTINCT_SHARE = 0.5
ATTRIBUTE_MAX_AVG_CHARS = 40
_NOT_ALNUM = re.compile(r"[^a-z0-9]")


@dataclass
class SurveyColumns:
    """Which column plays which role."""

    id_column: str | None
    open_columns: list[str]
    attribute_columns: list[str]


def _key(name: str) -> str:
    return _NOT_ALNUM.sub("", name.casefold())


def _is_number(value: str) -> bool:
    try:
        float(value.replace(",", "."))
    except ValueError:
        return False
    return True


def looks_open(values: Sequence[str]) -> bool:
    """Whether a column's values look like free-text answers."""
    filled = [v.strip() for v in values if v.strip()]
    if not filled or all(_is_number(v) for v in filled):
        return False
    average = sum(len(v) for v in filled) / len(filled)
    spaces = sum(" " in v for v in filled) / len(filled)
    distinct = len(set(filled)) / len(filled)
    return average >= OPEN_MIN_AVG_CHARS and spaces >= OPEN_MIN_SPACE_SHARE and distinct >= OPEN_MIN_DISTINCT_SHARE


def looks_attribute(values: Sequence[str]) -> bool:
    """Whether a column's values are short enough to be a case attribute (numbers or categories)."""
    filled = [v.strip() for v in values if v.strip()]
    return bool(filled) and sum(len(v) for v in filled) / len(filled) <= ATTRIBUTE_MAX_AVG_CHARS


def choose_columns(
    table: Table,
    path: str | Path,
    id_column: str | None = None,
    open_columns: Sequence[str] | None = None,
    attribute_columns: Sequence[str] | None = None,
) -> SurveyColumns:
    """Decide the id, open-answer and attribute columns, honouring any the caller gave."""
    columns = table.columns
    if id_column is not None:
        id_col: str | None = find_column(columns, id_column, path, "id_column")
    else:
        id_col = next((c for c in columns if _key(c) in ID_NAMES), None)
    rest = [c for c in columns if c != id_col]
    if open_columns is not None:
        opens = [find_column(columns, c, path, "open_columns") for c in open_columns]
    else:
        opens = [c for c in rest if looks_open(table.column(c))]
    if not opens:
        raise IngestError(
            path,
            f"no open-answer (free-text) column found among the columns: {', '.join(columns)}; "
            "pass open_columns=[...] to choose the questions to code",
        )
    if attribute_columns is not None:
        attributes = [find_column(columns, c, path, "attribute_columns") for c in attribute_columns]
    else:
        attributes = [c for c in rest if c not in opens and not looks_open(table.column(c))
                      and looks_attribute(table.column(c))]
    return SurveyColumns(id_col, opens, attributes)


def respondent_ids(table: Table, id_column: str | None, path: str | Path) -> list[str]:
    """Each row's respondent id (row number when there is no id or it is empty); duplicates are an error."""
    values = table.column(id_column) if id_column is not None else [""] * len(table.rows)
    ids = [v.strip() or str(n) for n, v in enumerate(values, start=1)]
    first_row: dict[str, int] = {}
    for n, rid in enumerate(ids, start=1):
        if rid in first_row:
            raise IngestError(
                path,
                f"respondent id {rid!r} appears in data rows {first_row[rid]} and {n} of column "
                f"{id_column!r}; ids must be unique (pass id_column= to choose another column)",
            )
        first_row[rid] = n
    return ids


def survey_from_table(
    table: Table,
    path: str | Path,
    kind: str | None = None,
    *,
    id_column: str | None = None,
    open_columns: Sequence[str] | None = None,
    attribute_columns: Sequence[str] | None = None,
) -> LoadedSource:
    """Build the survey source from a table already read."""
    if not table.rows:
        raise IngestError(path, "the survey has a header but no respondent rows")
    roles = choose_columns(table, path, id_column, open_columns, attribute_columns)
    ids = respondent_ids(table, roles.id_column, path)
    index = {name: i for i, name in enumerate(table.columns)}
    builder = TextBuilder()
    case_attributes: dict[str, dict[str, str]] = {}
    for rid, row in zip(ids, table.rows):
        case_attributes[rid] = {c: row[index[c]].strip() for c in roles.attribute_columns if row[index[c]].strip()}
        answers = [(c, tidy_block(row[index[c]])) for c in roles.open_columns if row[index[c]].strip()]
        if answers:
            _add_respondent(builder, rid, answers)
    if not builder.segments:
        raise IngestError(path, f"no answers: every respondent left {', '.join(roles.open_columns)} empty")
    metadata = {
        "id_column": roles.id_column or "",
        "open_columns": json.dumps(roles.open_columns, ensure_ascii=False),
        "attribute_columns": json.dumps(roles.attribute_columns, ensure_ascii=False),
        "respondents": str(len(ids)),
        "ragged_rows": str(table.ragged_rows),
    }
    return LoadedSource(
        name=Path(path).name, kind=resolve_kind(kind, "survey", path), text=builder.text(), format=table.fmt,
        segments=builder.segments, encoding=table.encoding, metadata=metadata, case_attributes=case_attributes,
    )


def _add_respondent(builder: TextBuilder, rid: str, answers: list[tuple[str, str]]) -> None:
    builder.separate()
    builder.add(f"Respondent {rid}\n")
    for position, (question, answer) in enumerate(answers):
        if position:
            builder.add("\n\n")
        builder.add(f"{question}\n")
        builder.add_segment(answer, "answer", case=rid, label=question)


def load_survey(
    path: Path,
    kind: str | None = None,
    *,
    id_column: str | None = None,
    open_columns: Sequence[str] | None = None,
    attribute_columns: Sequence[str] | None = None,
    sheet: str | None = None,
) -> list[LoadedSource]:
    """Load a survey from CSV or XLSX (first sheet unless ``sheet`` is given)."""
    table = read_table(path, sheet)
    return [survey_from_table(
        table, path, kind, id_column=id_column, open_columns=open_columns, attribute_columns=attribute_columns,
    )]
