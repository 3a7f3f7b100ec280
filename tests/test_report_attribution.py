"""Every quote in the report is attributed the same way: who, role, site · kind of source, time or date."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from workbench.export.report import ReportContent, ReportOptions, gather_report
from workbench.export.report.sections import attribution_line
from workbench.sources.demo import build_demo

SITES = ("Northgate", "Ashby Vale", "Seacombe")
KINDS = ("interview", "diary", "journal", "field note", "survey", "social media post", "document")
FILE_ENDINGS = re.compile(r"\.(txt|md|docx|vtt|srt|csv|json|xlsx|pdf)\b|_")
DATE = r"\d{1,2} (January|February|March|April|May|June|July|August|September|October|November|December) \d{4}"
TIME = r"\d{1,2}:\d{2}(:\d{2})?"
ATTRIBUTION = re.compile(rf"^— (?P<who>.+) · (?P<kind>{'|'.join(KINDS)})(?P<rest>.*)$")


@pytest.fixture(scope="module")
def content(tmp_path_factory: pytest.TempPathFactory) -> ReportContent:
    store = build_demo(Path(tmp_path_factory.mktemp("demo")) / "demo.wbproj")
    return gather_report(store, ReportOptions(max_quotes_per_code=None))


def _shown(content: ReportContent):
    return [e for section in content.code_sections for e in section.shown]


def test_every_quote_is_attributed_who_site_kind_and_never_by_file_name(content: ReportContent) -> None:
    for excerpt in _shown(content):
        line = attribution_line(excerpt)
        match = ATTRIBUTION.match(line)
        assert match, line
        assert not FILE_ENDINGS.search(line), line
        if excerpt.site in SITES:
            assert excerpt.site in match["who"], line


def test_field_notes_are_named_by_site_and_kind_with_their_date(content: ReportContent) -> None:
    notes = [e for e in _shown(content) if e.quote.source_kind == "fieldnote"]
    assert len(notes) > 10
    for excerpt in notes:
        assert re.fullmatch(rf"— ({'|'.join(SITES)}) · field note, {DATE}", attribution_line(excerpt)), \
            attribution_line(excerpt)
    shed = next(e for e in notes if e.quote.source_name == "AV-FN01_mens-shed.txt")
    assert attribution_line(shed) == "— Ashby Vale · field note, 13 March 2024"


def test_posts_are_attributed_to_a_pseudonymous_author_with_site_and_date(content: ReportContent) -> None:
    posts = [e for e in _shown(content) if e.quote.source_kind == "social"]
    assert len(posts) > 10
    for excerpt in posts:
        assert re.fullmatch(rf"— Person \d+, ({'|'.join(SITES)}) · social media post, {DATE}",
                            attribution_line(excerpt)), attribution_line(excerpt)


def test_turns_with_times_carry_their_time_also_from_txt_transcripts(content: ReportContent) -> None:
    timed = [e for e in _shown(content) if e.quote.start_time is not None]
    assert {e.quote.source_name.rsplit(".", 1)[1] for e in timed} >= {"txt", "vtt", "srt"}
    for excerpt in timed:
        assert re.search(rf", {TIME}$", attribution_line(excerpt)), attribution_line(excerpt)


def test_an_interview_dated_in_its_header_gives_that_date(content: ReportContent) -> None:
    sandra = [e for e in _shown(content) if e.quote.source_name == "NG-P01_sandra.docx"]
    assert sandra
    for excerpt in sandra:
        assert attribution_line(excerpt).startswith("— NG-P01, professional, Northgate · interview, 21 March 2024")


def test_no_quote_appears_twice_in_one_theme(content: ReportContent) -> None:
    for theme in content.themes:
        seen: list[tuple[int, int, int, str]] = []
        for section in theme.codes:
            for e in section.shown:
                q = e.quote
                for source_id, start, end, code in seen:
                    overlap = min(end, q.end) - max(start, q.start)
                    assert not (source_id == q.source_id and overlap > 0), \
                        f"{theme.theme.name}: {q.text[:50]!r} under {code} and {q.code_name}"
                seen.append((q.source_id, q.start, q.end, q.code_name))


@pytest.mark.parametrize(("kind", "text", "at", "expected"), [
    ("fieldnote", "13 March 2024 — Men's shed\n\nNine men came.", "Nine", "2024-03-13"),
    ("fieldnote", "## 15 February 2024 — Warm space\n\nQuiet.\n\n## Thursday 7 March 2024 — Again\n\nBusy.",
     "Busy", "2024-03-07"),
    ("fieldnote", "## 15 February 2024 — Warm space\n\nQuiet.\n\n## Thursday 7 March 2024 — Again\n\nBusy.",
     "Quiet", "2024-02-15"),
    ("document", "2025-04-05 repair café\nA kettle.", "kettle", "2025-04-05"),
    ("interview", "Participant ID | NG-P01 Date | 21 March 2024 Setting | the Hub\n\nSandra: Hello.", "Hello",
     "2024-03-21"),
    ("interview", "Date of interview: 2024-03-21\n\nJean: Hello.", "Hello", "2024-03-21"),
    ("interview", "Jean: Hello.\n\n12 March 2024 was the day the bus stopped.", "bus", None),  # speech, not a heading
    ("fieldnote", "31 February 2024 — no such day\n\nLater.", "Later", None),
])
def test_passage_dates_from_headings_and_headers(kind: str, text: str, at: str, expected: str | None) -> None:
    from workbench.analysis.quotes import passage_date, text_dates

    assert passage_date(text_dates(text, kind), text.index(at)) == expected


def test_a_code_says_how_many_of_its_quotes_stand_above_under_another_code(tmp_path: Path) -> None:
    store = build_demo(tmp_path / "demo.wbproj")
    for theme in store.themes():  # organised by the codebook's categories, which group codes of one passage
        store.delete_theme(theme.id, "lead")
    content = gather_report(store, ReportOptions(max_quotes_per_code=None))
    repeated = [c for c in content.code_sections if c.quoted_above]
    assert repeated  # the demo codes some passages with two codes of one theme
    for section in repeated:
        assert len(section.shown) + section.quoted_above == len(section.passages)  # every passage is shown


def test_a_txt_interview_with_times_in_its_text_is_quoted_with_them(tmp_path: Path) -> None:
    from workbench.sources.importer import ingest_paths
    from workbench.store import Store

    store = Store.create(tmp_path / "p.wbproj")
    interview = tmp_path / "SC-R09_val.txt"
    interview.write_text("00:00:05 Interviewer: Who helps you?\n\n00:01:20 Val: My sister does, every single "
                         "day without fail.\n", encoding="utf-8")
    sidecar = tmp_path / "attributes.csv"
    sidecar.write_text("file,site,participant,role\nSC-R09_val.txt,Seacombe,SC-R09,resident\n", encoding="utf-8")
    ingest_paths(store, [interview, sidecar], actor="amira")
    source = store.list_sources()[0]
    text = store.get_source(source.id).text
    start = text.index("My sister")
    store.add_coding(source.id, start, text.index("fail.") + 5, store.add_code("Bonding ties", "amira"), "amira")
    [excerpt] = gather_report(store, ReportOptions()).code_sections[0].shown
    assert attribution_line(excerpt) == "— SC-R09, resident, Seacombe · interview, 1:20"
