"""Uploads and error details (issue 12 item 9c, 9d): no traceback reaches the user, no upload is lost."""
from __future__ import annotations

import tomllib
from pathlib import Path

from streamlit.config import ShowErrorDetailsConfigOptions

from test_app_pages import open_page, project, store_of, template  # noqa: F401  (fixtures)
from workbench.cli.app import streamlit_command

ROOT = Path(__file__).resolve().parents[1]


def test_error_details_are_off_for_users() -> None:
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    value = config["client"]["showErrorDetails"]
    assert value == ShowErrorDetailsConfigOptions.NONE  # not false: that still shows the stack trace
    command = streamlit_command("127.0.0.1", 8501)
    assert command[command.index("--client.showErrorDetails") + 1] == "none"  # also outside a checkout


def test_an_upload_named_dot_dot_never_reaches_the_importer(project: Path) -> None:  # noqa: F811
    from workbench.ui.uploads import upload_name

    # The uploader takes only the file types we import (the team server's type check), so Streamlit refuses
    # a name without one before any page code runs; a browser does not even offer it.
    at = open_page(project, "sources")
    before = [s.name for s in store_of(project).list_sources()]
    at.file_uploader[0].upload("..", b"Interviewer: Hello.\n\nRay: Hi.\n", "text/plain")
    at.run()
    for shown in at.exception:  # what a hand-made request would meet: a short message, no traceback or path
        assert "redacted" in shown.message and not list(shown.stack_trace), shown.message
    assert [s.name for s in store_of(project).list_sources()] == before
    # and should such a name arrive, it is refused by name, never written as a path
    assert upload_name("..") is None and upload_name("sub/..") is None and upload_name(".") is None
    assert upload_name("sub\\same.txt") == "same.txt" and upload_name("../../etc/ray.txt") == "ray.txt"


def test_two_uploads_with_the_same_name_both_land(project: Path) -> None:  # noqa: F811
    at = open_page(project, "sources")
    uploader = at.file_uploader[0]
    uploader.upload("same.txt", b"Interviewer: Where?\n\nAnn: By the river.\n", "text/plain")
    uploader.upload("sub/same.txt", b"Interviewer: Where?\n\nBob: Up on the hill.\n", "text/plain")
    at.run()
    at.button(key="sources.import").click().run()
    assert not at.exception, [e.value for e in at.exception]
    store = store_of(project)
    texts = sorted(store.get_source(s.id).text for s in store.list_sources() if s.name == "same.txt")
    assert texts == ["Interviewer: Where?\n\nAnn: By the river.", "Interviewer: Where?\n\nBob: Up on the hill."]
