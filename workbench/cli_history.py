"""`workbench undo` and `workbench redo`: your own last actions."""
from __future__ import annotations

import click

from . import history
from .cli import cli, handle_errors, project_option, user_option
from .store import Store


@cli.command()
@project_option
@user_option
@handle_errors
def undo(store: Store, user: str) -> None:
    """Undo your most recent coding or codebook action."""
    click.echo(f"Undone: {history.undo(store, user)}")


@cli.command()
@project_option
@user_option
@handle_errors
def redo(store: Store, user: str) -> None:
    """Redo the action you most recently undid."""
    click.echo(f"Redone: {history.redo(store, user)}")
