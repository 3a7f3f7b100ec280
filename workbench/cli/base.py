"""What every command shares: error handling, --project, --as and progress bars (imports only click)."""
from __future__ import annotations

import functools
import getpass
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from workbench.errors import WorkbenchError


def _default_user() -> str:
    return os.environ.get("WORKBENCH_USER") or getpass.getuser()


def _user_errors() -> tuple[type[Exception], ...]:
    from coding.agreement import AgreementError
    from coding.codebook import InvalidCodebook
    from ingest.errors import IngestError

    return (WorkbenchError, IngestError, InvalidCodebook, AgreementError)


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
        from workbench.store import Store

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


class Lazy:
    """A value defined in a heavier module of the core, imported only when a command (or its --help) needs it.

    As an option's ``default`` click calls it; as text (``show_default``) it shows the value itself.
    """

    def __init__(self, module: str, name: str, convert: Callable[[Any], Any] | None = None) -> None:
        self.module, self.name, self.convert = module, name, convert

    def __call__(self) -> Any:
        import importlib

        value = getattr(importlib.import_module(self.module), self.name)
        value = value() if callable(value) else value
        return self.convert(value) if self.convert else value

    def __str__(self) -> str:
        return str(self())


class LazyChoice(click.Choice):
    """``click.Choice`` whose choices come from a `Lazy` value (a core constant or registry)."""

    def __init__(self, values: Lazy, case_sensitive: bool = True) -> None:
        self._values = values
        self.case_sensitive = case_sensitive

    @property
    def choices(self) -> tuple[str, ...]:  # type: ignore[override]
        return tuple(self._values())
