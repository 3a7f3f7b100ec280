"""The Word evidence report: method, findings, codes across sites, and quotes per theme and code, ready to send.

``build_report(store, path, ReportOptions(...))`` gathers what to show (``gather_report``) and
writes it with python-docx using Word's built-in styles, so the navigation pane and the table of
contents work. Participants are pseudonymised unless ``pseudonymise=False``.
"""
from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from workbench.model import Code, Memo
from workbench.export.report.data import ALL_ORIGINS, Excerpt, ExportError, check_sites, load_excerpts, resolve_codes
from workbench.export.report.findings import Finding, gather_findings, map_picture
from workbench.export.report.method import MethodFacts, method_facts
from workbench.export.report.names import NamesReview, ReportNames, export_names, review_names
from workbench.export.report.sections import write_report
from workbench.export.report.select import choose_quotes, distinct_passages, shares_words
from workbench.export.report.themes import ReportTheme, grouping_of, report_themes, select_themes
from workbench.store import Store

DEFAULT_MAX_QUOTES = 5


@dataclass
class ReportOptions:
    """What goes into an evidence report (empty filters mean everything)."""

    title: str | None = None
    themes: list[str] = field(default_factory=list)
    codes: list[str] = field(default_factory=list)  # code paths, names or uids (a category brings its codes)
    sites: list[str] = field(default_factory=list)
    max_quotes_per_code: int | None = DEFAULT_MAX_QUOTES  # None or 0: every passage
    origins: tuple[str, ...] = ALL_ORIGINS  # HUMAN_ORIGINS for codings applied by hand only
    pseudonymise: bool = True
    include_memos: bool = False


@dataclass
class ReportSummary:
    """What a written report contains."""

    path: Path | None
    title: str
    themes: list[str]
    codes: int
    quotes: int  # quotes shown
    passages: int  # distinct coded passages behind the codes shown
    sites: list[str]
    pseudonymised: bool
    agreement: bool  # whether inter-coder agreement figures are in the method section
    machine_quotes: int = 0  # quotes shown that come from accepted suggestions (each marked in the report)
    bulk_quotes: int = 0  # of those, accepted in bulk
    unreviewed_names: list[str] = field(default_factory=list)  # possible names nobody reviewed, left in quotes
    quotes_with_unreviewed_names: int = 0
    grouping: str = "theme"  # what ``themes`` are: the project's themes, or (while it has none) "category"


@dataclass
class CodeSection:
    """One code's part of the report."""

    code: Code
    passages: list[Excerpt]  # every distinct coded passage (after filters)
    shown: list[Excerpt]
    memos: list[Memo] = field(default_factory=list)
    quoted_above: int = 0  # quotes this code would show that an earlier code of the theme already shows

    @property
    def participants(self) -> int:
        """How many different participants the passages come from."""
        return len({e.who for e in self.passages if e.who})

    @property
    def sites(self) -> list[str]:
        """The sites the passages come from."""
        return sorted({e.site for e in self.passages})


@dataclass
class ThemeSection:
    """One theme's part of the report: its codes that have quotes."""

    theme: ReportTheme
    codes: list[CodeSection]


@dataclass
class ReportContent:
    """Everything the report shows, gathered before any Word is written."""

    title: str
    project: str
    options: ReportOptions
    sites: list[str]
    themes: list[ThemeSection]
    method: MethodFacts
    names: ReportNames
    memos: list[Memo] = field(default_factory=list)  # project, document and case memos (with include_memos)
    memo_about: dict[int, str] = field(default_factory=dict)  # memo id → its source or case as the report names it
    names_review: NamesReview = field(default_factory=lambda: NamesReview(pseudonymise=False))
    findings: list[Finding] = field(default_factory=list)  # themes with the researcher's narrative
    theme_map: bytes | None = None  # the thematic map as PNG (when there are themes and Graphviz is installed)

    @property
    def code_sections(self) -> list[CodeSection]:
        """Every code section, in report order."""
        return [c for t in self.themes for c in t.codes]


