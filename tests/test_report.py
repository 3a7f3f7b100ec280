"""The Word evidence report, read back with python-docx: structure, quote choice, pseudonyms, filters, method."""
from __future__ import annotations

import hashlib
from pathlib import Path

import docx
import pytest
from docx.oxml.ns import qn

from workbench.export.report import ReportOptions, build_report, gather_report, report_bytes
from workbench.export.report.data import HUMAN_ORIGINS, ExportError
from workbench.export.report.word import ATTRIBUTION_STYLE, TABLE_STYLE
from workbench.store import NewSegment, NewSource, Store

REAL_NAMES = ("Maureen", "Jean")  # the speakers; Tariq is only mentioned, so only the roster knows him

MAUREEN = [
    ("Interviewer", "How did you first get involved with the garden on the estate?"),
    ("Maureen", "My neighbour dragged me along one Saturday and now I go every week. We have a brew in the shed "
                "and share out what we grow, and it keeps me sane through the winter, honestly."),
    ("Interviewer", "And what about the food pantry at the Hub?"),
    ("Maureen", "The pantry is a lifeline when money is tight. Jean from the tenants' group runs it on a Tuesday "
                "and nobody looks down on you for going in."),
    ("Interviewer", "Do you see much of people outside the garden?"),
    ("Maureen", "Not really. Since the bus stopped running past the flats I hardly get out, and some weeks I "
                "don't speak to anybody from one Sunday to the next."),
]
JEAN = [
    ("Interviewer", "What changed in the village after the pit closed?"),
    ("Jean", "We lost the bus, the bank and the butcher in the space of two years. You need a car to do anything "
             "now, and the older ones without one are stuck in their houses."),
    ("Interviewer", "Who do you turn to when things get hard?"),
    ("Jean", "My sister lives two doors up and we look out for each other. Tariq at the shop will drop a loaf "
             "round if I ring him, which he doesn't have to do."),
]


def _turns_source(name: str, turns: list[tuple[str, str]], case: str, attributes: dict[str, str]) -> NewSource:
    """An interview as the importer would hand it over: turns with speakers and times."""
    text, segments = "", []
    for n, (speaker, said) in enumerate(turns):
        start = len(text) + len(speaker) + 2
        text += f"{speaker}: {said}\n\n"
        segments.append(NewSegment(start=start, end=start + len(said), kind="turn", speaker=speaker,
                                   start_time=30.0 * n + 5, sentences=[(start, start + len(said))]))
    return NewSource(name=name, kind="interview", text=text, format="txt", segments=segments, case=case,
                     content_hash=hashlib.sha256(text.encode()).hexdigest(), attributes=attributes,
                     case_attributes={case: attributes})


def _survey_source() -> NewSource:
    """A survey with one open question answered by three respondents in two sites."""
    answers = [("S001", "Northgate", "There is more going on at the Hub now, and I know my neighbours' names."),
               ("S002", "Ashby Vale", "Honestly nothing, the bus is worse than ever and the bank has gone."),
               ("S003", "Northgate", "The garden has brought people together who never used to speak.")]
    text, segments, case_attributes = "", [], {}
    for case, site, said in answers:
        start = len(text)
        text += said + "\n\n"
        segments.append(NewSegment(start=start, end=start + len(said), kind="answer", case=case,
                                   label="What has changed in your neighbourhood?",
                                   sentences=[(start, start + len(said))]))
        case_attributes[case] = {"site": site, "role": "resident"}
    return NewSource(name="community-survey.csv", kind="survey", text=text, format="csv", segments=segments,
                     content_hash=hashlib.sha256(text.encode()).hexdigest(), case_attributes=case_attributes)


def code_words(store: Store, source_id: int, words: str, code: str, coder: str, **extra) -> int:
    """Code the first occurrence of ``words`` in a source."""
    text = store.get_source(source_id).text
    start = text.index(words)
    return store.add_coding(source_id, start, start + len(words), store.find_code(code).id, coder, **extra)


