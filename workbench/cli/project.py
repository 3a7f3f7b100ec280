"""Project, ingest, sources and search commands."""
from __future__ import annotations

from typing import TYPE_CHECKING

from pathlib import Path

import click


from workbench.cli.base import handle_errors, progress_bar, project_option, user_option
from workbench.sources import DEFAULT_DEMO_PATH

if TYPE_CHECKING:  # the core is imported inside the commands that use it
    from workbench.store import Store


def _pairs(values: tuple[str, ...], option: str) -> dict[str, str]:
    result = {}
    for value in values:
        if "=" not in value:
            raise click.BadParameter(f"expected KEY=VALUE, got {value!r}", param_hint=option)
        key, _, val = value.partition("=")
        result[key.strip().lower()] = val.strip()
    return result


def print_summary(store: Store) -> None:
    """Print what the project holds."""
    counts = store.counts()
    click.echo(f"Project: {store.setting('name', store.path.stem)}  ({store.path})")
    click.echo("  " + ", ".join(f"{n:,} {k}" for k, n in counts.items()))
    by_kind: dict[str, int] = {}
    for source in store.list_sources():
        by_kind[source.kind] = by_kind.get(source.kind, 0) + 1
    if by_kind:
        click.echo("  sources by kind: " + ", ".join(f"{k} {n}" for k, n in sorted(by_kind.items())))
    coders = store.coders()
    if coders:
        click.echo("  coders: " + ", ".join(coders))


