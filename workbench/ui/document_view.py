"""A source as render data for the Code page: blocks of text runs with the codings and suggestions covering them.

Streamlit-free. Every run carries its ``[start, end)`` in code points of the source text (Python string
indices); the browser component maps a mouse selection back onto those offsets. All text that comes from
sources, codebooks or imports is HTML-escaped here, and colours are checked, before anything is rendered.
"""
from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

from workbench.model import Code, Coding, Segment
from workbench.assist.review import QueueRow, accept_suggestions, review_queue  # noqa: F401  (the page's names)
from workbench.sources.speakers import skipped_speakers
from workbench.store import Store, Suggestion

PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2",
           "#7f7f7f", "#bcbd22")
_COLOR = re.compile(r"#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})")
_LABEL_GAP = re.compile(r"[^\n:]{1,80}:")  # "Maureen:" between two turns: the header already says it


def safe_color(color: str | None, code_id: int) -> str:
    """The code's colour if it is a plain ``#rgb``/``#rrggbb``, else a palette colour chosen by id."""
    if color and _COLOR.fullmatch(color.strip()):
        value = color.strip().lower()
        return "#" + "".join(ch * 2 for ch in value[1:]) if len(value) == 4 else value
    return PALETTE[code_id % len(PALETTE)]


def format_time(seconds: float | None) -> str:
    """A recording position as ``hh:mm:ss``."""
    if seconds is None:
        return ""
    total = int(seconds)
    return f"{total // 3600:02d}:{total % 3600 // 60:02d}:{total % 60:02d}"


def format_date(value: str | None) -> str:
    """An ISO date as ``8 Apr 2024`` (other values unchanged)."""
    if not value:
        return ""
    try:
        day = date.fromisoformat(value[:10])
    except ValueError:
        return value
    return f"{day.day} {day:%b %Y}"


def header_for(segment: Segment) -> str:
    """A block's header: speaker, time, date and label joined by `` · `` (e.g. ``Maureen · 00:01:05``)."""
    parts = [segment.speaker or "", format_time(segment.start_time), format_date(segment.entry_date),
             segment.label or ""]
    return " · ".join(p for p in parts if p)


def trim_span(text: str, start: int, end: int) -> tuple[int, int]:
    """``[start, end)`` clipped to the text and without white space at either end."""
    start, end = max(0, start), min(len(text), end)
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def snap_to_words(text: str, start: int, end: int) -> tuple[int, int]:
    """``[start, end)`` trimmed of white space and widened so that no word is cut in half."""
    start, end = trim_span(text, start, end)
    if start >= end:
        return start, end
    while start > 0 and text[start - 1].isalnum() and text[start].isalnum():
        start -= 1
    while end < len(text) and text[end].isalnum() and text[end - 1].isalnum():
        end += 1
    return start, end


@dataclass(frozen=True)
class Mark:
    """A coding or a pending suggestion as the document shows it."""

    kind: str  # "coding" | "suggestion"
    id: int
    start: int
    end: int
    code_id: int
    code: str  # the code's name
    path: str  # the code's path in the tree
    color: str  # a checked colour
    coder: str = ""
    memo: str = ""
    origin: str = "manual"
    score: float | None = None
    reason: str = ""
    provenance: str = ""  # for codings from accepted suggestions: "machine-suggested, accepted … by X"


@dataclass
class Run:
    """A stretch of text with one constant set of marks over it."""

    start: int
    end: int
    codings: tuple[int, ...] = ()
    suggestions: tuple[int, ...] = ()
    colors: tuple[str, ...] = ()  # of the codings, outermost (earliest, longest) first
    underline: str = ""  # the colour of the innermost suggestion: each suggestion underlined in its code's colour


@dataclass
class Block:
    """A turn, entry, answer, post or paragraph (or text between them): header, runs and margin items."""

    kind: str
    start: int
    end: int
    header: str
    runs: list[Run] = field(default_factory=list)
    speaker: str | None = None
    start_time: float | None = None  # seconds into the recording
    end_time: float | None = None
    date: str | None = None
    label: str | None = None
    marks: list[Mark] = field(default_factory=list)  # the marks that start in this block, in text order


