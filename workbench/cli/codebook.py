"""`workbench codebook ...`: import, export, show, rename, move, merge, delete."""
from __future__ import annotations

from typing import TYPE_CHECKING

from pathlib import Path

import click

from workbench.cli.base import Lazy, LazyChoice, handle_errors, project_option, user_option

if TYPE_CHECKING:  # the core is imported inside the commands that use it
    from workbench.store import Store


@click.group()
def codebook() -> None:
    """Manage the project's codebook (YAML or REFI-QDA .qdc)."""


@codebook.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@project_option
@user_option
@handle_errors
def import_(store: Store, file: Path, user: str) -> None:
    """Add the codes of FILE (.yaml or .qdc); codes already there are updated, not duplicated."""
    from workbench.sources import codebooks
    result = codebooks.import_codebook_file(store, file, user)
    click.echo(f"{file.name}: {result['added']} codes added, {result['updated']} updated "
               f"({len(store.codes())} codes in the project)")


@codebook.command("export")
@click.option("--format", "fmt", type=LazyChoice(Lazy("workbench.sources.codebooks", "FORMATS")), help="Default: from the extension.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="File to write (default: stdout for YAML, codebook.qdc for qdc).")
@project_option
@handle_errors
def export(store: Store, fmt: str | None, out: Path | None) -> None:
    """Write the project's codebook as YAML or as a REFI-QDA .qdc codebook."""
    from workbench.sources import codebooks
    if out is None and fmt != "qdc":
        from coding.codebook import dump_codebook

        click.echo(dump_codebook(codebooks.project_codebook(store)), nl=False)
        return
    path = codebooks.export_codebook(store, out or Path("codebook.qdc"), fmt)
    click.echo(f"Wrote {path}")


@codebook.command()
@click.option("--definitions", is_flag=True, help="Also print each code's definition.")
@project_option
@handle_errors
def show(store: Store, definitions: bool) -> None:
    """Print the code tree with the number of codings per code."""
    counts = store.coding_counts()
    depth: dict[int, int] = {}
    for code in store.codes():
        depth[code.id] = depth.get(code.parent_id, -1) + 1 if code.parent_id else 0
        marker = "" if code.codable else " (category)"
        click.echo(f"{'  ' * depth[code.id]}{code.name}{marker}  [{counts.get(code.id, 0)}]")
        if definitions and code.definition:
            click.echo(f"{'  ' * depth[code.id]}    {code.definition}")


@codebook.command()
@click.argument("code")
@click.argument("new_name")
@project_option
@user_option
@handle_errors
def rename(store: Store, code: str, new_name: str, user: str) -> None:
    """Rename CODE (name, path A/B, or uid) to NEW_NAME; its codings and uid stay. What the next
    `workbench suggest` needs of the new name (its vector, its lemmas) is cached here."""
    from workbench.assist.suggest import edit_code

    found = store.find_code(code)
    edit_code(store, found.id, user, name=new_name)
    click.echo(f"Renamed {found.name!r} to {new_name!r}")


@codebook.command()
@click.argument("code")
@click.option("--under", "parent", help="The new parent code.")
@click.option("--top", is_flag=True, help="Move to the top level.")
@project_option
@user_option
@handle_errors
def move(store: Store, code: str, parent: str | None, top: bool, user: str) -> None:
    """Move CODE (with its children) under another parent, or to the top level."""
    if bool(parent) == top:
        raise click.UsageError("give exactly one of --under PARENT or --top")
    found = store.find_code(code)
    new_parent = None if top else store.find_code(parent).id
    store.move_code(found.id, new_parent, user)
    click.echo(f"Moved {found.name!r} to {store.code_path(found.id)}")


@codebook.command()
@click.argument("code")
@click.option("--into", "target", required=True, help="The code that absorbs CODE.")
@project_option
@user_option
@handle_errors
def merge(store: Store, code: str, target: str, user: str) -> None:
    """Merge CODE into another code: its codings, suggestions and children follow."""
    source, into = store.find_code(code), store.find_code(target)
    moved = store.merge_codes(source.id, into.id, user)
    click.echo(f"Merged {source.name!r} into {into.name!r} ({moved} codings moved)")


@codebook.command()
@click.argument("code")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@project_option
@user_option
@handle_errors
def delete(store: Store, code: str, yes: bool, user: str) -> None:
    """Delete CODE, the codes under it and their codings (asks first when codings would go)."""
    found = store.find_code(code)
    ids = store.descendants(found.id)
    counts = store.coding_counts()
    lost = sum(counts.get(i, 0) for i in ids)
    if lost and not yes:
        click.confirm(f"Delete {found.name!r} ({len(ids)} codes) and its {lost} codings?", abort=True)
    store.delete_code(found.id, user)
    click.echo(f"Deleted {found.name!r} ({len(ids)} codes, {lost} codings)")
