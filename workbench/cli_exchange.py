"""`workbench export ...` and `workbench import ...`: project exchange with other tools (REFI-QDA .qdpx).

``export`` and ``import`` are click groups so that other modules can add formats to them
(``@export.command("report")``).
"""
from __future__ import annotations

from pathlib import Path

import click

from .cli import export, handle_errors, import_, project_option, user_option
from .pseudonyms import project_roster
from .refi import export_qdpx, import_qdpx
from .store import Store


@export.command("qdpx")
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The .qdpx file to write (replaced if it exists).")
@click.option("--crlf", is_flag=True,
              help="Windows line endings, positions counting CR+LF as two (NVivo for Windows).")
@click.option("--utf16", is_flag=True,
              help="Positions in UTF-16 code units, an emoji counting two (NVivo for Windows).")
@click.option("--pseudonymise", is_flag=True,
              help="Replace the names on the project's roster (see `workbench roster`) in texts, memos, "
                   "attributes and names; codings follow their words.")
@project_option
@user_option
@handle_errors
def export_qdpx_command(store: Store, out: Path, crlf: bool, utf16: bool, pseudonymise: bool,
                        user: str) -> None:
    """Export sources, codebook, codings, cases, attributes and memos as a REFI-QDA project (.qdpx).

    NVivo, ATLAS.ti, MAXQDA and QualCoder import the file. Positions count characters of the
    text as REFI-QDA says; use --crlf (and --utf16 for texts with emoji) for NVivo for Windows.
    """
    roster = project_roster(store) if pseudonymise else None
    if pseudonymise and not roster:
        raise click.UsageError("the project's roster is empty: add names with `workbench roster propose --save` "
                               "or `workbench roster import` first")
    path = export_qdpx(store, out, crlf=crlf, utf16=utf16, pseudonymise=roster, actor=user)
    counts = store.counts()
    named = " (names pseudonymised)" if roster else ""
    click.echo(f"Wrote {path}{named}: {counts['sources']} sources, {counts['codes']} codes, "
               f"{counts['codings']} codings, {len(store.coders())} coders, {counts['memos']} memos, "
               f"{counts['cases']} cases.")


@import_.command("qdpx")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@project_option
@user_option
@handle_errors
def import_qdpx_command(store: Store, file: Path, user: str) -> None:
    """Import a REFI-QDA project (.qdpx) from NVivo, ATLAS.ti, MAXQDA, QualCoder or qc.

    Text sources, the codebook, codings (with their coders), cases, variables and notes are
    imported in one step: if anything is wrong with the file, nothing is imported. Sources and
    codings already in the project are not added twice; pictures, audio and video are skipped.
    """
    report = import_qdpx(store, file, actor=user)
    for line in report.summary():
        click.echo(line)
