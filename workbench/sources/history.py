"""Undo and redo of each coder's own coding, codebook and theme actions, built on the events log.

Every action is already an event. A coder's undo stack is their undoable events, minus those
undone; an undo applies the inverse change (logged with ``via: undo:<event id>`` so it is not
itself a new action) and then logs an ``undo`` event naming the event it reversed.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from workbench.errors import Conflict, NotFound, WorkbenchError
from workbench.model import Event
from workbench.store import Store
from workbench.store.suggestions import shorten

UNDOABLE = frozenset({"coding.add", "coding.remove", "coding.update", "suggestion.accept", "suggestion.reject",
                      "suggestion.accept_bulk",
                      "code.add", "code.update", "code.rename", "code.move", "code.delete", "code.merge",
                      "memo.add", "memo.update", "memo.delete",
                      "theme.add", "theme.rename", "theme.update", "theme.narrative", "theme.status", "theme.move",
                      "theme.delete", "theme.codes.add", "theme.codes.remove", "candidate.promote",
                      "candidate.discard", "candidate.merge", "candidate.split"})
_THEME_FIELDS = ("name", "description", "memo", "narrative", "status", "parent_id")


class NothingToUndo(WorkbenchError):
    """There is no action of this coder left to undo (or redo)."""


@dataclass
class History:
    """A coder's undo and redo stacks (most recent last)."""

    done: list[Event]
    undone: list[Event]


def history(store: Store, actor: str) -> History:
    """Replay the actor's events into undo/redo stacks."""
    done: list[Event] = []
    undone: list[Event] = []
    for event in store.events(actor=actor):
        if event.payload.get("via") or event.payload.get("part_of") or _imported(event):
            continue
        if event.action == "undo" and done and done[-1].id == event.payload.get("event_id"):
            undone.append(done.pop())
        elif event.action == "redo" and undone and undone[-1].id == event.payload.get("event_id"):
            done.append(undone.pop())
        elif event.action in UNDOABLE:
            done.append(event)
            undone.clear()
    return History(done, undone)


def _imported(event: Event) -> bool:
    """Codings brought in by an import (REFI-QDA, the demo, a development set) are not undone one by one."""
    return event.action == "coding.add" and (event.payload.get("coding") or {}).get("origin") == "import"


def describe(event: Event, store: Store | None = None) -> str:
    """A short description of an undoable event in words (``accept Housing on “we rent a flat…”``); with no
    store to read the code and words from, it names the coding or suggestion by id."""
    p = event.payload
    if event.action == "suggestion.accept_bulk":
        codes = ", ".join(f"{name} {n}" for name, n in p.get("codes", {}).items())
        count = len(p.get("suggestion_ids", []))
        return (f"accept in bulk {count} suggestion{'s' if count != 1 else ''} scoring {p['min_score']:.2f} "
                f"or more" + (f" ({codes})" if codes else ""))
    verb = event.action.split(".")[1]
    if event.action.startswith("coding."):
        coding = p.get("coding") or p.get("after") or {}
        if store is not None and coding.get("code_id") is not None:
            return f"{verb} coding {_words(store, coding)}"
        return f"{verb} coding {coding.get('id', event.target_id)}"
    if event.action.startswith("suggestion."):
        if store is not None and p.get("suggestion"):
            return f"{verb} {_words(store, p['suggestion'])}"
        return f"{verb} suggestion {event.target_id}"
    if event.action.startswith("code."):
        name = (p.get("code") or p.get("after") or p.get("merged") or {}).get("name") or \
            (p.get("codes") or [{}])[0].get("name", "")
        return f"{event.action.split('.')[1]} code {name!r}"
    if event.action.startswith(("theme.", "candidate.")):
        theme = p.get("theme") or p.get("after") or p.get("candidate") or (p.get("added") or [{}])[0]
        verb = {"theme.codes.add": "link codes to", "theme.codes.remove": "unlink codes from",
                "theme.narrative": "edit the narrative of", "theme.status": "change the status of",
                "theme.move": "move"}.get(event.action, event.action.split(".")[1])
        kind = "candidate theme" if event.action.startswith("candidate.") else "theme"
        return f"{verb} {kind} {theme.get('name') or theme.get('label') or event.target_id!r}"
    if event.action.startswith("memo."):
        memo = p.get("memo") or p.get("after") or {}
        verb = {"memo.add": "add", "memo.update": "edit", "memo.delete": "remove"}.get(event.action, verb)
        return f"{verb} memo {memo.get('title') or shorten(memo.get('text', '')) or event.target_id!r}"
    return f"{event.action} {event.target_id}"


