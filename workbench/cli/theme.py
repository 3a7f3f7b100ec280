"""`workbench theme ...`: themes built from codes or from candidate clusters of coded passages."""
from __future__ import annotations

from typing import TYPE_CHECKING

import click

from workbench.cli.base import Lazy, LazyChoice, handle_errors, project_option, user_option

if TYPE_CHECKING:  # the core is imported inside the commands that use it
    from workbench.store import Store


@click.group("theme")
def theme_group() -> None:
    """Themes: build them from codes, or from candidate clusters of coded passages."""


@theme_group.command("add")
@click.argument("name")
@click.option("--description", default="", help="What the theme is about.")
@click.option("--code", "codes", multiple=True, help="A code the theme draws on (repeatable; name or path).")
@click.option("--parent", help="Make it a sub-theme of this theme (name or id).")
@click.option("--status", type=LazyChoice(Lazy("workbench.store.themes", "THEME_STATUSES")), default="candidate",
              show_default=True, help="Where the theme stands: candidate → reviewed → final.")
@project_option
@user_option
@handle_errors
def theme_add(store: Store, name: str, description: str, codes: tuple[str, ...], parent: str | None, status: str,
              user: str) -> None:
    """Create a theme NAME from codes."""
    theme_id = store.add_theme(name, user, description=description, code_ids=[store.find_code(c).id for c in codes],
                               status=status, parent_id=store.find_theme(parent).id if parent else None)
    click.echo(f"Theme {theme_id}: {name}")


@theme_group.command("status")
@click.argument("theme")
@click.argument("status", type=LazyChoice(Lazy("workbench.store.themes", "THEME_STATUSES")))
@project_option
@user_option
@handle_errors
def theme_status(store: Store, theme: str, status: str, user: str) -> None:
    """Set the status of THEME (candidate → reviewed → final, or discarded)."""
    changed = store.update_theme(store.find_theme(theme).id, user, status=status)
    click.echo(f"Theme {changed.id}: {changed.name} is {changed.status}")


@theme_group.command("move")
@click.argument("theme")
@click.option("--parent", help="The theme it becomes a sub-theme of (name or id).")
@click.option("--top", is_flag=True, help="Make it a top-level theme again.")
@project_option
@user_option
@handle_errors
def theme_move(store: Store, theme: str, parent: str | None, top: bool, user: str) -> None:
    """Make THEME a sub-theme of --parent, or a top-level theme with --top."""
    if bool(parent) == top:
        raise click.UsageError("give either --parent THEME or --top")
    changed = store.update_theme(store.find_theme(theme).id, user,
                                 parent_id=None if top else store.find_theme(parent).id)
    click.echo(f"Theme {changed.id}: {changed.name} is " +
               (f"under {store.get_theme(changed.parent_id).name}" if changed.parent_id else "a top-level theme"))


@theme_group.command("narrative")
@click.argument("theme")
@click.option("--file", "file", type=click.Path(exists=True, dir_okay=False, allow_dash=True),
              help="Replace the narrative with this Markdown file (UTF-8; - reads standard input).")
