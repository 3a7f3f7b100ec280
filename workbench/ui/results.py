"""Analysis results cached per project version, so that a widget change that changes no data reuses them.

Each result is keyed by the project file, its data version (`Store.data_version`: the last event, which
every change writes) and the arguments. Results are kept as they are (``st.cache_resource``: no copy per
run) and shared by the sessions of one project; pages only read them. A few versions are kept per function,
so the memory they hold is bounded."""
from __future__ import annotations

import io
from collections.abc import Sequence

import streamlit as st

from workbench.analysis import compare as cmp, cooccurrence as cooc, icr, query as qry
from workbench.store import Store

KEEP = 8  # results kept per function (a few widget settings of the current version)


def _key(store: Store) -> tuple[str, str]:
    return str(store.path), store.data_version()


def _tuple(values: Sequence | None) -> tuple | None:
    return tuple(values) if values else None


@st.cache_resource(show_spinner=False, max_entries=KEEP)
def _reliability(_store: Store, key: tuple, coders: tuple, unit: str, ignore_uncoded: bool,
                 origins: tuple | None) -> icr.CoderReliability:
    return icr.coder_reliability(_store, list(coders), unit, ignore_uncoded=ignore_uncoded,
                                 origins=list(origins) if origins else None)


def coder_reliability(store: Store, coders: Sequence[str], unit: str, *, ignore_uncoded: bool = False,
                      origins: Sequence[str] | None = None) -> icr.CoderReliability:
    """`icr.coder_reliability`, computed once per project version and arguments."""
    return _reliability(store, _key(store), tuple(coders), unit, ignore_uncoded, _tuple(origins))


@st.cache_resource(show_spinner=False, max_entries=KEEP)
def _compare(_store: Store, key: tuple, by: tuple, measure: str, themes: bool, coders: tuple | None,
             rollup: bool) -> cmp.Matrix:
    return cmp.compare(_store, list(by) if len(by) > 1 else by[0], measure, themes=themes,
                       coders=list(coders) if coders else None, rollup=rollup)


def _matrix_args(by: str | Sequence[str], measure: str, themes: bool, coders: Sequence[str] | None,
                 rollup: bool) -> tuple:
    return (by,) if isinstance(by, str) else tuple(by), measure, themes, _tuple(coders), rollup


def compare(store: Store, by: str | Sequence[str], measure: str, *, themes: bool = False,
            coders: Sequence[str] | None = None, rollup: bool = True) -> cmp.Matrix:
    """`compare.compare`, computed once per project version and arguments."""
    return _compare(store, _key(store), *_matrix_args(by, measure, themes, coders, rollup))


@st.cache_resource(show_spinner=False, max_entries=KEEP)
def _xlsx(_store: Store, key: tuple, matrix_args: tuple) -> bytes:
    buffer = io.BytesIO()
    _compare(_store, key, *matrix_args).to_xlsx(buffer)
    return buffer.getvalue()


def compare_xlsx(store: Store, *, by: str | Sequence[str], measure: str, themes: bool = False,
                 coders: Sequence[str] | None = None, rollup: bool = True) -> bytes:
    """The matrix `compare` gives for these arguments as an Excel file, written once per version."""
    return _xlsx(store, _key(store), _matrix_args(by, measure, themes, coders, rollup))


@st.cache_resource(show_spinner=False, max_entries=KEEP)
def _cell(_store: Store, key: tuple, matrix_args: tuple, passages: bool, row: int, column: str) -> list:
    matrix = _compare(_store, key, *matrix_args)
    if passages:
        return cmp.passages_for_cell(_store, matrix, row, column)
    return cmp.quotes_for_cell(_store, matrix, row, column)


def cell_passages(store: Store, row: int, column: str, *, by: str | Sequence[str], measure: str,
                  themes: bool = False, coders: Sequence[str] | None = None,
                  rollup: bool = True) -> list[cmp.PassageQuote]:
    """`compare.passages_for_cell` of the matrix `compare` gives for the same arguments, once per version."""
    return _cell(store, _key(store), _matrix_args(by, measure, themes, coders, rollup), True, row, column)


def cell_quotes(store: Store, row: int, column: str, *, by: str | Sequence[str], measure: str,
                themes: bool = False, coders: Sequence[str] | None = None, rollup: bool = True) -> list:
    """`compare.quotes_for_cell` of the matrix `compare` gives for the same arguments, once per version."""
    return _cell(store, _key(store), _matrix_args(by, measure, themes, coders, rollup), False, row, column)


@st.cache_resource(show_spinner=False, max_entries=KEEP)
def _cooccurrence(_store: Store, key: tuple, mode: str, coders: tuple | None, same_coder: bool) -> cooc.Cooccurrence:
    return cooc.cooccurrence(_store, mode, coders=list(coders) if coders else None, same_coder=same_coder)


def cooccurrence(store: Store, mode: str, *, coders: Sequence[str] | None = None,
                 same_coder: bool = False) -> cooc.Cooccurrence:
    """`cooccurrence.cooccurrence`, computed once per project version and arguments."""
    return _cooccurrence(store, _key(store), mode, _tuple(coders), same_coder)


@st.cache_resource(show_spinner=False, max_entries=KEEP)
def _query(_store: Store, key: tuple, expression: str, unit: str, where: tuple | None) -> list[qry.QueryHit]:
    return qry.run_query(_store, expression, unit=unit, where=dict(where) if where else None)


def run_query(store: Store, expression: str, *, unit: str, where: dict[str, str] | None = None) -> list[qry.QueryHit]:
    """`query.run_query`, computed once per project version, expression and arguments."""
    return _query(store, _key(store), expression, unit, tuple(sorted(where.items())) if where else None)
