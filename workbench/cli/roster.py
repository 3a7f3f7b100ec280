"""`workbench roster ...` and `workbench pseudonymise`: the names that exports replace, and replacing them in the stored texts."""
from __future__ import annotations

from typing import TYPE_CHECKING

import csv
from pathlib import Path

import click

from workbench.cli.base import handle_errors, project_option, user_option

if TYPE_CHECKING:  # the core is imported inside the commands that use it
    from workbench.store import Store


@click.group()
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
@click.option("--save", is_flag=True, help="Add the speaker and author proposals to the roster.")
@click.option("--ner", is_flag=True, help="Also find names with a trained spaCy pipeline, if one is installed.")
@project_option
@user_option
@handle_errors
def roster_propose(store: Store, save: bool, ner: bool, user: str) -> None:
    """Propose roster entries from speakers and authors, and list possible names in the texts for review.

    Possible names are capitalised words inside sentences that are not English words, and names after
    a title, a relation or "called" (my neighbour, Val). Review each with `roster accept` or `roster dismiss`.
    """
    from workbench.sources import name_candidates, pseudonyms

    nlp = pseudonyms.trained_pipeline() if ner else None
    if ner and nlp is None:
        click.echo("No trained spaCy English pipeline is installed; proposing from speakers only.", err=True)
    proposals = pseudonyms.propose_roster(store, nlp)
    for real, pseudonym in proposals.items():
        click.echo(f"{real} -> {pseudonym}")
    if save:
        store.set_roster(proposals, user)
        click.echo(f"Added {len(proposals)} entries.")
    candidates = name_candidates.find_name_candidates(store)
    if not candidates:
        click.echo("No possible names outside the roster are left to review.")
        return
    click.echo(f"Possible names not in the roster ({len(candidates)}; review each with "
               "`workbench roster accept NAME --pseudonym P` or `workbench roster dismiss NAME`):")
    for c in candidates:
        where = c.sources[0] if len(c.sources) == 1 else f"{len(c.sources)} sources"
        click.echo(f"  {c.name}  ×{c.mentions} in {where}; {c.reason}: {c.example}")


@roster.command("accept")
@click.argument("name")
@click.option("--pseudonym", "-p", default=None,
              help="The pseudonym that replaces the name (default: the next free 'Person N').")
@project_option
@user_option
@handle_errors
def roster_accept(store: Store, name: str, pseudonym: str | None, user: str) -> None:
    """Accept a possible name: it joins the roster, so every export replaces it."""
    from workbench.sources import name_candidates

    if pseudonym is None:
        pseudonym = name_candidates.next_pseudonym(store)
    name_candidates.accept_name(store, name, pseudonym, user)
    click.echo(f"{name} -> {pseudonym.strip()} (on the roster)")


@roster.command("dismiss")
@click.argument("names", nargs=-1, required=True)
@project_option
@user_option
@handle_errors
def roster_dismiss(store: Store, names: tuple[str, ...], user: str) -> None:
    """Dismiss possible names that are not people (places, brands): they are not proposed again."""
    from workbench.sources import name_candidates

    for name in names:
        name_candidates.dismiss_name(store, name, user)
    click.echo(f"Dismissed {len(names)}: {', '.join(names)}")


@roster.command("import")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@project_option
@user_option
@handle_errors
def roster_import(store: Store, csv_file: Path, user: str) -> None:
    """Add entries from a CSV with columns real_name,pseudonym."""

    with csv_file.open(newline="", encoding="utf-8-sig") as handle:
        rows = {r["real_name"]: r["pseudonym"] for r in csv.DictReader(handle)}
    store.set_roster(rows, user)
    click.echo(f"Added {len(rows)} entries.")


@click.command()
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@project_option
@user_option
@handle_errors
def pseudonymise(store: Store, yes: bool, user: str) -> None:
    """Replace roster names in the stored texts themselves (exports are pseudonymised anyway)."""
    from workbench.sources import pseudonyms

    if not yes:
        click.confirm("This changes the stored texts (codings stay on their words). Go on?", abort=True)
    report = pseudonyms.pseudonymise_sources(store, user)
    for source, names in report.replaced.items():
        click.echo(f"{source}: " + ", ".join(f"{name} ×{n}" for name, n in names.most_common()))
    click.echo(f"{report.total} names replaced; {report.codings_moved} codings adjusted, "
               f"{report.codings_lost} lost.")
