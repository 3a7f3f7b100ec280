"""Undo and redo of the coder's own actions, for the pages (a thin wrapper the lead can swap)."""
from __future__ import annotations

from collections.abc import Callable

from typing import Any

from workbench.errors import WorkbenchError
from workbench.model import Role
from workbench.sources import history
from workbench.store import Store
from workbench.ui import session
from workbench.ui.text import md


def next_steps(store: Store, coder: str) -> tuple[str | None, str | None]:
    """What Undo and Redo would reverse or repeat for this coder (None when nothing)."""
    stacks = history.history(store, coder)
    return (history.describe(stacks.done[-1], store) if stacks.done else None,
            history.describe(stacks.undone[-1], store) if stacks.undone else None)


def undo(store: Store, coder: str) -> str:
    """Reverse the coder's last action; returns what was undone."""
    return history.undo(store, coder)


def redo(store: Store, coder: str) -> str:
    """Repeat the coder's last undone action; returns what was redone."""
    return history.redo(store, coder)


def step(direction: str, store: Store, coder: str, say: Callable[[str, str], None]) -> None:
    """Undo (``direction == "undo"``) or redo the coder's last action and ``say(kind, message)`` what happened:
    the pages' Undo and Redo callbacks."""
    try:
        done = undo(store, coder) if direction == "undo" else redo(store, coder)
        say("info", f"{direction.capitalize()}: {done}.")
    except WorkbenchError as exc:
        say("error", str(exc))


def buttons(store: Store, coder: str, undo_col: Any, redo_col: Any, *, key: str,
            on_click: Callable[[str], None]) -> None:
    """The pages' Undo and Redo buttons (``KEY.undo``, ``KEY.redo``), each naming what it would reverse or repeat;
    ``on_click(direction)``. Disabled, saying who may, for an account that may not (a viewer in team mode)."""
    allowed = session.may(store, Role.CODER)
    steps = next_steps(store, coder) if coder and allowed else (None, None)
    for column, direction, step in ((undo_col, "undo", steps[0]), (redo_col, "redo", steps[1])):
        label = direction.capitalize()
        why = f"Nothing to {direction}" if allowed else session.only(Role.CODER, "undo and redo")
        column.button(label, key=f"{key}.{direction}", icon=f":material/{direction}:", disabled=not step,
                      help=f"{label}: {md(step)}" if step else why, on_click=on_click, args=(direction,))
