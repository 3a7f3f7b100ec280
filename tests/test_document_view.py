"""The Code page's render data: runs, headers, escaping, code-point offsets, and the suggestion helpers."""
from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path

import pytest

from workbench.ui import document_view as dv
from workbench.sources.importer import ingest_paths
from workbench.model import Code, Coding, Segment
from workbench.store import NewSuggestion, Store, Suggestion

HOSTILE = "<script>alert('x')</script> and <img src=x onerror=alert(1)> & \"quotes\""


def code(code_id: int, name: str = "", color: str | None = None, parent_id: int | None = None) -> Code:
    return Code(id=code_id, uid=f"U{code_id}", name=name or f"code{code_id}", parent_id=parent_id, color=color)


def coding(coding_id: int, start: int, end: int, code_id: int, coder: str = "amira", memo: str = "") -> Coding:
    return Coding(id=coding_id, uid=f"C{coding_id}", source_id=1, start=start, end=end, code_id=code_id,
                  coder=coder, created_at="2024-01-01", memo=memo)


def suggestion(sid: int, start: int, end: int, code_id: int, reason: str = "keyword") -> Suggestion:
    return Suggestion(id=sid, source_id=1, start=start, end=end, code_id=code_id, score=0.75, reason=reason,
                      suggester="lexical", model=None, status="pending", created_at="2024-01-01")


def paragraph(start: int, end: int, **extra) -> Segment:
    return Segment(id=start + 1, source_id=1, kind=extra.pop("kind", "paragraph"), start=start, end=end, **extra)