def _words(store: Store, record: dict[str, Any]) -> str:
    """``Housing on “we rent a flat…”`` for a coding or suggestion as an event recorded it."""
    try:
        name = store.get_code(record["code_id"]).name
        words = store.get_source(record["source_id"]).text[record["start"]:record["end"]]
    except NotFound:
        return f"{record.get('id', '')}".strip()
    return f"{name} on “{shorten(words)}”"


def undo(store: Store, actor: str) -> str:
    """Reverse the actor's most recent action that is not yet undone; returns what was undone."""
    stack = history(store, actor).done
    if not stack:
        raise NothingToUndo(f"{actor} has nothing to undo")
    event = stack[-1]
    with store.database.transaction():
        with store.database.logging_as(f"undo:{event.id}"):
            _INVERSE[event.action](store, event, actor)
        store.database.log(actor, "undo", event.target_type, event.target_id, {"event_id": event.id})
    return describe(event, store)


def redo(store: Store, actor: str) -> str:
    """Apply again the actor's most recently undone action; returns what was redone."""
    stack = history(store, actor).undone
    if not stack:
        raise NothingToUndo(f"{actor} has nothing to redo")
    event = stack[-1]
    with store.database.transaction():
        with store.database.logging_as(f"redo:{event.id}"):
            _FORWARD[event.action](store, event, actor)
        store.database.log(actor, "redo", event.target_type, event.target_id, {"event_id": event.id})
    return describe(event, store)


def _coding_fields(data: dict[str, Any]) -> dict[str, Any]:
    return {"memo": data["memo"], "start": data["start"], "end": data["end"], "code_id": data["code_id"]}


def _remove_coding(store: Store, coding_id: int, actor: str, record: dict[str, Any] | None = None) -> None:
    """Remove a coding; Conflict, naming the code and words (from ``record``), if someone else already did."""
    try:
        store.remove_coding(coding_id, actor)
    except NotFound as exc:
        what = f"the coding {_words(store, record)}" if record else "that coding"
        raise Conflict(f"{what} was removed by someone else in the meantime") from exc


def _undo_accept(store: Store, event: Event, actor: str) -> None:
    coding_id = store.get_suggestion(event.target_id).coding_id  # a redo may have made a new coding
    if coding_id is not None:
        _remove_coding(store, coding_id, actor, event.payload.get("suggestion"))
    store.reopen_suggestion(event.target_id, actor)


def _undo_coding_add(store: Store, event: Event, actor: str) -> None:
    _remove_coding(store, event.payload["coding"]["id"], actor, event.payload["coding"])
    store.restore_suggestions(event.payload.get("resolved_suggestions", []), actor)


def _undo_bulk_accept(store: Store, event: Event, actor: str) -> None:
    """Take back every coding of a bulk accept and return its suggestions to the queue; a suggestion that
    someone has since decided otherwise is left as it is."""
    for suggestion_id in event.payload["suggestion_ids"]:
        try:
            suggestion = store.get_suggestion(suggestion_id)
        except NotFound:
            continue
        if suggestion.status != "accepted":
            continue
        if suggestion.coding_id is not None:
            _remove_coding(store, suggestion.coding_id, actor)
        store.reopen_suggestion(suggestion_id, actor)


