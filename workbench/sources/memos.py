"""Memos: a researcher's free text with author and date, about the project, a source (a document memo), a code,
a case or a coding, beside the memo a coding carries itself.

One record per idea: every memo is a row of ``memos`` (`workbench.model.Memo`) attached by ``target_type`` and
``target_id``; a coding's own memo stays the coding's ``memo`` field (it travels with the coding through undo,
merges and REFI-QDA selections). `list_memos` shows both kinds in one list, each with what it is about in words.
Adding, editing and removing are logged as ``memo.add``, ``memo.update`` and ``memo.delete``, and undoable.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from workbench.errors import InvalidMemo, NotFound
from workbench.model import Coding, Memo
from workbench.store import Store

KINDS = ("project", "source", "code", "case", "coding")  # what a memo can be about, in listing order
WHERE_WORDS = 60  # characters of a coding's words shown beside its memo
KIND_LABELS = {"project": "Project", "source": "Document", "code": "Code", "case": "Case", "coding": "Coding"}


@dataclass(frozen=True)
class MemoEntry:
    """A memo as listed: its text, who wrote it and when, and what it is about in words.

    ``memo_id`` is set for a stored memo; ``coding_id`` alone for the memo a coding carries itself.
    """

    kind: str  # project | source | code | case | coding
    about: str  # "Project", a source's name, a code's path, a case's name, or the coding's code path
    target_id: int | None
    title: str
    text: str
    author: str
    created_at: str
    updated_at: str
    memo_id: int | None = None
    coding_id: int | None = None
    source_id: int | None = None  # the source a document or coding memo is in (to open it on the Code page)
    where: str = ""  # a coding's memo: its words and source (“My neighbour checks on me…” in maureen.txt)


def resolve_target(store: Store, about: str, target: str | int | None) -> int | None:
    """The id of what a memo is ``about``: None for the project; a source by id or name, a code by uid, path or
    name, a case by name, a coding by id; an int ``target`` is always an id. InvalidMemo for an unknown kind or a missing target, NotFound else."""
    if about not in KINDS:
        raise InvalidMemo(f"a memo is about the project or a {', '.join(KINDS[1:])}, not {about!r}")
    if about == "project":
        return None
    if isinstance(target, int):  # an id, from a page that lists the targets
        getter = {"source": store.get_source, "code": store.get_code, "case": store.get_case,
                  "coding": store.get_coding}[about]
        return getter(target).id
    ref = "" if target is None else str(target).strip()
    if not ref:
        raise InvalidMemo(f"say which {about} the memo is about")
    if about == "source":
        return store.find_source(ref).id
    if about == "code":
        return store.find_code(ref).id
    if about == "case":
        for case in store.cases():
            if case.name.lower() == ref.lower() or (ref.isdigit() and case.id == int(ref)):
                return case.id
        raise NotFound(f"no case called {ref!r}")
    if not ref.isdigit():
        raise InvalidMemo(f"a coding is named by its id, not {ref!r}")
    return store.get_coding(int(ref)).id


def _text(text: str) -> str:
    if not text or not text.strip():
        raise InvalidMemo("a memo's text is empty: write what you want to remember")
    return text


def add_memo(store: Store, text: str, author: str, *, about: str = "project", target: str | int | None = None,
             title: str = "") -> Memo:
    """Write a memo about the project (default), a source, a code, a case or a coding (logged, undoable)."""
    target_id = resolve_target(store, about, target)
    memo_id = store.add_memo(_text(text), author, title=title.strip(), target_type=about, target_id=target_id)
    return store.get_memo(memo_id)


def edit_memo(store: Store, memo_id: int, actor: str, *, text: str | None = None, title: str | None = None) -> Memo:
    """Change a memo's text or title (logged with before and after, undoable)."""
    store.get_memo(memo_id)
    return store.update_memo(memo_id, actor, text=None if text is None else _text(text),
                             title=None if title is None else title.strip())


