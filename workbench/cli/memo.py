"""`workbench memo add|list|edit|remove`: project, document, code and case memos (and codings' own, listed)."""
from __future__ import annotations

from typing import TYPE_CHECKING

import click

from workbench.cli.base import handle_errors, project_option, user_option

if TYPE_CHECKING:  # the core is imported inside the commands that use it
    from workbench.store import Store

KIND_CHOICES = ("project", "source", "code", "case", "coding")


@click.group()
def memo() -> None:
    """Memos: free text with author and date about the project, a source, a code or a case."""


def _text(text: str) -> str:
    return click.get_text_stream("stdin").read() if text == "-" else text


@memo.command("add")
@click.argument("text")
@click.option("--source", metavar="SOURCE", help="A document memo on this source (name or id).")
@click.option("--code", metavar="CODE", help="A memo on this code (path, name or uid).")
@click.option("--case", metavar="CASE", help="A memo on this case (name).")
@click.option("--coding", metavar="ID", help="A memo on this coding (its id).")
@click.option("--title", default="", help="A short title.")
@project_option
@user_option
@handle_errors
def memo_add(store: Store, text: str, source: str | None, code: str | None, case: str | None, coding: str | None,
             title: str, user: str) -> None:
    """Write a memo (TEXT, or - to read it from standard input); a project memo unless you name what it is about."""
    from workbench.sources.memos import KIND_LABELS, add_memo

    targets = {k: v for k, v in (("source", source), ("code", code), ("case", case), ("coding", coding)) if v}
    if len(targets) > 1:
        raise click.UsageError("give at most one of --source, --code, --case, --coding")
    about, target = next(iter(targets.items()), ("project", None))
    added = add_memo(store, _text(text), user, about=about, target=target, title=title)
    named = f" {target}" if target else ""
    click.echo(f"Added memo {added.id} on {KIND_LABELS[about].lower()}{named}.")


@memo.command("list")
@click.option("--kind", "kinds", multiple=True, type=click.Choice(KIND_CHOICES),
              help="Only memos about this kind of thing (source: document memos; coding: codings' own). Repeatable.")
@click.option("--author", help="Only memos by this person.")
@click.option("--contains", metavar="WORDS", help="Only memos whose title or text contains these words (any case).")
@project_option
@handle_errors
def memo_list(store: Store, kinds: tuple[str, ...], author: str | None, contains: str | None) -> None:
    """List memos with what each is about, author and date (stored memos by #id, codings' memos by coding id)."""
    from workbench.sources.memos import KIND_LABELS, list_memos

    entries = list_memos(store, kinds=list(kinds), author=author, contains=contains)
    if not entries:
        click.echo("No memos.")
        return
    for entry in entries:
        ident = f"#{entry.memo_id}" if entry.memo_id is not None else f"coding {entry.coding_id}"
        title = f" · {entry.title}" if entry.title else ""
        where = f" · {entry.where}" if entry.where else ""
        click.echo(f"{ident} {KIND_LABELS[entry.kind]} {entry.about if entry.kind != 'project' else ''}".rstrip()
                   + f"{where} · {entry.author} · {entry.updated_at[:10]}{title}")
        for line in entry.text.splitlines():
            click.echo(f"  {line}")


@memo.command("edit")
@click.argument("memo_id", type=int)
@click.option("--text", help="The new text (- reads it from standard input).")
@click.option("--title", help="The new title.")
@project_option
@user_option
@handle_errors
def memo_edit(store: Store, memo_id: int, text: str | None, title: str | None, user: str) -> None:
    """Change a memo's text or title (`workbench undo` changes it back)."""
    from workbench.sources.memos import edit_memo

    if text is None and title is None:
        raise click.UsageError("give --text or --title (or both)")
    edit_memo(store, memo_id, user, text=None if text is None else _text(text), title=title)
    click.echo(f"Edited memo {memo_id}.")


@memo.command("remove")
@click.argument("memo_id", type=int)
@project_option
@user_option
@handle_errors
def memo_remove(store: Store, memo_id: int, user: str) -> None:
    """Delete a memo (`workbench undo` brings it back)."""
    from workbench.sources.memos import remove_memo

    removed = remove_memo(store, memo_id, user)
    click.echo(f"Removed memo {memo_id} ({removed.title or removed.text[:40]!r}).")
