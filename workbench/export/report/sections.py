"""Writing the evidence report's sections into a Word document (content gathered by ``workbench.export.report``)."""
from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING

from docx.document import Document as DocumentObject
from docx.enum.text import WD_BREAK
from docx.shared import Pt

from workbench.export.report.data import HUMAN_ORIGINS, KIND_LABELS, NO_SITE, Excerpt
from workbench.export.report.word import (ATTRIBUTION_STYLE, NOTE_STYLE, add_table, add_toc, caption, new_document, page_break,
                          page_footer)
from workbench.export.report.findings import FINDINGS_HEADING, findings_section
from workbench.export.report.method import NO_ROLE, SEVERAL_SITES, MethodFacts
from workbench.export.report.names import is_role_label
from workbench.export.report.themes import grouping_of

if TYPE_CHECKING:
    from workbench.export.report import CodeSection, ReportContent

KIND_PLURALS = {"interview": ("interview", "interviews"), "diary": ("diary", "diaries"),
                "journal": ("journal", "journals"), "fieldnote": ("field note", "field notes"),
                "survey": ("survey dataset", "survey datasets"),
                "social": ("social-media collection", "social-media collections"),
                "document": ("document", "documents")}
UNIT_NAMES = {"turn": ("speaker turn", "speaker turns"), "entry": ("diary entry", "diary entries"),
              "answer": ("survey answer", "survey answers"), "post": ("post", "posts"),
              "paragraph": ("paragraph", "paragraphs")}
OVERVIEW_HEADING = "Codes across sites"
METHOD_HEADING = "Method"


def write_report(content: ReportContent) -> DocumentObject:
    """The whole report as a python-docx document."""
    document = new_document()
    _core_properties(document, content)
    title_page(document, content)
    contents_page(document, content)
    method_section(document, content)
    findings_section(document, content, quote_block)
    overview_section(document, content)
    for number, section in enumerate(content.themes):
        if number:
            page_break(document)
        document.add_heading(section.theme.name, level=1)
        if section.theme.description:
            document.add_paragraph(section.theme.description)
        if content.options.include_memos and section.theme.memo:
            _memo(document, "Theme memo", content.names.text(section.theme.memo))
        for code in section.codes:
            code_section(document, code, content)
    if content.memos:
        memo_appendix(document, content)
    page_footer(document, f"{content.title} — evidence report")
    return document


def _core_properties(document: DocumentObject, content: ReportContent) -> None:
    props = document.core_properties
    props.title = content.title
    props.subject = "Evidence report"
    props.author = "Resilience Workbench"
    props.comments = "Generated from the project; participants are pseudonymised." if content.names.pseudonymise \
        else "Generated from the project; contains participants' real names."


def _long_date(value: dt.date) -> str:
    return f"{value.day} {value:%B %Y}"


def _date_text(value: str) -> str:
    """``2024-04-08`` → ``8 April 2024`` (other text unchanged)."""
    try:
        return _long_date(dt.date.fromisoformat(value[:10]))
    except ValueError:
        return value


# -- title and contents --------------------------------------------------------------------------------
def title_page(document: DocumentObject, content: ReportContent) -> None:
    """Title, "Evidence report", project, date, scope and a privacy line; then a page break."""
    for _ in range(6):
        document.add_paragraph()
    document.add_paragraph(content.title, style="Title")
    document.add_paragraph("Evidence report", style="Subtitle")
    lines = []
    if content.title != content.project:
        lines.append(f"Project: {content.project}")
    lines.append(_long_date(dt.date.today()))
    codes = content.code_sections
    grouping = grouping_of([t.theme for t in content.themes])
    lines.append(f"{_plural(len(content.themes), grouping, 'categories' if grouping == 'category' else None)} · "
                 f"{_plural(len(codes), 'code')} · "
                 f"{_plural(sum(len(c.shown) for c in codes), 'quote')} from "
                 f"{_plural(sum(len(c.passages) for c in codes), 'coded passage')}")
    scope = _scope(content)
    if scope:
        lines.append(scope)
    for line in lines:
        document.add_paragraph(line).paragraph_format.space_after = Pt(2)
    privacy = content.names_review.privacy_line()
    document.sections[0].different_first_page_header_footer = True
    footer = document.sections[0].first_page_footer  # the title page's own footer: the note sits at the bottom
    footer.paragraphs[0].text = privacy
    footer.paragraphs[0].style = document.styles[NOTE_STYLE]
    footer.add_paragraph("Prepared with Resilience Workbench.", style=NOTE_STYLE)
    page_break(document)


