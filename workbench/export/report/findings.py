"""The report's Findings: theme by theme, the researcher's narrative with each cited passage quoted and attributed.

A narrative is Markdown written by the researcher; the report keeps its paragraphs, bullet lists, headings
(``#``) and ``**bold**`` / ``*italic*`` and nothing else (no links or HTML). A citation ``[[q:CODING_UID]]``
becomes the coded passage in the Quote style with the report's attribution line, where it stands.
"""
from __future__ import annotations

import io
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from docx.document import Document as DocumentObject
from docx.shared import Cm

from workbench.analysis.themes import theme_tree
from workbench.export.report.data import Excerpt, load_excerpts
from workbench.export.report.names import ReportNames
from workbench.export.report.word import NOTE_STYLE, caption
from workbench.store import Store
from workbench.store.themes import CITATION, Theme

if TYPE_CHECKING:
    from workbench.export.report import ReportContent

FINDINGS_HEADING = "Findings"
STATUS_NOTES = {"candidate": "Candidate theme, still being developed.", "reviewed": "Reviewed theme.",
                "final": ""}
MAP_CAPTION = ("Figure 1. Thematic map: themes, their sub-themes and the codes they draw on; the numbers count "
               "coded passages")
MISSING = "[the cited passage is no longer coded in the project]"
_EMPHASIS = re.compile(r"(\*\*[^*\n]+\*\*|\*[^*\n]+\*)")


@dataclass
class Finding:
    """One theme as the Findings section shows it: its narrative and the passages it cites."""

    theme: Theme
    level: int  # 1 for a theme, 2 for a sub-theme, ...
    narrative: str  # pseudonymised when the report is
    cited: dict[str, Excerpt] = field(default_factory=dict)  # coding uid -> the passage as the report shows it


def gather_findings(store: Store, names: ReportNames, theme_names: Sequence[str] = ()) -> list[Finding]:
    """The themes with a narrative (not discarded; only ``theme_names`` and their sub-themes when given)."""
    tree = theme_tree(store.themes(include_discarded=False))
    if theme_names:
        wanted, keep, chosen_depth = {n.lower() for n in theme_names}, [], None
        for theme, depth in tree:
            if chosen_depth is not None and depth <= chosen_depth:
                chosen_depth = None
            if chosen_depth is None and theme.name.lower() in wanted:
                chosen_depth = depth
            if chosen_depth is not None:
                keep.append((theme, depth))
        tree = keep
    tree = [(t, d) for t, d in tree if t.narrative.strip()]
    uids = [u for t, _ in tree for u in CITATION.findall(t.narrative)]
    excerpts = _cited_excerpts(store, names, uids)
    return [Finding(theme, depth, names.text(theme.narrative),
                    {u: excerpts[u] for u in CITATION.findall(theme.narrative) if u in excerpts})
            for theme, depth in tree]


def _cited_excerpts(store: Store, names: ReportNames, uids: Sequence[str]) -> dict[str, Excerpt]:
    """Coding uid → the cited passage as an excerpt (attributed as the report attributes every quote)."""
    by_uid = store.codings_by_uid(uids)
    if not by_uid:
        return {}
    code_ids = sorted({code_id for _id, code_id in by_uid.values()})
    by_id = {e.quote.coding_id: e for e in load_excerpts(store, names, code_ids=code_ids)}
    return {uid: by_id[coding_id] for uid, (coding_id, _code) in by_uid.items() if coding_id in by_id}


QuoteWriter = Callable[[DocumentObject, Excerpt, "ReportContent"], None]


def map_picture(store: Store) -> bytes | None:
    """The thematic map as PNG for the report, when the project has themes and Graphviz's ``dot`` is installed."""
    from workbench.analysis.thememap import thematic_map, to_dot
    from workbench.export.thememap import dot_available, render_dot

    if not dot_available() or not store.themes(include_discarded=False):
        return None
    return render_dot(to_dot(thematic_map(store)), "png")


def findings_section(document: DocumentObject, content: ReportContent, quote: QuoteWriter) -> None:
    """Write "Findings": the thematic map, then each theme's heading, status and narrative, its citations quoted
    by ``quote``."""
    if not content.findings and not content.theme_map:
        return
    heading = document.add_heading(FINDINGS_HEADING, level=1)
    heading.paragraph_format.page_break_before = True
    if content.theme_map:
        caption(document, MAP_CAPTION)
        document.add_picture(io.BytesIO(content.theme_map), width=Cm(16))
    for finding in content.findings:
        document.add_heading(finding.theme.name, level=min(finding.level + 1, 3))
        note = STATUS_NOTES.get(finding.theme.status, "")
        if note:
            document.add_paragraph(note, style=NOTE_STYLE)
        for block in re.split(r"\n\s*\n", finding.narrative.strip()):
            _block(document, block.strip(), finding, content, quote)


def _block(document: DocumentObject, block: str, finding: Finding, content: ReportContent,
           quote: QuoteWriter) -> None:
    """One Markdown block: a heading, a bullet list, or a paragraph split around its citations."""
    if not block:
        return
    if block.startswith("#"):
        document.add_paragraph(block.lstrip("#").strip(), style="Heading 4")
        return
    lines = block.splitlines()
    if all(re.match(r"\s*[-*+] ", line) for line in lines):
        for line in lines:
            _inline(document.add_paragraph(style="List Bullet"), re.sub(r"^\s*[-*+] ", "", line), finding,
                    document, content, quote)
        return
    _inline(document.add_paragraph(), " ".join(block.split()), finding, document, content, quote)


def _inline(paragraph, text: str, finding: Finding, document: DocumentObject, content: ReportContent,
            quote: QuoteWriter) -> None:
    """Text with emphasis into ``paragraph``; at each citation the passage is quoted and the text goes on below."""
    pieces = CITATION.split(text)  # text, uid, text, uid, ...
    after_quote = False
    for n, piece in enumerate(pieces):
        if n % 2:
            excerpt = finding.cited.get(piece)
            if excerpt is None:
                paragraph.add_run(" " + MISSING)
                after_quote = False
                continue
            if not paragraph.text.strip():
                paragraph._p.getparent().remove(paragraph._p)
            quote(document, excerpt, content)
            paragraph, after_quote = document.add_paragraph(), True
            continue
        piece = re.sub(r"^[\s.,;:]+", "", piece) if after_quote else piece  # the sentence ended at the quote
        for part in _EMPHASIS.split(piece.rstrip() if n + 1 < len(pieces) else piece):
            if not part:
                continue
            if part.startswith("**"):
                paragraph.add_run(part[2:-2]).bold = True
            elif part.startswith("*") and len(part) > 2:
                paragraph.add_run(part[1:-1]).italic = True
            else:
                paragraph.add_run(part)
    if not paragraph.text.strip():
        paragraph._p.getparent().remove(paragraph._p)