@click.command()
@click.argument("project", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--name", help="A name for the project (defaults to the file name).")
@handle_errors
def init(project: Path, name: str | None) -> None:
    """Create a new, empty project file PROJECT."""
    from workbench.store import Store
    existed = project.exists()
    store = Store.create(project, name=name or project.stem)
    click.echo(f"{'Opened existing' if existed else 'Created'} project {store.path}")


@click.command()
@project_option
@handle_errors
def info(store: Store) -> None:
    """Summarise what the project holds."""
    print_summary(store)


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--attributes", "attributes_csv", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="CSV of attributes: first column the file name, then site, participant, role, wave, ...")
@click.option("--kind", type=click.Choice(["interview", "diary", "journal", "fieldnote", "survey", "social",
                                           "document"]), help="Treat every file as this kind of source.")
@project_option
@user_option
@handle_errors
def ingest(store: Store, paths: tuple[Path, ...], attributes_csv: Path | None, kind: str | None,
           user: str) -> None:
    """Import files and folders (TXT, DOCX, PDF, VTT, SRT, MD, CSV, XLSX, JSON).

    CSV files in the folders whose first column is `file` are read as attribute sidecars.
    A file that cannot be read is reported and skipped; the others are imported.
    """
    from workbench.sources import importer
    callback, close = progress_bar("Importing")
    try:
        report = importer.ingest_paths(store, paths, actor=user, kind=kind, attributes_csv=attributes_csv,
                                       on_progress=callback)
    finally:
        close()
    click.echo(f"Imported {len(report.added)} sources ({report.segments:,} segments, "
               f"{report.sentences:,} sentences).")
    if report.sidecars:
        click.echo(f"Attributes from: {', '.join(Path(p).name for p in report.sidecars)}")
    if report.unchanged:
        click.echo(f"Already in the project, left as they are: {len(report.unchanged)}")
    for skipped in report.skipped:
        click.echo(f"Skipped {skipped.path}: {skipped.reason}", err=True)


@click.group(invoke_without_command=True)
@click.option("--kind", help="Only sources of this kind.")
@click.option("--where", multiple=True, metavar="KEY=VALUE", help="Only sources with this attribute (repeatable).")
@click.option("--project", "project_path", envvar="WORKBENCH_PROJECT", type=click.Path(dir_okay=False, path_type=Path),
              help="The project file (or set WORKBENCH_PROJECT).")
@click.pass_context
def sources(ctx: click.Context, kind: str | None, where: tuple[str, ...], project_path: Path | None) -> None:
    """List the project's sources with their attributes and recordings (or attach a recording)."""
    if ctx.invoked_subcommand is not None:
        return
    if project_path is None:
        raise click.UsageError("Missing option '--project' (or set WORKBENCH_PROJECT).")
    _list_sources(project_path=project_path, kind=kind, where=where)


@project_option
@handle_errors
def _list_sources(store: Store, kind: str | None, where: tuple[str, ...]) -> None:
    rows = store.list_sources(kind=kind, where=_pairs(where, "--where"))
    recordings = {r.source_id: r for r in store.recordings()}
    for s in rows:
        attrs = ", ".join(f"{k}={v}" for k, v in s.attributes.items())
        heard = f"  recording {recordings[s.id].original_name}" if s.id in recordings else ""
        click.echo(f"{s.id:>5}  {s.name:<40} {s.kind:<10} {s.words:>7,} words {s.segments:>5} segments "
                   f"{s.codings:>4} codings  {attrs}{heard}")
    click.echo(f"{len(rows)} sources")


@sources.command("attach")
@click.argument("source")
@click.argument("recording", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@project_option
@user_option
@handle_errors
def attach(store: Store, source: str, recording: Path, user: str) -> None:
    """Attach a recording (WAV, MP3, M4A, OGG, MP4, WebM) to SOURCE (its id or name).

    The file is checked and copied into PROJECT.media/ beside the project, never altered; its SHA-256 is
    recorded. The Code page then plays it, from any turn's time. A file given again replaces the record,
    not the earlier copy.
    """
    from workbench.sources.media import attach_recording

    found = store.find_source(source)
    done = attach_recording(store, found.id, recording, user)
    click.echo(f"Attached {done.original_name} ({done.kind}, {done.format.upper()}, {done.size:,} bytes) "
               f"to {found.name}: {store.media_dir / done.file}")


@click.command()
@click.argument("query")
@click.option("--site", help="Only this site.")
@click.option("--speaker", help="Only turns by this speaker.")
@click.option("--kind", help="Only sources of this kind.")
@click.option("--code", help="Only segments coded with this code.")
@click.option("--where", multiple=True, metavar="KEY=VALUE", help="Any attribute filter (repeatable).")
@click.option("--limit", default=50, show_default=True, help="At most this many hits.")
@project_option
@handle_errors
def search(store: Store, query: str, site: str | None, speaker: str | None, kind: str | None, code: str | None,
           where: tuple[str, ...], limit: int) -> None:
    """Full-text search, shown as keyword-in-context lines.

    Words are matched by stem (volunteer finds volunteering); "quoted phrases", OR, NOT and word* work too.
    """
    from workbench.analysis import search as search_mod
    attributes = _pairs(where, "--where")
    if site:
        attributes["site"] = site
    lines = search_mod.search(store, query, attributes=attributes, speaker=speaker, kind=kind, code=code,
                              limit=limit)
    for line in lines:
        who = f"{line.hit.speaker or line.hit.case_name}: " if line.hit.speaker or line.hit.case_name else ""
        click.echo(f"{line.hit.source_name[:28]:<28} {who[:18]:>18}…{line.before[-50:]:>50} "
                   f"[{line.match}] {line.after[:50]}")
    click.echo(f"{len(lines)} hits")


@click.command()
@click.argument("path", required=False, type=click.Path(dir_okay=False, path_type=Path),
                default=DEFAULT_DEMO_PATH)
@click.option("--rebuild", is_flag=True, help="Delete and rebuild the demo project if it exists.")
@handle_errors
def demo(path: Path, rebuild: bool) -> None:
    """Build the bundled demo project (three sites, interviews, diaries, survey, posts, two coders)."""
    from workbench.sources.demo import build_demo

    callback, close = progress_bar("Building demo")
    try:
        store = build_demo(path, rebuild=rebuild, on_progress=callback)
    finally:
        close()
    print_summary(store)


@click.command()
@click.argument("source")
@click.argument("text_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@project_option
@user_option
@handle_errors
def edit(store: Store, source: str, text_file: Path, user: str) -> None:
    """Replace SOURCE's text with TEXT_FILE's (a corrected transcript); codings follow their words."""
    from workbench.sources.editing import edit_source_text

    target = store.find_source(source)
    report = edit_source_text(store, target.id, text_file.read_text(encoding="utf-8"), user)
    click.echo(f"{target.name}: {report.kept} codings unchanged, {len(report.moved)} adjusted, "
               f"{len(report.lost)} lost, {len(report.merged)} merged into duplicates.")
    for lost in report.lost:
        click.echo(f"  lost (words deleted): coding {lost.coding_id} by {lost.coder}: {lost.old_text[:70]!r}")
