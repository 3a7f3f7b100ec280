"""Analysis commands: compare, cooccur, query, reliability, theme, framework."""
from __future__ import annotations

from typing import TYPE_CHECKING

from pathlib import Path

import click

from workbench.cli.base import Lazy, LazyChoice, handle_errors, project_option

if TYPE_CHECKING:  # the core is imported inside the commands that use it
    from workbench.analysis import compare as compare_mod
    from workbench.store import Store
    import pandas as pd

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
    """Write a table as .xlsx or .csv, every user-derived cell as text (never a formula)."""
    from workbench.analysis.tables import frame_to_csv, frames_to_xlsx
    if out.suffix.lower() == ".xlsx":
        frames_to_xlsx(out, {"Sheet1": (frame, True)})
    elif out.suffix.lower() == ".csv":
        frame_to_csv(frame, out)
    else:
        raise click.BadParameter("write .csv or .xlsx", param_hint="--out")
    click.echo(f"Written to {out}")


def _format_matrix(matrix: compare_mod.Matrix) -> pd.DataFrame:
    """The matrix with indented row labels and values formatted for the measure."""
    import pandas as pd
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


@click.command("compare")
@click.option("--by", "by", multiple=True, default=("site",), show_default=True,
              help="Attribute for the columns: site, role, wave, method, ... or kind, coder, speaker, case. "
                   "Repeat it to combine: --by wave --by site makes a column per wave and site.")
@click.option("--measure", type=LazyChoice(Lazy("workbench.analysis.compare", "MEASURES")), default="passages",
              show_default=True,
              help="distinct coded passages (a passage two coders coded counts once, as in the report), "
                   "codings by coder, sources with the code, share of participants, or codings per 1,000 words.")
@click.option("--themes", is_flag=True, help="Rows are themes instead of codes.")
@click.option("--coder", "coders", multiple=True, help="Only this coder's codings (repeatable).")
@click.option("--origin", "origins", multiple=True, type=click.Choice(["manual", "suggestion", "import"]),
              help="Only codings of this origin (repeatable).")
@click.option("--where", multiple=True, metavar="KEY=VALUE", help=WHERE_HELP)
@click.option("--no-rollup", is_flag=True, help="Category rows count only codings applied to them directly.")
@click.option("--differences", "n_differences", type=int, default=10, show_default=True,
              help="List this many cells that differ most from their row's overall spread.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Also write the matrix (.csv or .xlsx).")
@click.option("--passages", nargs=2, metavar="ROW COLUMN",
              help="Also print the passages behind one cell, e.g. --passages 'Cut off' '2 · Northgate'.")
@project_option
@handle_errors
def compare_command(store: Store, by: tuple[str, ...], measure: str, themes: bool, coders: tuple[str, ...],
                    origins: tuple[str, ...], where: tuple[str, ...], no_rollup: bool, n_differences: int,
                    out: Path | None, passages: tuple[str, str] | None) -> None:
    """Compare codes (or themes) across the values of an attribute, e.g. across sites."""
    from workbench.analysis import compare as compare_mod
    matrix = compare_mod.compare(store, list(by), measure, themes=themes, coders=list(coders) or None,
                                 origins=list(origins) or None, rollup=not no_rollup, where=_where(where))
    click.echo(f"{compare_mod.MEASURE_LABELS[measure]}, by {matrix.by}")
    click.echo(_format_matrix(matrix).to_string())
    for d in matrix.differences(limit=n_differences):
        click.echo(f"  {'more' if d.residual > 0 else 'less'} than expected: {d.row_label} in {d.column} "
                   f"(residual {d.residual:+.1f})")
    if passages:
        from workbench.analysis.quotes import attribution
        behind = compare_mod.quotes_for_cell(store, matrix, *passages)
        click.echo(f"{len(behind)} codings behind {passages[0]} × {passages[1]}:")
        for q in behind:
            click.echo(f"  “{' '.join(q.text.split())}” — {attribution(q)} ({q.code_name}, {q.coder})")
    if out:
        _write(matrix.to_frame(), out)


@click.command("cooccur")
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
    from workbench.analysis import cooccurrence as cooc_mod
    from workbench.analysis.quotes import attribution
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


@click.command("query")
@click.argument("expression")
@click.option("--where", multiple=True, metavar="KEY=VALUE", help="Only segments with this attribute (repeatable).")
@click.option("--unit", type=LazyChoice(Lazy("workbench.analysis.query", "UNITS")), default="segment", show_default=True,
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
    from workbench.analysis import query as query_mod
    hits = query_mod.run_query(store, expression, where=_where(where), unit=unit, coders=list(coders) or None)
    for hit in hits[:limit]:
        who = hit.case or hit.speaker or ""
        click.echo(f"{hit.source_name[:30]:<30} {who[:14]:<14} {hit.attributes.get('site', '')[:12]:<12} "
                   f"{_excerpt(hit.text, 90)}")
    click.echo(f"{len(hits)} {unit}s match" + (f" (first {limit} shown)" if len(hits) > limit else ""))


@click.command("reliability")
@click.option("--coder", "coders", multiple=True, required=True,
              help="A coder to compare (at least two), or suggester:NAME for a suggester's proposals.")
@click.option("--unit", type=LazyChoice(Lazy("workbench.analysis.icr", "UNITS")), default="segment", show_default=True,
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
    from workbench.analysis import icr
    result = icr.coder_reliability(store, list(coders), unit, codes=list(codes) or None,
                                   ignore_uncoded=ignore_uncoded, origins=list(origins) or None)
    click.echo(f"{' vs '.join(coders)} on {result.shared_sources} shared sources, unit: {unit}")
    frame = result.per_code_frame().set_index("code")
    click.echo(frame.to_string(float_format=lambda v: f"{v:.2f}", na_rep="undefined" if len(coders) == 2 else "-"))
    c, o = result.coded, result.overall
    click.echo(f"agreement where someone coded: {100 * c.percent_agreement:.1f}% over {c.n_units:,} {unit}s")
    click.echo(f"  {icr.CODED_UNITS_NOTE}")
    kappa = icr.kappa_text(o.cohen_kappa, len(coders))
    click.echo(f"overall: {100 * o.percent_agreement:.1f}% agreement, kappa {kappa}, "
               f"alpha {o.krippendorff_alpha:.3f} over {o.n_units:,} {unit}s")
    click.echo(f"  {icr.ALL_UNITS_NOTE}")
    if result.note:
        click.echo(f"note: {result.note}")
    rows = result.disagreements(limit=n_disagreements)
    if rows:
        click.echo(f"disagreements ({len(result.report.all_disagreements)} in all):")
    for row in rows:
        click.echo(f"  {row.code} — {row.source_name} [{row.start}:{row.end}] coded by {', '.join(row.coded_by)}, "
                   f"not by {', '.join(row.not_coded_by)}: “{_excerpt(row.coded_words or row.text, 100)}”")


@click.command("framework")
@click.option("--rows", default="case", show_default=True, help="case, or an attribute such as site or role.")
@click.option("--coder", "coders", multiple=True, help="Only this coder's codings as evidence (repeatable).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the summaries (.csv) or summaries, evidence and cited quotes (.xlsx).")
@project_option
@handle_errors
def framework_command(store: Store, rows: str, coders: tuple[str, ...], out: Path | None) -> None:
    """The framework matrix: cases (or sites...) x themes; shows the evidence per cell, * = summary written."""
    from workbench.analysis import framework as framework_mod
    import pandas as pd
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
