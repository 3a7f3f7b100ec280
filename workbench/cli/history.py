"""`workbench undo` and `workbench redo`: your own last actions."""
from __future__ import annotations

from typing import TYPE_CHECKING

import click

from workbench.cli.base import handle_errors, project_option, user_option

if TYPE_CHECKING:  # the core is imported inside the commands that use it
    from workbench.store import Store


@click.command()
@project_option
@user_option
@handle_errors
def undo(store: Store, user: str) -> None:
    """Undo your most recent coding or codebook action."""
    from workbench.sources import history
    click.echo(f"Undone: {history.undo(store, user)}")


@click.command()
@project_option
@user_option
@handle_errors
def redo(store: Store, user: str) -> None:
    """Redo the action you most recently undid."""
    from workbench.sources import history
    click.echo(f"Redone: {history.redo(store, user)}")
