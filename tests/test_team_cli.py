"""The team commands: `workbench users`, `members`, `audit` and `serve --check` on a real projects directory."""
from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from workbench.cli import cli
from workbench.store import Store

PASSWORD = "correct horse battery"


@pytest.fixture
def config(tmp_path: Path) -> Path:
    (tmp_path / "projects").mkdir()
    Store.create(tmp_path / "projects" / "garden.wbproj").close()
    path = tmp_path / "team.toml"
    path.write_text('projects = "projects"\n')
    return path


def run(config: Path, *args: str, stdin: str | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(cli, [*args, "--config", str(config)], input=stdin)
    return result.exit_code, result.output


def test_add_an_account_give_it_a_project_and_read_the_log(config: Path) -> None:
    assert run(config, "users", "add", "alice", "--email", "alice@uni.example", "--password-stdin",
               stdin=PASSWORD + "\n") == (0, "Added alice. Give them projects with "
                                             "`workbench members add PROJECT alice --role coder`.\n")
    code, output = run(config, "members", "add", "garden", "alice", "--role", "coder")
    assert (code, output) == (0, "alice is now coder of garden.\n")
    code, output = run(config, "members", "add", "garden", "alice", "--role", "lead")
    assert output == "alice is now lead of garden (was coder).\n"
    run(config, "members", "add", "garden", "Dana@Uni.Example", "--role", "viewer")
    code, output = run(config, "users", "list")
    assert output == ("alice\tlocal\talice@uni.example\tgarden (lead)\n"
                      "dana@uni.example\tinstitutional\tdana@uni.example\tgarden (viewer)\n")
    run(config, "members", "remove", "garden", "dana@uni.example")
    code, output = run(config, "members", "list", "garden")
    assert output.startswith("garden\talice\tlead\tadded by admin")
    code, output = run(config, "audit", "--action", "member")
    assert [line.split("\t")[2] for line in output.splitlines()] == ["member.add", "member.role", "member.add",
                                                                     "member.remove"]
    assert '"after": "lead"' in output
    assert run(config, "members", "remove", "garden", "alice") == (0, "alice is no longer a member of garden.\n")
    assert run(config, "users", "remove", "alice") == (0, "Removed alice.\n")
    assert "PASSWORD" not in output and PASSWORD not in (config.parent / "projects" / "team.db").read_text("latin-1")


def test_the_password_prompt_asks_twice(config: Path) -> None:
    code, output = run(config, "users", "add", "bob", stdin=f"{PASSWORD}\n{PASSWORD}\n")
    assert code == 0 and "Repeat for confirmation" in output
    code, output = run(config, "users", "passwd", "bob", stdin="a new long password\na new long password\n")
    assert (code, output.splitlines()[-1]) == (0, "New password set for bob.")


@pytest.mark.parametrize(("args", "stdin", "message"), [
    (("users", "add", "carol", "--password-stdin"), "short\n", "Error: the password for 'carol' is too short"),
    (("users", "remove", "nobody"), None, "Error: no account called 'nobody'"),
    (("members", "add", "garden", "nobody", "--role", "coder"), None, "Error: no account called 'nobody'"),
    (("members", "add", "../etc", "x@uni.example", "--role", "coder"), None, "Error: '../etc' is not a project name"),
    (("members", "add", "garden", "x@uni.example", "--role", "owner"), None, "'owner' is not one of 'lead', 'coder'"),
    (("members", "remove", "garden", "x@uni.example"), None, "Error: 'x@uni.example' is no member of 'garden'"),
])
def test_bad_input_gets_a_clear_message_and_exit_status_1_or_2(config: Path, args: tuple, stdin: str | None,
                                                                message: str) -> None:
    code, output = run(config, *args, stdin=stdin)
    assert code in (1, 2)
    assert message in output
    assert "Traceback" not in output


def test_a_bad_config_stops_every_team_command_naming_file_and_key(config: Path) -> None:
    config.write_text('projects = "projects"\nhost = "0.0.0.0"\n')
    for args in (("serve",), ("users", "list"), ("audit",)):
        code, output = run(config, *args)
        assert code == 1
        assert f"Error: {config.resolve()}: host: 0.0.0.0 is reachable from other computers" in output


def test_serve_check_prints_the_hardened_command_without_starting(config: Path) -> None:
    code, output = run(config, "serve", "--check")
    assert code == 0, output
    assert "OK. Projects in" in output and "users open http://localhost:8501" in output
    assert "--server.enableXsrfProtection true" in output and "--client.showErrorDetails none" in output


def test_serve_runs_the_router_from_a_folder_without_pages(config: Path) -> None:
    from workbench.cli.app import TEAM_APP

    # Streamlit runs pages/*.py beside the main script directly when their URL is opened first: past the sign-in.
    assert TEAM_APP.exists() and not (TEAM_APP.parent / "pages").exists()
    code, output = run(config, "serve", "--check")
    assert f"streamlit run {TEAM_APP} " in output
