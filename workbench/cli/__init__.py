"""The `workbench` command: a thin shell over the core API (parse, call one function, print).

One module per command group; this file only builds the root group from them. Command modules
import click and `workbench.cli.base` at the top and the core (store, spaCy, torch, pandas, docx)
inside the commands that use it, so `workbench --help` starts in a fraction of a second.
May import: every layer below (sources, assist, analysis, export, store, model, coding, ingest);
never `workbench.ui` or streamlit.
"""
from __future__ import annotations

import click

from workbench.cli import (analysis, app, codebook, export, history, imports, memo, project, review, roster, safety,
                           suggest, team, theme, train)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="resilience-workbench")
def cli() -> None:
    """Resilience Workbench: code, compare and report qualitative evidence, locally."""


for command in (
    project.init, project.info, project.ingest, project.sources, project.search, project.edit, project.demo,
    codebook.codebook, memo.memo,
    suggest.suggest_command, review.review, suggest.evaluate_command, train.train_command,
    analysis.compare_command, analysis.cooccur_command, analysis.query_command, analysis.reliability_command,
    analysis.framework_command, theme.theme_group,
    export.export_group, imports.import_group,
    history.undo, history.redo,
    roster.roster, roster.pseudonymise,
    safety.check, safety.backup,
    app.app,
    team.serve, team.users, team.members, team.audit,
):
    cli.add_command(command)


def main() -> None:
    """Entry point of the `workbench` console script."""
    cli()
