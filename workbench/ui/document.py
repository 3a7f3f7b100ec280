"""The selectable document: an ``st.components.v2`` component (inline JS and CSS, no build step)."""
from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import streamlit as st

_HERE = Path(__file__).parent
_component = st.components.v2.component(
    "wb_document",
    # player.js: the recording follows the transcript (clicking a turn's time plays from there)
    js=(_HERE / "document.js").read_text(encoding="utf-8") + (_HERE / "player.js").read_text(encoding="utf-8"),
    css=(_HERE / "document.css").read_text(encoding="utf-8"),
    isolate_styles=False,  # a plain DOM subtree, so window.getSelection() sees the researcher's selection
)


def _ignore() -> None:
    """Triggers are read in the callbacks the page passes."""


def document(html: str, version: str, *, key: str, source_id: int, focus: dict | None = None,
             codes: list[dict] | None = None, selection: dict | None = None, readonly: bool = False,
             on_selection: Callable[[], None] = _ignore, on_clicked: Callable[[], None] = _ignore,
             on_decide: Callable[[], None] = _ignore, on_apply: Callable[[], None] = _ignore,
             on_history: Callable[[], None] = _ignore) -> Any:
    """Mount the document (HTML already escaped by ``workbench.ui.document_view``); returns its trigger values.

    ``codes``: the quick codes, in the order keys 1-9 take them ({id, name, path, color, count, recent});
    ``selection``: the words selected so far ({start, end}), which a quick code applies to; ``readonly``: no
    finder, quick codes or keys that code, decide or undo (a viewer in team mode).
    Triggers: ``selection`` {start, end} in code points, ``clicked`` {offset, kind, id}, ``decide``
    {action: accept|reject, id}, ``apply`` {code, start, end} and ``history`` {direction: undo|redo};
    each is also readable in its callback as ``st.session_state[key][name]``.
    """
    # The quick codes and the selection go as one JSON string: Streamlit inspects each value of `data` for
    # dataframes, and a list of dicts makes it import pandas and pyarrow (a second on a page's first run).
    panel = json.dumps({"codes": codes or [], "selection": selection, "readonly": readonly})
    return _component(key=key, data={"html": html, "version": version, "source": source_id, "focus": focus,
                                     "panel": panel},
                      on_selection_change=on_selection, on_clicked_change=on_clicked, on_decide_change=on_decide,
                      on_apply_change=on_apply, on_history_change=on_history)


def trigger(key: str, name: str) -> Any:
    """A trigger's value inside its callback (None when it did not fire)."""
    value = st.session_state.get(key)
    return value.get(name) if isinstance(value, dict) else None
