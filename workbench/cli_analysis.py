"""Analysis commands: compare, cooccur, query, reliability, theme, framework."""
from __future__ import annotations

from pathlib import Path

import click
import pandas as pd

from . import compare as compare_mod, cooccurrence as cooc_mod, framework as framework_mod, icr, query as query_mod
from . import themes as themes_mod
from .cli import cli, handle_errors, project_option, user_option
from .quotes import attribution
from .store import Store

WHERE_HELP = "Only codings whose (effective) attribute has this value, e.g. site=Seacombe (repeatable)."


def _where(values: tuple[str, ...]) -> dict[str, str]:
    result = {}
    for value in values:
        key, sep, val = value.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"expected KEY=VALUE, got {value!r}", param_hint="--where")
        result[key.strip().lower()] = val.strip()
    return result


def _excerpt(text: str, width: int = 110) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def _write(frame: pd.DataFrame, out: Path) -> None:
    if out.suffix.lower() == ".xlsx":
        frame.to_excel(out, engine="openpyxl")
    elif out.suffix.lower() == ".csv":
        frame.to_csv(out)
    else:
        raise click.BadParameter("write .csv or .xlsx", param_hint="--out")
    click.echo(f"Written to {out}")


def _format_matrix(matrix: compare_mod.Matrix) -> pd.DataFrame:
    """The matrix with indented row labels and values formatted for the measure."""
    if matrix.measure == "participants":
        cell = lambda v: "" if pd.isna(v) else f"{100 * v:.0f}%"  # noqa: E731
    elif matrix.measure == "per_1000_words":
        cell = lambda v: "" if pd.isna(v) else f"{v:.2f}"  # noqa: E731
    else:
        cell = lambda v: f"{v:.0f}"  # noqa: E731
    labels = [("  " * d + name)[:48] for d, name in zip(matrix.row_depths, matrix.row_labels)]
    shown = pd.DataFrame([[cell(v) for v in row] for row in matrix.values], columns=matrix.columns)
    shown.index = pd.Index(labels, name=matrix.row_kind)
    return shown


@cli.command("compare")
@click.option("--by", default="site", show_default=True,
              help="Attribute for the columns: site, role, wave, method, ... or kind, coder, speaker, case.")
@click.option("--measure", type=click.Choice(compare_mod.MEASURES), default="codings", show_default=True,
              help="codings, sources with the code, share of participants, or codings per 1,000 words.")
@click.option("--themes", is_flag=True, help="Rows are themes instead of codes.")
@click.option("--coder", "coders", multiple=True, help="Only this coder's codings (repeatable).")
@click.option("--origin", "origins", multiple=True, type=click.Choice(["manual", "suggestion", "import"]),
              help="Only codings of this origin (repeatable).")
@click.option("--where", multiple=True, metavar="KEY=VALUE", help=WHERE_HELP)
@click.option("--no-rollup", is_flag=True, help="Category rows count only codings applied to them directly.")
@click.option("--differences", "n_differences", type=int, default=10, show_default=True,
              help="List this many cells that differ most from their row's overall spread.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Also write the matrix (.csv or .xlsx).")
@project_option
@handle_errors
def compare_command(store: Store, by: str, measure: str, themes: bool, coders: tuple[str, ...],
                    origins: tuple[str, ...], where: tuple[str, ...], no_rollup: bool, n_differences: int,
                    out: Path | None) -> None:
    """Compare codes (or themes) across the values of an attribute, e.g. across sites."""
    matrix = compare_mod.compare(store, by, measure, themes=themes, coders=list(coders) or None,
                                 origins=list(origins) or None, rollup=not no_rollup, where=_where(where))
    click.echo(f"{compare_mod.MEASURE_LABELS[measure]}, by {by}")
    click.echo(_format_matrix(matrix).to_string())
    for d in matrix.differences(limit=n_differences):
        click.echo(f"  {'more' if d.residual > 0 else 'less'} than expected: {d.row_label} in {d.column} "
                   f"(residual {d.residual:+.1f})")
    if out:
        _write(matrix.to_frame(), out)


@cli.command("cooccur")
@click.option("--same-segment", is_flag=True,
              help="Count segments (turns, answers, entries) holding both codes, not overlapping codings.")