def _undo_code_add(store: Store, event: Event, actor: str) -> None:
    used = store.coding_counts().get(event.target_id, 0)
    if used:
        raise Conflict(f"code {event.payload['code']['name']!r} has {used} codings now; delete it explicitly")
    store.delete_code(event.target_id, actor)


def _redo_accept(store: Store, event: Event, actor: str) -> None:
    adjusted = event.payload.get("adjusted", {})
    store.accept_suggestion(event.target_id, actor, **adjusted)


def _undo_code_delete(store: Store, event: Event, actor: str) -> None:
    for code in event.payload["codes"]:
        store.restore_code(code, actor)
    for coding in event.payload["codings"]:
        store.restore_coding(coding, actor)
    store.restore_theme_links(event.payload.get("theme_links", []))


def _changed(event: Event, side: str) -> dict[str, Any]:
    """The theme fields an update changed, as they were ``before`` or ``after`` it."""
    before, after = event.payload["before"], event.payload["after"]
    changed = {k: event.payload[side].get(k) for k in _THEME_FIELDS if before.get(k) != after.get(k)}
    if changed.get("status") == "developing":  # logged before migration 8 renamed the status
        changed["status"] = "reviewed"
    return changed


def _delete_unchanged_theme(store: Store, theme: dict[str, Any], actor: str) -> None:
    """Delete a theme made by the action being undone, unless someone has changed it since."""
    try:
        now = store.get_theme(theme["id"])
    except NotFound as exc:
        raise Conflict(f"theme {theme['name']!r} was deleted in the meantime") from exc
    keys = (*_THEME_FIELDS, "code_ids")
    if any(getattr(now, k) != theme.get(k, getattr(now, k)) for k in keys):
        raise Conflict(f"theme {theme['name']!r} was changed since it was made; delete it explicitly")
    store.delete_theme(theme["id"], actor)


def _undo_promote(store: Store, event: Event, actor: str) -> None:
    theme = event.payload.get("theme") or {"id": event.payload["theme_id"], "name": str(event.payload["theme_id"])}
    _delete_unchanged_theme(store, theme, actor)
    store.reopen_candidate_theme(event.target_id, actor)


def _redo_promote(store: Store, event: Event, actor: str) -> None:
    theme_id = store.restore_theme({"theme": event.payload["theme"]}, actor)
    store.mark_candidate_promoted(event.target_id, theme_id, actor)


def _candidate_discard(store: Store, event: Event, actor: str) -> None:
    try:
        store.discard_candidate_theme(event.target_id, actor)
    except NotFound as exc:
        raise Conflict(f"candidate theme {event.target_id} was replaced by a newer clustering run") from exc


Inverse = Callable[[Store, Event, str], None]
_THEME_UPDATES = ("theme.rename", "theme.update", "theme.narrative", "theme.status", "theme.move")

