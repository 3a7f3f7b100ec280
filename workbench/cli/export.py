"""`workbench export ...`: the Word evidence report, spreadsheets for analysis and REFI-QDA projects (.qdpx)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from workbench.cli.base import Lazy, handle_errors, project_option, user_option

if TYPE_CHECKING:  # the core is imported inside the commands that use it
    from workbench.store import Store


def _common(fn: Callable[..., Any]) -> Callable[..., Any]:
    """--code, --site, --human-only/--include-accepted and --real-names, shared by every export here."""
    options = [
        click.option("--code", "codes", multiple=True, metavar="CODE",
                     help="Only this code (path, name or id; a category brings its codes). Repeatable."),
        click.option("--site", "sites", multiple=True, metavar="SITE", help="Only this site. Repeatable."),
        click.option("--human-only/--include-accepted", default=False, show_default=True,
                     help="Codings applied by hand only, or also machine suggestions a coder accepted "
                          "(marked as machine-suggested, one by one or in bulk)."),
        click.option("--real-names", is_flag=True,
                     help="Show participants' real names (default: case IDs and pseudonyms)."),
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn


def _out(suffixes: tuple[str, ...]) -> Callable[..., Any]:
    return click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path),
                        help=f"The file to write ({' or '.join(suffixes)}); replaced if it exists.")


def _check_suffix(out: Path, suffixes: tuple[str, ...]) -> None:
    if out.suffix.lower() not in suffixes:
        raise click.BadParameter(f"{out.name}: the file name must end in {' or '.join(suffixes)}",
                                 param_hint="--out")


@click.group("export")
def export_group() -> None:
    """Write the project to files that other tools read."""


@export_group.command("report")
@_out((".docx",))
@click.option("--theme", "themes", multiple=True, metavar="THEME",
              help="Only this theme; while the project has no themes, the report is organised by the codebook's "
                   "top-level categories and THEME names one of them. Repeatable.")
@_common
@click.option("--max-quotes", type=click.IntRange(min=0), default=Lazy("workbench.export.report", "DEFAULT_MAX_QUOTES"), show_default=True,
              help="Quotes per code, chosen to cover sites and participants (0: all).")
@click.option("--memos", is_flag=True,
              help="Include memos: a Memos section (project, document and case memos; names pseudonymised like "
                   "quotes) and code and coding memos beside their codes and quotes.")
@click.option("--title", help="Title on the cover (default: the project's name).")
@project_option
@handle_errors
def export_report_command(store: Store, out: Path, themes: tuple[str, ...], codes: tuple[str, ...],
                          sites: tuple[str, ...], human_only: bool, real_names: bool, max_quotes: int, memos: bool,
                          title: str | None) -> None:
    """Write a Word evidence report: method, codes across sites, and quotes per theme and code."""
    from workbench.export.report import ReportOptions, build_report
    from workbench.export.report.data import ALL_ORIGINS, HUMAN_ORIGINS
    _check_suffix(out, (".docx",))
    options = ReportOptions(title=title, themes=list(themes), codes=list(codes), sites=list(sites),
                            max_quotes_per_code=max_quotes or None,
                            origins=HUMAN_ORIGINS if human_only else ALL_ORIGINS,
                            pseudonymise=not real_names, include_memos=memos)
    summary = build_report(store, out, options)
    groups = {("category", True): "category", ("category", False): "categories", ("theme", True): "theme",
              ("theme", False): "themes"}[summary.grouping, len(summary.themes) == 1]
    click.echo(f"Wrote {summary.path}: {len(summary.themes)} {groups}, {summary.codes} codes, {summary.quotes} quotes "
               f"(from {summary.passages} coded passages), sites: {', '.join(summary.sites) or 'none recorded'}.")
    if summary.machine_quotes:
        click.echo(f"{summary.machine_quotes} of the {summary.quotes} quotes "
                   f"{'comes' if summary.machine_quotes == 1 else 'come'} from accepted suggestions"
                   + (f" ({summary.bulk_quotes} accepted in bulk)" if summary.bulk_quotes else "")
                   + "; each is marked as machine-suggested.")
    click.echo("Participants are shown by real name." if real_names else
               "Participants are pseudonymised (case IDs and pseudonyms).")
    if summary.unreviewed_names:
        click.echo(f"Warning: {summary.quotes_with_unreviewed_names} quotes contain possible names that nobody has "
                   f"reviewed ({', '.join(summary.unreviewed_names)}); the report says so. Review them with "
                   "`workbench roster propose`.", err=True)


@export_group.command("quotes")
@_out((".xlsx", ".csv"))
@_common
@click.option("--coder", "coders", multiple=True, metavar="NAME", help="Only this coder's codings. Repeatable.")
@project_option
@handle_errors
def export_quotes_command(store: Store, out: Path, codes: tuple[str, ...], sites: tuple[str, ...], human_only: bool,
                          real_names: bool, coders: tuple[str, ...]) -> None:
    """Write every coding as a spreadsheet row: quote, code, source, position, attribution, attributes.

    CSV files are UTF-8 with a byte-order mark, so Excel shows accents and emoji correctly.
    """
    from workbench.export.report.data import ALL_ORIGINS, HUMAN_ORIGINS
    from workbench.export.spreadsheets import write_quotes
    _check_suffix(out, (".xlsx", ".csv"))
    summary = write_quotes(store, out, codes=list(codes), sites=list(sites), coders=list(coders) or None,
                           origins=HUMAN_ORIGINS if human_only else ALL_ORIGINS, pseudonymise=not real_names)
    click.echo(f"Wrote {summary.path}: {summary.rows} codings, {summary.columns} columns.")


@export_group.command("matrix")
@_out((".csv", ".xlsx"))
@_common
@project_option
@handle_errors
def export_matrix_command(store: Store, out: Path, codes: tuple[str, ...], sites: tuple[str, ...], human_only: bool,
                          real_names: bool) -> None:
    """Write the code × case presence matrix (1: the case has the code) with case attributes, for statistics."""
    from workbench.export.report.data import ALL_ORIGINS, HUMAN_ORIGINS
    from workbench.export.spreadsheets import write_matrix
    _check_suffix(out, (".csv", ".xlsx"))
    summary = write_matrix(store, out, codes=list(codes), sites=list(sites),
                           origins=HUMAN_ORIGINS if human_only else ALL_ORIGINS, pseudonymise=not real_names)
    click.echo(f"Wrote {summary.path}: {summary.rows} cases × {summary.columns} columns.")
    if summary.skipped:
        click.echo(f"{summary.skipped} codings belong to no case (field notes, sources without a participant) "
                   "and are not in the matrix.")


@export_group.command("qdpx")
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The .qdpx file to write (replaced if it exists).")
@click.option("--for", "for_tool", type=click.Choice(["nvivo-win", "nvivo-mac", "atlasti", "maxqda", "qualcoder"]),
              help="The tool that will import the file: positions and line endings are written the way it "
                   "counts them (default: the REFI-QDA standard, code points and LF).")
@click.option("--crlf/--lf", default=None,
              help="Expert override: CR+LF line endings with positions counting them as two, or LF.")
@click.option("--utf16/--code-points", default=None,
              help="Expert override: positions in UTF-16 code units (an emoji counts two), or code points.")
@click.option("--pseudonymise", is_flag=True,
              help="Replace the names on the project's roster (see `workbench roster`) in texts, memos, "
                   "attributes and names; codings follow their words.")
@project_option
@user_option
@handle_errors
def export_qdpx_command(store: Store, out: Path, for_tool: str | None, crlf: bool | None, utf16: bool | None,
                        pseudonymise: bool, user: str) -> None:
    """Export sources, codebook, codings, cases, attributes, sets, memos and the thematic map (a Graph) as a
    REFI-QDA project (.qdpx).

    NVivo, ATLAS.ti, MAXQDA and QualCoder import the file. Name the tool with --for and every
    coding lands on the same words there: NVivo (Windows and Mac) counts UTF-16 code units and
    CR+LF as two; ATLAS.ti, MAXQDA and QualCoder read LF text in code points. GUIDs of imported
    sources, codes, selections, codings and users are kept, so the tool recognises its own project.
    A source with a recording goes out as an AudioSource/VideoSource with its transcript and the file.
    """
    from workbench.export.refi import export_qdpx
    from workbench.export.refi.targets import target_for
    from workbench.sources.pseudonyms import project_roster

    roster = project_roster(store) if pseudonymise else None
    if pseudonymise and not roster:
        raise click.UsageError("the project's roster is empty: add names with `workbench roster propose --save` "
                               "or `workbench roster import` first")
    path = export_qdpx(store, out, for_tool=for_tool, crlf=crlf, utf16=utf16, pseudonymise=roster, actor=user)
    target = target_for(for_tool, crlf=crlf, utf16=utf16)
    counts = store.counts()
    named = " (names pseudonymised)" if roster else ""
    click.echo(f"Wrote {path}{named}: {counts['sources']} sources, {counts['codes']} codes, "
               f"{counts['codings']} codings, {len(store.coders())} coders, {counts['memos']} memos, "
               f"{counts['cases']} cases.")
    click.echo(f"Written for {target.tool}: positions in {target.describe()}.")