@click.option("--coder", "coders", multiple=True, help="Only this coder's codings (repeatable).")
@click.option("--same-coder", is_flag=True, help="Only pairs of codings by the same coder.")
@click.option("--where", multiple=True, metavar="KEY=VALUE", help=WHERE_HELP)
@click.option("--top", type=int, default=20, show_default=True, help="Show this many pairs.")
@click.option("--examples", type=int, default=0, show_default=True, help="Quote this many examples of the top pair.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write the code x code table.")
@project_option
@handle_errors
def cooccur_command(store: Store, same_segment: bool, coders: tuple[str, ...], same_coder: bool,
                    where: tuple[str, ...], top: int, examples: int, out: Path | None) -> None:
    """Which codes occur together: on overlapping words, or in the same segment."""
    table = cooc_mod.cooccurrence(store, "segment" if same_segment else "overlap", coders=list(coders) or None,
                                  where=_where(where), same_coder=same_coder)
    pairs = table.top_pairs(top)
    unit = "segments" if same_segment else "overlapping pairs of codings"
    for pair in pairs:
        click.echo(f"{pair.count:>6}  {pair.label_a}  +  {pair.label_b}")
    click.echo(f"{len(table.top_pairs())} code pairs co-occur ({unit})")
    if examples and pairs:
        for example in cooc_mod.pair_quotes(store, table, pairs[0].code_a, pairs[0].code_b, limit=examples):
            click.echo(f"  “{_excerpt(example.shared_text)}” — {attribution(example.first)}")
    if out:
        _write(table.to_frame(), out)


@cli.command("query")
@click.argument("expression")
@click.option("--where", multiple=True, metavar="KEY=VALUE", help="Only segments with this attribute (repeatable).")
@click.option("--unit", type=click.Choice(query_mod.UNITS), default="segment", show_default=True,
              help="Test the codes of each segment (turn, answer, entry...) or of each sentence.")
@click.option("--coder", "coders", multiple=True, help="Only this coder's codings (repeatable).")
@click.option("--limit", type=int, default=50, show_default=True, help="Show at most this many hits.")
@project_option
@handle_errors
def query_command(store: Store, expression: str, where: tuple[str, ...], unit: str, coders: tuple[str, ...],
                  limit: int) -> None:
    """Find segments by their codes: 'Wellbeing AND (Bonding ties OR "Green and shared spaces") AND NOT Housing'.

    AND, OR and NOT are upper case; code names may contain spaces (quote them to be explicit).
    """
    hits = query_mod.run_query(store, expression, where=_where(where), unit=unit, coders=list(coders) or None)
    for hit in hits[:limit]:
        who = hit.case or hit.speaker or ""
        click.echo(f"{hit.source_name[:30]:<30} {who[:14]:<14} {hit.attributes.get('site', '')[:12]:<12} "
                   f"{_excerpt(hit.text, 90)}")
    click.echo(f"{len(hits)} {unit}s match" + (f" (first {limit} shown)" if len(hits) > limit else ""))


@cli.command("reliability")
@click.option("--coder", "coders", multiple=True, required=True,
              help="A coder to compare (at least two), or suggester:NAME for a suggester's proposals.")
@click.option("--unit", type=click.Choice(icr.UNITS), default="segment", show_default=True,
              help="Compare per segment (turn, answer...), per sentence or per character.")
@click.option("--ignore-uncoded", is_flag=True, help="Leave out units nobody coded with the code.")
@click.option("--code", "codes", multiple=True, help="Only this code (repeatable; default: every code used).")
@click.option("--origin", "origins", multiple=True, type=click.Choice(["manual", "suggestion", "import"]),
              help="Only people's codings of this origin, e.g. manual to leave out accepted suggestions.")
@click.option("--disagreements", "n_disagreements", type=int, default=10, show_default=True,
              help="List this many disagreements with their words.")
@project_option
@handle_errors
def reliability_command(store: Store, coders: tuple[str, ...], unit: str, ignore_uncoded: bool,
                        codes: tuple[str, ...], origins: tuple[str, ...], n_disagreements: int) -> None:
    """Inter-coder reliability: % agreement, Cohen's kappa and Krippendorff's alpha per code and overall."""
    result = icr.coder_reliability(store, list(coders), unit, codes=list(codes) or None,
                                   ignore_uncoded=ignore_uncoded, origins=list(origins) or None)
    click.echo(f"{' vs '.join(coders)} on {result.shared_sources} shared sources, unit: {unit}")
    frame = result.per_code_frame().set_index("code")
    click.echo(frame.to_string(float_format=lambda v: f"{v:.2f}", na_rep="-"))
    o = result.overall
    kappa = "-" if o.cohen_kappa is None else f"{o.cohen_kappa:.3f}"
    click.echo(f"overall: {100 * o.percent_agreement:.1f}% agreement, kappa {kappa}, "
               f"alpha {o.krippendorff_alpha:.3f} over {o.n_units:,} {unit}s")
    if result.note:
        click.echo(f"note: {result.note}")
    rows = result.disagreements(limit=n_disagreements)
    if rows:
        click.echo(f"disagreements ({len(result.report.all_disagreements)} in all):")
    for row in rows:
        click.echo(f"  {row.code} — {row.source_name} [{row.start}:{row.end}] coded by {', '.join(row.coded_by)}, "
                   f"not by {', '.join(row.not_coded_by)}: “{_excerpt(row.coded_words or row.text, 100)}”")