@project_option
@user_option
@handle_errors
def theme_narrative(store: Store, theme: str, file: str | None, user: str) -> None:
    """Print the narrative of THEME, or replace it from --file. Cite passages as [[q:UID]] (see `theme cite`)."""
    found = store.find_theme(theme)
    if file is None:
        click.echo(found.narrative or f"(theme {found.name!r} has no narrative yet)")
        return
    try:
        with click.open_file(file, encoding="utf-8") as handle:
            text = handle.read()
    except UnicodeDecodeError as exc:
        raise click.ClickException(f"{file}: not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    store.update_theme(found.id, user, narrative=text)
    cited = text.count("[[q:")
    click.echo(f"Narrative of {found.name!r} saved ({len(text.split())} words, {cited} citations)")


@theme_group.command("cite")
@click.argument("coding_ids", type=int, nargs=-1, required=True)
@project_option
@handle_errors
def theme_cite(store: Store, coding_ids: tuple[int, ...]) -> None:
    """Print the citation token of each coding (by id) with its words, to paste into a narrative."""
    from workbench.store.themes import citation

    for coding_id in coding_ids:
        coding = store.get_coding(coding_id)
        words = " ".join(store.get_source(coding.source_id).text[coding.start:coding.end].split())
        click.echo(f"{citation(coding.uid)}  {words[:100]}")


@theme_group.command("list")
@project_option
@handle_errors
def theme_list(store: Store) -> None:
    """List the themes with their codes and evidence."""
    from workbench.analysis import themes as themes_mod

    summaries = themes_mod.theme_overview(store)
    for s in summaries:
        name = ("  " if s.theme.parent_id else "") + s.theme.name
        click.echo(f"{s.theme.id:>4}  {name:<36} {s.theme.status:<10} {s.codings:>5} codings "
                   f"{s.sources:>4} sources  codes: {', '.join(s.code_names) or '-'}")
    click.echo(f"{len(summaries)} themes")


@theme_group.command("codes")
@click.argument("theme")
@click.option("--add", "to_add", multiple=True, help="Link this code (repeatable).")
@click.option("--remove", "to_remove", multiple=True, help="Unlink this code (repeatable).")
@project_option
@user_option
@handle_errors
def theme_codes(store: Store, theme: str, to_add: tuple[str, ...], to_remove: tuple[str, ...], user: str) -> None:
    """Show, add or remove the codes of THEME (its name or id)."""
    found = store.find_theme(theme)
    if to_add:
        store.add_theme_codes(found.id, [store.find_code(c).id for c in to_add], user)
    if to_remove:
        store.remove_theme_codes(found.id, [store.find_code(c).id for c in to_remove], user)
    for code_id in store.get_theme(found.id).code_ids:
        click.echo(f"  {store.code_path(code_id)}")


@theme_group.command("candidates")
@click.option("--run", "run_now", is_flag=True, help="Cluster the coded passages now (replaces open candidates).")
@click.option("--coder", "coders", multiple=True, help="Only this coder's codings (repeatable).")
@click.option("--text", type=LazyChoice(Lazy("workbench.analysis.themes", "TEXT_SOURCES")), default="quote", show_default=True,
              help="Embed each coded quote, or the sentence it starts in.")
@project_option
@user_option
@handle_errors
def theme_candidates(store: Store, run_now: bool, coders: tuple[str, ...], text: str, user: str) -> None:
    """List candidate themes (clusters of coded passages that read alike), or propose new ones with --run.

    Each has a stability: how well it reappears when the clustering is re-run on random 80% samples of the
    passages (mean Jaccard overlap; around 0.85 and above it is stable, below 0.6 likely noise)."""
    from workbench.analysis import themes as themes_mod

    if run_now:
        run = themes_mod.find_candidates(store, user, coders=list(coders) or None, text=text)
        click.echo(f"{run.passages} passages in {run.k} clusters (silhouette {run.silhouette:.3f})")
        for label in run.skipped:
            click.echo(f"  not proposed again (discarded or promoted before): {label}")
    names = {c.id: c.name for c in store.codes()}
    open_ones = store.candidate_themes("open")
    for c in open_ones:
        stable = f"stability {c.stability:.2f}  " if c.stability is not None else ""
        click.echo(f"{c.id:>4}  {c.label:<36} {len(c.coding_ids):>4} codings  {stable}terms: {', '.join(c.terms)}  "
                   f"codes: {', '.join(names.get(i, '?') for i in c.code_ids)}")
    click.echo(f"{len(open_ones)} open candidates" + ("" if open_ones or run_now else " (propose some with --run)"))


@theme_group.command("promote")
@click.argument("candidate_id", type=int)
@click.option("--name", help="Name of the new theme (default: the candidate's label).")
@project_option
@user_option
@handle_errors
def theme_promote(store: Store, candidate_id: int, name: str | None, user: str) -> None:
    """Make candidate CANDIDATE_ID a theme with its codes."""
    from workbench.analysis import themes as themes_mod

    theme_id = themes_mod.promote_candidate(store, candidate_id, user, name)
    click.echo(f"Theme {theme_id}: {store.get_theme(theme_id).name}")


@theme_group.command("merge")
@click.argument("candidate_ids", type=int, nargs=-1, required=True)
@project_option
@user_option
@handle_errors
def theme_merge(store: Store, candidate_ids: tuple[int, ...], user: str) -> None:
    """Merge two or more open candidates CANDIDATE_IDS into one (undo separates them again)."""
    from workbench.analysis import themes as themes_mod

    merged = store.get_candidate(themes_mod.merge_candidates(store, candidate_ids, user))
    click.echo(f"Candidate {merged.id}: {merged.label} ({len(merged.coding_ids)} codings)")


@theme_group.command("split")
@click.argument("candidate_id", type=int)
@project_option
@user_option
@handle_errors
def theme_split(store: Store, candidate_id: int, user: str) -> None:
    """Split open candidate CANDIDATE_ID in two by clustering its own passages (undo joins them again)."""
    from workbench.analysis import themes as themes_mod

    for new_id in themes_mod.split_candidate(store, candidate_id, user):
        part = store.get_candidate(new_id)
        click.echo(f"Candidate {part.id}: {part.label} ({len(part.coding_ids)} codings)")


@theme_group.command("discard")
@click.argument("candidate_id", type=int)
@project_option
@user_option
@handle_errors
def theme_discard(store: Store, candidate_id: int, user: str) -> None:
    """Discard candidate CANDIDATE_ID (a similar cluster is not proposed again)."""
    from workbench.analysis import themes as themes_mod

    themes_mod.discard_candidate(store, candidate_id, user)
    click.echo(f"Discarded candidate {candidate_id}")


@theme_group.command("map")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False),
              help="Where to write the map: .svg or .png (drawn by Graphviz's dot) or .dot (its source).")
@click.option("--sites", is_flag=True, help="Also link each code to the sites its passages come from.")
@project_option
@handle_errors
def theme_map(store: Store, out: str, sites: bool) -> None:
    """Draw the thematic map: themes, sub-themes and codes (and sites), edges weighted by coded passages."""
    from workbench.analysis.thememap import thematic_map, to_dot
    from workbench.export.thememap import write_map

    themap = thematic_map(store, sites=sites)
    if not themap.nodes:
        raise click.ClickException("no themes to map yet: create some with `workbench theme add`")
    path = write_map(to_dot(themap, title=store.setting("name") or "Thematic map"), out)
    themes = sum(1 for n in themap.nodes if n.kind == "theme")
    codes = sum(1 for n in themap.nodes if n.kind == "code")
    click.echo(f"Wrote {path}: {themes} themes, {codes} codes, {len(themap.edges)} links")