def remove_memo(store: Store, memo_id: int, actor: str) -> Memo:
    """Delete a memo (its full text stays in the event, so undo brings it back); returns what was removed."""
    memo = store.get_memo(memo_id)
    store.delete_memo(memo_id, actor)
    return memo


def memos_about(store: Store, about: str, target_id: int | None) -> list[Memo]:
    """The stored memos about one thing (the project: also memos attached to nothing)."""
    if about == "project":
        return [m for m in store.memos() if m.target_type in (None, "project")]
    return store.memos(target_type=about, target_id=target_id)


def list_memos(store: Store, *, kinds: Sequence[str] | None = None, author: str | None = None,
               contains: str | None = None, target_id: int | None = None) -> list[MemoEntry]:
    """Every memo, stored ones and codings' own, ordered by kind and what they are about; optionally only some
    kinds, one author, those whose title or text contains some words (any case), or one target's."""
    labels = _Labels(store)
    entries = [labels.stored(m) for m in store.memos()] + [labels.coding(c) for c in store.coding_memos()]
    needle = (contains or "").strip().lower()
    entries = [e for e in entries
               if (not kinds or e.kind in kinds) and (author is None or e.author == author)
               and (target_id is None or e.target_id == target_id)
               and (not needle or needle in e.title.lower() or needle in e.text.lower())]
    return sorted(entries, key=lambda e: (KINDS.index(e.kind), e.about.lower(), e.created_at))


def memo_authors(store: Store) -> list[str]:
    """Everyone who has written a memo (stored or on a coding)."""
    return sorted({e.author for e in list_memos(store)})


class _Labels:
    """What a memo is about, in words, reading each source, code and case name once."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.sources = {s.id: s.name for s in store.list_sources()}
        self.codes = {c.id: store.code_path(c.id) for c in store.codes()}
        self.cases = {c.id: c.name for c in store.cases()}
        self.texts: dict[int, str] = {}

    def where(self, coding: Coding) -> str:
        """A coding's words (the first 60 characters) and the source they are in."""
        if coding.source_id not in self.texts:
            self.texts[coding.source_id] = self.store.get_source(coding.source_id).text
        words = " ".join(self.texts[coding.source_id][coding.start:coding.end].split())
        words = words if len(words) <= WHERE_WORDS else words[:WHERE_WORDS].rstrip() + "…"
        return f"“{words}” in {self.sources.get(coding.source_id, '?')}"

    def about(self, kind: str, target_id: int | None) -> str:
        if kind == "project":
            return "Project"
        names = {"source": self.sources, "code": self.codes, "case": self.cases}.get(kind)
        if names is None:  # a coding
            try:
                return self.codes.get(self.store.get_coding(int(target_id)).code_id, "")  # type: ignore[arg-type]
            except (NotFound, TypeError):
                return f"(deleted coding {target_id})"
        return names.get(target_id, f"(deleted {kind} {target_id})")  # type: ignore[arg-type]

    def stored(self, memo: Memo) -> MemoEntry:
        kind = memo.target_type if memo.target_type in KINDS else "project"
        source_id = memo.target_id if kind == "source" else None
        where = ""
        if kind == "coding":
            try:
                coding = self.store.get_coding(int(memo.target_id))  # type: ignore[arg-type]
                source_id, where = coding.source_id, self.where(coding)
            except (NotFound, TypeError):
                source_id = None
        return MemoEntry(kind=kind, about=self.about(kind, memo.target_id), target_id=memo.target_id,
                         title=memo.title, text=memo.text, author=memo.author, created_at=memo.created_at,
                         updated_at=memo.updated_at, memo_id=memo.id, source_id=source_id, where=where)

    def coding(self, coding: Coding) -> MemoEntry:
        return MemoEntry(kind="coding", about=self.codes.get(coding.code_id, ""), target_id=coding.id,
                         title="", text=coding.memo, author=coding.coder, created_at=coding.created_at,
                         updated_at=coding.created_at, coding_id=coding.id, source_id=coding.source_id,
                         where=self.where(coding))
