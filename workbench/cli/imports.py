"""`workbench import ...`: bring in work done elsewhere (REFI-QDA .qdpx projects, the development set)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from pathlib import Path

import click

from workbench.cli.base import handle_errors, project_option, user_option

if TYPE_CHECKING:  # the core is imported inside the commands that use it
    from workbench.store import Store


@click.group("import")
def import_group() -> None:
    """Bring in work done in other tools."""


@import_group.command("qdpx")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@project_option
@user_option
@handle_errors
def import_qdpx_command(store: Store, file: Path, user: str) -> None:
    """Import a REFI-QDA project (.qdpx) from NVivo, ATLAS.ti, MAXQDA, QualCoder or qc.

    Text sources, the codebook, codings (with their coders), cases, variables, notes, users and
    sets are imported in one step: if anything is wrong with the file, nothing is imported. Sources
    and codings already in the project are not added twice, and a colour or description the file
    leaves out is never cleared. Audio and video sources come in as their transcript (turns timed by its
    sync points) with the recording attached; pictures, media without a transcript and maps (Graphs)
    are skipped and listed.
    """
    from workbench.export.refi import import_qdpx

    report = import_qdpx(store, file, actor=user)
    for line in report.summary():
        click.echo(line)


@import_group.command("devset")
@click.argument("folder", required=False, type=click.Path(file_okay=False, path_type=Path))
@project_option
@user_option
@handle_errors
def import_devset_command(store: Store, folder: Path | None, user: str) -> None:
    """Import the human-coded development set (Bopp et al., games as art) as codings by --as.

    FOLDER holds bopp_test_coded_texts.csv and bopp_test_code_descriptions.csv (default: the copy in
    ../shared/fixtures/coded/bopp-games-as-art). Then: workbench evaluate --reference NAME.
    """
    from workbench.assist.evaluate import import_devset

    added, codings = import_devset(store, user, folder)
    click.echo(f"Development set: {added} answers added as sources, {codings} codings by {user}.")
