"""`workbench suggest` and `workbench evaluate`: the suggestion engine on a project, and how well it agrees."""
from __future__ import annotations

from pathlib import Path

import click

from coding.suggesters import DEFAULT_SUGGESTER, available_suggesters

from .cli import cli, handle_errors, import_, progress_bar, project_option, user_option
from .evaluate import DEFAULT_SIZES, evaluate_project, import_devset
from .store import Store
from .suggest import DEFAULT_MIN_SCORE, run_suggestions, set_skipped_speakers


def _sources(store: Store, refs: tuple[str, ...]) -> list[int] | None:
    if not refs:
        return None
    return [store.find_source(r).id for r in refs]


@cli.command("suggest")
@click.option("--code", "codes", multiple=True, metavar="CODE",
              help="Only this code (name, path or id; repeatable). Default: every codable code.")
@click.option("--source", "sources", multiple=True, metavar="SOURCE",
              help="Only this source (name or id; repeatable). Default: every source.")
@click.option("--suggester", type=click.Choice(available_suggesters()), default=DEFAULT_SUGGESTER,
              show_default=True, help="Which suggester proposes the codes.")
@click.option("--min-score", type=click.FloatRange(0, 1), default=DEFAULT_MIN_SCORE, show_default=True,
              help="Keep proposals scoring at least this (the ensemble's score is a calibrated probability).")
@click.option("--skip-speaker", "skip", multiple=True, metavar="NAME",
              help="Make no suggestions for this speaker's turns (repeatable; saved in the project). Default: "
                   "interviewers and facilitators (Interviewer, Facilitator, Moderator, Researcher, Int, Q).")
@click.option("--all-speakers", is_flag=True, help="Suggest codes for every speaker's turns (saved in the project).")
@click.option("--show", type=int, default=5, show_default=True, help="Print this many of the best new suggestions.")
@project_option
@user_option
@handle_errors
def suggest_command(store: Store, codes: tuple[str, ...], sources: tuple[str, ...], suggester: str,
                    min_score: float, skip: tuple[str, ...], all_speakers: bool, show: int, user: str) -> None:
    """Propose codes for the project's sentences, with reasons; they wait for a person to accept or reject.

    The engine learns from everyone's codings and from rejected suggestions; a rejected span is never
    proposed again for that code. Pending suggestions in scope are replaced by the new ones.
    """
    code_ids = [store.find_code(c).id for c in codes] or None
    if skip or all_speakers:
        set_skipped_speakers(store, [] if all_speakers else skip)
    callback, close = progress_bar("Suggesting")
    try:
        run = run_suggestions(store, user, suggester=suggester, code_ids=code_ids,
                              source_ids=_sources(store, sources), min_score=min_score, on_progress=callback)
    finally:
        close()
    for line in run.summary():
        click.echo(line)
    if show and run.stored:
        click.echo("Best pending suggestions:")
        for g in store.suggestions(code_ids=code_ids, limit=show):
            quote = " ".join(store.get_source(g.source_id).text[g.start:g.end].split())
            shown = quote if len(quote) <= 90 else quote[:89] + "…"
            click.echo(f"  {g.score:.2f}  {store.get_code(g.code_id).name}: “{shown}”\n        because {g.reason}")


@cli.command("evaluate")
@click.option("--reference", required=True, metavar="CODER", help="The coder whose codings count as right.")
@click.option("--candidate", default=DEFAULT_SUGGESTER, show_default=True, metavar="CODER|SUGGESTER",
              help=f"Another coder, or a suggester ({', '.join(available_suggesters())}).")
@click.option("--sizes", default=",".join(map(str, DEFAULT_SIZES)), show_default=True,
              help="Learning curve: codings per code given to the learning suggesters (comma-separated; '' for "
                   "zero-shot only).")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the train/test split of sources.")
@project_option
@handle_errors
def evaluate_command(store: Store, reference: str, candidate: str, sizes: str, seed: int) -> None:
    """Precision, recall, F1, Cohen's kappa and Krippendorff's alpha per code and overall, per sentence.

    Against a suggester, the reference's sources are split 60/40: suggesters learn only from the
    training sources and are scored on the others. The keyword-only baseline (lexical.v1) is scored
    in the same run.
    """
    try:
        ks = tuple(int(x) for x in sizes.replace(" ", "").split(",") if x)
    except ValueError:
        raise click.BadParameter(f"expected numbers separated by commas, got {sizes!r}", param_hint="--sizes")
    click.echo(evaluate_project(store, reference, candidate, sizes=ks, seed=seed).text())


@import_.command("devset")
@click.argument("folder", required=False, type=click.Path(file_okay=False, path_type=Path))
@project_option
@user_option
@handle_errors
def import_devset_command(store: Store, folder: Path | None, user: str) -> None:
    """Import the human-coded development set (Bopp et al., games as art) as codings by --as.

    FOLDER holds bopp_test_coded_texts.csv and bopp_test_code_descriptions.csv (default: the copy in
    ../shared/fixtures/coded/bopp-games-as-art). Then: workbench evaluate --reference NAME.
    """
    added, codings = import_devset(store, user, folder)
    click.echo(f"Development set: {added} answers added as sources, {codings} codings by {user}.")
