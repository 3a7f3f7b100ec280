"""Imported names are shown as plain text (issue 12 item 9b): no live links, icons, colours or formatting.

A code, a site and a candidate theme named with Streamlit's Markdown extensions and a bare URL,
shown where the probe found them rendered: toasts, Undo/Redo tooltips, error messages, button
labels, Compare cell headings and candidate themes.
"""
from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from test_compare import SmallProject, build_small_project
from workbench.store.themes import NewCandidate
from workbench.ui.text import md

PAGES = Path(__file__).resolve().parents[1] / "workbench" / "ui" / "pages"
HOSTILE = ":red[ALERT] :material/bolt: http://evil.example.com/x www.evil.example.org **bold** [a](http://b.c)"
# What Markdown (with Streamlit's extensions) would turn into a colour, an icon, a link or bold:
RENDERED = [":red[", ":material/", "http://", "www.evil", "**bold**", "[a](", ":material_"]


MARKDOWN_FIELDS = {"body", "label", "help"}  # what Streamlit renders as Markdown (st.html bodies are escaped HTML)
NOT_MARKDOWN = {"html", "arrow_data_frame", "arrow_vega_lite_chart", "bidi_component", "code", "text"}


def _markdown_strings(message) -> list[str]:
    found = []
    for field, value in message.ListFields():
        if field.type == field.TYPE_MESSAGE:
            for item in ([value] if hasattr(value, "ListFields") else value):
                found += _markdown_strings(item)
        elif field.name in MARKDOWN_FIELDS and isinstance(value, str):
            found.append(value)
    return found


def _texts(node) -> list[str]:
    """Every string the page sends to be rendered as Markdown (labels, help, bodies), over the whole tree."""
    found = []
    for child in (getattr(node, "children", None) or {}).values():
        found += _texts(child)
    proto = getattr(node, "proto", None)
    if proto is not None and hasattr(proto, "ListFields") and getattr(node, "type", "") not in NOT_MARKDOWN:
        found += _markdown_strings(proto)
    return found


def _assert_plain(app: AppTest) -> str:
    assert not app.exception, [e.value for e in app.exception]
    shown = "\n".join(_texts(app._tree))
    for marker in RENDERED:
        assert marker not in shown, f"{marker!r} would be rendered: {shown[max(0, shown.find(marker) - 200):][:400]}"
    return shown


@pytest.mark.parametrize("text", [HOSTILE, "plain words", "5 + 3 = 8 (a_b)"])
def test_md_leaves_nothing_to_render(text: str) -> None:
    escaped = md(text)
    for marker in RENDERED:
        assert marker not in escaped
    assert escaped.replace("\\", "") == text  # shown as typed: the escapes only drop away


@pytest.fixture
def small(tmp_path: Path) -> SmallProject:
    project = build_small_project(tmp_path / "small.wbproj")
    project.store.update_code(project.codes["Bonding"], "amira", name=HOSTILE)
    return project


def _page(name: str, small: SmallProject, **state) -> AppTest:
    app = AppTest.from_file(str(PAGES / f"{name}.py"), default_timeout=60)
    app.session_state["project_path"] = str(small.store.path)
    app.session_state["coder"] = "amira"
    for key, value in state.items():
        app.session_state[key] = value
    return app.run()


def test_compare_cell_heading_is_plain(small: SmallProject) -> None:
    app = _page("compare", small, **{"compare.row": 1})
    shown = _assert_plain(app)
    assert "ALERT" in shown  # the name is there, as text


def test_undo_tooltip_toast_and_quick_button_are_plain(small: SmallProject) -> None:
    source = small.sources["ng-anna.txt"]
    start = small.texts["ng-anna.txt"].index("garden")
    app = _page("code", small, **{"code.source": source, "code.recent_codes": [small.codes["Bonding"]],
                                  "code.selection": {"source_id": source, "start": start, "end": start + 6}})
    _assert_plain(app)
    app.button(key=f"code.quick.{small.codes['Bonding']}").click().run()  # "Coded with …" toast
    shown = _assert_plain(app)
    assert "Coded with" in shown and "ALERT" in shown
    app.button(key="code.undo").click().run()  # undoes the coding; next: the rename, which names the code
    _assert_plain(app)
    assert "ALERT" in app.button(key="code.undo").proto.help
    app.button(key="code.undo").click().run()  # "Undo: rename code …" as a toast
    shown = _assert_plain(app)
    assert "rename code" in shown and "ALERT" in shown


def test_candidate_themes_are_plain(small: SmallProject) -> None:
    small.store.replace_candidates([NewCandidate(HOSTILE, ["http://evil.example.com", ":red[x]"],
                                                 small.coding_ids("sc-cara.txt", "Housing"),
                                                 [small.codes["Housing"]])], "engine")
    shown = _assert_plain(_page("themes", small))
    assert "ALERT" in shown


def test_error_messages_are_plain(small: SmallProject) -> None:
    app = _page("compare", small)
    app.text_input(key="query.text").input(f"{HOSTILE} AND (").run()
    _assert_plain(app)
    assert app.error