def _scope(content: ReportContent) -> str:
    """What the report is limited to, in words (empty when it covers everything)."""
    parts = []
    if content.options.themes:
        grouping = "categories" if grouping_of([t.theme for t in content.themes]) == "category" else "themes"
        parts.append(f"{grouping}: " + ", ".join(t.theme.name for t in content.themes))
    if content.options.codes:
        parts.append("selected codes")
    if content.sites:
        parts.append(("site: " if len(content.sites) == 1 else "sites: ") + ", ".join(content.sites))
    if tuple(content.options.origins) == HUMAN_ORIGINS:
        parts.append("human coding only")
    return ("Scope — " + "; ".join(parts)) if parts else ""


def contents_page(document: DocumentObject, content: ReportContent) -> None:
    """A "Contents" heading and a TOC field listing the method, overview, themes and codes."""
    document.add_paragraph("Contents", style="TOC Heading")
    entries: list[tuple[int, str]] = [(1, METHOD_HEADING)] + ([(1, FINDINGS_HEADING)] if content.findings or content.theme_map else [])
    entries.append((1, OVERVIEW_HEADING))
    for section in content.themes:
        entries.append((1, section.theme.name))
        entries += [(2, c.code.name) for c in section.codes]
    if content.memos:
        entries.append((1, "Memos"))
    add_toc(document, entries)
    note = document.add_paragraph("Word adds the page numbers when it opens this document (answer Yes when it "
                                  "asks to update fields).", style=NOTE_STYLE)
    note.paragraph_format.space_before = Pt(12)
    page_break(document)


# -- method -------------------------------------------------------------------------------------------------
def _count(n: int, kind: str) -> str:
    singular, plural = KIND_PLURALS.get(kind, (kind, kind + "s"))
    return f"{n} {singular if n == 1 else plural}"