@cli.group("theme")
def theme_group() -> None:
    """Themes: build them from codes, or from candidate clusters of coded passages."""


@theme_group.command("add")
@click.argument("name")
@click.option("--description", default="", help="What the theme is about.")
@click.option("--code", "codes", multiple=True, help="A code the theme draws on (repeatable; name or path).")
@project_option
@user_option
@handle_errors
def theme_add(store: Store, name: str, description: str, codes: tuple[str, ...], user: str) -> None:
    """Create a theme NAME from codes."""
    theme_id = store.add_theme(name, user, description=description, code_ids=[store.find_code(c).id for c in codes])
    click.echo(f"Theme {theme_id}: {name}")


@theme_group.command("list")
@project_option
@handle_errors
def theme_list(store: Store) -> None:
    """List the themes with their codes and evidence."""
    summaries = themes_mod.theme_overview(store)
    for s in summaries:
        click.echo(f"{s.theme.id:>4}  {s.theme.name:<36} {s.theme.status:<10} {s.codings:>5} codings "
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
@click.option("--text", type=click.Choice(themes_mod.TEXT_SOURCES), default="quote", show_default=True,
              help="Embed each coded quote, or the sentence it starts in.")
@project_option
@user_option
@handle_errors
def theme_candidates(store: Store, run_now: bool, coders: tuple[str, ...], text: str, user: str) -> None:
    """List candidate themes (clusters of coded passages that read alike), or propose new ones with --run."""
    if run_now:
        run = themes_mod.find_candidates(store, user, coders=list(coders) or None, text=text)
        click.echo(f"{run.passages} passages in {run.k} clusters (silhouette {run.silhouette:.3f})")
        for label in run.skipped:
            click.echo(f"  not proposed again (discarded or promoted before): {label}")
    names = {c.id: c.name for c in store.codes()}
    open_ones = store.candidate_themes("open")
    for c in open_ones:
        click.echo(f"{c.id:>4}  {c.label:<36} {len(c.coding_ids):>4} codings  terms: {', '.join(c.terms)}  "
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
    theme_id = themes_mod.promote_candidate(store, candidate_id, user, name)
    click.echo(f"Theme {theme_id}: {store.get_theme(theme_id).name}")


@theme_group.command("discard")
@click.argument("candidate_id", type=int)
@project_option
@user_option
@handle_errors
def theme_discard(store: Store, candidate_id: int, user: str) -> None:
    """Discard candidate CANDIDATE_ID (a similar cluster is not proposed again)."""
    themes_mod.discard_candidate(store, candidate_id, user)
    click.echo(f"Discarded candidate {candidate_id}")


@cli.command("framework")
@click.option("--rows", default="case", show_default=True, help="case, or an attribute such as site or role.")
@click.option("--coder", "coders", multiple=True, help="Only this coder's codings as evidence (repeatable).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the summaries (.csv) or summaries, evidence and cited quotes (.xlsx).")
@project_option
@handle_errors
def framework_command(store: Store, rows: str, coders: tuple[str, ...], out: Path | None) -> None:
    """The framework matrix: cases (or sites...) x themes; shows the evidence per cell, * = summary written."""
    matrix = framework_mod.framework(store, rows, coders=list(coders) or None)
    if not matrix.themes:
        click.echo("No themes yet: create some with `workbench theme add` or `workbench theme candidates --run`.")
        return
    shown = pd.DataFrame([[f"{len(c.candidate_ids)}{'*' if c.summary else ''}"
                           for c in (matrix.cell(r.key, t.id) for t in matrix.themes)] for r in matrix.rows],
                         index=pd.Index([r.label for r in matrix.rows], name=matrix.rows_by),
                         columns=[t.name[:24] for t in matrix.themes])
    click.echo(shown.to_string())
    if out:
        click.echo(f"Written to {framework_mod.export_framework(store, matrix, out)}")