def small_project(path: Path) -> Store:
    """A realistic small project: two interviews and a survey in two sites, two coders, two categories."""
    store = Store.create(path, name="Stronger Together pilot")
    connections = store.add_code("Social connectivity", "lead", codable=False,
                                 definition="Relationships that link people in the neighbourhood. Second sentence.")
    store.add_code("Bonding ties", "lead", parent_id=connections,
                   definition="Close, trusting relationships within a group. Family, friends, neighbours.")
    store.add_code("Loneliness and isolation", "lead", parent_id=connections,
                   definition="Lacking the contact a person wants.")
    conditions = store.add_code("System conditions", "lead", codable=False, definition="What services make possible.")
    store.add_code("Transport", "lead", parent_id=conditions, definition="Getting about: buses, cars, lifts.")
    store.add_code("Unused code", "lead", parent_id=conditions, definition="Never applied.")
    maureen = store.add_source(_turns_source("NG-R01_maureen.txt", MAUREEN, "NG-R01",
                                             {"site": "Northgate", "role": "resident"}), "lead")
    jean = store.add_source(_turns_source("AV-R01_jean.txt", JEAN, "AV-R01",
                                          {"site": "Ashby Vale", "role": "volunteer"}), "lead")
    survey = store.add_source(_survey_source(), "lead")
    for coder in ("amira", "tom"):  # both coders code Maureen's interview the same way
        code_words(store, maureen, "My neighbour dragged me along one Saturday and now I go every week.",
                   "Bonding ties", coder)
        code_words(store, maureen, "some weeks I don't speak to anybody", "Loneliness and isolation", coder)
    code_words(store, maureen, "The pantry is a lifeline when money is tight. Jean from the tenants' group runs it",
               "Bonding ties", "amira", memo="Pantry as a meeting place; compare with the survey.")
    code_words(store, maureen, "Since the bus stopped running past the flats I hardly get out", "Transport", "tom")
    code_words(store, jean, "We lost the bus, the bank and the butcher in the space of two years.", "Transport",
               "amira")
    code_words(store, jean, "My sister lives two doors up and we look out for each other.", "Bonding ties", "amira")
    code_words(store, jean, "Tariq at the shop will drop a loaf round if I ring him", "Bonding ties", "tom",
               origin="suggestion", suggester="lexical", accepted_by="tom", accept_mode="one")
    code_words(store, survey, "I know my neighbours' names", "Bonding ties", "amira")
    code_words(store, survey, "the bus is worse than ever", "Transport", "amira")
    return store


@pytest.fixture
def project(tmp_path: Path) -> Store:
    """The small project, freshly built."""
    return small_project(tmp_path / "pilot.wbproj")