@dataclass
class DocumentView:
    """Everything the Code page draws for one source."""

    source_id: int
    text: str
    blocks: list[Block]
    marks: list[Mark]  # codings and suggestions in text order

    def mark(self, kind: str, mark_id: int) -> Mark | None:
        """One mark by kind and id."""
        return next((m for m in self.marks if m.kind == kind and m.id == mark_id), None)

    askers: frozenset[str] = frozenset()  # speakers (case-folded) who ask rather than tell

    def marks_at(self, offset: int) -> list[Mark]:
        """The marks covering a position of the text."""
        return [m for m in self.marks if m.start <= offset < m.end]

    def speakers(self) -> list[str]:
        """The speakers of the source's turns, in order of first appearance."""
        return list(dict.fromkeys(b.speaker for b in self.blocks if b.speaker))


# -- building --------------------------------------------------------------------------------------
def code_lookup(codes: Sequence[Code]) -> dict[int, tuple[str, str, str]]:
    """Code id → (name, path, checked colour); children inherit a parent's colour when they have none."""
    by_id = {c.id: c for c in codes}
    result: dict[int, tuple[str, str, str]] = {}
    for code in codes:  # parents come before their children
        parent = result.get(code.parent_id) if code.parent_id is not None else None
        path = f"{parent[1]}/{code.name}" if parent else code.name
        own = code.color if code.color and _COLOR.fullmatch(code.color.strip()) else None
        color = safe_color(own, code.id) if own or not parent else parent[2]
        result[code.id] = (code.name, path, color)
    for code_id in by_id.keys() - result.keys():  # orphans, should there be any
        result[code_id] = (by_id[code_id].name, by_id[code_id].name, safe_color(by_id[code_id].color, code_id))
    return result


def quick_codes(codes: Sequence[Code], counts: dict[int, int], recent: Sequence[int] = ()) -> list[dict]:
    """The codable codes as the quick code panel lists them: recently used first, then the most used, then by
    path; each with its name, path, checked colour and number of codings (plain data: the browser shows it
    as text)."""
    lookup = code_lookup(codes)
    codable = [c for c in codes if c.codable]
    seen = [c for c in recent if c in lookup and any(x.id == c for x in codable)]
    rest = sorted((c.id for c in codable if c.id not in seen), key=lambda i: (-counts.get(i, 0), lookup[i][1].casefold()))
    return [{"id": i, "name": lookup[i][0], "path": lookup[i][1], "color": lookup[i][2],
             "count": counts.get(i, 0), "recent": i in seen} for i in [*seen, *rest]]


def to_marks(codings: Iterable[Coding], suggestions: Iterable[Suggestion],
             codes: dict[int, tuple[str, str, str]]) -> list[Mark]:
    """Codings and suggestions as marks, in text order (longer first where they start together)."""
    unknown = ("?", "?", PALETTE[0])
    marks = [Mark("coding", c.id, c.start, c.end, c.code_id, *codes.get(c.code_id, unknown), coder=c.coder,
                  memo=c.memo or "", origin=c.origin, score=c.score, reason=c.reason or "",
                  provenance=c.provenance) for c in codings]
    marks += [Mark("suggestion", s.id, s.start, s.end, s.code_id, *codes.get(s.code_id, unknown),
                   coder=s.suggester, score=s.score, reason=s.reason or "") for s in suggestions]
    # Where marks start together, by code before kind: an accepted suggestion's coding keeps its card's place.
    marks.sort(key=lambda m: (m.start, -m.end, m.path, m.kind, m.id))
    return marks


def blocks_for(text: str, segments: Sequence[Segment]) -> list[Block]:
    """The source's structural segments as blocks, plus blocks for any text between them worth showing."""
    structural = sorted((s for s in segments if s.kind != "sentence"), key=lambda s: (s.start, s.end))
    blocks: list[Block] = []
    pos = 0
    for seg in structural:
        start, end = max(seg.start, pos), min(seg.end, len(text))
        if start >= end:
            continue
        gap = _gap_block(text, pos, start, seg)
        if gap:
            blocks.append(gap)
        header = header_for(seg)
        if gap and seg.speaker is None and seg.start_time is None:
            header = ""  # a diary's "## Monday 8 April 2024" line already heads its entry
        blocks.append(Block(seg.kind, start, end, header, speaker=seg.speaker, start_time=seg.start_time,
                            end_time=seg.end_time, date=seg.entry_date, label=seg.label))
        pos = end
    tail = _gap_block(text, pos, len(text), None)
    if tail:
        blocks.append(tail)
    if not blocks and text:
        blocks.append(Block("paragraph", 0, len(text), ""))
    return blocks


