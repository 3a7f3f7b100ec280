"""`workbench suggest` and `workbench evaluate`: the suggestion engine on a project, and how well it agrees."""
from __future__ import annotations

from typing import TYPE_CHECKING


import click


from workbench.cli.base import Lazy, LazyChoice, handle_errors, progress_bar, project_option, user_option

if TYPE_CHECKING:  # the core is imported inside the commands that use it
    from workbench.store import Store


def _sources(store: Store, refs: tuple[str, ...]) -> list[int] | None:
    if not refs:
        return None
    return [store.find_source(r).id for r in refs]


@click.command("suggest")
@click.option("--code", "codes", multiple=True, metavar="CODE",
              help="Only this code (name, path or id; repeatable). Default: every codable code.")
@click.option("--source", "sources", multiple=True, metavar="SOURCE",
              help="Only this source (name or id; repeatable). Default: every source.")
@click.option("--suggester", type=LazyChoice(Lazy("coding.suggesters", "available_suggesters")), default=Lazy("coding.suggesters", "DEFAULT_SUGGESTER"),
              show_default=True, help="Which suggester proposes the codes.")
@click.option("--min-score", type=click.FloatRange(0, 1), default=Lazy("workbench.assist.suggest", "DEFAULT_MIN_SCORE"), show_default=True,
              help="Keep proposals scoring at least this (the ensemble's score is a calibrated probability).")
@click.option("--skip-speaker", "skip", multiple=True, metavar="NAME",
              help="Make no suggestions for this speaker's turns (repeatable; saved in the project). Default: "
                   "interviewers and facilitators (Interviewer, Facilitator, Moderator, Researcher, Int, Q).")
@click.option("--all-speakers", is_flag=True, help="Suggest codes for every speaker's turns (saved in the project).")
@click.option("--calibrated/--no-calibrated", default=None,
              help="Score with the project's calibration (a combiner fitted on its own codings; used without a "
                   "tuned model, once there are 30 codings in 3 cases) or not; saved in the project. Default: off.")
@click.option("--show", type=int, default=5, show_default=True, help="Print this many of the best new suggestions.")
@project_option
@user_option
@handle_errors
def suggest_command(store: Store, codes: tuple[str, ...], sources: tuple[str, ...], suggester: str,
                    min_score: float, skip: tuple[str, ...], all_speakers: bool, calibrated: bool | None, show: int,
                    user: str) -> None:
    """Propose codes for the project's sentences, with reasons; they wait for a person to accept or reject.

    The engine learns from everyone's codings and from rejected suggestions; a rejected span is never
    proposed again for that code. Pending suggestions in scope are replaced by the new ones.
    """
    from workbench.assist.suggest import CALIBRATION_SETTING, run_suggestions, set_skipped_speakers
    code_ids = [store.find_code(c).id for c in codes] or None
    if calibrated is not None:
        store.set_setting(CALIBRATION_SETTING, "on" if calibrated else "off")
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


@click.command("evaluate")
@click.option("--reference", required=True, metavar="CODER", help="The coder whose codings count as right.")
@click.option("--candidate", default=Lazy("coding.suggesters", "DEFAULT_SUGGESTER"), show_default=True, metavar="CODER|SUGGESTER",
              help="Another coder, or a suggester (one of those `workbench suggest --suggester` offers).")
@click.option("--sizes", default=Lazy("workbench.assist.evaluate", "DEFAULT_SIZES", lambda sizes: ",".join(map(str, sizes))), show_default=True,
              help="Learning curve: codings per code given to the learning suggesters (comma-separated; '' for "
                   "zero-shot only).")
@click.option("--seed", type=int, default=0, show_default=True,
              help="Seed of the train/test split of sources (with --folds: of the folds, the learning curve's "
                   "too; a lead found on one seed is confirmed on others).")
@click.option("--folds", type=click.IntRange(2, 50), default=None,
              help="Cross-validate the suggesters in K folds instead of one 60/40 split; prints mean ± sd.")
@click.option("--by", type=click.Choice(["case", "source"]), default="case", show_default=True,
              help="With --folds: what never sits on both sides of a split (a participant, or a source).")
@click.option("--tune", is_flag=True,
              help="With --folds: also score the ensemble with a model tuned on each fold's training cases, at the "
                   "largest --sizes (slow: one tuning per fold).")
@click.option("--calibrated", is_flag=True,
              help="With --folds: also score the ensemble with the project's calibration (its combiner fitted on "
                   "a held-out fifth of each fold's training cases), at the largest --sizes.")
@click.option("--learning-curve", "learning_curve", is_flag=True,
              help="With --folds: also the learning curve by review decisions: kappa on each fold's test cases "
                   "after 0, 25, 50, 100 and 200 accept/reject decisions (the reference's answers) taken in the "
                   "review queue's learn-fastest order and in random orders (mean of 3), with learn-fastest's "
                   "lead over random fold by fold.")
@click.option("--json", "json_path", type=click.Path(dir_okay=False, writable=True), default=None, metavar="FILE",
              help='With --folds: also write {"rows": [{"suggester", "codings_per_code", "precision", "recall", '
                   '"f1", "kappa", "alpha", "suggested_per_unit", "human_per_unit"}]} (means over folds) to FILE '
                   '(with --learning-curve also "learning_curve": [{"decisions", "learn_fastest_kappa", '
                   '"random_kappa", "lead", "lead_sd", "folds_ahead", ...}]).')
@project_option
@handle_errors
def evaluate_command(store: Store, reference: str, candidate: str, sizes: str, seed: int, folds: int | None,
                     by: str, tune: bool, calibrated: bool, learning_curve: bool, json_path: str | None) -> None:
    """Precision, recall, F1, Cohen's kappa and Krippendorff's alpha per code and overall, per sentence.

    Against a suggester, the reference's sources are split 60/40: suggesters learn only from the
    training sources and are scored on the others. The keyword-only baseline (lexical.v1) is scored
    in the same run; the suggester's per-code kappa and precision (given the most codings) are kept in the
    project and shown beside each code on the Suggestions page. With --folds K: K-fold cross-validation by
    case or source (k = 0 added to --sizes), mean ± sd, codes suggested and given per sentence, and
    calibration bins; --learning-curve adds kappa after N review decisions in learn-fastest against random order.
    """
    from workbench.assist.evaluate import evaluate_project
    try:
        ks = tuple(int(x) for x in sizes.replace(" ", "").split(",") if x)
    except ValueError:
        raise click.BadParameter(f"expected numbers separated by commas, got {sizes!r}", param_hint="--sizes")
    if folds is not None:
        import json

        from workbench.assist.evaluate import cross_validate_project
        result = cross_validate_project(store, reference, folds=folds, by=by, sizes=sorted({0, *ks}), seed=seed,
                                        tune=tune, calibrated=calibrated)
        click.echo(result.text())
        written = result.to_json()
        if learning_curve:
            from workbench.assist.evaluate import decision_curve_project
            curve = decision_curve_project(store, reference, folds=folds, by=by, seed=seed)
            click.echo("\n" + curve.text())
            written["learning_curve"] = curve.summary()
        if json_path:
            try:
                with open(json_path, "w", encoding="utf-8") as f:
                    json.dump(written, f, indent=1)
            except OSError as exc:
                raise click.ClickException(f"cannot write {json_path}: {exc.strerror or exc}") from exc
            click.echo(f"Wrote {json_path}")
        return
    if json_path or tune or calibrated or learning_curve:
        raise click.UsageError("--json, --tune, --calibrated and --learning-curve go with --folds K")
    click.echo(evaluate_project(store, reference, candidate, sizes=ks, seed=seed).text())
