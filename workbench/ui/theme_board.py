"""The theme board: drag codes onto themes (an ``st.components.v2`` component; the multiselect on the Themes
page is the keyboard path to the same change)."""
from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import streamlit as st

from workbench.store.themes import Theme

_HERE = Path(__file__).parent
_component = st.components.v2.component(
    "wb_theme_board",
    js=(_HERE / "theme_board.js").read_text(encoding="utf-8"),
    css=(_HERE / "theme_board.css").read_text(encoding="utf-8"),
    isolate_styles=False,
)


def board_data(tree: Sequence[tuple[Theme, int]], code_paths: dict[int, str]) -> dict[str, Any]:
    """What the board shows: the codes (by path) and each theme with its codes, in tree order."""
    label = {i: path.rsplit("/", 1)[-1] for i, path in code_paths.items()}
    data = {"codes": [{"id": i, "label": label[i], "path": p} for i, p in code_paths.items()],
            "themes": [{"id": t.id, "name": t.name, "status": t.status, "depth": depth,
                        "codes": [{"id": c, "label": label.get(c, "?")} for c in t.code_ids]} for t, depth in tree]}
    data["version"] = hashlib.sha1(json.dumps(data, sort_keys=True).encode()).hexdigest()
    return data


def theme_board(data: dict[str, Any], *, key: str, on_link: Callable[[], None],
                on_unlink: Callable[[], None]) -> Any:
    """Mount the board; ``link`` and ``unlink`` ({theme, code}) fire when a code is dropped on or removed
    from a theme (read them in the callbacks with ``trigger``)."""
    return _component(key=key, data=data, on_link_change=on_link, on_unlink_change=on_unlink)


def trigger(key: str, name: str) -> Any:
    """A trigger's value inside its callback (None when it did not fire)."""
    value = st.session_state.get(key)
    return value.get(name) if isinstance(value, dict) else None