def _gap_block(text: str, start: int, end: int, following: Segment | None) -> Block | None:
    stripped = text[start:end].strip()
    if not stripped:
        return None
    if following is not None and following.speaker and _LABEL_GAP.fullmatch(stripped):
        return None
    first, last = trim_span(text, start, end)
    return Block("gap", first, last, "")


def split_runs(blocks: list[Block], marks: Sequence[Mark]) -> None:
    """Fill each block's runs: cut at every mark boundary, each run knowing the marks over it."""
    starts: dict[int, list[Mark]] = {}
    ends: dict[int, list[Mark]] = {}
    cuts: set[int] = set()
    for m in marks:
        starts.setdefault(m.start, []).append(m)
        ends.setdefault(m.end, []).append(m)
        cuts.update((m.start, m.end))
    for b in blocks:
        cuts.update((b.start, b.end))
    points = sorted(cuts)
    active: dict[tuple[str, int], Mark] = {}
    block_index = 0
    for a, b in zip(points, points[1:]):
        for m in ends.get(a, ()):
            active.pop((m.kind, m.id), None)
        for m in starts.get(a, ()):
            active[(m.kind, m.id)] = m
        while block_index < len(blocks) and blocks[block_index].end <= a:
            block_index += 1
        if block_index == len(blocks) or blocks[block_index].start > a:
            continue  # text no block shows (blank lines, speaker labels)
        on = sorted(active.values(), key=lambda m: (m.start, -m.end, m.id))
        codings = [m for m in on if m.kind == "coding"]
        suggested = [m for m in on if m.kind == "suggestion"]
        blocks[block_index].runs.append(Run(
            a, b, tuple(m.id for m in codings), tuple(m.id for m in suggested),
            tuple(dict.fromkeys(m.color for m in codings)), suggested[-1].color if suggested else ""))
    for m in marks:  # margin items sit beside the block their words start in
        target = _block_at(blocks, m.start)
        if target is not None:
            target.marks.append(m)


def _block_at(blocks: list[Block], offset: int) -> Block | None:
    lo, hi = 0, len(blocks)
    while lo < hi:
        mid = (lo + hi) // 2
        if blocks[mid].end <= offset:
            lo = mid + 1
        else:
            hi = mid
    if lo < len(blocks):
        return blocks[lo]  # the block containing the offset, or the next one after a hidden gap
    return blocks[-1] if blocks else None


def build_view(source_id: int, text: str, segments: Sequence[Segment], codings: Iterable[Coding],
               suggestions: Iterable[Suggestion], codes: Sequence[Code], *,
               askers: Iterable[str] = ()) -> DocumentView:
    """The render data of a source, from plain records (``askers``: speakers who ask rather than tell)."""
    marks = to_marks(codings, suggestions, code_lookup(codes))
    blocks = blocks_for(text, segments)
    split_runs(blocks, marks)
    return DocumentView(source_id, text, blocks, marks, frozenset(a.casefold() for a in askers))


def load_view(store: Store, source_id: int, *, coders: Sequence[str] | None = None,
              show_suggestions: bool = True) -> DocumentView:
    """The render data of a source as stored (codings of ``coders`` only, when given)."""
    source = store.get_source(source_id)
    codings = store.codings(source_id=source_id, coders=list(coders) if coders else None)
    suggestions = pending_suggestions(store, source_id) if show_suggestions else []
    return build_view(source_id, source.text, store.segments(source_id, structural_only=True), codings,
                      suggestions, store.codes(), askers=skipped_speakers(store))


# -- HTML ------------------------------------------------------------------------------------------
def _esc(value: str) -> str:
    return html.escape(value, quote=True)


def _run_html(text: str, run: Run) -> str:
    words = _esc(text[run.start:run.end])
    if not run.codings and not run.suggestions:
        return f'<span data-s="{run.start}">{words}</span>'
    attrs = [f'data-s="{run.start}"']
    classes = []
    style = []
    if run.codings:
        classes.append("wb-c")
        attrs.append(f'data-c="{" ".join(map(str, run.codings))}"')
        bands = run.colors[:6]
        style.append("background-image:" + ",".join(f"linear-gradient({c},{c})" for c in bands))
        style.append("background-position:" + ",".join(f"0 calc(100% - {3 * i}px)" for i in range(len(bands))))
        style.append(f"padding-bottom:{3 * len(bands) - 1}px")
        style.append(f"background-color:{bands[0]}1f")
    if run.suggestions:
        classes.append("wb-g")
        attrs.append(f'data-g="{" ".join(map(str, run.suggestions))}"')
        style.append(f"text-decoration-color:{run.underline}")
    return (f'<span class="{" ".join(classes)}" {" ".join(attrs)}'
            + (f' style="{";".join(style)}"' if style else "") + f">{words}</span>")


