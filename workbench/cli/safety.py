"""`workbench check`, `backup`, `roster`, `pseudonymise` and `edit`: keeping a project safe."""
from __future__ import annotations

from typing import TYPE_CHECKING

from datetime import datetime
from pathlib import Path

import click

from workbench.cli.base import handle_errors, project_option

if TYPE_CHECKING:  # the core is imported inside the commands that use it
    from workbench.store import Store


@click.command()
@project_option
@handle_errors
def check(store: Store) -> None:
    """Check the project file: SQLite integrity and the workbench's invariants (exit 1 on problems)."""
    problems = store.check()
    for problem in problems:
        click.echo(f"{problem.kind}: {problem.message}")
    if problems:
        raise click.ClickException(f"{len(problems)} problems found")
    click.echo("No problems found.")


@click.command()
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Backup file (default: next to the project, dated).")
@project_option
@handle_errors
def backup(store: Store, out: Path | None) -> None:
    """Copy the project safely while others may be working in it (SQLite online backup), with its
    recordings (into FILE.media/)."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    target = store.database.backup(out or store.path.with_name(f"{store.path.stem}-{stamp}.wbproj"))
    copied = store.backup_media(target)
    click.echo(f"Backed up to {target}" + (f" (and {copied} recording{'s' if copied != 1 else ''} to "
                                          f"{target.name}.media/)" if copied else ""))