def _join(items: Sequence[str]) -> str:
    items = list(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


_NUMBER_WORDS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")


def _number(n: int) -> str:
    """Small numbers in words, as in running text (``two sites``); larger ones as digits."""
    return _NUMBER_WORDS[n] if 0 <= n < len(_NUMBER_WORDS) else str(n)


def _plural(n: int, singular: str, plural: str | None = None) -> str:
    """``1 source``, ``3 sources``."""
    return f"{n} {singular if n == 1 else (plural or singular + 's')}"


def _was(n: int) -> str:
    return "was" if n == 1 else "were"


def _percent(value: float) -> str:
    return f"{value * 100:.1f}%"


def method_section(document: DocumentObject, content: ReportContent) -> None:
    """Material, participants, coding, agreement and how quotes were chosen, all read from the project."""
    facts = content.method
    document.add_heading(METHOD_HEADING, level=1)
    document.add_paragraph(
        f"This report brings together the coded evidence of the project “{content.project}”. It was generated "
        "from the project file, so the figures below describe the material as it stood on "
        f"{_long_date(dt.date.today())}.")
    _material(document, facts)
    _participants(document, facts)
    _coding(document, facts, content)
    _agreement(document, facts)
    _selection(document, content)


def _site_columns(facts: MethodFacts, tables: dict[str, Counter], extra: Sequence[str]) -> list[str]:
    used = {site for counts in tables.values() for site in counts}
    return [s for s in facts.sites if s in used] + [e for e in extra if e in used]


def _count_table(document: DocumentObject, label: str, tables: dict[str, Counter], columns: Sequence[str],
                 row_names: dict[str, str]) -> None:
    rows = [[row_names.get(key, key)] + [counts.get(c, 0) for c in columns] + [sum(counts.values())]
            for key, counts in tables.items()]
    totals = ["Total"] + [sum(t.get(c, 0) for t in tables.values()) for c in columns]
    rows.append(totals + [sum(totals[1:])])
    add_table(document, [label, *columns, "Total"], rows, first_width=4.5, total_row=True)
    document.add_paragraph().paragraph_format.space_after = Pt(0)


def _material(document: DocumentObject, facts: MethodFacts) -> None:
    document.add_heading("Material", level=2)
    total = sum(sum(c.values()) for c in facts.sources.values())
    kinds = [_count(sum(c.values()), kind) for kind, c in
             sorted(facts.sources.items(), key=lambda kv: -sum(kv[1].values()))]
    several = sum(c.get(SEVERAL_SITES, 0) for c in facts.sources.values())
    sites = (f" from {_number(len(facts.sites))} site{'s' if len(facts.sites) != 1 else ''} "
             f"({_join(facts.sites)})") if facts.sites else ""
    text = f"The analysis draws on {_plural(total, 'source')}{sites}: {_join(kinds)}."
    if several:
        text += (f" {_number(several).capitalize()} of them {'has' if several == 1 else 'have'} no single site "
                 "(for example a survey or a "
                 "social-media group covering several sites); their quotes carry the site of the person quoted "
                 "where it is recorded.")
    document.add_paragraph(text)
    caption(document, "Table 1. Sources by kind and site")
    names = {k: KIND_PLURALS.get(k, (k, k))[1].capitalize() for k in facts.sources}
    _count_table(document, "Source", facts.sources, _site_columns(facts, facts.sources, [SEVERAL_SITES]), names)


def _participants(document: DocumentObject, facts: MethodFacts) -> None:
    if not facts.participants:
        return
    document.add_heading("Participants", level=2)
    total = sum(sum(c.values()) for c in facts.participants.values())
    roles = [f"{sum(c.values())} {role}{'s' if sum(c.values()) != 1 else ''}"
             for role, c in facts.participants.items() if role != NO_ROLE]
    unknown = sum(facts.participants.get(NO_ROLE, Counter()).values())
    text = f"The project records {total} participants"
    if facts.sources.get("survey"):
        text += ", survey respondents included"
    text += f": {_join(roles)}" if roles else ""
    text += f", and {unknown} whose role was not recorded." if unknown else "."
    document.add_paragraph(text + " Table 2 shows them by site.")
    caption(document, "Table 2. Participants by role and site")
    names = {NO_ROLE: NO_ROLE}
    names.update({r: r.capitalize() for r in facts.participants if r != NO_ROLE})
    _count_table(document, "Role", facts.participants, _site_columns(facts, facts.participants, [NO_SITE]), names)


def _coding(document: DocumentObject, facts: MethodFacts, content: ReportContent) -> None:
    document.add_heading("Coding", level=2)
    coders = [f"{name} ({n} codings)" for name, n in sorted(facts.coders.items(), key=lambda kv: (-kv[1], kv[0]))]
    who = (f"{_number(len(coders))} researchers: {_join(coders)}" if len(coders) > 1 else
           f"one researcher, {coders[0]}") if coders else "the research team"
    codebook = f"the codebook “{facts.codebook_name}”" if facts.codebook_name else "the project’s codebook"
    document.add_paragraph(
        f"The material was coded with {codebook} ({facts.codes} codes grouped in {facts.categories} "
        f"categories) by {who}.")
    manual, imported, accepted = (facts.origins.get(k, 0) for k in ("manual", "import", "suggestion"))
    parts = [f"{_plural(manual, 'coding')} {_was(manual)} applied by hand"]
    if imported:
        parts.append(f"{imported} {_was(imported)} imported from another analysis tool")
    text = _join(parts) + ". "
    if accepted:
        text += _accepted_suggestions(facts) + " Suggestions that were not accepted are never counted. "
    else:
        text += "No machine suggestions were used: every coding was made by a researcher. "
    human_only = tuple(content.options.origins) == HUMAN_ORIGINS
    if accepted:
        text += ("This report uses the codings applied by hand only." if human_only else
                 "This report uses both the codings applied by hand and the accepted suggestions.")
    document.add_paragraph(text.strip())
    if accepted and not human_only:
        document.add_paragraph(_machine_quotes(content))


def _accepted_suggestions(facts: MethodFacts) -> str:
    """The accepted suggestions, told apart by how they were accepted (never all called reviewed)."""
    one, bulk, unknown = facts.accepts.get("one", 0), facts.accepts.get("bulk", 0), facts.accepts.get(None, 0)
    sentences = []
    if one:
        what = "is a machine suggestion" if one == 1 else "are machine suggestions"
        sentences.append(f"{_plural(one, 'coding')} {what} that a researcher reviewed and accepted one by one.")
    if bulk:
        what = "is a machine suggestion" if bulk == 1 else "are machine suggestions"
        batches = _join([f"every pending suggestion scoring {score:.2f} or more, accepted by {who}"
                         if score is not None else f"accepted by {who}"
                         for (score, who), _n in sorted(facts.bulk.items(), key=lambda kv: (-kv[1], str(kv[0])))])
        sentences.append(f"{_plural(bulk, 'coding')} {what} accepted in bulk, without being read one by one "
                         f"({batches}).")
    if unknown:
        what, verb = ("is a machine suggestion", "it was") if unknown == 1 else ("are machine suggestions",
                                                                                 "they were")
        sentences.append(f"{_plural(unknown, 'coding')} {what} accepted before the workbench recorded whether "
                         f"{verb} read one by one.")
    return " ".join(sentences)


def _machine_quotes(content: ReportContent) -> str:
    """How many of the report's quotes come from accepted suggestions, and that they are marked."""
    shown = [e for c in content.code_sections for e in c.shown]
    machine = [e for e in shown if e.quote.origin == "suggestion"]
    if not machine:
        return f"None of the {_plural(len(shown), 'quote')} in this report comes from an accepted suggestion."
    bulk = sum(1 for e in machine if e.quote.accept_mode == "bulk")
    return (f"Of the {_plural(len(shown), 'quote')} in this report, {len(machine)} "
            f"{'comes' if len(machine) == 1 else 'come'} from accepted suggestions"
            + (f" ({bulk} accepted in bulk)" if bulk else "") + "; each is marked under the quote.")


_KAPPA_WORDS = ((0.8, "almost perfect"), (0.6, "substantial"), (0.4, "moderate"), (0.2, "fair"), (-1, "slight"))


def _agreement(document: DocumentObject, facts: MethodFacts) -> None:
    document.add_heading("Agreement between coders", level=2)
    agreement = facts.agreement
    if agreement is None:
        document.add_paragraph("Each source was coded by one researcher, so no inter-coder agreement figures "
                               "are given.")
        return
    a, b = agreement.coders
    units = _join([_plural(n, *UNIT_NAMES.get(kind, (kind, kind + "s"))) for kind, n in
                   sorted(agreement.unit_kinds.items(), key=lambda kv: -kv[1])])
    text = (f"{a} and {b} both coded {_plural(agreement.sources, 'source')}. Taking each of their {units} as a "
            "unit, and asking for every code whether each coder applied it there, ")
    if agreement.coded_percent is not None:  # the headline leaves out what neither coded (issue: 98.9 % looked good)
        text += (f"they agreed on {_percent(agreement.coded_percent)} of the decisions where at least one of them "
                 f"applied the code; counting also the units neither coded, which any amount of uncoded text "
                 f"inflates, the figure is {_percent(agreement.percent)}")
    else:
        text += f"they agreed on {_percent(agreement.percent)} of decisions"
    if agreement.kappa is not None:
        words = next(w for limit, w in _KAPPA_WORDS if round(agreement.kappa, 2) >= limit)
        text += (f" (Cohen’s κ = {agreement.kappa:.2f}, Krippendorff’s α = {agreement.alpha:.2f}; "
                 f"by the usual reading of κ, {words} agreement).")
    else:
        text += f" (Krippendorff’s α = {agreement.alpha:.2f})."
    document.add_paragraph(text)
    if agreement.weakest:
        lows = [f"{path.rsplit('/', 1)[-1]} (κ = {kappa:.2f})" for path, kappa in agreement.weakest]
        document.add_paragraph(f"Agreement was lowest for {_join(lows)}; quotes for these codes should be read "
                               "with their definitions in mind.")


def _selection(document: DocumentObject, content: ReportContent) -> None:
    document.add_heading("How quotes were chosen", level=2)
    limit = content.options.max_quotes_per_code
    if limit:
        text = (f"For each code the report shows up to {limit} quotes. They were chosen to cover the sites and "
                "participants rather than taken in order: the sites take turns, within a site the participants "
                "take turns, and each turn takes that participant’s most readable passage (about one to four "
                "sentences). ")
    else:
        text = "For each code the report shows every coded passage. "
    text += ("A passage coded more than once (for example by both coders) appears once. Under each code, a "
             f"note gives the number of passages behind it, and the table in “{OVERVIEW_HEADING}” counts them "
             "by site.")
    document.add_paragraph(text)
    document.add_paragraph(content.names_review.statement())


# -- overview table ------------------------------------------------------------------------------------------
def overview_section(document: DocumentObject, content: ReportContent) -> None:
    """The code × site table: coded passages per code and site, grouped by theme."""
    heading = document.add_heading(OVERVIEW_HEADING, level=1)
    heading.paragraph_format.page_break_before = True  # the table reads best on a page of its own
    sites = sorted({s for c in content.code_sections for s in c.sites}, key=lambda s: (s == NO_SITE, s))
    document.add_paragraph(
        "The table counts the coded passages behind each code in each site (a passage coded by both coders "
        "counts once). Counts show where a code was found in the material, not how common an experience is: "
        "sites contributed different amounts of material.")
    caption(document, "Table 3. Coded passages by code and site")
    rows: list[list[object]] = []
    groups: list[int] = []
    for section in content.themes:
        groups.append(len(rows))
        rows.append([section.theme.name])
        for code in section.codes:
            counts = Counter(e.site for e in code.passages)
            rows.append([code.code.name, *[counts.get(s, 0) for s in sites], len(code.passages)])
    add_table(document, ["Code", *sites, "Total"], rows, first_width=6.0, group_rows=groups, bold_first_column=False)
    page_break(document)


# -- themes and codes -------------------------------------------------------------------------------------
def first_sentence(text: str) -> str:
    """The first sentence of a definition (the whole text when it has only one)."""
    text = " ".join(text.split())
    match = re.match(r"(.+?[.!?])(\s|$)", text)
    return match.group(1) if match else text


def code_section(document: DocumentObject, section: CodeSection, content: ReportContent) -> None:
    """A code's heading, one-line definition, counts, memos and chosen quotes with attributions."""
    document.add_heading(section.code.name, level=2)
    if section.code.definition:
        definition = document.add_paragraph()
        definition.add_run(first_sentence(section.code.definition)).italic = True
    n, people, sites = len(section.passages), section.participants, [s for s in section.sites if s != NO_SITE]
    counts = f"{n} coded passage{'s' if n != 1 else ''}"
    if people:
        counts += f" from {people} participant{'s' if people != 1 else ''}"
    if sites:
        counts += f" in {len(sites)} site{'s' if len(sites) != 1 else ''}"
    shown = len(section.shown)
    counts += "; all shown." if shown == n else f"; {shown} shown below."
    if section.quoted_above:  # a passage is quoted once per theme
        counts = counts[:-1] + f", and {section.quoted_above} quoted above under another code of this theme."
    document.add_paragraph(counts, style=NOTE_STYLE)
    for memo in section.memos:
        _memo(document, memo.title or f"Memo by {memo.author}", content.names.text(memo.text))
    for excerpt in section.shown:
        quote_block(document, excerpt, content)


def quote_block(document: DocumentObject, excerpt: Excerpt, content: ReportContent) -> None:
    """The quote in Word's Quote style (an ellipsis marks a cut sentence), then its attribution, smaller and muted."""
    paragraph = document.add_paragraph(style="Quote")
    lines = [" ".join(line.split()) for line in excerpt.text.strip().splitlines()]
    lines = [line for line in lines if line]
    if lines and lines[0][0].islower():  # coded from mid-sentence
        lines[0] = "…" + lines[0]
    if lines and lines[-1][-1].isalnum():  # stops mid-sentence
        lines[-1] += "…"
    for n, line in enumerate(lines):
        run = paragraph.add_run(line)
        if n < len(lines) - 1:
            run.add_break(WD_BREAK.LINE)
    attribution = document.add_paragraph(attribution_line(excerpt), style=ATTRIBUTION_STYLE)
    if excerpt.quote.provenance:  # a machine's coding is never passed off as a person's: said right under it
        attribution.paragraph_format.space_after = Pt(0)
        mark = document.add_paragraph(style=ATTRIBUTION_STYLE)
        mark.paragraph_format.space_before = Pt(0)
        mark.add_run(excerpt.quote.provenance[0].upper() + excerpt.quote.provenance[1:] + ".").italic = True
    if content.options.include_memos and excerpt.quote.memo.strip():
        _memo(document, f"Coding memo ({excerpt.quote.coder})", content.names.text(excerpt.quote.memo))


def attribution_line(excerpt: Excerpt) -> str:
    """``— NG-R01, resident, Northgate · interview, 3:12``: who, role, site · kind of source, time or date.

    Never a file name: a field note is its site's (``— Ashby Vale · field note, 13 March 2024``), and an
    interviewer's words name whose interview they are in (``— Interviewer, Northgate · interview NG-R01, 1:05``).
    """
    staff = is_role_label(excerpt.who)  # an interviewer's words: not the participant's role, but which interview
    role = "" if staff else excerpt.role
    who = [p for p in (excerpt.who, role, excerpt.site if excerpt.site != NO_SITE else "") if p]
    kind = KIND_LABELS.get(excerpt.quote.source_kind, excerpt.quote.source_kind)
    details = [f"{kind} {excerpt.quote.case}" if staff and excerpt.quote.case else kind]
    if excerpt.question:
        details.append(f"“{excerpt.question}”")
    if excerpt.when:
        details.append(excerpt.when if excerpt.quote.start_time is not None else _date_text(excerpt.when))
    return "— " + ", ".join(who) + (" · " if who else "") + ", ".join(details)


def _memo(document: DocumentObject, title: str, text: str) -> None:
    paragraph = document.add_paragraph(style=NOTE_STYLE)
    paragraph.add_run(f"{title}: ").bold = True
    paragraph.add_run(" ".join(text.split()))


def memo_appendix(document: DocumentObject, content: ReportContent) -> None:
    """The Memos section: project memos, then document and case memos under their source or case (named as the
    report names them; texts pseudonymised like quotes). Code and coding memos stand beside their codes and quotes."""
    page_break(document)
    document.add_heading("Memos", level=1)
    for kind, heading in (("project", "Project memos"), ("source", "Document memos"), ("case", "Case memos")):
        memos = [m for m in content.memos if (m.target_type or "project") == kind]
        if not memos:
            continue
        document.add_heading(heading, level=2)
        for memo in sorted(memos, key=lambda m: (content.memo_about.get(m.id, ""), m.created_at)):
            about = content.memo_about.get(memo.id, "")
            title = content.names.text(memo.title)
            document.add_heading(" — ".join(p for p in (about, title) if p) or f"Memo by {memo.author}", level=3)
            document.add_paragraph(f"{memo.author}, {_date_text(memo.created_at)}", style=NOTE_STYLE)
            for block in content.names.text(memo.text).split("\n\n"):
                if block.strip():
                    document.add_paragraph(" ".join(block.split()))