def gather_report(store: Store, options: ReportOptions) -> ReportContent:
    """Choose themes, codes and quotes for a report; ExportError when nothing matches."""
    names = export_names(store, options.pseudonymise)
    sites = check_sites(store, options.sites) if options.sites else []
    wanted = set(resolve_codes(store, options.codes)) if options.codes else None
    themes = select_themes(report_themes(store), options.themes)
    if wanted is not None:
        themes = _with_other_codes(store, themes, wanted)
    excerpts = load_excerpts(store, names, origins=options.origins, sites=sites)
    by_code: dict[int, list[Excerpt]] = {}
    for excerpt in excerpts:
        by_code.setdefault(excerpt.quote.code_id, []).append(excerpt)
    sections = []
    for theme in themes:
        codes: list[CodeSection] = []
        for code_id in theme.code_ids:
            if code_id in by_code and (wanted is None or code_id in wanted):
                codes.append(_code_section(store, code_id, by_code[code_id], options,
                                           [e for c in codes for e in c.shown]))
        if codes:
            sections.append(ThemeSection(theme, codes))
    if not sections:
        raise ExportError("nothing to report: no codings match the chosen themes, codes, sites and origins")
    project = store.setting("name") or store.path.stem
    memos = _section_memos(store) if options.include_memos else []
    quoted = [(e.quote.text, e.text) for t in sections for c in t.codes for e in c.shown]
    return ReportContent(title=options.title or project, project=project, options=options, sites=sites,
                         themes=sections, method=method_facts(store, sites), names=names, memos=memos,
                         memo_about=_memo_subjects(store, names, memos),
                         names_review=review_names(store, names, quoted),
                         findings=gather_findings(store, names, options.themes), theme_map=map_picture(store))


def _code_section(store: Store, code_id: int, excerpts: list[Excerpt], options: ReportOptions,
                  shown_above: Sequence[Excerpt]) -> CodeSection:
    """A code's passages and quotes; a passage already quoted earlier in the theme is not quoted again."""
    memos = store.memos(target_type="code", target_id=code_id) if options.include_memos else []
    limit = options.max_quotes_per_code
    fresh = [e for e in excerpts if not any(shares_words(e, other) for other in shown_above)]
    would_repeat = [e for e in choose_quotes(excerpts, limit) if any(shares_words(e, o) for o in shown_above)]
    return CodeSection(code=store.get_code(code_id), passages=distinct_passages(excerpts),
                       shown=choose_quotes(fresh, limit), memos=memos, quoted_above=len(would_repeat))


def _with_other_codes(store: Store, themes: Sequence[ReportTheme], wanted: set[int]) -> list[ReportTheme]:
    """Add an "Other codes" theme for asked-for codes that belong to no theme."""
    placed = {i for t in themes for i in t.code_ids}
    others = [c.id for c in store.codes() if c.id in wanted and c.codable and c.id not in placed]
    if not others:
        return list(themes)
    return [*themes, ReportTheme(name="Other codes", description="Codes asked for that belong to no theme.",
                                 code_ids=others)]


SECTION_MEMO_KINDS = ("project", "source", "case")  # code memos stand under their code, coding memos under quotes


def _section_memos(store: Store) -> list[Memo]:
    """The memos of the report's Memos section: about the project (or nothing), a document or a case."""
    return [m for m in store.memos() if (m.target_type or "project") in SECTION_MEMO_KINDS]


def _memo_subjects(store: Store, names: ReportNames, memos: Sequence[Memo]) -> dict[int, str]:
    """Each document or case memo's source or case, named as the report names them (pseudonymised like quotes)."""
    sources = {s.id: s.name for s in store.list_sources()}
    cases = {c.id: c.name for c in store.cases()}
    about: dict[int, str] = {}
    for memo in memos:
        if memo.target_type == "source":
            about[memo.id] = names.source(sources.get(memo.target_id, "(deleted source)"))
        elif memo.target_type == "case":
            about[memo.id] = names.who(cases.get(memo.target_id, "(deleted case)"))
    return about


def summarise(content: ReportContent, path: Path | None) -> ReportSummary:
    """The summary of a gathered report."""
    codes = content.code_sections
    machine = [e for c in codes for e in c.shown if e.quote.origin == "suggestion"]
    return ReportSummary(path=path, title=content.title, themes=[t.theme.name for t in content.themes],
                         grouping=grouping_of([t.theme for t in content.themes]),
                         codes=len(codes), quotes=sum(len(c.shown) for c in codes),
                         passages=sum(len(c.passages) for c in codes),
                         sites=sorted({s for c in codes for s in c.sites}),
                         pseudonymised=content.options.pseudonymise,
                         agreement=content.method.agreement is not None, machine_quotes=len(machine),
                         bulk_quotes=sum(1 for e in machine if e.quote.accept_mode == "bulk"),
                         unreviewed_names=content.names_review.unreviewed,
                         quotes_with_unreviewed_names=content.names_review.quotes_with_unreviewed)


def build_report(store: Store, path: str | Path, options: ReportOptions | None = None) -> ReportSummary:
    """Write the evidence report as a Word file at ``path``."""
    content = gather_report(store, options or ReportOptions())
    path = Path(path)
    write_report(content).save(str(path))
    return summarise(content, path)


def report_bytes(store: Store, options: ReportOptions | None = None) -> tuple[bytes, ReportSummary]:
    """The evidence report as the bytes of a .docx file (for a download button)."""
    content = gather_report(store, options or ReportOptions())
    buffer = io.BytesIO()
    write_report(content).save(buffer)
    return buffer.getvalue(), summarise(content, None)
