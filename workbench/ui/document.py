"""The selectable document: an ``st.components.v2`` component (inline JS and CSS, no build step)."""
from __future__ import annotations

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
             on_selection: Callable[[], None] = _ignore, on_clicked: Callable[[], None] = _ignore,
             on_decide: Callable[[], None] = _ignore) -> Any:
    """Mount the document (HTML already escaped by ``workbench.ui.document_view``); returns its trigger values.

    Triggers: ``selection`` {start, end} in code points, ``clicked`` {offset, kind, id} and ``decide``
    {action: accept|reject, id}; each is also readable in its callback as ``st.session_state[key][name]``.
    """
    return _component(key=key, data={"html": html, "version": version, "source": source_id, "focus": focus},
                      on_selection_change=on_selection, on_clicked_change=on_clicked, on_decide_change=on_decide)


def trigger(key: str, name: str) -> Any:
    """A trigger's value inside its callback (None when it did not fire)."""
    value = st.session_state.get(key)
    return value.get(name) if isinstance(value, dict) else None
