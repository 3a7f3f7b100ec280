"""`workbench train`: tune the suggestion model on this project's codings."""
from __future__ import annotations

from typing import TYPE_CHECKING

import click

from workbench.cli.base import handle_errors, progress_bar, project_option, user_option

if TYPE_CHECKING:  # the core is imported inside the command
    from workbench.store import Store


@click.command("train")
@click.option("--epochs", type=click.IntRange(1, 50), default=4, show_default=True,
              help="Passes over the training passages.")
@click.option("--holdout", type=click.FloatRange(0.05, 0.5), default=0.2, show_default=True,
              help="Share of the coded cases (participants; a source without a case counts as one) held out "
                   "to check the new model.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the held-out slice and the training order.")
@click.option("--reset", is_flag=True, help="Go back to the base model (tuned models stay on disk) and stop.")
@click.option("--background", is_flag=True,
              help="Start the training in a detached process and return at once; the app's Teach panel shows it.")
@click.option("--cancel", is_flag=True, help="Ask the project's running training to stop after its current step.")
@click.option("--status", "show_status", is_flag=True,
              help="Show the project's latest training run (running, finished, cancelled, failed, or stopped: "
                   "why its process ended) and the model in use, and stop.")
@click.option("--job", type=int, default=None, hidden=True,
              help="Run the recorded background run N (how --background and the app start the process).")
@project_option
@user_option
@handle_errors
def train_command(store: Store, epochs: int, holdout: float, seed: int, reset: bool, background: bool, cancel: bool,
                  show_status: bool, job: int | None, user: str) -> None:
    """Teach the assistant: fine-tune the embedding model on the project's codings.

    Codings by people are the positives and rejected suggestions the hard negatives. A slice of the
    coded cases is held out; the new model is kept (and used by `workbench suggest`) only if it agrees
    better with the people there. Models are stored in PROJECT.models/ beside the project file. A run
    that is killed resumes from its last finished epoch when started again on the same codings.
    With --background it runs detached (one training at a time per project); --cancel stops it;
    --status shows it (a run whose process died shows as "stopped: " and the reason).
    """
    from coding.tuning import TuningParams
    from workbench.assist.train import reset_model, train_project
    if reset:
        reset_model(store, user)
        click.echo("Suggestions use the base model again.")
        return
    if show_status:
        from workbench.assist.train_jobs import status_lines, training_status
        for line in status_lines(training_status(store)):
            click.echo(line)
        return
    if job is not None:
        from workbench.assist.train_jobs import run_training_job
        for line in run_training_job(store, job).summary():
            click.echo(line)
        return
    if cancel:
        from workbench.assist.train_jobs import cancel_training
        cancel_training(store, user)
        click.echo("Asked the training to stop after its current step (or during its held-out check); "
                   "the current model stays.")
        return
    if background:
        from workbench.assist.train_jobs import start_training
        started = start_training(store, user, params=TuningParams(epochs=epochs, seed=seed), holdout=holdout, seed=seed)
        click.echo(f"Training run {started.id} started in the background (process {started.pid}).")
        return
    callback, close = progress_bar("Training")
    try:
        run = train_project(store, user, params=TuningParams(epochs=epochs, seed=seed), holdout=holdout, seed=seed,
                            on_progress=lambda done, total, loss: callback(done, total, f"loss {loss:.3f}"))
    finally:
        close()
    for line in run.summary():
        click.echo(line)
