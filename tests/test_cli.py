"""The command line: every command has help, appears in the README, and does its job on a real project."""
from __future__ import annotations

from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from workbench.cli import cli
from workbench.store import Store

README = Path(__file__).resolve().parents[1] / "README.md"
FIXTURE_TRANSCRIPTS = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "transcripts"


def _commands(group: click.Group, prefix: str = "") -> list[str]:
    names = []
    for name, command in sorted(group.commands.items()):
        names.append(f"{prefix}{name}")
        if isinstance(command, click.Group):
            names += _commands(command, f"{prefix}{name} ")
    return names


@pytest.mark.parametrize("command", _commands(cli))
def test_every_command_has_help(command: str) -> None:
    result = CliRunner().invoke(cli, [*command.split(), "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output
    words = result.output.split("Usage:")[1].split("\n", 2)[2].strip()
    assert len(words) > 20, f"`workbench {command}` has no help text"


@pytest.mark.parametrize("command", _commands(cli))
def test_every_command_is_in_the_readme(command: str) -> None:
    assert f"workbench {command}" in README.read_text(encoding="utf-8"), f"README does not mention {command!r}"


def test_init_ingest_sources_search(tmp_path: Path) -> None:
    project = tmp_path / "p.wbproj"
    folder = tmp_path / "files"
    folder.mkdir()
    (folder / "maureen.txt").write_text("Interviewer: What helps?\n\nMaureen: The community garden keeps me going.\n")
    (folder / "broken.docx").write_bytes(b"PK\x03\x04 not really a docx")
    (folder / "attributes.csv").write_text("file,site,participant\nmaureen.txt,Northgate,NG-R01\n")
    runner = CliRunner()
    assert runner.invoke(cli, ["init", str(project)]).exit_code == 0
    result = runner.invoke(cli, ["ingest", str(folder), "--project", str(project), "--as", "amira"])
    assert result.exit_code == 0, result.output
    assert "Imported 1 sources" in result.output
    assert "broken.docx" in result.output  # reported, with its reason
    again = runner.invoke(cli, ["ingest", str(folder), "--project", str(project)])
    assert "Imported 0 sources" in again.output and "Already in the project" in again.output
    listing = runner.invoke(cli, ["sources", "--project", str(project), "--where", "site=Northgate"])
    assert "maureen.txt" in listing.output and "participant=NG-R01" in listing.output
    hits = runner.invoke(cli, ["search", "gardens", "--project", str(project), "--site", "Northgate"])
    assert "[garden]" in hits.output and "1 hits" in hits.output
    assert Store.open(project).events()[-1].actor == "amira"


def test_missing_project_is_a_clean_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["sources", "--project", str(tmp_path / "none.wbproj")])
    assert result.exit_code == 1 and "workbench init" in result.output and "Traceback" not in result.output


def test_ingest_real_transcripts_gives_speakers_and_turns(tmp_path: Path) -> None:
    if not FIXTURE_TRANSCRIPTS.exists():
        pytest.skip("real-world fixtures not available")
    project = tmp_path / "p.wbproj"
    runner = CliRunner()
    runner.invoke(cli, ["init", str(project)])
    result = runner.invoke(cli, ["ingest", str(FIXTURE_TRANSCRIPTS), "--project", str(project)])
    assert result.exit_code == 0 and "Imported 4 sources" in result.output
    store = Store.open(project)
    by_name = {s.name: s for s in store.list_sources()}
    admin = [t.speaker for t in store.segments(by_name["qc-demo_admin-1.txt"].id, kinds=["turn"])]
    assert admin[:3] == ["Automation", "Max Bigman", "admin-1"] and len(admin) == 86
    teams = store.segments(by_name["teams_timeframe.vtt"].id, kinds=["turn"])
    assert [t.speaker for t in teams] == ["Yuri Bakulin", "Adrian Petrescu"]
    assert teams[1].start_time == pytest.approx(0.21)


def test_codebook_round_trip_through_qdc(tmp_path: Path) -> None:
    project = tmp_path / "p.wbproj"
    runner = CliRunner()
    runner.invoke(cli, ["init", str(project)])
    codebook = Path(__file__).resolve().parents[1] / "codebooks" / "resilience.yaml"
    result = runner.invoke(cli, ["codebook", "import", str(codebook), "--project", str(project)])
    assert "38 codes added" in result.output
    out = tmp_path / "cb.qdc"
    assert runner.invoke(cli, ["codebook", "export", "--format", "qdc", "--out", str(out),
                               "--project", str(project)]).exit_code == 0
    project2 = tmp_path / "p2.wbproj"
    runner.invoke(cli, ["init", str(project2)])
    runner.invoke(cli, ["codebook", "import", str(out), "--project", str(project2)])
    one, two = Store.open(project).codebook(), Store.open(project2).codebook()
    assert one.codes == two.codes
    show = runner.invoke(cli, ["codebook", "show", "--project", str(project2)])
    assert "  Social connectivity (category)" in show.output


def test_codebook_operations_and_undo(tmp_path: Path) -> None:
    project = tmp_path / "p.wbproj"
    runner = CliRunner()
    runner.invoke(cli, ["init", str(project)])
    codebook = Path(__file__).resolve().parents[1] / "codebooks" / "resilience.yaml"
    runner.invoke(cli, ["codebook", "import", str(codebook), "--project", str(project)])
    p = ["--project", str(project), "--as", "lead"]
    assert runner.invoke(cli, ["codebook", "rename", "Wellbeing", "Feeling well", *p]).exit_code == 0
    assert runner.invoke(cli, ["codebook", "move", "Feeling well", "--top", *p]).exit_code == 0
    assert runner.invoke(cli, ["codebook", "merge", "Emotional coping", "--into", "Feeling well", *p]).exit_code == 0
    store = Store.open(project)
    assert store.code_path(store.find_code("Feeling well").id) == "Feeling well"
    result = runner.invoke(cli, ["undo", *p])
    assert "Undone: merge" in result.output
    assert store.find_code("Emotional coping")
    from helpers import interview_source

    source = store.add_source(interview_source(), "amira")
    store.add_coding(source, 0, 10, store.find_code("Housing").id, "amira")
    refused = runner.invoke(cli, ["codebook", "delete", "Housing", *p], input="n\n")
    assert refused.exit_code == 1 and "1 codings?" in refused.output and store.find_code("Housing")
    assert runner.invoke(cli, ["codebook", "delete", "Housing", "--yes", *p]).exit_code == 0
    assert store.codings() == []
    bad = runner.invoke(cli, ["codebook", "import", str(tmp_path / "nope.yaml"), *p[:2]])
    assert bad.exit_code != 0


def test_check_finds_planted_corruption(tmp_path: Path) -> None:
    import sqlite3

    from helpers import interview_source

    project = tmp_path / "p.wbproj"
    store = Store.create(project)
    source = store.add_source(interview_source(), "amira")
    code = store.add_code("Wellbeing", "amira")
    store.add_coding(source, 0, 10, code, "amira")
    runner = CliRunner()
    assert "No problems found" in runner.invoke(cli, ["check", "--project", str(project)]).output
    conn = sqlite3.connect(project)
    conn.execute('UPDATE codings SET "end" = 100000')
    conn.execute("UPDATE sources SET text = text || 'x'")
    conn.commit()
    conn.close()
    result = runner.invoke(cli, ["check", "--project", str(project)])
    assert result.exit_code == 1
    assert "outside its text" in result.output and "does not match its hash" in result.output


def test_backup_is_a_working_copy(tmp_path: Path) -> None:
    from helpers import interview_source

    store = Store.create(tmp_path / "p.wbproj")
    store.add_source(interview_source(), "amira")
    out = tmp_path / "backup.wbproj"
    result = CliRunner().invoke(cli, ["backup", "--out", str(out), "--project", str(store.path)])
    assert result.exit_code == 0
    assert Store.open(out).counts() == store.counts()
