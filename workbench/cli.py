"""The `workbench` command: a thin shell over the core API (parse, call one function, print)."""
from __future__ import annotations

import functools
import getpass
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from ingest import IngestError

from .errors import WorkbenchError
from .store import Store

DEFAULT_DEMO_PATH = Path("demo-project") / "stronger-together.wbproj"


def _default_user() -> str:
    return os.environ.get("WORKBENCH_USER") or getpass.getuser()


def _user_errors() -> tuple[type[Exception], ...]:
    from coding.codebook import InvalidCodebook

    return (WorkbenchError, IngestError, InvalidCodebook)


def handle_errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Turn the core's named errors into a clean message and exit status 1."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except _user_errors() as exc:
            raise click.ClickException(str(exc)) from exc

    return wrapper


def project_option(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Add ``--project PATH`` (or $WORKBENCH_PROJECT) and pass an open Store as ``store``."""

    @click.option("--project", "project_path", envvar="WORKBENCH_PROJECT", required=True,
                  type=click.Path(dir_okay=False, path_type=Path),
                  help="The project file (or set WORKBENCH_PROJECT).")
    @functools.wraps(fn)
    def wrapper(*args: Any, project_path: Path, **kwargs: Any) -> Any:
        try:
            store = Store.open(project_path)
        except WorkbenchError as exc:
            raise click.ClickException(str(exc)) from exc
        return fn(*args, store=store, **kwargs)

    return wrapper


def user_option(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Add ``--as NAME``: who is doing this (goes on codings and the events log)."""
    return click.option("--as", "user", default=_default_user, show_default="$WORKBENCH_USER or login name",
                        help="Your name as a coder.")(fn)


def progress_bar(label: str) -> tuple[Callable[[int, int, str], None], Callable[[], None]]:
    """A click progress bar driven by (done, total, item) callbacks; returns (callback, close)."""
    state: dict[str, Any] = {}

    def callback(done: int, total: int, item: str) -> None:
        if "bar" not in state:
            state["bar"] = click.progressbar(length=max(total, 1), label=label, file=sys.stderr,
                                             item_show_func=lambda _: state.get("item", ""))
            state["bar"].__enter__()
            state["done"] = 0
        state["item"] = item[:40]
        state["bar"].update(done - state["done"])
        state["done"] = done

    def close() -> None:
        if "bar" in state:
            state["bar"].__exit__(None, None, None)

    return callback, close


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="resilience-workbench")
def cli() -> None:
    """Resilience Workbench: code, compare and report qualitative evidence, locally."""


@cli.group("export")
def export() -> None:
    """Write the project to files that other tools read."""


@cli.group("import")
def import_() -> None:
    """Bring in work done in other tools."""


def main() -> None:
    """Entry point of the `workbench` console script."""
    cli()


# Commands live in their own modules and register themselves on `cli`.
from . import cli_analysis, cli_app, cli_codebook, cli_commands, cli_exchange, cli_history, cli_report, cli_safety, cli_suggest  # noqa: E402,F401,I001