def _mark_html(mark: Mark, decide: bool = True) -> str:
    """A margin card: one line (colour, code, coder or score, ✓ ✗ unless not ``decide``), so cards stay beside
    their words."""
    kind = "c" if mark.kind == "coding" else "g"
    if mark.kind == "coding":
        title = f"{mark.path} — {mark.coder}" + (f" — memo: {mark.memo}" if mark.memo else "")
        detail = f"<small>{_esc(mark.coder)}</small>" + ('<b class="wb-memo">✎</b>' if mark.memo else "")
        extra = f' data-code="{mark.code_id}" data-coder="{_esc(mark.coder)}"'  # for the coding stripes
    else:
        title = f"{mark.path} — suggested: {mark.reason}"
        buttons = ('<span class="wb-act"><button type="button" data-act="accept" title="Accept (a)">✓</button>'
                   '<button type="button" data-act="reject" title="Reject (r)">✗</button></span>') if decide else ""
        detail = f'<small>{mark.score:.2f}</small>{buttons}<span class="wb-why">{_esc(mark.reason)}</span>'
        extra = ""
    return (f'<div class="wb-chip" data-k="{kind}" data-id="{mark.id}" data-s="{mark.start}" data-e="{mark.end}"'
            f'{extra} style="--c:{mark.color}" title="{_esc(title)}" tabindex="0"><i></i>'
            f'<span class="wb-name">{_esc(mark.code)}</span>{detail}</div>')


def _seconds(value: float) -> str:
    return f"{value:.3f}".rstrip("0").rstrip(".")


def _block_open(block: Block, askers: frozenset[str]) -> str:
    """A block's element: ``wb-block`` with data-start/data-end in seconds when known (the recording player's
    contract), the speaker and their role (``asks`` for interviewers and facilitators, else ``tells``)."""
    attrs = [f'class="wb-blk wb-block wb-{block.kind}"', f'data-s="{block.start}"', f'data-e="{block.end}"']
    if block.start_time is not None:
        attrs.append(f'data-start="{_seconds(block.start_time)}"')
    if block.end_time is not None:
        attrs.append(f'data-end="{_seconds(block.end_time)}"')
    if block.speaker:
        role = "asks" if block.speaker.casefold() in askers else "tells"
        attrs.append(f'data-speaker="{_esc(block.speaker)}" data-role="{role}"')
    return f'<div {" ".join(attrs)}>'


def _header_html(block: Block) -> str:
    """The header's parts joined by `` · ``; the time is a ``wb-time`` button that plays the recording from
    there (workbench/ui/player.js)."""
    parts = [_esc(block.speaker or "")]
    if block.start_time is not None:
        parts.append(f'<button type="button" class="wb-time" data-start="{_seconds(block.start_time)}" '
                     f'title="Play from here">{format_time(block.start_time)}</button>')
    parts += [_esc(format_date(block.date)), _esc(block.label or "")]
    return " · ".join(p for p in parts if p)


def render_html(view: DocumentView, *, decide: bool = True) -> str:
    """The document as HTML: escaped text in runs that carry their code-point offsets, and a margin (suggestion
    cards with ✓ ✗ unless not ``decide``: a viewer in team mode)."""
    parts = []
    text = view.text
    for block in view.blocks:
        parts.append(_block_open(block, view.askers))
        if block.header:
            parts.append(f'<div class="wb-hd">{_header_html(block)}</div>')
        parts.append('<div class="wb-row"><div class="wb-tx">')
        parts.extend(_run_html(text, run) for run in block.runs)
        parts.append('</div><div class="wb-st"></div><div class="wb-mg">')  # stripes: drawn by document.js
        parts.extend(_mark_html(m, decide) for m in block.marks)
        parts.append("</div></div></div>")
    return "".join(parts)


def view_version(html_text: str) -> str:
    """A short fingerprint of rendered HTML (the component re-draws only when it changes)."""
    return hashlib.blake2b(html_text.encode("utf-8"), digest_size=8).hexdigest()


# -- suggestions (the lead may move these into the store's public API) -----------------------------
def pending_suggestions(store: Store, source_id: int) -> list[Suggestion]:
    """A source's pending suggestions in text order."""
    return sorted(store.suggestions(source_id=source_id, status="pending"), key=lambda s: (s.start, s.end, s.id))
