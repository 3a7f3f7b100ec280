"""Reviewing suggestions: the queue and its order, accepting (one by one, or in bulk after a confirmation),
rejecting, and the messages that say what happened in words. The Suggestions page and `workbench review`
both go through these functions."""
from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from workbench.errors import WorkbenchError
from workbench.store import Store
from workbench.store.suggestions import shorten


class ConfirmationNeeded(WorkbenchError):
    """A bulk accept was asked for without the person confirming it (the message is the question to ask)."""


@dataclass
class QueueRow:
    """A pending suggestion with what a reviewer needs to judge it."""

    id: int
    source_id: int
    source: str
    start: int
    end: int
    code_id: int
    code: str  # the code's path in the tree
    score: float
    reason: str
    quote: str
    suggester: str


@dataclass
class QueuePage:
    """One page of the review queue: its rows, and how many pending suggestions the filters leave."""

    rows: list[QueueRow]
    total: int  # pending suggestions within the filters
    page: int  # which page this is, from 0 (a page past the end is the last one)
    pages: int
    per_code: dict[int, int]  # code id → pending suggestions within the filters


def review_page(store: Store, *, page: int = 0, page_size: int = 15, order: str = "learn",
                code_ids: Sequence[int] | None = None, source_id: int | None = None, suggester: str | None = None,
                attributes: dict[str, str] | None = None, min_score: float | None = None) -> QueuePage:
    """The ``page``-th ``page_size`` pending suggestions in ``order`` (see `review_queue`), read, ordered and cut
    in SQL; only the shown rows' texts are read."""
    filters = {"code_ids": code_ids, "source_id": source_id, "suggester": suggester,
               "attributes": attributes or None, "min_score": min_score}
    per_code = store.pending_per_code(**filters)
    total = sum(per_code.values())
    pages = max(1, -(-total // page_size))
    page = min(max(page, 0), pages - 1)
    shown = store.pending_page(order=order, limit=page_size, offset=page * page_size, per_code=per_code,
                               **filters) if total else []
    return QueuePage(queue_rows(store, shown), total, page, pages, per_code)


def review_queue(store: Store, *, code_ids: Sequence[int] | None = None, source_id: int | None = None,
                 attributes: dict[str, str] | None = None, min_score: float | None = None,
                 limit: int | None = None, order: str = "score") -> list[QueueRow]:
    """Pending suggestions across the project with their source, code path and words (the first ``limit``).

    ``order``: "score" (best first) or "learn" (uncovered codes and uncertain suggestions first, codes taking
    turns: the order in which decisions teach the engine fastest).
    """
    filters = {"code_ids": code_ids, "source_id": source_id, "attributes": attributes or None,
               "min_score": min_score}
    if limit is None:
        limit = store.count_pending(**filters)
    return queue_rows(store, store.pending_page(order=order, limit=limit, **filters) if limit else [])


def queue_rows(store: Store, suggestions: Sequence) -> list[QueueRow]:
    """Suggestions as queue rows with their words: the texts of their sources read in one query."""
    if not suggestions:
        return []
    paths = _code_paths(store)
    shown = sorted({s.source_id for s in suggestions})
    names, texts = store.source_names(shown), store.texts(shown)
    return [QueueRow(s.id, s.source_id, names.get(s.source_id, "?"), s.start, s.end, s.code_id,
                     paths.get(s.code_id, "?"), s.score, s.reason or "", texts[s.source_id][s.start:s.end],
                     s.suggester) for s in suggestions]


def _code_paths(store: Store) -> dict[int, str]:
    paths: dict[int, str] = {}
    for code in store.codes():  # parents come before their children
        parent = paths.get(code.parent_id) if code.parent_id is not None else None
        paths[code.id] = f"{parent}/{code.name}" if parent else code.name
    return paths


def accept(store: Store, suggestion_id: int, actor: str, *, start: int | None = None, end: int | None = None,
           code_id: int | None = None) -> str:
    """Accept one suggestion (a person read it), optionally with adjusted words or code; returns the message."""
    label = store.suggestion_label(store.get_suggestion(suggestion_id))
    coding = store.get_coding(store.accept_suggestion(suggestion_id, actor, start=start, end=end, code_id=code_id))
    adjusted = start is not None or end is not None or code_id is not None
    if adjusted:
        words = store.get_source(coding.source_id).text[coding.start:coding.end]
        return f"Accepted as adjusted: {store.get_code(coding.code_id).name} on “{shorten(words)}”"
    return f"Accepted: {label}"


def reject(store: Store, suggestion_id: int, actor: str) -> str:
    """Reject one suggestion; returns the message."""
    label = store.suggestion_label(store.get_suggestion(suggestion_id))
    store.reject_suggestion(suggestion_id, actor)
    return f"Rejected: {label} (it will not be suggested again)"


def accept_suggestions(store: Store, ids: Sequence[int], actor: str) -> tuple[int, list[str]]:
    """Accept several suggestions a person picked one by one; returns how many became codings and the problems
    met on the others (in words)."""
    accepted, problems = 0, []
    with store.database.transaction():
        for suggestion_id in ids:
            try:
                store.accept_suggestion(suggestion_id, actor)
                accepted += 1
            except WorkbenchError as exc:
                problems.append(str(exc))
    return accepted, problems


@dataclass
class BulkAccept:
    """What a bulk accept would do: the pending suggestions scoring at least ``min_score`` (within filters), as
    ids and codes only; their words are read when a preview is asked for."""

    picked: list[tuple[int, int]]  # (suggestion id, code id), best score first
    min_score: float
    code_names: dict[int, str]
    store: Store = field(repr=False, compare=False)

    def __len__(self) -> int:
        return len(self.picked)

    @property
    def ids(self) -> list[int]:
        """The suggestions' ids, best score first."""
        return [suggestion_id for suggestion_id, _code in self.picked]

    @property
    def rows(self) -> list[QueueRow]:
        """Every suggestion with its words (reads them all: prefer ``preview`` with a limit)."""
        return self.preview()

    def preview(self, limit: int | None = None) -> list[QueueRow]:
        """The first ``limit`` suggestions (all when None) with their source and words, read now."""
        return queue_rows(self.store, self.store.suggestions_by_id(self.ids[:limit]))

    def fingerprint(self) -> str:
        """Names exactly these suggestions at this score (to check a confirmation still means the same)."""
        digest = hashlib.sha1(f"{self.min_score!r}:{self.ids}".encode()).hexdigest()
        return f"{len(self.picked)}:{digest}"

    def counts(self) -> str:
        """``2 suggestions scoring 0.90 or more (Housing 2)``."""
        return _counts(len(self.picked), self.min_score,
                       Counter(self.code_names.get(code, "?") for _id, code in self.picked))

    def question(self) -> str:
        """The confirmation a person answers before the bulk accept."""
        return (f"Accept {self.counts()} without reading them one by one? Each will be marked “accepted in bulk” "
                "in reports and exports.")


def _counts(n: int, min_score: float, codes: Counter) -> str:
    listed = ", ".join(f"{name} {count}" for name, count in sorted(codes.items(), key=lambda kv: (-kv[1], kv[0])))
    return (f"{n} suggestion{'s' if n != 1 else ''} scoring {min_score:.2f} or more"
            + (f" ({listed})" if listed else ""))


def plan_bulk_accept(store: Store, min_score: float, *, code_ids: Sequence[int] | None = None,
                     source_id: int | None = None, attributes: dict[str, str] | None = None,
                     suggester: str | None = None) -> BulkAccept:
    """The pending suggestions a bulk accept at ``min_score`` would take (nothing is stored, no text is read)."""
    picked = store.pending_ids(code_ids=code_ids, source_id=source_id, attributes=attributes or None,
                               suggester=suggester, min_score=min_score)
    return BulkAccept(picked, min_score, {c.id: c.name for c in store.codes()}, store)


def accept_in_bulk(store: Store, plan: BulkAccept, actor: str, *, confirmed: bool = False) -> str:
    """Accept every suggestion of the plan as one action (one undo step), each coding marked as accepted in
    bulk; ConfirmationNeeded unless ``confirmed``. Returns the message."""
    if not plan.picked:
        raise WorkbenchError(f"no pending suggestions score {plan.min_score:.2f} or more here")
    if not confirmed:
        raise ConfirmationNeeded(plan.question())
    _coding_ids, skipped = store.accept_suggestions_in_bulk(plan.ids, actor, min_score=plan.min_score)
    left = set(skipped)
    taken = Counter(plan.code_names.get(code, "?") for suggestion_id, code in plan.picked if suggestion_id not in left)
    message = f"Accepted in bulk: {_counts(sum(taken.values()), plan.min_score, taken)}."
    if skipped:
        message += (f" {len(skipped)} {'was' if len(skipped) == 1 else 'were'} decided by someone else "
                    "meanwhile and left as they are.")
    return message + " Undo takes them all back."


def learning_order(suggestions: Sequence, known_per_code: dict[int, int]) -> list:
    """Order pending suggestions so that deciding them teaches the engine fastest (``Store.pending_page``'s
    "learn" order, worked out in Python; the review simulation of ``coding.decisions`` follows it).

    ``known_per_code``: per code, its people's codings plus its rejected suggestions
    (``Store.known_per_code``). Codes the engine knows least about come first (they learn most from each
    decision); the codes take turns, so every code gets early decisions. Within a code the engine knows
    nothing about yet, its lowest-scored suggestion comes first: the one nearest the cut-off, whose decision
    tells most about where the code's cut-off should be; after that the most uncertain (score nearest 0.5).
    A decision adds one to its code's count, so a reviewer who decides the first suggestion again and again
    goes round the codes in this order. Each suggestion needs ``code_id`` and ``score``.
    (Chosen with ``bench/learning_orders.py``: ahead of random order at 25, 50, 100 and 200 decisions on
    fresh folds, where the nearest-0.5 rule alone fell behind at 200.)
    """
    by_code: dict[int, list] = defaultdict(list)
    for s in suggestions:
        by_code[s.code_id].append(s)
    queues = []
    for code, items in sorted(by_code.items(), key=lambda kv: (known_per_code.get(kv[0], 0), kv[0])):
        items = sorted(items, key=lambda s: (abs(s.score - 0.5), -s.score))
        if not known_per_code.get(code, 0):
            lowest = min(range(len(items)), key=lambda i: (items[i].score, i))
            items.insert(0, items.pop(lowest))
        queues.append(items)
    ordered = []
    for turn in range(max((len(q) for q in queues), default=0)):
        ordered += [q[turn] for q in queues if turn < len(q)]
    return ordered


def adjusted_span(text: str, start: int, end: int, words: str, *, reach: int = 400) -> tuple[int, int]:
    """Where ``words`` (the suggestion's words, trimmed or extended by a person) stand in ``text`` near
    ``[start, end)``: the occurrence closest to the suggestion within ``reach`` characters of it."""
    wanted = words.strip()
    if not wanted:
        raise WorkbenchError("type the words to code")
    lo = max(0, start - reach)
    window = text[lo:min(len(text), end + reach)]
    found, at = [], window.find(wanted)
    while at >= 0:
        found.append(lo + at)
        at = window.find(wanted, at + 1)
    if not found:
        raise WorkbenchError(f"“{wanted[:60]}” is not in the text near the suggestion; copy the words exactly")
    best = min(found, key=lambda position: abs(position - start))
    return best, best + len(wanted)
