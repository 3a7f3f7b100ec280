"""`workbench serve`, `users`, `members` and `audit`: the team server and its accounts, roles and log.

Every command takes ``--config team.toml`` (or $WORKBENCH_TEAM_CONFIG): its ``projects`` directory holds the
projects and the server database ``team.db``. Whoever can run these on the server is its administrator.
"""
from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from workbench.cli.base import handle_errors

if TYPE_CHECKING:  # the core is imported inside the commands that use it
    from workbench.team.members import Team

ROLES = ("lead", "coder", "viewer")


def config_option(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Add ``--config team.toml`` (or $WORKBENCH_TEAM_CONFIG) and pass the checked config's ``team``."""

    @click.option("--config", "config_path", envvar="WORKBENCH_TEAM_CONFIG", required=True,
                  type=click.Path(dir_okay=False, path_type=Path),
                  help="The team server's config file (or set WORKBENCH_TEAM_CONFIG).")
    @functools.wraps(fn)
    def wrapper(*args: Any, config_path: Path, **kwargs: Any) -> Any:
        from workbench.team.config import load_config
        from workbench.team.members import Team

        return fn(*args, team=Team.at(load_config(config_path).projects), **kwargs)

    return handle_errors(wrapper)


def _password(name: str, from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return click.prompt(f"Password for {name}", hide_input=True, confirmation_prompt=True)


@click.group()
def users() -> None:
    """Local accounts of the team server (for teams without an institutional sign-in)."""


@users.command("add")
@click.argument("name")
@click.option("--email", default="", help="The account's e-mail address (optional).")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of stdin (for scripts).")
@config_option
def users_add(team: Team, name: str, email: str, password_stdin: bool) -> None:
    """Add a local account NAME; asks for its password (at least 10 characters; stored as an Argon2 hash)."""
    from workbench.team.accounts import add_user

    add_user(team.server, name, _password(name, password_stdin), email=email)
    click.echo(f"Added {name}. Give them projects with `workbench members add PROJECT {name} --role coder`.")


@users.command("passwd")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of stdin (for scripts).")
@config_option
def users_passwd(team: Team, name: str, password_stdin: bool) -> None:
    """Set a new password for the local account NAME."""
    from workbench.team.accounts import set_password

    set_password(team.server, name, _password(name, password_stdin))
    click.echo(f"New password set for {name}.")


@users.command("remove")
@click.argument("name")
@config_option
def users_remove(team: Team, name: str) -> None:
    """Delete the account NAME and its memberships (its codings stay in the projects)."""
    from workbench.team.accounts import remove_user

    remove_user(team.server, name)
    click.echo(f"Removed {name}.")


@users.command("list")
@config_option
def users_list(team: Team) -> None:
    """List the accounts: name, kind (local, or institutional: an e-mail given a project), e-mail, projects
    and roles."""
    from workbench.team.members import members

    roles: dict[str, list[str]] = {}
    for member in members(team):
        roles.setdefault(member.account.lower(), []).append(f"{member.project} ({member.role.label})")
    accounts = {a.name.lower(): a for a in team.server.accounts()}
    for name in sorted(set(accounts) | set(roles)):
        account = accounts.get(name)
        kind = "local" if account and account.password_hash else "institutional"  # an e-mail given a project
        email = (account.email if account else name) or "-"
        click.echo(f"{account.name if account else name}\t{kind}\t{email}\t{', '.join(roles.get(name, [])) or '-'}")


@click.group()
def members() -> None:
    """Who may open which project of the team server, and as what: lead, coder or viewer."""


@members.command("add")
@click.argument("project")
@click.argument("user")
@click.option("--role", type=click.Choice(ROLES), required=True,
              help="lead: codebook, members, merge, real-name exports, delete; coder: code, review, memos; "
                   "viewer: read. Everyone may export with pseudonyms.")
@config_option
def members_add(team: Team, project: str, user: str, role: str) -> None:
    """Give USER (an account, or an e-mail for institutional sign-in) ROLE on PROJECT (or change it)."""
    from workbench.model import Role
    from workbench.team.members import add_member

    before = add_member(team, project, user, Role.parse(role))
    click.echo(f"{user} is now {role} of {project}" + (f" (was {before.label})." if before else "."))


@members.command("remove")
@click.argument("project")
@click.argument("user")
@config_option
def members_remove(team: Team, project: str, user: str) -> None:
    """Take USER off PROJECT (their codings stay)."""
    from workbench.team.members import remove_member

    remove_member(team, project, user)
    click.echo(f"{user} is no longer a member of {project}.")


@members.command("list")
@click.argument("project", required=False)
@config_option
def members_list(team: Team, project: str | None) -> None:
    """List the members of PROJECT (or of every project) with their roles."""
    from workbench.team.members import members as all_members

    for member in all_members(team, project):
        click.echo(f"{member.project}\t{member.account}\t{member.role.label}\tadded by {member.added_by} "
                   f"at {member.added_at}")


@click.command()
@click.option("--user", "actor", help="Only what this account did (or what was done to it).")
@click.option("--action", help="Only these actions, e.g. signin, signin.failed, member, user.")
@click.option("--since", help="From this time on (ISO 8601, e.g. 2026-12-01).")
@click.option("--limit", type=click.IntRange(min=1), default=200, show_default=True, help="The newest N lines.")
@config_option
def audit(team: Team, actor: str | None, action: str | None, since: str | None, limit: int) -> None:
    """Read the server's append-only log: sign-ins, sign-outs, failed and throttled attempts, refused
    projects, accounts and role changes."""
    import json

    for entry in team.server.audit_entries(actor=actor, action=action, since=since, limit=limit):
        detail = json.dumps(entry.detail, ensure_ascii=False) if entry.detail else ""
        click.echo("\t".join([entry.at, entry.actor, entry.action, entry.target, entry.address or "-", detail]))


@click.command()
@click.option("--config", "config_path", envvar="WORKBENCH_TEAM_CONFIG", required=True,
              type=click.Path(dir_okay=False, path_type=Path),
              help="The team server's config file (or set WORKBENCH_TEAM_CONFIG).")
@click.option("--check", is_flag=True, help="Check the config and print the server command, without starting it.")
def serve(config_path: Path, check: bool) -> None:
    """Serve a projects directory to signed-in team members only (see the README's "Team server").

    \b
    A minimal team.toml:
      projects = "projects"
      host = "127.0.0.1"     # default; another address needs [tls] or behind_proxy = true
      port = 8501
      upload_limit_mb = 50
      session_idle_minutes = 30
    Optional: [tls] cert, key; [oidc] issuer, client_id, client_secret_file, allowed_domains, allowed_emails.
    Behind a reverse proxy (HTTPS on a real hostname): behind_proxy = true and public_url; tested configs for
    Caddy and nginx are in the repository's deploy/ folder.
    """
    from workbench.cli.app import TEAM_APP
    from workbench.errors import WorkbenchError
    from workbench.team.config import load_config
    from workbench.team.serve import server_environment, streamlit_command, write_secrets

    try:
        config = load_config(config_path)
        run_dir = write_secrets(config)
    except (WorkbenchError, OSError) as exc:
        raise click.ClickException(str(exc)) from exc
    command = streamlit_command(config, TEAM_APP)
    if check:
        click.echo(f"{config.path}: OK. Projects in {config.projects}; users open {config.url}")
        click.echo(" ".join(command))
        return
    click.echo(f"Resilience Workbench team server on {config.url} for the projects in {config.projects} "
               "(Ctrl+C stops it)")
    sys.stdout.flush()
    os.chdir(run_dir)  # Streamlit reads the generated .streamlit/secrets.toml from here
    os.execve(command[0], command, server_environment(config))  # the server is this process: signals reach it
