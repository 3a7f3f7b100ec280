"""`workbench memo add|list|edit|remove`: parse, one core call, print."""
from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from workbench.cli import cli
from workbench.store import Store

from helpers import interview_source


def _project(tmp_path: Path) -> tuple[Path, list[str]]:
    path = tmp_path / "p.wbproj"
    store = Store.create(path)
    store.add_source(interview_source(), "amira")
    store.add_code("Bonding ties", "lead")
    return path, ["--project", str(path), "--as", "amira"]


def test_add_list_edit_remove_and_undo(tmp_path: Path) -> None:
    path, p = _project(tmp_path)
    runner = CliRunner()
    added = runner.invoke(cli, ["memo", "add", "Recorded in the garden shed.", "--source", "maureen.txt",
                                "--title", "Setting", *p])
    assert added.exit_code == 0, added.output
    assert added.output.startswith("Added memo 1 on document maureen.txt")
    assert runner.invoke(cli, ["memo", "add", "Bonding shows up everywhere.", "--code", "Bonding ties",
                               *p]).exit_code == 0
    assert runner.invoke(cli, ["memo", "add", "Saturation after ten?", *p]).exit_code == 0
    listing = runner.invoke(cli, ["memo", "list", "--project", str(path)])
    assert listing.exit_code == 0, listing.output
    lines = listing.output.splitlines()
    assert lines[0].startswith("#3 Project · amira · ")
    assert any(line.startswith("#1 Document maureen.txt · amira · ") and "Setting" in line for line in lines)
    assert "  Recorded in the garden shed." in lines
    only = runner.invoke(cli, ["memo", "list", "--kind", "code", "--project", str(path)])
    assert "Bonding shows up everywhere." in only.output and "garden" not in only.output
    assert runner.invoke(cli, ["memo", "edit", "1", "--text", "Recorded in the shed.", *p]).exit_code == 0
    assert Store.open(path).get_memo(1).text == "Recorded in the shed."
    removed = runner.invoke(cli, ["memo", "remove", "1", *p])
    assert removed.exit_code == 0 and "Removed memo 1" in removed.output
    assert runner.invoke(cli, ["undo", *p]).output.strip() == "Undone: remove memo 'Setting'"
    assert Store.open(path).get_memo(1).text == "Recorded in the shed."


def test_bad_input_is_a_clean_error_and_nothing_is_stored(tmp_path: Path) -> None:
    path, p = _project(tmp_path)
    runner = CliRunner()
    unknown = runner.invoke(cli, ["memo", "add", "x", "--source", "nobody.txt", *p])
    assert unknown.exit_code == 1 and "Error: no source called 'nobody.txt'" in unknown.output
    both = runner.invoke(cli, ["memo", "add", "x", "--source", "maureen.txt", "--code", "Bonding ties", *p])
    assert both.exit_code != 0 and "one of --source, --code, --case" in both.output
    empty = runner.invoke(cli, ["memo", "add", " ", *p])
    assert empty.exit_code == 1 and "empty" in empty.output
    missing = runner.invoke(cli, ["memo", "edit", "7", "--text", "x", *p])
    assert missing.exit_code == 1 and "no memo with id 7" in missing.output
    nothing = runner.invoke(cli, ["memo", "edit", "7", *p])
    assert nothing.exit_code != 0 and "--text or --title" in nothing.output
    assert Store.open(path).memos() == []


def test_list_says_when_there_are_none(tmp_path: Path) -> None:
    path, _p = _project(tmp_path)
    result = CliRunner().invoke(cli, ["memo", "list", "--project", str(path)])
    assert result.exit_code == 0 and result.output.strip() == "No memos."