class Collect(HTMLParser):
    """Every tag with its attributes, and the text of each run span (unescaped) with its data-s."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.runs: list[tuple[int, str]] = []
        self._stack: list[dict] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append((tag, attrs))
        self._stack.append({"tag": tag, "attrs": attrs, "text": ""})

    def handle_endtag(self, tag):
        item = self._stack.pop()
        parent = self._stack[-1] if self._stack else None
        if tag == "span" and "data-s" in item["attrs"] and parent and "wb-tx" in parent["attrs"].get("class", ""):
            self.runs.append((int(item["attrs"]["data-s"]), item["text"]))

    def handle_data(self, data):
        if self._stack:
            self._stack[-1]["text"] += data


def parse(html_text: str) -> Collect:
    parser = Collect()
    parser.feed(html_text)
    parser.close()
    return parser


def test_runs_split_at_every_overlapping_boundary() -> None:
    text = "abcdefghij"
    view = dv.build_view(1, text, [paragraph(0, 10)],
                         [coding(1, 2, 6, 10), coding(2, 4, 8, 20)], [suggestion(7, 5, 9, 10)],
                         [code(10, color="#ff0000"), code(20, color="#0000ff")])
    runs = [(r.start, r.end, r.codings, r.suggestions, r.colors) for r in view.blocks[0].runs]
    assert runs == [
        (0, 2, (), (), ()),
        (2, 4, (1,), (), ("#ff0000",)),
        (4, 5, (1, 2), (), ("#ff0000", "#0000ff")),
        (5, 6, (1, 2), (7,), ("#ff0000", "#0000ff")),
        (6, 8, (2,), (7,), ("#0000ff",)),
        (8, 9, (), (7,), ()),
        (9, 10, (), (), ()),
    ]
    html_text = dv.render_html(view)
    # Overlaps stay visible: one coloured band per code on the doubly coded run.
    assert html_text.count("linear-gradient(#ff0000,#ff0000),linear-gradient(#0000ff,#0000ff)") == 2


def test_runs_tile_every_block_exactly() -> None:
    text = "Interviewer: Hello there.\n\nMaureen: I go every Saturday. It keeps me sane.\n\n"
    segments = [paragraph(13, 25, kind="turn", speaker="Interviewer", start_time=2.0),
                paragraph(36, 74, kind="turn", speaker="Maureen", start_time=65.0)]
    assert text[36:74] == "I go every Saturday. It keeps me sane."
    codings = [coding(1, 15, 40, 1), coding(2, 40, 60, 2), coding(3, 38, 74, 1, coder="tom")]
    view = dv.build_view(1, text, segments, codings, [suggestion(1, 0, 20, 2)], [code(1), code(2)])
    for block in view.blocks:
        assert block.runs[0].start == block.start and block.runs[-1].end == block.end
        assert all(a.end == b.start for a, b in zip(block.runs, block.runs[1:]))
    # Runs in the rendered HTML hold exactly the text at their offsets.
    for start, shown in parse(dv.render_html(view)).runs:
        assert text[start:start + len(shown)] == shown
    # Margin notes sit beside the block their words start in (the suggestion starts in a hidden label).
    assert [m.id for m in view.blocks[0].marks if m.kind == "coding"] == [1]
    assert [m.kind for m in view.blocks[0].marks].count("suggestion") == 1
    assert {m.id for m in view.blocks[1].marks} == {2, 3}


def test_headers_show_speaker_time_and_dates_and_hide_redundant_labels() -> None:
    text = "Interviewer: How long?\n\nMaureen: Forty years.\n\n## Monday 8 April 2024\n\nCoffee morning."
    def at(words: str) -> tuple[int, int]:
        return text.index(words), text.index(words) + len(words)

    segments = [paragraph(*at("How long?"), kind="turn", speaker="Interviewer", start_time=2.0),
                paragraph(*at("Forty years."), kind="turn", speaker="Maureen", start_time=65.0),
                paragraph(*at("Coffee morning."), kind="entry", entry_date="2024-04-08")]
    view = dv.build_view(1, text, segments, [], [], [])
    assert [(b.kind, b.header) for b in view.blocks] == [
        ("turn", "Interviewer · 00:00:02"), ("turn", "Maureen · 00:01:05"),
        ("gap", ""), ("entry", "")]  # the diary's own heading line heads its entry
    assert text[view.blocks[2].start:view.blocks[2].end] == "## Monday 8 April 2024"
    html_text = dv.render_html(view)
    assert "Maureen:" not in html_text  # the speaker label is the header, not repeated text
    assert dv.header_for(paragraph(0, 5, kind="post", speaker="@grace", entry_date="2024-03-12",
                                   label="Hub noticeboard")) == "@grace · 12 Mar 2024 · Hub noticeboard"


def test_hostile_text_code_names_and_colours_render_inert() -> None:
    text = f"Start. {HOSTILE} End."
    codes = [code(1, name='<b onmouseover="x()">Trust</b>', color="red;background:url(javascript:alert(1))"),
             code(2, name="Safe", color='#abc" onload="x')]
    view = dv.build_view(1, text, [paragraph(0, len(text))],
                         [coding(1, 7, 40, 1, coder="<i>eve</i>", memo='"><script>bad()</script>')],
                         [suggestion(5, 10, 30, 2, reason="<img src=y onerror=alert(3)>")], codes)
    html_text = dv.render_html(view)
    parsed = parse(html_text)
    tags = {tag for tag, _ in parsed.tags}
    assert tags <= {"div", "span", "i", "small", "b", "button"}
    assert "script" not in tags and "img" not in tags
    allowed = {"class", "style", "title", "tabindex", "type", "data-s", "data-e", "data-c", "data-g", "data-k",
               "data-id", "data-act", "data-code", "data-coder", "data-start", "data-end", "data-speaker",
               "data-role"}
    for tag, attrs in parsed.tags:
        assert set(attrs) <= allowed, (tag, attrs)
        assert "javascript" not in (attrs.get("style") or "")
        assert not any(name.startswith("on") for name in attrs)
    # The words come back exactly, as text, not markup.
    assert "".join(shown for _start, shown in parsed.runs) == text
    # A colour that is not a plain hex colour is replaced by a palette colour.
    assert dv.safe_color("red;background:url(javascript:alert(1))", 3) == dv.PALETTE[3]
    assert dv.safe_color('#abc" onload="x', 1) == dv.PALETTE[1]
    assert dv.safe_color("#ABC", 1) == "#aabbcc"


def test_emoji_and_other_astral_characters_keep_code_point_offsets() -> None:
    text = "Grace 👩🏽‍🌾 said: the 𝒢arden 😀 keeps me sane."
    start = text.index("keeps")
    end = start + len("keeps me sane")
    view = dv.build_view(1, text, [paragraph(0, len(text))], [coding(1, start, end, 1)], [], [code(1)])
    coded = [r for r in view.blocks[0].runs if r.codings]
    assert [(r.start, r.end) for r in coded] == [(start, end)]
    parsed = parse(dv.render_html(view))
    for run_start, shown in parsed.runs:
        assert text[run_start:run_start + len(shown)] == shown  # Python length = code points
    # JavaScript would count UTF-16 units: the same run starts later there, which the component corrects.
    utf16_start = len(text[:start].encode("utf-16-le")) // 2
    assert utf16_start > start
    assert dv.snap_to_words(text, start + 2, end - 1) == (start, end)


def test_trim_and_snap_spans() -> None:
    text = "  a lifeline when money is tight.  "
    assert dv.trim_span(text, 0, len(text)) == (2, len(text) - 2)
    assert dv.trim_span(text, 0, 2) == (2, 2)
    inner = text.index("ifeline")
    assert dv.snap_to_words(text, inner, inner + 3) == (inner - 1, inner + 7)
    assert dv.snap_to_words(text, -5, 10_000) == (2, len(text) - 2)


def test_children_inherit_their_parents_colour() -> None:
    lookup = dv.code_lookup([code(1, "Parent", "#123456"), code(2, "Child", None, parent_id=1),
                             code(3, "Own", "#654321", parent_id=1)])
    assert lookup[2] == ("Child", "Parent/Child", "#123456")
    assert lookup[3][2] == "#654321"


# -- against a real project ---------------------------------------------------------------------------
@pytest.fixture
def project(tmp_path: Path) -> Store:
    store = Store.create(tmp_path / "p.wbproj", name="test")
    folder = tmp_path / "files"
    folder.mkdir()
    (folder / "maureen.txt").write_text("Interviewer: How did you get involved?\n\nMaureen: My neighbour dragged me "
                                        "along to the garden. Now I go every Saturday.\n", encoding="utf-8")
    (folder / "grace.txt").write_text("Interviewer: And the pantry?\n\nGrace: The pantry is a lifeline when money "
                                      "is tight.\n", encoding="utf-8")
    (folder / "attributes.csv").write_text("file,site\nmaureen.txt,Northgate\ngrace.txt,Seacombe\n",
                                           encoding="utf-8")
    report = ingest_paths(store, [folder], actor="tester")
    assert len(report.added) == 2 and not report.skipped
    parent = store.add_code("Social connectivity", "tester", codable=False, color="#5d721d")
    store.add_code("Bonding ties", "tester", parent_id=parent)
    store.add_code("Food", "tester", color="#ff7f0e")
    return store


def _suggest(store: Store, name: str, words: str, code_name: str, score: float) -> None:
    source = store.source_by_name(name)
    start = source.text.index(words)
    store.replace_suggestions([NewSuggestion(source.id, start, start + len(words), store.find_code(code_name).id,
                                             score, f"mentions {words.split()[0]}", "lexical")], "engine",
                              code_ids=[store.find_code(code_name).id], source_ids=[source.id])


def test_load_view_and_pending_suggestions_from_the_store(project: Store) -> None:
    _suggest(project, "maureen.txt", "dragged me along", "Bonding ties", 0.9)
    source = project.source_by_name("maureen.txt")
    start = source.text.index("Now I go")
    project.add_coding(source.id, start, start + 20, project.find_code("Bonding ties").id, "amira")
    view = dv.load_view(project, source.id)
    assert [(m.kind, m.path) for m in view.marks] == [("suggestion", "Social connectivity/Bonding ties"),
                                                      ("coding", "Social connectivity/Bonding ties")]
    assert view.marks[1].color == "#5d721d"  # inherited from the category
    assert [b.header for b in view.blocks] == ["Interviewer", "Maureen"]
    assert dv.load_view(project, source.id, coders=["tom"], show_suggestions=False).marks == []
    assert len(dv.pending_suggestions(project, source.id)) == 1
    json.dumps({"html": dv.render_html(view)})  # what the component is sent must serialise


def test_review_queue_filters_and_bulk_accept(project: Store) -> None:
    _suggest(project, "maureen.txt", "dragged me along", "Bonding ties", 0.9)
    _suggest(project, "grace.txt", "The pantry is a lifeline", "Food", 0.6)
    queue = dv.review_queue(project)
    assert [(r.source, r.code, r.quote) for r in queue] == [
        ("maureen.txt", "Social connectivity/Bonding ties", "dragged me along"),
        ("grace.txt", "Food", "The pantry is a lifeline")]
    assert [r.source for r in dv.review_queue(project, attributes={"site": "Seacombe"})] == ["grace.txt"]
    assert [r.source for r in dv.review_queue(project, min_score=0.8)] == ["maureen.txt"]
    accepted, problems = dv.accept_suggestions(project, [r.id for r in queue] + [queue[0].id], "zoe")
    assert accepted == 2 and len(problems) == 1 and "already accepted" in problems[0]
    codings = project.codings(coders=["zoe"])
    assert {c.origin for c in codings} == {"suggestion"} and {c.accepted_by for c in codings} == {"zoe"}
    assert dv.review_queue(project) == []


def test_blocks_carry_times_speakers_and_roles_for_the_player_and_the_speaker_filter() -> None:
    """The recording player's contract: each block is a `.wb-block` with data-start/data-end in seconds
    (left out when unknown) and its time label a `.wb-time` with data-start; speakers and roles are attributes."""
    text = "Interviewer: How long?\n\nMaureen: Forty years.\n\nA note with no time."
    def at(words: str) -> tuple[int, int]:
        return text.index(words), text.index(words) + len(words)

    segments = [paragraph(*at("How long?"), kind="turn", speaker="Interviewer", start_time=2.0, end_time=4.5),
                paragraph(*at("Forty years."), kind="turn", speaker="Maureen", start_time=65.25),
                paragraph(*at("A note with no time."))]
    view = dv.build_view(1, text, segments, [], [], [], askers=["interviewer"])
    parsed = parse(dv.render_html(view))
    blocks = [attrs for tag, attrs in parsed.tags if "wb-block" in (attrs.get("class") or "").split()]
    assert [(b.get("data-start"), b.get("data-end")) for b in blocks] == [("2", "4.5"), ("65.25", None),
                                                                          (None, None)]
    assert [(b.get("data-speaker"), b.get("data-role")) for b in blocks] == [
        ("Interviewer", "asks"), ("Maureen", "tells"), (None, None)]
    times = [attrs for tag, attrs in parsed.tags if "wb-time" in (attrs.get("class") or "").split()]
    assert [t["data-start"] for t in times] == ["2", "65.25"]
    assert [b.header for b in view.blocks] == ["Interviewer · 00:00:02", "Maureen · 00:01:05", ""]
    assert view.speakers() == ["Interviewer", "Maureen"]


def test_each_suggestion_is_underlined_in_its_codes_colour_and_cards_keep_their_place_when_accepted() -> None:
    text = "We rent a flat. The pantry is a lifeline when money is tight."
    codes = [code(1, "Housing", "#ff0000"), code(2, "Poverty", "#0000ff"), code(3, "Food", "#00ff00")]
    pantry = text.index("The pantry")
    view = dv.build_view(1, text, [paragraph(0, len(text))], [coding(9, pantry, len(text), 3)],
                         [suggestion(1, 0, 15, 1), suggestion(2, pantry, len(text), 2)], codes)
    underlined = {r.suggestions: r.underline for r in view.blocks[0].runs if r.suggestions}
    assert underlined == {(1,): "#ff0000", (2,): "#0000ff"}
    html_text = dv.render_html(view)
    assert "text-decoration-color:#ff0000" in html_text and "text-decoration-color:#0000ff" in html_text
    assert 'data-k="c" data-id="9" data-s="%d" data-e="%d" data-code="3" data-coder="amira"' % (
        pantry, len(text)) in html_text
    # Cards starting at the same words sit in code order, whatever their kind: accepting the Poverty suggestion
    # turns its card into a coding card in the same place, and no other card moves into it.
    before = [(m.kind, m.code) for m in view.blocks[0].marks if m.start == pantry]
    accepted = dv.build_view(1, text, [paragraph(0, len(text))],
                             [coding(9, pantry, len(text), 3), coding(10, pantry, len(text), 2, coder="zoe")],
                             [suggestion(1, 0, 15, 1)], codes)
    after = [(m.kind, m.code) for m in accepted.blocks[0].marks if m.start == pantry]
    assert [name for _kind, name in before] == [name for _kind, name in after] == ["Food", "Poverty"]


def test_quick_codes_list_recent_codes_first_then_the_most_used() -> None:
    codes = [code(1, "Social connectivity", "#123456"), code(2, "Bonding ties", parent_id=1),
             code(3, "<b>Food</b>", "#00ff00"), code(4, "Housing", "#ff0000"),
             Code(id=5, uid="U5", name="Category", codable=False)]
    quick = dv.quick_codes(codes, {4: 7, 2: 1, 5: 9}, recent=[3, 99])
    assert [(q["id"], q["recent"], q["count"]) for q in quick] == [(3, True, 0), (4, False, 7), (2, False, 1),
                                                                   (1, False, 0)]
    assert quick[2] == {"id": 2, "name": "Bonding ties", "path": "Social connectivity/Bonding ties",
                        "color": "#123456", "count": 1, "recent": False}
    assert quick[0]["name"] == "<b>Food</b>"  # plain data: the component sets it as text, never as HTML


def test_timed_blocks_carry_seconds_and_a_time_label_for_the_player() -> None:
    # The contract with workbench/ui/player.js: a block is `.wb-block` with data-start/data-end in seconds,
    # its time label `.wb-time` with data-start; a block without times has neither.
    text = "Interviewer: How long?\n\nMaureen: Forty years.\n\nA note with no time."
    def at(words: str) -> tuple[int, int]:
        return text.index(words), text.index(words) + len(words)

    segments = [paragraph(*at("How long?"), kind="turn", speaker="Interviewer", start_time=2.0, end_time=4.25),
                paragraph(*at("Forty years."), kind="turn", speaker="Maureen<b>", start_time=65.5),
                paragraph(*at("A note with no time."))]
    tags = parse(dv.render_html(dv.build_view(1, text, segments, [], [], []))).tags
    blocks = [a for t, a in tags if "wb-block" in a.get("class", "").split()]
    assert [(b.get("data-start"), b.get("data-end")) for b in blocks] == [("2", "4.25"), ("65.5", None),
                                                                          (None, None)]
    times = [(t, a) for t, a in tags if "wb-time" in a.get("class", "").split()]
    assert [(t, a["data-start"], a.get("type")) for t, a in times] == [("button", "2", "button"),
                                                                       ("button", "65.5", "button")]
    html_text = dv.render_html(dv.build_view(1, text, segments, [], [], []))
    assert "Maureen&lt;b&gt; · <button" in html_text and ">00:01:05</button>" in html_text
