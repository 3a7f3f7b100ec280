"""`workbench check`, `backup`, `roster`, `pseudonymise` and `edit`: keeping a project safe."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click

from . import pseudonyms
from .cli import cli, handle_errors, project_option, user_option
from .editing import edit_source_text
from .store import Store


@cli.command()
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


@cli.command()
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Backup file (default: next to the project, dated).")
@project_option
@handle_errors
def backup(store: Store, out: Path | None) -> None:
    """Copy the project safely while others may be working in it (SQLite online backup)."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    target = store.database.backup(out or store.path.with_name(f"{store.path.stem}-{stamp}.wbproj"))
    click.echo(f"Backed up to {target}")


@cli.group()
def roster() -> None:
    """The participant roster: real names and their pseudonyms."""


@roster.command("show")
@project_option
@handle_errors
def roster_show(store: Store) -> None:
    """Print the roster."""
    for real, pseudonym in store.roster().items():
        click.echo(f"{real} -> {pseudonym}")


@roster.command("propose")
@click.option("--save", is_flag=True, help="Add the proposals to the roster.")
@click.option("--ner", is_flag=True, help="Also find names with a trained spaCy pipeline, if one is installed.")
@project_option
@user_option
@handle_errors
def roster_propose(store: Store, save: bool, ner: bool, user: str) -> None:
    """Propose roster entries from speakers, authors and (with --ner) names in the texts."""
    nlp = pseudonyms.trained_pipeline() if ner else None
    if ner and nlp is None:
        click.echo("No trained spaCy English pipeline is installed; proposing from speakers only.", err=True)
    proposals = pseudonyms.propose_roster(store, nlp)
    for real, pseudonym in proposals.items():
        click.echo(f"{real} -> {pseudonym}")
    if save:
        store.set_roster(proposals, user)
        click.echo(f"Added {len(proposals)} entries.")


@roster.command("import")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@project_option
@user_option
@handle_errors
def roster_import(store: Store, csv_file: Path, user: str) -> None:
    """Add entries from a CSV with columns real_name,pseudonym."""
    import csv

    with csv_file.open(newline="", encoding="utf-8-sig") as handle:
        rows = {r["real_name"]: r["pseudonym"] for r in csv.DictReader(handle)}
    store.set_roster(rows, user)
    click.echo(f"Added {len(rows)} entries.")


@cli.command()
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@project_option
@user_option
@handle_errors
def pseudonymise(store: Store, yes: bool, user: str) -> None:
    """Replace roster names in the stored texts themselves (exports are pseudonymised anyway)."""
    if not yes:
        click.confirm("This changes the stored texts (codings stay on their words). Go on?", abort=True)
    report = pseudonyms.pseudonymise_sources(store, user)
    for source, names in report.replaced.items():
        click.echo(f"{source}: " + ", ".join(f"{name} ×{n}" for name, n in names.most_common()))
    click.echo(f"{report.total} names replaced; {report.codings_moved} codings adjusted, "
               f"{report.codings_lost} lost.")


@cli.command()
@click.argument("source")
@click.argument("text_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@project_option
@user_option
@handle_errors
def edit(store: Store, source: str, text_file: Path, user: str) -> None:
    """Replace SOURCE's text with TEXT_FILE's (a corrected transcript); codings follow their words."""
    target = store.find_source(source)
    report = edit_source_text(store, target.id, text_file.read_text(encoding="utf-8"), user)
    click.echo(f"{target.name}: {report.kept} codings unchanged, {len(report.moved)} adjusted, "
               f"{len(report.lost)} lost, {len(report.merged)} merged into duplicates.")
    for lost in report.lost:
        click.echo(f"  lost (words deleted): coding {lost.coding_id} by {lost.coder}: {lost.old_text[:70]!r}")