_INVERSE: dict[str, Inverse] = {
    "coding.add": _undo_coding_add,
    "coding.remove": lambda s, e, a: s.restore_coding(e.payload["coding"], a),
    "coding.update": lambda s, e, a: s.update_coding(e.target_id, a, **_coding_fields(e.payload["before"])),
    "suggestion.accept": _undo_accept,
    "suggestion.accept_bulk": _undo_bulk_accept,
    "suggestion.reject": lambda s, e, a: s.reopen_suggestion(e.target_id, a),
    "code.add": _undo_code_add,
    "code.update": lambda s, e, a: s.update_code(e.target_id, a, **_code_changes(e.payload["before"])),
    "code.rename": lambda s, e, a: s.update_code(e.target_id, a, name=e.payload["before"]["name"]),
    "code.move": lambda s, e, a: s.move_code(e.target_id, e.payload["before"]["parent_id"], a),
    "code.delete": _undo_code_delete,
    "code.merge": lambda s, e, a: s.unmerge_codes(e.payload, a),
    "memo.add": lambda s, e, a: s.delete_memo(e.target_id, a),
    "memo.update": lambda s, e, a: s.update_memo(e.target_id, a, text=e.payload["before"]["text"],
                                                 title=e.payload["before"]["title"]),
    "memo.delete": lambda s, e, a: s.restore_memo(e.payload["memo"], a),
    "theme.add": lambda s, e, a: _delete_unchanged_theme(s, e.payload["theme"], a),
    **{action: lambda s, e, a: s.update_theme(e.target_id, a, **_changed(e, "before")) for action in _THEME_UPDATES},
    "theme.delete": lambda s, e, a: s.restore_theme(e.payload, a),
    "theme.codes.add": lambda s, e, a: s.remove_theme_codes(e.target_id, e.payload["code_ids"], a),
    "theme.codes.remove": lambda s, e, a: s.add_theme_codes(e.target_id, e.payload["code_ids"], a),
    "candidate.promote": _undo_promote,
    "candidate.discard": lambda s, e, a: s.reopen_candidate_theme(e.target_id, a),
    **{action: lambda s, e, a: s.swap_candidates(e.payload["added"], e.payload["removed"], a)
       for action in ("candidate.merge", "candidate.split")},
}

_FORWARD: dict[str, Inverse] = {
    "coding.add": lambda s, e, a: s.restore_coding(e.payload["coding"], a),
    "coding.remove": lambda s, e, a: _remove_coding(s, e.payload["coding"]["id"], a, e.payload["coding"]),
    "coding.update": lambda s, e, a: s.update_coding(e.target_id, a, **_coding_fields(e.payload["after"])),
    "suggestion.accept": _redo_accept,
    "suggestion.accept_bulk": lambda s, e, a: s.accept_suggestions_in_bulk(e.payload["suggestion_ids"], a,
                                                                            min_score=e.payload["min_score"]),
    "suggestion.reject": lambda s, e, a: s.reject_suggestion(e.target_id, a),
    "code.add": lambda s, e, a: s.restore_code(e.payload["code"], a),
    "code.update": lambda s, e, a: s.update_code(e.target_id, a, **_code_changes(e.payload["after"])),
    "code.rename": lambda s, e, a: s.update_code(e.target_id, a, name=e.payload["after"]["name"]),
    "code.move": lambda s, e, a: s.move_code(e.target_id, e.payload["after"]["parent_id"], a),
    "code.delete": lambda s, e, a: s.delete_code(e.target_id, a),
    "code.merge": lambda s, e, a: s.merge_codes(e.payload["merged"]["id"], e.payload["into"], a),
    "memo.add": lambda s, e, a: s.restore_memo(e.payload["memo"], a),
    "memo.update": lambda s, e, a: s.update_memo(e.target_id, a, text=e.payload["after"]["text"],
                                                 title=e.payload["after"]["title"]),
    "memo.delete": lambda s, e, a: s.delete_memo(e.target_id, a),
    "theme.add": lambda s, e, a: s.restore_theme(e.payload, a),
    **{action: lambda s, e, a: s.update_theme(e.target_id, a, **_changed(e, "after")) for action in _THEME_UPDATES},
    "theme.delete": lambda s, e, a: s.delete_theme(e.target_id, a),
    "theme.codes.add": lambda s, e, a: s.add_theme_codes(e.target_id, e.payload["code_ids"], a),
    "theme.codes.remove": lambda s, e, a: s.remove_theme_codes(e.target_id, e.payload["code_ids"], a),
    "candidate.promote": _redo_promote,
    "candidate.discard": _candidate_discard,
    **{action: lambda s, e, a: s.swap_candidates(e.payload["removed"], e.payload["added"], a)
       for action in ("candidate.merge", "candidate.split")},
}


def _code_changes(data: dict[str, Any]) -> dict[str, Any]:
    keys = ("name", "definition", "use_when", "dont_use_when", "examples", "keywords", "color", "codable")
    return {k: data[k] for k in keys}