def _document_text(document) -> str:
    parts = [p.text for p in document.paragraphs]
    parts += [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    parts += [p.text for s in document.sections for p in s.footer.paragraphs + s.first_page_footer.paragraphs]
    return "\n".join(parts)


def _headings(document) -> list[tuple[str, str]]:
    return [(p.style.name, p.text) for p in document.paragraphs if p.style.name.startswith("Heading")]


def test_report_structure_headings_quotes_attributions_table(project: Store, tmp_path: Path) -> None:
    path = tmp_path / "report.docx"
    summary = build_report(project, path, ReportOptions())
    document = docx.Document(str(path))
    headings = _headings(document)
    assert all(text.strip() for _style, text in headings), "no empty headings"
    level_1 = [text for style, text in headings if style == "Heading 1"]
    assert level_1 == ["Method", "Codes across sites", "Social connectivity", "System conditions"]
    after_themes = [(s, t) for s, t in headings[headings.index(("Heading 1", "Social connectivity")):]]
    assert after_themes == [("Heading 1", "Social connectivity"), ("Heading 2", "Bonding ties"),
                            ("Heading 2", "Loneliness and isolation"), ("Heading 1", "System conditions"),
                            ("Heading 2", "Transport")]  # "Unused code" has no quotes: no heading
    assert document.paragraphs[[p.style.name for p in document.paragraphs].index("Title")].text == \
        "Stronger Together pilot"
    quotes = [n for n, p in enumerate(document.paragraphs) if p.style.name == "Quote"]
    assert len(quotes) == summary.quotes == sum(len(c.shown) for c in gather_report(project, ReportOptions())
                                                .code_sections)
    for n in quotes:
        attribution = document.paragraphs[n + 1]
        assert attribution.style.name == ATTRIBUTION_STYLE
        assert attribution.text.startswith("— ")
    attributions = [document.paragraphs[n + 1].text for n in quotes]
    assert any(a.startswith("— NG-R01, resident, Northgate · interview, ") for a in attributions)
    assert any("S002, resident, Ashby Vale · survey, “What has changed in your neighbourhood?”" in a
               for a in attributions)
    heading_at = [(p.style.name, p.text) for p in document.paragraphs].index(("Heading 2", "Bonding ties"))
    definition = document.paragraphs[heading_at + 1]
    assert definition.text == "Close, trusting relationships within a group." and definition.runs[0].italic
    overview = [t for t in document.tables if t.rows[0].cells[0].text == "Code"]
    assert len(overview) == 1 and overview[0].style.name == TABLE_STYLE
    header = [c.text for c in overview[0].rows[0].cells]
    assert header == ["Code", "Ashby Vale", "Northgate", "Total"]
    transport = next(r for r in overview[0].rows if r.cells[0].text == "Transport")
    assert [c.text for c in transport.cells] == ["Transport", "2", "1", "3"]


def test_toc_field_update_fields_and_page_numbers(project: Store, tmp_path: Path) -> None:
    path = tmp_path / "report.docx"
    build_report(project, path)
    document = docx.Document(str(path))
    instructions = [e.text for e in document.element.body.iter(qn("w:instrText"))]
    assert any('TOC \\o "1-3" \\h \\z \\u' in i for i in instructions)
    chars = [e.get(qn("w:fldCharType")) for e in document.element.body.iter(qn("w:fldChar"))]
    assert chars == ["begin", "separate", "end"]
    toc_entries = [p.text for p in document.paragraphs if p.style.name.lower().startswith("toc ")]
    assert "Method" in toc_entries and "Bonding ties" in toc_entries
    settings = list(document.settings.element)
    update = document.settings.element.find(qn("w:updateFields"))
    assert update is not None and update.get(qn("w:val")) == "true"
    compat = document.settings.element.find(qn("w:compat"))
    assert compat is None or settings.index(update) < settings.index(compat), "Word wants schema order"
    footer = document.sections[0].footer._element
    assert [f.get(qn("w:instr")) for f in footer.iter(qn("w:fldSimple"))] == ["PAGE"]
    assert document.sections[0].different_first_page_header_footer


def test_pseudonymised_by_default_no_first_names_anywhere(project: Store, tmp_path: Path) -> None:
    path = tmp_path / "report.docx"
    build_report(project, path, ReportOptions(max_quotes_per_code=None))
    text = _document_text(docx.Document(str(path)))
    assert "Jean from the tenants' group" not in text
    assert "The pantry is a lifeline when money is tight. [name] from the tenants' group runs it" in text
    for name in REAL_NAMES:
        assert name not in text, name
    assert "maureen" not in text.lower()


def test_real_names_when_asked(project: Store, tmp_path: Path) -> None:
    path = tmp_path / "report.docx"
    summary = build_report(project, path, ReportOptions(pseudonymise=False, max_quotes_per_code=None))
    text = _document_text(docx.Document(str(path)))
    assert not summary.pseudonymised
    assert "Jean from the tenants' group runs it" in text
    assert "This version shows participants’ real names" in text
    assert "This version shows participants' real names. Keep it within the research team." in text


def test_the_roster_decides_pseudonyms_when_it_lists_a_name(project: Store, tmp_path: Path) -> None:
    if not hasattr(project, "set_roster"):
        pytest.skip("the roster store is not available")
    project.set_roster({"Jean": "Rose", "Tariq": "Sam"}, "lead")
    data, _summary = report_bytes(project, ReportOptions(max_quotes_per_code=None))
    path = tmp_path / "report.docx"
    path.write_bytes(data)
    text = _document_text(docx.Document(str(path)))
    assert "Rose from the tenants' group runs it" in text
    assert "Sam at the shop will drop a loaf round" in text and "Tariq" not in text


def _many_quotes_project(path: Path) -> Store:
    """One code with ten quotes from three Northgate participants and two from one Seacombe participant."""
    store = Store.create(path, name="coverage")
    store.add_code("Bonding ties", "lead")
    said = [f"Quote number {n} about the neighbours on the estate and how they help each other out in hard "
            f"times, with a bit more detail to make it read like a real answer." for n in range(10)]
    for n, case in enumerate(("NG-R01", "NG-R02", "NG-R03")):
        turns = [("Resident", s) for s in said[n::3]]
        source = store.add_source(_turns_source(f"{case}.txt", turns, case, {"site": "Northgate"}), "lead")
        for s in said[n::3]:
            code_words(store, source, s, "Bonding ties", "amira")
    seacombe = [("Resident", f"Down here by the sea it is different, answer {n}, we look after each other "
                             "because there is nobody else to do it in the winter months.") for n in range(2)]
    source = store.add_source(_turns_source("SC-R01.txt", seacombe, "SC-R01", {"site": "Seacombe"}), "lead")
    for _speaker, s in seacombe:
        code_words(store, source, s, "Bonding ties", "amira")
    return store


def test_quotes_are_chosen_to_cover_sites_then_participants(tmp_path: Path) -> None:
    store = _many_quotes_project(tmp_path / "coverage.wbproj")
    content = gather_report(store, ReportOptions(max_quotes_per_code=4))
    section = content.code_sections[0]
    assert len(section.passages) == 12 and len(section.shown) == 4
    assert {e.site for e in section.shown} == {"Northgate", "Seacombe"}
    northgate = [e.who for e in section.shown if e.site == "Northgate"]
    assert len(northgate) == len(set(northgate)) == 2, "participants take turns within a site"
    again = gather_report(store, ReportOptions(max_quotes_per_code=4)).code_sections[0]
    assert [e.quote.coding_id for e in again.shown] == [e.quote.coding_id for e in section.shown]


def test_passages_people_coded_are_quoted_before_accepted_suggestions(tmp_path: Path) -> None:
    store = _many_quotes_project(tmp_path / "coverage.wbproj")
    source = store.source_by_name("NG-R01.txt")
    machine = [c for c in store.codings() if c.source_id == source.id]
    for coding in machine:  # NG-R01's passages become accepted suggestions, with readable lengths all the same
        store.remove_coding(coding.id, "amira")
        store.add_coding(source.id, coding.start, coding.end, coding.code_id, "zoe", origin="suggestion",
                         accepted_by="zoe")
    shown = gather_report(store, ReportOptions(max_quotes_per_code=4)).code_sections[0].shown
    assert len(shown) == 4
    assert [e.quote.origin for e in shown].count("suggestion") == 0, "hand-coded passages are quoted first"
    every = gather_report(store, ReportOptions(max_quotes_per_code=None)).code_sections[0].shown
    assert [e.quote.origin for e in every].count("suggestion") == len(machine), "all are shown when all fit"


def test_a_passage_coded_by_both_coders_is_shown_once(project: Store) -> None:
    content = gather_report(project, ReportOptions(max_quotes_per_code=None))
    bonding = next(c for c in content.code_sections if c.code.name == "Bonding ties")
    texts = [e.text for e in bonding.shown]
    assert texts.count("My neighbour dragged me along one Saturday and now I go every week.") == 1


def test_human_only_leaves_out_accepted_suggestions(project: Store, tmp_path: Path) -> None:
    both = gather_report(project, ReportOptions(max_quotes_per_code=None))
    human = gather_report(project, ReportOptions(max_quotes_per_code=None, origins=HUMAN_ORIGINS))
    shown = lambda content: {e.quote.origin for c in content.code_sections for e in c.shown}  # noqa: E731
    assert "suggestion" in shown(both) and "suggestion" not in shown(human)
    path = tmp_path / "human.docx"
    build_report(project, path, ReportOptions(origins=HUMAN_ORIGINS))
    text = _document_text(docx.Document(str(path)))
    assert "1 coding is a machine suggestion that a researcher reviewed and accepted" in text
    assert "uses the codings applied by hand only" in text
    assert "Scope — human coding only" in text


def _bulk_accept(store: Store, words: list[tuple[str, str, str]], actor: str = "zoe") -> None:
    """Suggest ``code`` on ``words`` of a source, then accept them in bulk at 0.90 through the core."""
    from workbench.assist.review import accept_in_bulk, plan_bulk_accept
    from workbench.store import NewSuggestion

    proposals = []
    for source_name, text, code in words:
        source = store.source_by_name(source_name)
        start = source.text.index(text)
        proposals.append(NewSuggestion(source.id, start, start + len(text), store.find_code(code).id, 0.93,
                                       "close in meaning", "ensemble.v1"))
    store.replace_suggestions(proposals, "engine")
    accept_in_bulk(store, plan_bulk_accept(store, 0.9), actor, confirmed=True)


def test_machine_quotes_are_marked_and_the_method_gives_true_counts(project: Store, tmp_path: Path) -> None:
    _bulk_accept(project, [("AV-R01_jean.txt", "the older ones without one are stuck in their houses", "Transport"),
                           ("community-survey.csv", "The garden has brought people together", "Bonding ties")])
    project.add_coding(project.source_by_name("AV-R01_jean.txt").id, 0, 20, project.find_code("Transport").id,
                       "amira", origin="suggestion", accepted_by="amira")  # accepted before modes were recorded
    path = tmp_path / "report.docx"
    build_report(project, path, ReportOptions(max_quotes_per_code=None, pseudonymise=False))
    document = docx.Document(str(path))
    paragraphs = [p.text for p in document.paragraphs]
    text = "\n".join(paragraphs)
    stuck = next(n for n, p in enumerate(paragraphs) if "the older ones without one are stuck" in p)
    assert paragraphs[stuck + 2] == "Machine-suggested, accepted in bulk (score ≥ 0.90) by zoe."
    tariq = next(n for n, p in enumerate(paragraphs) if p.startswith("Tariq at the shop"))
    assert paragraphs[tariq + 2] == "Machine-suggested, accepted by tom."
    hand = next(n for n, p in enumerate(paragraphs) if p.startswith("We lost the bus"))
    assert not paragraphs[hand + 2].startswith("Machine-suggested")
    assert ("10 codings were applied by hand. 1 coding is a machine suggestion that a researcher reviewed and "
            "accepted one by one. 2 codings are machine suggestions accepted in bulk, without being read one by "
            "one (every pending suggestion scoring 0.90 or more, accepted by zoe). 1 coding is a machine "
            "suggestion accepted before the workbench recorded whether it was read one by one.") in text
    assert "Of the 12 quotes in this report, 4 come from accepted suggestions (2 accepted in bulk); each is " \
           "marked under the quote." in text
    assert "every coding was made by a researcher" not in text
    summary = build_report(project, tmp_path / "again.docx", ReportOptions(max_quotes_per_code=None))
    assert (summary.machine_quotes, summary.bulk_quotes) == (4, 2)
    from click.testing import CliRunner
    from workbench.cli import cli
    result = CliRunner().invoke(cli, ["export", "report", "--out", str(tmp_path / "cli.docx"), "--max-quotes", "0",
                                      "--project", str(project.path)])
    assert "4 of the 12 quotes come from accepted suggestions (2 accepted in bulk); each is marked as " \
           "machine-suggested." in result.output


def test_passages_coded_by_hand_and_by_a_suggestion_show_the_hand_coding(project: Store) -> None:
    words = "My sister lives two doors up and we look out for each other."
    [by_hand] = [c for c in project.codings(coders=["amira"]) if c.start == project.source_by_name(
        "AV-R01_jean.txt").text.index(words)]
    project.remove_coding(by_hand.id, "amira")
    _bulk_accept(project, [("AV-R01_jean.txt", words, "Bonding ties")])  # zoe accepts it in bulk, then amira
    code_words(project, by_hand.source_id, words, "Bonding ties", "amira")  # codes the same words by hand
    content = gather_report(project, ReportOptions(max_quotes_per_code=None))
    [shown] = [e for c in content.code_sections for e in c.shown if e.text == words]
    assert shown.quote.origin == "manual" and shown.quote.provenance == ""


def test_filters_by_site_theme_and_code(project: Store) -> None:
    northgate = gather_report(project, ReportOptions(sites=["northgate"], max_quotes_per_code=None))
    assert {e.site for c in northgate.code_sections for e in c.passages} == {"Northgate"}
    assert northgate.sites == ["Northgate"]
    themed = gather_report(project, ReportOptions(themes=["System conditions"]))
    assert [t.theme.name for t in themed.themes] == ["System conditions"]
    coded = gather_report(project, ReportOptions(codes=["Social connectivity/Loneliness and isolation"]))
    assert [c.code.name for c in coded.code_sections] == ["Loneliness and isolation"]
    with pytest.raises(ExportError, match="Ashby Vale, Northgate"):
        gather_report(project, ReportOptions(sites=["Seacombe"]))
    with pytest.raises(ExportError, match="no theme called 'Housing'"):
        gather_report(project, ReportOptions(themes=["Housing"]))
    with pytest.raises(ExportError, match="nothing to report"):
        gather_report(project, ReportOptions(codes=["Unused code"]))


def test_memos_only_when_asked(project: Store, tmp_path: Path) -> None:
    project.add_memo("Transport comes up in every site; check the bus timetable changes.", "amira",
                     title="Buses", target_type="code", target_id=project.find_code("Transport").id)
    project.add_memo("Overall the garden matters more than we expected.", "amira", title="First impressions")
    plain, with_memos = tmp_path / "plain.docx", tmp_path / "memos.docx"
    build_report(project, plain, ReportOptions(max_quotes_per_code=None))
    build_report(project, with_memos, ReportOptions(max_quotes_per_code=None, include_memos=True))
    plain_text, memo_text = (_document_text(docx.Document(str(p))) for p in (plain, with_memos))
    for memo in ("Pantry as a meeting place", "check the bus timetable", "the garden matters more"):
        assert memo not in plain_text
        assert memo in memo_text
    assert ("Heading 1", "Memos") in _headings(docx.Document(str(with_memos)))


def test_method_section_reports_material_participants_coders_and_agreement(project: Store,
                                                                            tmp_path: Path) -> None:
    path = tmp_path / "report.docx"
    summary = build_report(project, path)
    document = docx.Document(str(path))
    text = _document_text(document)
    assert summary.agreement
    assert "amira and tom both coded 1 source. Taking each of their 6 speaker turns as a unit" in text
    assert "Cohen’s κ = " in text
    assert "by two researchers: amira (7 codings) and tom (4 codings)" in text
    assert "10 codings were applied by hand. 1 coding is a machine suggestion" in text
    assert "The analysis draws on 3 sources from two sites (Ashby Vale and Northgate): 2 interviews and 1 survey" \
        in text
    sources = next(t for t in document.tables if t.rows[0].cells[0].text == "Source")
    assert [c.text for c in sources.rows[-1].cells] == ["Total", "1", "1", "1", "3"]
    roles = next(t for t in document.tables if t.rows[0].cells[0].text == "Role")
    assert [c.text for c in roles.rows[1].cells] == ["Resident", "1", "3", "4"]


def test_single_coder_project_says_no_agreement_figures(tmp_path: Path) -> None:
    store = _many_quotes_project(tmp_path / "one.wbproj")
    path = tmp_path / "report.docx"
    summary = build_report(store, path)
    assert not summary.agreement
    assert "coded by one researcher, so no inter-coder agreement" in _document_text(docx.Document(str(path)))


def test_stored_themes_organise_the_report(project: Store) -> None:
    if not hasattr(project, "add_theme"):  # until the theme store is part of Store, combine them here
        themes = pytest.importorskip("workbench.store.themes")
        project.close()
        project = type("ThemedStore", (Store, themes.ThemeStore), {}).open(project.path)
    transport, lonely = project.find_code("Transport").id, project.find_code("Loneliness and isolation").id
    project.add_theme("Getting about and getting out", "lead", description="Transport and isolation together.",
                      code_ids=[transport, lonely])
    project.add_theme("Dropped", "lead", status="discarded", code_ids=[transport])
    content = gather_report(project, ReportOptions())
    assert [t.theme.name for t in content.themes] == ["Getting about and getting out"]
    assert [c.code.name for c in content.code_sections] == ["Loneliness and isolation", "Transport"]


def test_cli_export_report(project: Store, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from workbench.cli import cli

    out = tmp_path / "evidence.docx"
    result = CliRunner().invoke(cli, ["export", "report", "--project", str(project.path), "--out", str(out),
                                      "--site", "Northgate", "--max-quotes", "1", "--human-only", "--memos",
                                      "--title", "Pilot findings"])
    assert result.exit_code == 0, result.output
    assert "Participants are pseudonymised" in result.output
    document = docx.Document(str(out))
    assert document.paragraphs[[p.style.name for p in document.paragraphs].index("Title")].text == "Pilot findings"
    quotes = [p.text for p in document.paragraphs if p.style.name == "Quote"]
    assert len(quotes) == 3  # one per code with Northgate quotes: Bonding ties, Loneliness, Transport
    bad = CliRunner().invoke(cli, ["export", "report", "--project", str(project.path), "--out",
                                   str(tmp_path / "x.pdf")])
    assert bad.exit_code == 2 and "must end in .docx" in bad.output
    unknown = CliRunner().invoke(cli, ["export", "report", "--project", str(project.path), "--out", str(out),
                                       "--theme", "Nope"])
    assert unknown.exit_code == 1 and "no theme called 'Nope'" in unknown.output


def test_report_page_builds_a_download(project: Store) -> None:
    from streamlit.testing.v1 import AppTest

    page = Path(__file__).resolve().parents[1] / "workbench" / "ui" / "pages" / "report.py"
    app = AppTest.from_file(str(page), default_timeout=60)
    app.session_state["project_path"] = str(project.path)
    app.run()
    assert not app.exception
    app.button[0].click().run()  # the report form's "Build report"
    assert not app.exception
    # The project has no themes: its two top-level categories organise the report and are called categories
    # (issue 13, one meaning of "theme"); this said "in 2 themes" before.
    assert "quotes for 3 codes in 2 categories" in app.success[0].value


def test_agreement_uses_the_icr_glue_when_the_store_offers_it(project: Store) -> None:
    themes = pytest.importorskip("workbench.store.themes")
    from workbench.export.report.method import double_coding_agreement

    # The glue counts a coder on every source with any of their codings (accepted suggestions too);
    # without tom's accepted suggestion both paths see the same double-coded sources.
    suggestion = next(c for c in project.codings() if c.origin == "suggestion")
    project.remove_coding(suggestion.id, "lead")
    direct = double_coding_agreement(project)
    project.close()
    glued_store = type("ThemedStore", (Store, themes.ThemeStore), {}).open(project.path)
    glued = double_coding_agreement(glued_store)
    assert direct is not None and glued is not None
    assert (glued.coders, glued.sources, glued.units) == (direct.coders, direct.sources, direct.units) == \
        (("amira", "tom"), 1, 6)
    assert glued.kappa == pytest.approx(direct.kappa) and glued.percent == pytest.approx(direct.percent)


def test_an_interviewers_words_are_not_attributed_to_the_participant(project: Store) -> None:
    from workbench.export.report.sections import attribution_line

    maureen = project.source_by_name("NG-R01_maureen.txt").id
    code_words(project, maureen, "And what about the food pantry at the Hub?", "Bonding ties", "amira")
    content = gather_report(project, ReportOptions(max_quotes_per_code=None))
    asked = next(e for c in content.code_sections for e in c.shown if e.text.startswith("And what about"))
    assert attribution_line(asked) == "— Interviewer, Northgate · interview NG-R01, 1:05"


def test_report_page_builds_a_spreadsheet_download(project: Store) -> None:
    from streamlit.testing.v1 import AppTest

    page = Path(__file__).resolve().parents[1] / "workbench" / "ui" / "pages" / "report.py"
    app = AppTest.from_file(str(page), default_timeout=60)
    app.session_state["project_path"] = str(project.path)
    app.run()
    app.radio(key="report.sheet-format").set_value("csv")
    app.button[1].click().run()  # the spreadsheet form's "Build spreadsheet"
    assert not app.exception
    name, data, fmt = app.session_state["report.sheet-file"]
    assert (name, fmt) == ("quotes.csv", "csv") and data.startswith(b"\xef\xbb\xbfcode_path,")
