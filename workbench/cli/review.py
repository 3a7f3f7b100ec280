"""`workbench review list|accept|reject`: the review queue of pending suggestions, from the shell.

The same core functions as the Suggestions page (`workbench.assist.review`): accepting by id is a
one-by-one accept; accepting with --min-score is a bulk accept, asked for confirmation (unless --yes),
marked "accepted in bulk" on every coding and undone in one step by `workbench undo`.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import click

from workbench.cli.base import handle_errors, project_option, user_option

if TYPE_CHECKING:  # the core is imported inside the commands that use it
    from workbench.store import Store

QUOTE_WIDTH = 70


def _code_ids(store: Store, codes: tuple[str, ...]) -> list[int] | None:
    return [store.find_code(c).id for c in codes] or None


@click.group()
def review() -> None:
    """Decide on the machine's suggestions: list them, accept them (one by one or in bulk), reject them."""


def _decide_each(ids: tuple[int, ...], decide: Callable[[int], str]) -> None:
    """Decide on each suggestion in turn, printing what was done; those that cannot be decided are named at the
    end (the others stay decided)."""
    from workbench.errors import WorkbenchError

    problems = []
    for suggestion_id in ids:
        try:
            click.echo(decide(suggestion_id))
        except WorkbenchError as exc:
            problems.append(str(exc))
    if problems:
        raise click.ClickException("; ".join(problems))


@review.command("list")
@click.option("--code", "codes", multiple=True, metavar="CODE", help="Only this code (name, path or id; repeatable).")
@click.option("--min-score", type=click.FloatRange(0, 1), default=None, help="Only suggestions scoring at least this.")
@click.option("--source", default=None, metavar="SOURCE", help="Only this source (name or id).")
@click.option("--limit", type=click.IntRange(min=1), default=None, help="Print at most this many.")
@project_option
@handle_errors
def review_list(store: Store, codes: tuple[str, ...], min_score: float | None, source: str | None,
                limit: int | None) -> None:
    """Print the pending suggestions, best score first: id, score, code, source and the words."""
    from workbench.assist.review import review_queue
    from workbench.store.suggestions import shorten

    filters = {"code_ids": _code_ids(store, codes), "min_score": min_score,
               "source_id": store.find_source(source).id if source else None}
    rows = review_queue(store, limit=limit, **filters)
    total = store.count_pending(**filters)
    for row in rows:
        click.echo(f"{row.id:>4}  {row.score:.2f}  {row.code}  {row.source}  “{shorten(row.quote, QUOTE_WIDTH)}”")
    shown = f" ({limit} shown)" if limit and total > limit else ""
    click.echo(f"{total} pending suggestion{'s' if total != 1 else ''}{shown}; "
               f"{store.suggestion_counts()['pending']:,} in the project.")


@review.command("accept")
@click.argument("ids", nargs=-1, type=int)
@click.option("--min-score", type=click.FloatRange(0, 1), default=None,
              help="Accept in bulk every pending suggestion scoring at least this (asks first; one undo step).")
@click.option("--code", "codes", multiple=True, metavar="CODE",
              help="With --min-score: only this code (name, path or id; repeatable).")
@click.option("--yes", is_flag=True, help="With --min-score: do not ask for confirmation.")
@project_option
@user_option
@handle_errors
def review_accept(store: Store, ids: tuple[int, ...], min_score: float | None, codes: tuple[str, ...], yes: bool,
                  user: str) -> None:
    """Accept suggestions by id (each is a one-by-one accept), or in bulk with --min-score.

    A bulk accept marks every coding it makes "accepted in bulk" (with the score and your name), which
    reports and spreadsheets show; `workbench undo` takes the whole bulk accept back.
    """
    from workbench.assist.review import accept, accept_in_bulk, plan_bulk_accept
    from workbench.store.suggestions import shorten

    if bool(ids) == (min_score is not None) or (codes and min_score is None):
        raise click.UsageError("give suggestion ids or --min-score (not both); --code and --yes go with --min-score")
    if ids:
        _decide_each(ids, lambda suggestion_id: accept(store, suggestion_id, user))
        return
    plan = plan_bulk_accept(store, min_score, code_ids=_code_ids(store, codes))
    if len(plan) and not yes:
        for row in plan.preview(10):
            click.echo(f"{row.id:>4}  {row.score:.2f}  {row.code}  {row.source}  “{shorten(row.quote, QUOTE_WIDTH)}”")
        if len(plan) > 10:
            click.echo(f"      … and {len(plan) - 10} more (`workbench review list` shows them all)")
        if not click.confirm(plan.question(), default=False):
            click.echo("Nothing accepted.")
            return
    click.echo(accept_in_bulk(store, plan, user, confirmed=True))


@review.command("reject")
@click.argument("ids", nargs=-1, type=int, required=True)
@project_option
@user_option
@handle_errors
def review_reject(store: Store, ids: tuple[int, ...], user: str) -> None:
    """Reject suggestions by id: they are never proposed again and teach the engine."""
    from workbench.assist.review import reject

    _decide_each(ids, lambda suggestion_id: reject(store, suggestion_id, user))
