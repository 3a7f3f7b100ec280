"""Boolean code queries: which segments carry ``Wellbeing AND (Bonding ties OR "Green and shared spaces")``.

Grammar (keywords are upper case, so ``and`` inside a code name is part of the name)::

    query    := or_expr
    or_expr  := and_expr ("OR" and_expr)*
    and_expr := not_expr ("AND" not_expr)*
    not_expr := "NOT" not_expr | atom
    atom     := "(" or_expr ")" | '"' name '"' | word+

A name is resolved like everywhere else (``store.find_code``: uid, path ``A/B``, or unique name). A
query is evaluated per structural segment (turn, answer, entry, post, paragraph) or per sentence: the
set of codes whose codings share a character with the unit, each code also counting for every
category above it.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from workbench.analysis.compare import Lookups, coding_frame, segment_frame
from workbench.analysis.cooccurrence import touching_segments
from workbench.errors import WorkbenchError
from workbench.store import Store

UNITS = ("segment", "sentence")
KEYWORDS = ("AND", "OR", "NOT")
_TOKEN = re.compile(r'\s*(?:(?P<paren>[()])|"(?P<quoted>[^"]*)"|(?P<open>")|(?P<word>[^\s()"]+))')


class QuerySyntaxError(WorkbenchError):
    """A code query could not be parsed or names an unknown code; ``position`` is where (0-based), ``reason``
    the message alone and ``pointer`` the query with a caret under that position."""

    def __init__(self, message: str, position: int, query: str) -> None:
        self.reason = f"{message} (at position {position + 1})"
        self.pointer = f"{query}\n{' ' * position}^" if query else ""
        super().__init__(self.reason + ("\n" + "\n".join("  " + line for line in self.pointer.splitlines())
                                        if self.pointer else ""))
        self.position, self.query = position, query


@dataclass(frozen=True)
class CodeTerm:
    """A code named in the query (with everything under it)."""

    code_ids: tuple[int, ...]
    name: str


@dataclass(frozen=True)
class Not:
    """Segments without the operand."""

    operand: Node


@dataclass(frozen=True)
class And:
    """Segments matching every operand."""

    operands: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    """Segments matching at least one operand."""

    operands: tuple[Node, ...]


Node = CodeTerm | Not | And | Or


@dataclass
class Token:
    """One lexical token: kind is ( ) word quoted AND OR NOT end."""

    kind: str
    text: str
    position: int


def tokenize(query: str) -> list[Token]:
    """Split a query into tokens; QuerySyntaxError on an unclosed quote."""
    tokens, pos = [], 0
    while pos < len(query):
        match = _TOKEN.match(query, pos)
        if match is None:  # only trailing white space is left
            break
        at = match.start(match.lastgroup) if match.lastgroup else pos
        if match.group("open"):
            raise QuerySyntaxError("this quote is never closed", at, query)
        if match.group("paren"):
            tokens.append(Token(match.group("paren"), match.group("paren"), at))
        elif match.group("quoted") is not None:
            tokens.append(Token("quoted", match.group("quoted"), at - 1))
        else:
            word = match.group("word")
            tokens.append(Token(word if word in KEYWORDS else "word", word, at))
        pos = match.end()
    tokens.append(Token("end", "", len(query)))
    return tokens


class _Parser:
    """Recursive descent over the tokens; ``resolve`` turns a name into code ids."""

    def __init__(self, query: str, resolve: Callable[[str], tuple[int, ...]]) -> None:
        self.query, self.resolve = query, resolve
        self.tokens, self.at = tokenize(query), 0

    def parse(self) -> Node:
        if self.peek.kind == "end":
            raise QuerySyntaxError("the query is empty; name a code, e.g. Wellbeing AND Housing", 0, self.query)
        node = self.or_expr()
        if self.peek.kind != "end":
            expected = "AND, OR or the end" if self.peek.kind != ")" else "no closing parenthesis here"
            raise QuerySyntaxError(f"unexpected {self.peek.text!r}: expected {expected}", self.peek.position,
                                   self.query)
        return node

    @property
    def peek(self) -> Token:
        return self.tokens[self.at]

    def take(self) -> Token:
        token = self.tokens[self.at]
        self.at += 1
        return token

    def or_expr(self) -> Node:
        operands = [self.and_expr()]
        while self.peek.kind == "OR":
            self.take()
            operands.append(self.and_expr())
        return operands[0] if len(operands) == 1 else Or(tuple(operands))

    def and_expr(self) -> Node:
        operands = [self.not_expr()]
        while self.peek.kind == "AND":
            self.take()
            operands.append(self.not_expr())
        return operands[0] if len(operands) == 1 else And(tuple(operands))

    def not_expr(self) -> Node:
        if self.peek.kind == "NOT":
            self.take()
            return Not(self.not_expr())
        return self.atom()

    def atom(self) -> Node:
        token = self.peek
        if token.kind == "(":
            self.take()
            node = self.or_expr()
            if self.peek.kind != ")":
                raise QuerySyntaxError(f"expected ')' to close the '(' at position {token.position + 1}",
                                       self.peek.position, self.query)
            self.take()
            return node
        if token.kind == "quoted":
            self.take()
            return self.term(token.text.strip(), token.position)
        if token.kind == "word":
            words = []
            while self.peek.kind == "word":
                words.append(self.take().text)
            return self.term(" ".join(words), token.position)
        what = "the end of the query" if token.kind == "end" else repr(token.text)
        raise QuerySyntaxError(f"expected a code name, NOT or '(' but found {what}", token.position, self.query)

    def term(self, name: str, position: int) -> CodeTerm:
        if not name:
            raise QuerySyntaxError("empty code name", position, self.query)
        try:
            return CodeTerm(self.resolve(name), name)
        except WorkbenchError as exc:
            hint = "; to combine codes put AND or OR between them" if " " in name else ""
            raise QuerySyntaxError(f"{exc}{hint}", position, self.query) from exc


def parse_query(query: str, resolve: Callable[[str], tuple[int, ...]]) -> Node:
    """Parse a query; ``resolve`` maps a code name to the ids it stands for (raising WorkbenchError if unknown)."""
    return _Parser(query, resolve).parse()


def store_resolver(store: Store) -> Callable[[str], tuple[int, ...]]:
    """Resolve names with ``store.find_code``; a code stands for itself and everything under it."""
    return lambda name: tuple(store.descendants(store.find_code(name).id))


@dataclass
class QueryHit:
    """A segment (or sentence) matching a query, with its words and where it comes from."""

    segment_id: int
    source_id: int
    source_name: str
    source_kind: str
    kind: str
    start: int
    end: int
    text: str
    speaker: str | None
    start_time: float | None
    entry_date: str | None
    case: str | None
    attributes: dict[str, str] = field(default_factory=dict)
    codes: list[str] = field(default_factory=list)


def evaluate(node: Node, unit_codes: pd.DataFrame, n_units: int) -> np.ndarray:
    """Boolean mask over units; ``unit_codes`` has one line per (unit position, code id)."""
    if isinstance(node, CodeTerm):
        mask = np.zeros(n_units, dtype=bool)
        mask[unit_codes.loc[unit_codes["code_id"].isin(node.code_ids), "unit"].to_numpy()] = True
        return mask
    if isinstance(node, Not):
        return ~evaluate(node.operand, unit_codes, n_units)
    masks = [evaluate(op, unit_codes, n_units) for op in node.operands]
    return np.logical_and.reduce(masks) if isinstance(node, And) else np.logical_or.reduce(masks)


def run_query(store: Store, query: str, *, where: Mapping[str, str] | None = None, unit: str = "segment",
              coders: Sequence[str] | None = None, limit: int | None = None) -> list[QueryHit]:
    """Segments (or sentences) whose codes satisfy ``query``, in source and text order."""
    if unit not in UNITS:
        raise WorkbenchError(f"unknown query unit {unit!r}; choose {' or '.join(UNITS)}")
    node = parse_query(query, store_resolver(store))
    lookups = Lookups.load(store)
    structural = segment_frame(store, lookups)
    units = structural if unit == "segment" else segment_frame(store, lookups, sentences=True)
    units = units[lookups.where_mask(units, {k: v for k, v in (where or {}).items() if k != "coder"})]
    units = units.reset_index(drop=True)
    coders = list(coders or []) + ([where["coder"]] if where and "coder" in where else [])
    codings = coding_frame(store, lookups, coders=coders or None, segments=structural)
    touches = touching_segments(codings, units)
    unit_pos = pd.Series(np.arange(len(units)), index=units["segment_id"].to_numpy())
    touches["unit"] = touches["segment_id"].map(unit_pos).to_numpy(dtype=np.int64)
    matched = np.flatnonzero(evaluate(node, touches, len(units)))
    if limit is not None:
        matched = matched[:limit]
    return _hits(store, lookups, units.iloc[matched], touches[np.isin(touches["unit"].to_numpy(), matched)])


def _hits(store: Store, lookups: Lookups, units: pd.DataFrame, touches: pd.DataFrame) -> list[QueryHit]:
    """QueryHit records for the matched units."""
    texts = store.texts(sorted(set(units["source_id"].tolist())))
    names = {c.id: c.name for c in store.codes()}
    codes_of = touches.groupby("segment_id")["code_id"].agg(lambda s: sorted(set(s.tolist())))
    hits = []
    for row in units.itertuples(index=False):
        name, kind, _words, _case = lookups.sources[row.source_id]
        attributes = dict(lookups.source_attributes.get(row.source_id, {}))
        for case_id in (row.source_case_id, row.segment_case_id):
            if pd.notna(case_id):
                attributes.update(lookups.case_attributes.get(int(case_id), {}))
        hits.append(QueryHit(
            segment_id=int(row.segment_id), source_id=int(row.source_id), source_name=name, source_kind=kind,
            kind=row.kind, start=int(row.start), end=int(row.end), text=texts[row.source_id][row.start:row.end],
            speaker=_opt(row.speaker), start_time=_opt(row.start_time), entry_date=_opt(row.entry_date),
            case=lookups.case_names.get(int(row.case_id)) if pd.notna(row.case_id) else None,
            attributes=attributes, codes=[names[c] for c in codes_of.get(row.segment_id, [])]))
    return hits


def _opt(value):
    """None for pandas' missing values."""
    return None if value is None or (isinstance(value, float) and np.isnan(value)) else value
