"""REFI-QDA project import (workbench/refi/qdpx_import.py): real exports, quirks, bad and hostile files."""
from __future__ import annotations

import io
import re
import sqlite3
import zipfile
from pathlib import Path

import defusedxml.ElementTree as DefusedET
import docx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workbench.export.refi import ImportReport, QdpxError, ZipLimits, import_qdpx
from workbench.export.refi.positions import NormalisedText, PositionMap, PositionScheme, UnitCounter
from workbench.export.refi.texts import docx_lines
from workbench.store import Store

from conftest import fixtures_dir
from helpers import interview_source

NS = "urn:QDA-XML:project:1.0"
Q = f"{{{NS}}}"
CODE_A = "A0000000-0000-4000-8000-00000000000A"
CODE_B = "A0000000-0000-4000-8000-00000000000B"
CODE_CAT = "A0000000-0000-4000-8000-0000000000CA"
USER_1 = "B0000000-0000-4000-8000-000000000001"
USER_2 = "B0000000-0000-4000-8000-000000000002"
SOURCE_1 = "C0000000-0000-4000-8000-000000000001"
SOURCE_2 = "C0000000-0000-4000-8000-000000000002"
USERS = f'<Users><User guid="{USER_1}" name="Ana"/><User guid="{USER_2}" name="Ben"/></Users>'
CODES = (f'<Code guid="{CODE_CAT}" name="Support" isCodable="false">'
         f'<Description>Help people give and get.</Description>'
         f'<Code guid="{CODE_A}" name="Bonding" isCodable="true" color="#2E7D32"/></Code>'
         f'<Code guid="{CODE_B}" name="Place attachment" isCodable="true"/>')


# --- building small .qdpx archives -------------------------------------------------------------


def project_xml(body: str = "", *, codes: str = CODES, users: str = USERS, head: str = "") -> str:
    """A project.qde with our users and codebook around ``body`` (Variables, Cases, Sources, Notes...)."""
    codebook = f"<CodeBook><Codes>{codes}</Codes></CodeBook>" if codes else ""
    return (f'<?xml version="1.0" encoding="utf-8"?>{head}<Project xmlns="{NS}" name="t" origin="Test tool 1.0">'
            f"{users}{codebook}{body}</Project>")


def selection(start: int, end: int, *codes: str, user: str = USER_1, name: str = "", description: str = "",
              guid: str | None = None, extra: str = "") -> str:
    """A PlainTextSelection with one Coding per code."""
    guid_attr = f' guid="{guid}"' if guid else ""
    desc = f"<Description>{description}</Description>" if description else ""
    codings = "".join(f'<Coding guid="{_guid(start, end, code, user)}" creatingUser="{user}">'
                      f'<CodeRef targetGUID="{code}"/></Coding>' for code in codes)
    return (f'<PlainTextSelection{guid_attr or " guid=" + chr(34) + _guid(start, end, "sel", user) + chr(34)} '
            f'name="{name}" startPosition="{start}" endPosition="{end}" creatingUser="{user}">'
            f"{desc}{codings}{extra}</PlainTextSelection>")


def _guid(*parts: object) -> str:
    import uuid

    return str(uuid.uuid5(uuid.NAMESPACE_URL, "/".join(map(str, parts)))).upper()


def text_source(guid: str, name: str, path: str, selections: str = "", *, rich: str | None = None,
                tail: str = "") -> str:
    rich_attr = f' richTextPath="{rich}"' if rich else ""
    return f'<TextSource guid="{guid}" name="{name}" plainTextPath="{path}"{rich_attr}>{selections}{tail}</TextSource>'


def qdpx(tmp_path: Path, qde: str | bytes, files: dict[str, str | bytes] | None = None, *,
         name: str = "project.qdpx", qde_name: str = "project.qde") -> Path:
    """Write a .qdpx with ``qde`` as its project file and ``files`` (member name -> text or bytes)."""
    path = tmp_path / name
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(qde_name, qde.encode() if isinstance(qde, str) else qde)
        for member, data in (files or {}).items():
            archive.writestr(member, data.encode() if isinstance(data, str) else data)
    return path


def coded_texts(store: Store) -> list[tuple[str, str, str, str]]:
    """(source name, code name, coder, coded text) of every coding."""
    result = []
    for coding in store.codings():
        source = store.get_source(coding.source_id)
        result.append((source.name, store.get_code(coding.code_id).name, coding.coder,
                       source.text[coding.start:coding.end]))
    return result


def units(text: str, offset: int, *, crlf: int, utf16: bool) -> int:
    """The position a tool writes for ``offset`` of a ``\\n`` text, counted our own (independent) way."""
    prefix = text[:offset].replace("\n", "\r\n") if crlf == 2 else text[:offset]
    return len(prefix.encode("utf-16-le")) // 2 if utf16 else len(prefix)


# --- real exports ----------------------------------------------------------------------------------


def real(name: str) -> Path:
    return fixtures_dir("refi", "qdpx") / name


def read_qde(path: Path):
    with zipfile.ZipFile(path) as archive:
        qde = next(n for n in archive.namelist() if n.lower().endswith(".qde"))
        return DefusedET.fromstring(archive.read(qde))


def xml_code_paths(root) -> set[str]:
    """Every code's path in a project.qde, read independently of the importer."""
    paths: set[str] = set()

    def walk(element, above: str) -> None:
        for code in element.findall(f"{Q}Code"):
            path = f"{above}/{code.get('name')}" if above else code.get("name")
            paths.add(path)
            walk(code, path)

    codes = root.find(f"{Q}CodeBook/{Q}Codes")
    if codes is not None:
        walk(codes, "")
    return paths


def store_code_paths(store: Store) -> set[str]:
    return {store.code_path(code.id) for code in store.codes()}


@pytest.mark.parametrize("name", ["nvivo-win-12.6.qdpx", "nvivo-mac-15.0.qdpx", "qc-1.3.2-demo.qdpx",
                                  "atlasti-win-23.2.3-blank.qdpx", "atlasti-win-23.2.3-codes.qdpx"])
def test_every_real_export_imports_with_the_counts_of_its_xml(store: Store, name: str) -> None:
    path = real(name)
    root = read_qde(path)
    n_codings = len(root.findall(f".//{Q}Sources//{Q}Coding"))
    report = import_qdpx(store, path, actor="tester")
    counts = store.counts()
    assert counts["codes"] == len(root.findall(f".//{Q}CodeBook//{Q}Code")) == report.codes_added
    assert store_code_paths(store) == xml_code_paths(root)
    assert counts["codings"] == n_codings == report.codings_added
    users = {u.get("guid").upper(): u.get("name") for u in root.iter(f"{Q}User")}
    coders = {users[c.get("creatingUser").upper()] for c in root.findall(f".//{Q}Sources//{Q}Coding")}
    assert set(store.coders()) == coders == set(report.coders)
    assert len(report.sources_added) + len([s for s in report.skipped if s.what == "source"]) == \
        len(root.findall(f"{Q}Sources/{Q}TextSource"))


def test_nvivo_windows_selections_land_on_the_lines_nvivo_coded(store: Store) -> None:
    path = real("nvivo-win-12.6.qdpx")
    report = import_qdpx(store, path, actor="tester")
    assert report.positions == {"videos_selection": "UTF-16 code units, CR+LF counted as two"}
    source = store.source_by_name("videos_selection")
    assert source.metadata["qdpx_positions"] == "UTF-16 code units, CR+LF counted as two"
    assert source.metadata["qdpx_origin"] == "NVivo for Windows 12.6"
    text = source.text
    assert "\r" not in text and not text.startswith("\ufeff")
    codings = store.codings()
    assert len(codings) == 97
    for coding in codings:  # NVivo coded whole comments: every span is whole lines (a final \n or not)
        assert coding.start == 0 or text[coding.start - 1] == "\n", text[coding.start - 20:coding.start + 20]
        assert coding.end == len(text) or text[coding.end] == "\n" or text[coding.end - 1] == "\n"
    quotes = {text[c.start:c.end] for c in codings}
    # after emoji, positions only fit when an emoji counts as two (UTF-16): these end exactly on them
    assert "Mi az a fityesznek? Akkor írják át amikor akarják 🤣🤣🤣" in quotes
    assert "Nem tehetik kötelezővé! 😡😡" in quotes
    assert "Záhertorta egy alkesz nulla." in quotes
    for quote in sorted(quotes)[:3]:
        print(repr(quote[:80]))


def test_nvivo_windows_docx_gives_the_same_text_as_its_plain_text() -> None:
    with zipfile.ZipFile(real("nvivo-win-12.6.qdpx")) as archive:
        plain = archive.read("Sources/56a79789-d535-4fb8-bedd-a915504c54ba.txt").decode("utf-8-sig")
        rich = archive.read("Sources/56a79789-d535-4fb8-bedd-a915504c54ba.docx")
    lines = docx_lines(rich, "nvivo.docx", ZipLimits())
    assert len(lines) == 15273
    assert "\n".join(lines) == plain.replace("\r\n", "\n")


def test_nvivo_mac_sources_have_no_text_and_are_reported(store: Store) -> None:
    path = real("nvivo-mac-15.0.qdpx")
    with zipfile.ZipFile(path) as archive:  # the fixture really is empty: 1-byte .txt, empty .docx
        assert {len(archive.read(n)) for n in archive.namelist() if n.endswith(".txt")} == {1}
        assert {tuple(docx_lines(archive.read(n), n, ZipLimits())) for n in archive.namelist()
                if n.endswith(".docx")} == {("",)}
    report = import_qdpx(store, path, actor="tester")
    assert store.counts()["sources"] == 0
    assert [s.what for s in report.skipped] == ["source", "source"]
    assert all("no text" in s.reason for s in report.skipped)
    assert "rq1_definition/competencies/programming" in store_code_paths(store)
    assert any("skipped source" in line for line in report.summary())


def test_qc_demo_selections_are_the_lines_qc_names(store: Store) -> None:
    path = real("qc-1.3.2-demo.qdpx")
    root = read_qde(path)
    selections = root.findall(f".//{Q}PlainTextSelection")
    assert len(selections) == 158
    report = import_qdpx(store, path, actor="tester")
    assert sorted(report.sources_added) == ["admin-1", "board_2017"]
    transcripts = fixtures_dir("transcripts")
    for name in ("admin-1", "board_2017"):
        expected = (transcripts / f"qc-demo_{name}.txt").read_text(encoding="utf-8")
        assert store.source_by_name(name).text == expected
    board = store.source_by_name("board_2017")
    lines = board.text.split("\n")
    by_span = {}
    for coding in store.codings(source_id=board.id):
        by_span.setdefault((coding.start, coding.end), []).append(store.get_code(coding.code_id).uid)
    for element in selections:  # qc names each selection after the (0-based) line it codes
        line = int(element.get("name").removeprefix("line:"))
        start, end = int(element.get("startPosition")), int(element.get("endPosition"))
        assert board.text[start:end] == lines[line] + "\n"
        codes = sorted(c.find(f"{Q}CodeRef").get("targetGUID").upper() for c in element.findall(f"{Q}Coding"))
        assert sorted(by_span[(start, end)]) == codes
    assert max(len(codes) for codes in by_span.values()) >= 2  # overlapping codes on one span


def test_atlas_ti_blank_project_changes_nothing_but_the_log(store: Store) -> None:
    before = store.counts()
    report = import_qdpx(store, real("atlasti-win-23.2.3-blank.qdpx"), actor="tester")
    after = store.counts()
    assert after == {**before, "events": before["events"] + 1}
    assert store.events()[-1].action == "qdpx.import"
    assert report.origin == "ATLAS.ti for Windows 23.2.3.27778"


def test_atlas_ti_nested_codes(store: Store) -> None:
    import_qdpx(store, real("atlasti-win-23.2.3-codes.qdpx"), actor="tester")
    assert store_code_paths(store) == {"Commits", "Commits/2022-05-10T02:05:59Z 19e4dce",
                                       "Commits/2022-02-11T10:39:25Z cdbfd92"}
    assert store.find_code("Commits").uid == "A182CD3A-D83C-4D8C-BC80-26D9103EC6D6"


def test_importing_the_same_file_twice_adds_nothing(store: Store) -> None:
    path = real("nvivo-win-12.6.qdpx")
    import_qdpx(store, path, actor="tester")
    before = store.counts()
    again = import_qdpx(store, path, actor="tester")
    after = store.counts()
    assert {k: v for k, v in after.items() if k != "events"} == {k: v for k, v in before.items() if k != "events"}
    assert again.sources_reused == ["videos_selection"] and again.sources_added == []
    assert again.codings_added == 0 and again.codings_existing == 97
    assert again.codes_added == 0


# --- quirks, on archives built here ---------------------------------------------------------------


TEXT = ("Interviewer: How did you get involved?\n\n"
        "Maureen: My neighbour dragged me along. 🌱 Now I go every Saturday.\n"
        "It keeps me sane, says Maureen.\n\n"
        "Interviewer: And the pantry? 🥫🥫\n\n"
        "Maureen: The pantry is a lifeline when money is tight.")
WORDS = ["neighbour", "every Saturday", "sane", "pantry is a lifeline", "tight"]


def spans(text: str, words: list[str]) -> list[tuple[int, int]]:
    return [(text.index(w), text.index(w) + len(w)) for w in words]


@pytest.mark.parametrize(("crlf", "utf16", "label"), [
    (2, False, "code points, CR+LF counted as two"),
    (1, False, "code points, CR+LF counted as one"),
    (2, True, "UTF-16 code units, CR+LF counted as two"),
    (1, True, "UTF-16 code units, CR+LF counted as one"),
])
def test_each_position_convention_is_detected_and_mapped(store: Store, tmp_path: Path, crlf: int, utf16: bool,
                                                         label: str) -> None:
    written = "\ufeff" + TEXT.replace("\n", "\r\n")  # with a BOM, which no tool counts
    sels = "".join(selection(units(TEXT, a, crlf=crlf, utf16=utf16), units(TEXT, b, crlf=crlf, utf16=utf16), CODE_A)
                   for a, b in spans(TEXT, WORDS))
    path = qdpx(tmp_path, project_xml(f"<Sources>{text_source(SOURCE_1, 'maureen', 'internal://s1.txt', sels)}"
                                      "</Sources>"), {"sources/s1.txt": written})
    report = import_qdpx(store, path, actor="tester")
    assert report.positions == {"maureen": label}
    assert store.source_by_name("maureen").text == TEXT
    assert [quote for *_, quote in coded_texts(store)] == WORDS


@settings(max_examples=150, deadline=None)
@given(pieces=st.lists(st.sampled_from(["a", "b", " ", "\n", "é", "🌱", "\U0001F96B"]), max_size=40),
       crlf=st.sampled_from([1, 2]), utf16=st.booleans())
def test_position_maps_agree_with_counting_the_written_text(pieces: list[str], crlf: int, utf16: bool) -> None:
    text = "".join(pieces)
    norm = NormalisedText.from_raw(text.replace("\n", "\r\n"))
    assert norm.text == text
    pmap = PositionMap(norm, PositionScheme(crlf, utf16))
    counter = UnitCounter(text, crlf=crlf == 2, utf16=utf16)
    for offset in range(len(text) + 1):
        position = units(text, offset, crlf=crlf, utf16=utf16)
        assert counter.units(offset) == position
        assert pmap.offset(position, end=False) == (offset, False)
        assert pmap.offset(position, end=True) == (offset, False)
    assert pmap.length == units(text, len(text), crlf=crlf, utf16=utf16)


@pytest.mark.parametrize(("position", "end", "expected"), [
    (2, False, (2, False)),  # before the CR
    (3, False, (2, True)), (3, True, (3, True)),  # between CR and LF: a start moves back, an end forward
    (4, True, (3, False)), (5, True, (4, False)),  # before and after the emoji
])
def test_a_position_inside_a_double_character_snaps_outwards(position: int, end: bool, expected: tuple) -> None:
    pmap = PositionMap(NormalisedText.from_raw("ab\r\n🌱"), PositionScheme(2, False))  # stored as "ab\n🌱"
    assert pmap.offset(position, end=end) == expected


def test_a_selection_name_holding_the_text_settles_what_boundaries_cannot(store: Store, tmp_path: Path) -> None:
    text = "a b c d\ne f g h\ni j k l\nm n o p"  # one-letter words: every position is a word boundary
    targets = [(text.index("j"), text.index("l") + 1), (text.index("n"), text.index("p") + 1)]
    sels = "".join(selection(a, b, CODE_A, name=text[a:b]) for a, b in targets)  # CR+LF counted as one
    path = qdpx(tmp_path, project_xml(f"<Sources>{text_source(SOURCE_1, 'letters', 'internal://s.txt', sels)}"
                                      "</Sources>"), {"sources/s.txt": text.replace("\n", "\r\n")})
    report = import_qdpx(store, path, actor="tester")
    assert report.positions["letters"] == "code points, CR+LF counted as one"
    assert [quote for *_, quote in coded_texts(store)] == ["j k l", "n o p"]


def test_capital_sources_folder_and_a_path_without_internal(store: Store, tmp_path: Path) -> None:
    a, b = spans(TEXT, ["neighbour"])[0]
    source = text_source(SOURCE_1, "", "maureen.txt", selection(a, b, CODE_B, name="line:2"))
    path = qdpx(tmp_path, project_xml(f"<Sources>{source}</Sources>"), {"Sources/maureen.txt": TEXT})
    report = import_qdpx(store, path, actor="tester")
    assert report.sources_added == ["maureen"]  # no name attribute: named after its file, as qc writes it
    assert coded_texts(store) == [("maureen", "Place attachment", "Ana", "neighbour")]
    assert store.source_by_name("maureen").metadata["qdpx_file"] == "Sources/maureen.txt"


def make_docx(paragraphs: list[str], table: list[list[str]]) -> bytes:
    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    grid = document.add_table(rows=len(table), cols=len(table[0]))
    for r, row in enumerate(table):
        for c, cell in enumerate(row):
            grid.cell(r, c).text = cell
    document.add_paragraph("After the table.")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def test_text_only_in_the_docx_is_read_in_document_order(store: Store, tmp_path: Path) -> None:
    paragraphs = ["Field notes, 3 May.", "", "The garden was full. 🌻 Maureen ran the seed swap."]
    table = [["site", "people"], ["Northgate", "twelve"]]
    expected = "\n".join(paragraphs + ["site", "people", "Northgate", "twelve", "After the table."])
    words = ["seed swap", "Northgate", "After"]
    sels = "".join(selection(units(expected, a, crlf=2, utf16=True), units(expected, b, crlf=2, utf16=True), CODE_A)
                   for a, b in spans(expected, words))  # as NVivo for Windows counts
    source = text_source(SOURCE_1, "notes", "internal://n.txt", sels, rich="internal://n.docx")
    path = qdpx(tmp_path, project_xml(f"<Sources>{source}</Sources>"),
                {"sources/n.txt": "\n", "sources/n.docx": make_docx(paragraphs, table)})
    import_qdpx(store, path, actor="tester")
    imported = store.source_by_name("notes")
    assert imported.text == expected
    assert imported.format == "docx"
    assert [quote for *_, quote in coded_texts(store)] == words


def test_descriptions_become_memos_on_codings_and_comments_on_the_source(store: Store, tmp_path: Path) -> None:
    (a, b), (c, d) = spans(TEXT, ["neighbour dragged me along", "lifeline"])
    sels = (selection(a, b, CODE_A, CODE_B, description="Weak tie turned strong.")
            + selection(c, d, description="Ask about the pantry's funding."))
    path = qdpx(tmp_path, project_xml(f"<Sources>{text_source(SOURCE_1, 'm', 'internal://m.txt', sels)}</Sources>"),
                {"sources/m.txt": TEXT})
    report = import_qdpx(store, path, actor="tester")
    assert {c.memo for c in store.codings()} == {"Weak tie turned strong."}
    assert report.codings_added == 2 and report.memos_added == 1
    [memo] = store.memos()
    assert memo.text == "Ask about the pantry's funding."
    assert (memo.target_type, memo.target_id) == ("source", store.source_by_name("m").id)
    assert "“lifeline”" in memo.title and f"{c}–{d}" in memo.title
    assert memo.author == "Ana"


@pytest.mark.parametrize("qde_name", ["project.qde", "Project.QDE", "My study (2024).qde"])
def test_the_project_file_may_have_another_qde_name(store: Store, tmp_path: Path, qde_name: str) -> None:
    path = qdpx(tmp_path, project_xml(), qde_name=qde_name)
    report = import_qdpx(store, path, actor="tester")
    assert report.codes_added == 3


def test_media_sources_are_skipped_and_reported_pdf_text_is_imported(store: Store, tmp_path: Path) -> None:
    a, b = spans(TEXT, ["lifeline"])[0]
    media = (f'<PictureSource guid="{_guid("p")}" name="garden.jpg" path="internal://p.jpg">'
             f'<PictureSelection guid="{_guid("ps")}" firstX="1" firstY="1" secondX="5" secondY="5">'
             f'<Coding guid="{_guid("pc")}"><CodeRef targetGUID="{CODE_A}"/></Coding></PictureSelection>'
             "</PictureSource>"
             f'<AudioSource guid="{_guid("a")}" name="walk.m4a" path="internal://a.m4a"/>'
             f'<PDFSource guid="{SOURCE_2}" name="report.pdf" path="internal://r.pdf">'
             f'<PDFSelection guid="{_guid("pdfs")}" page="1" firstX="1" firstY="1" secondX="2" secondY="2"/>'
             f'<Representation guid="{_guid("rep")}" plainTextPath="internal://r.txt">'
             f"{selection(a, b, CODE_B)}</Representation></PDFSource>")
    path = qdpx(tmp_path, project_xml(f"<Sources>{media}</Sources>"), {"sources/r.txt": TEXT})
    report = import_qdpx(store, path, actor="tester")
    assert report.sources_added == ["report.pdf"]
    assert store.source_by_name("report.pdf").format == "pdf"
    assert coded_texts(store) == [("report.pdf", "Place attachment", "Ana", "lifeline")]
    skipped = {(s.what, s.name): s.reason for s in report.skipped}
    assert "picture sources are not supported (1 codings on it not imported)" == skipped[("source", "garden.jpg")]
    assert "audio" in skipped[("source", "walk.m4a")]
    assert "1 PDF region selections" in skipped[("selections", "report.pdf")]


VARIABLES = ('<Variables><Variable guid="D0000000-0000-4000-8000-000000000001" name="Site" typeOfVariable="Text"/>'
             '<Variable guid="D0000000-0000-4000-8000-000000000002" name="kind" typeOfVariable="Text"/>'
             '<Variable guid="D0000000-0000-4000-8000-000000000003" name="Age" typeOfVariable="Integer"/></Variables>')


def value(variable: int, element: str, text: str) -> str:
    return (f'<VariableValue><VariableRef targetGUID="D0000000-0000-4000-8000-00000000000{variable}"/>'
            f"<{element}>{text}</{element}></VariableValue>")


def test_cases_and_variables_become_cases_and_attributes(store: Store, tmp_path: Path) -> None:
    case_guid = "E0000000-0000-4000-8000-000000000001"
    cases = (f'<Cases><Case guid="{case_guid}" name="NG-R01">{value(3, "IntegerValue", "67")}'
             f'<SourceRef targetGUID="{SOURCE_1}"/></Case>'
             f'<Case guid="E0000000-0000-4000-8000-000000000002" name="NG-R02"/></Cases>')
    source = text_source(SOURCE_1, "maureen", "internal://m.txt",
                         tail=value(1, "TextValue", "Northgate") + value(2, "TextValue", "interview"))
    path = qdpx(tmp_path, project_xml(f"{VARIABLES}{cases}<Sources>{source}</Sources>"), {"sources/m.txt": TEXT})
    report = import_qdpx(store, path, actor="tester")
    imported = store.source_by_name("maureen")
    assert imported.kind == "interview"
    assert store.attributes("source", imported.id) == {"kind": "interview", "site": "Northgate"}
    cases_by_name = {c.name: c for c in store.cases()}
    assert cases_by_name["NG-R01"].attributes == {"age": "67"}
    assert imported.case_id == cases_by_name["NG-R01"].id
    assert set(cases_by_name) == {"NG-R01", "NG-R02"} and sorted(report.cases) == ["NG-R01", "NG-R02"]


def test_notes_become_memos_on_what_refers_to_them(store: Store, tmp_path: Path) -> None:
    notes = {name: f"F0000000-0000-4000-8000-00000000000{i}" for i, name in
             enumerate(["project", "source", "code", "coding", "selection", "case", "free"], start=1)}
    a, b = spans(TEXT, ["neighbour"])[0]
    c, d = spans(TEXT, ["lifeline"])[0]
    codes = CODES.replace('name="Place attachment" isCodable="true"/>',
                          f'name="Place attachment" isCodable="true"><NoteRef targetGUID="{notes["code"]}"/></Code>')
    sels = (selection(a, b, CODE_A).replace("</Coding>", f'<NoteRef targetGUID="{notes["coding"]}"/></Coding>')
            + selection(c, d, CODE_B, extra=f'<NoteRef targetGUID="{notes["selection"]}"/>'))
    source = text_source(SOURCE_1, "m", "internal://m.txt", sels, tail=f'<NoteRef targetGUID="{notes["source"]}"/>')
    case = "E0000000-0000-4000-8000-000000000001"
    body = (f'<Cases><Case guid="{case}" name="NG-R01"/></Cases><Sources>{source}</Sources><Notes>'
            + "".join(f'<Note guid="{guid}" name="{name} memo" creatingUser="{USER_2}">'
                      f"<PlainTextContent>About the {name}.</PlainTextContent></Note>"
                      for name, guid in notes.items() if name != "free")
            + f'<Note guid="{notes["free"]}" name="free memo" plainTextPath="internal://{notes["free"]}.txt"/>'
            + f'</Notes><Links><Link guid="{_guid("l")}" originGUID="{notes["case"]}" targetGUID="{case}"/></Links>'
            + f'<NoteRef targetGUID="{notes["project"]}"/>')
    path = qdpx(tmp_path, project_xml(body, codes=codes),
                {"sources/m.txt": TEXT, f"sources/{notes['free']}.txt": "Free\r\nthinking."})
    report = import_qdpx(store, path, actor="tester")
    assert report.memos_added == 7
    memos = {m.title: m for m in store.memos()}
    coding_of = {store.get_code(c.code_id).name: c.id for c in store.codings()}
    assert (memos["project memo"].target_type, memos["project memo"].target_id) == ("project", None)
    assert (memos["source memo"].target_type, memos["source memo"].target_id) == \
        ("source", store.source_by_name("m").id)
    assert (memos["code memo"].target_type, memos["code memo"].target_id) == \
        ("code", store.find_code("Place attachment").id)
    assert (memos["coding memo"].target_type, memos["coding memo"].target_id) == ("coding", coding_of["Bonding"])
    assert (memos["selection memo"].target_type, memos["selection memo"].target_id) == \
        ("coding", coding_of["Place attachment"])
    assert memos["case memo"].target_type == "case" and memos["case memo"].target_id == store.cases()[0].id
    assert (memos["free memo"].target_type, memos["free memo"].text) == (None, "Free\nthinking.")
    assert memos["code memo"].author == "Ben" and memos["free memo"].author == "tester"
    assert memos["code memo"].uid == notes["code"]


def test_what_cannot_be_kept_is_reported_not_dropped_silently(store: Store, tmp_path: Path) -> None:
    note = (f'<Notes><Note guid="{_guid("n")}" name="coded note"><PlainTextContent>Hello</PlainTextContent>'
            f'{selection(0, 5, CODE_A)}</Note></Notes>')
    cases = (f'<Cases><Case guid="{_guid("c")}" name="NG-R01"><Description>Lives by the river.</Description>'
             "</Case></Cases>")
    sets = f'<Sets><Set guid="{_guid("s")}" name="Wave 1"/></Sets>'
    path = qdpx(tmp_path, project_xml(f"{cases}{note}{sets}"))
    report = import_qdpx(store, path, actor="tester")
    skipped = {(s.what, s.name): s.reason for s in report.skipped}
    assert skipped == {("codings", "coded note"): "1 codings inside a note"}  # sets are imported now
    assert [s.name for s in store.sets()] == ["Wave 1"]
    assert report.warnings == ["the description of case 'NG-R01' was not imported (cases keep only a name and "
                               "attributes)"]
    assert [m.text for m in store.memos()] == ["Hello"]


def test_users_coders_and_codability_fallbacks(store: Store, tmp_path: Path) -> None:
    users = f'<Users><User guid="{USER_1}" id="AK"/><User guid="{USER_2}"/></Users>'
    codes = CODES.replace('name="Place attachment" isCodable="true"', 'name="Place attachment" isCodable="false"')
    (a, b), (c, d), (e, f) = spans(TEXT, ["neighbour", "lifeline", "tight"])
    unnamed_user = "B0000000-0000-4000-8000-0000000000FF"
    sels = (selection(a, b, CODE_A) + selection(c, d, CODE_B, user=USER_2)
            + selection(e, f, CODE_A, user=unnamed_user).replace(f' creatingUser="{unnamed_user}">', ">", 1))
    whole = f'<Coding guid="{_guid("whole")}"><CodeRef targetGUID="{CODE_B}"/></Coding>'
    source = text_source(SOURCE_1, "m", "internal://m.txt", sels, tail=whole)
    path = qdpx(tmp_path, project_xml(f"<Sources>{source}</Sources>", codes=codes, users=users),
                {"sources/m.txt": TEXT})
    report = import_qdpx(store, path, actor="tester")
    assert store.find_code("Place attachment").codable
    assert any("not codable" in w for w in report.warnings)
    by_text = {quote: coder for *_, coder, quote in coded_texts(store)}
    assert by_text["neighbour"] == "AK"  # no name: the user's id
    assert by_text["lifeline"] == USER_2  # neither name nor id: the GUID
    assert by_text["tight"] == unnamed_user  # the Coding has no creatingUser: the selection's
    assert by_text[TEXT] == "tester"  # a coding of the whole source, by nobody: the importer


# --- bad and hostile files --------------------------------------------------------------------------


@pytest.fixture
def busy_store(store: Store) -> Store:
    """A project with work in it, to show that a refused import leaves it exactly as it was."""
    source_id = store.add_source(interview_source(), "ana")
    code_id = store.add_code("Existing", "ana")
    store.add_coding(source_id, 0, 11, code_id, "ana", memo="mine")
    store.add_memo("A memo", "ana", target_type="source", target_id=source_id)
    return store


def snapshot(store: Store) -> tuple:
    return (store.counts(), [(e.id, e.action) for e in store.events()], [c.uid for c in store.codes()],
            [(c.uid, c.start, c.end) for c in store.codings()], [m.uid for m in store.memos()])


BILLION_LAUGHS = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
                  '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
                  '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
                  f'<Project xmlns="{NS}" name="&lol3;"/>')
EXTERNAL = ('<?xml version="1.0"?><!DOCTYPE p [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
            f'<Project xmlns="{NS}" name="&xxe;"/>')


def source_with(selections: str, text: str = TEXT) -> tuple[str, dict[str, str]]:
    return project_xml(f"<Sources>{text_source(SOURCE_1, 'm', 'internal://m.txt', selections)}</Sources>"), \
        {"sources/m.txt": text}


def one_source(*, tail: str = "", rich: str | None = None) -> str:
    return project_xml(f"<Sources>{text_source(SOURCE_1, 'm', 'internal://m.txt', tail=tail, rich=rich)}</Sources>")


def recoded(old: str, new: str) -> tuple[str, dict[str, str]]:
    """A source with one selection whose XML has ``old`` replaced by ``new``."""
    return source_with(selection(0, 5, CODE_A).replace(old, new))


XML_CASES = {
    "billion laughs": lambda: (BILLION_LAUGHS, {}),
    "external entity": lambda: (EXTERNAL, {}),
    "malformed XML": lambda: (project_xml()[:-40], {}),
    "not a project": lambda: ('<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes/></CodeBook>', {}),
    "selection past the end": lambda: source_with(selection(len(TEXT) - 3, len(TEXT) + 4, CODE_A)),
    "position not a number": lambda: recoded('endPosition="5"', 'endPosition="5.5"'),
    "start after end": lambda: source_with(selection(9, 5, CODE_A)),
    "unknown code": lambda: recoded(CODE_A, "A0000000-0000-4000-8000-0000000000FF"),
    "coding without CodeRef": lambda: recoded(f'<CodeRef targetGUID="{CODE_A}"/>', ""),
    "missing text file": lambda: (one_source(), {}),
    "text not UTF-8": lambda: (one_source(), {"sources/m.txt": "Café".encode("latin-1")}),
    "undeclared variable": lambda: (one_source(tail=value(1, "TextValue", "x")), {"sources/m.txt": TEXT}),
    "duplicate code GUID": lambda: (project_xml(codes=CODES + f'<Code guid="{CODE_A}" name="Again" isCodable="true"/>'),
                                    {}),
    "damaged docx": lambda: (one_source(rich="internal://m.docx"),
                             {"sources/m.txt": "", "sources/m.docx": b"PK\x03\x04broken"}),
}


def bad_archive(tmp_path: Path, case: str) -> tuple[Path, ZipLimits | None]:
    """Build the broken or hostile .qdpx called ``case``."""
    limits = None
    if case == "not a zip":
        path = tmp_path / "x.qdpx"
        path.write_text("just text")
    elif case == "truncated zip":
        whole = qdpx(tmp_path, *source_with(selection(0, 5, CODE_A)), name="whole.qdpx").read_bytes()
        path = tmp_path / "x.qdpx"
        path.write_bytes(whole[: len(whole) // 2])
    elif case in ("../evil.txt", "/etc/evil.txt"):
        path = qdpx(tmp_path, *(lambda qde, files: (qde, {**files, case: "owned"}))(*source_with("")))
    elif case == "zip bomb":
        qde, files = source_with("")
        path = qdpx(tmp_path, qde, {"sources/m.txt": "a" * 3_000_000})
        limits = ZipLimits(max_ratio=50)
    elif case == "too big":
        path = qdpx(tmp_path, *source_with(""))
        limits = ZipLimits(max_entry_bytes=200)
    elif case == "no project file":
        path = tmp_path / "x.qdpx"
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("sources/m.txt", TEXT)
    elif case == "two project files":
        path = qdpx(tmp_path, project_xml(), {"other.qde": project_xml()}, qde_name="first.qde")
    else:
        qde, files = XML_CASES[case]()
        path = qdpx(tmp_path, qde, files)
    return path, limits


BAD_CASES = {
    "not a zip": "not a ZIP archive",
    "truncated zip": "ZIP",
    "../evil.txt": "outside the archive's folder",
    "/etc/evil.txt": "outside the archive's folder",
    "zip bomb": "zip bomb",
    "too big": "zip bomb",
    "no project file": "holds no project.qde",
    "two project files": "several project files",
    "billion laughs": "entity expansion",
    "external entity": "external entities",
    "malformed XML": "not well-formed XML",
    "not a project": "root element is <CodeBook>",
    "selection past the end": "past the end of its text",
    "position not a number": "not a whole number",
    "start after end": "0 <= start <= end",
    "unknown code": "which the codebook does not define",
    "coding without CodeRef": "has no CodeRef",
    "missing text file": "which is not in the archive",
    "text not UTF-8": "is not UTF-8 text",
    "undeclared variable": "undeclared variable",
    "duplicate code GUID": "codebook cannot be read",
    "damaged docx": "m.docx",
}


@pytest.mark.parametrize("case", list(BAD_CASES))
def test_bad_files_are_refused_and_change_nothing(busy_store: Store, tmp_path: Path, case: str) -> None:
    path, limits = bad_archive(tmp_path, case)
    before = snapshot(busy_store)
    with pytest.raises(QdpxError) as caught:
        import_qdpx(busy_store, path, actor="tester", limits=limits)
    message = str(caught.value)
    assert message.startswith(str(path)), message
    assert re.search(re.escape(BAD_CASES[case]), message), message
    assert snapshot(busy_store) == before


def test_a_clash_found_while_writing_rolls_everything_back(busy_store: Store, tmp_path: Path) -> None:
    # The project holds "Existing" at the top and the file's code A (same GUID) under a parent; the file
    # puts A at the top under the name "Existing": moving it there clashes, after other codes were added.
    parent = busy_store.add_code("Parent", "ana")
    busy_store.add_code("Existing", "ana", parent_id=parent, uid=CODE_A)
    codes = (f'<Code guid="{CODE_B}" name="Brand new" isCodable="true"/>'
             f'<Code guid="{CODE_A}" name="Existing" isCodable="true"/>')
    qde, files = source_with(selection(0, 5, CODE_B))
    path = qdpx(tmp_path, qde.replace(CODES, codes), files)
    before = snapshot(busy_store)
    with pytest.raises(QdpxError, match="cannot be merged into this project: a code called 'Existing'"):
        import_qdpx(busy_store, path, actor="tester")
    assert snapshot(busy_store) == before
    with pytest.raises(Exception):
        busy_store.find_code("Brand new")


def test_a_failure_in_the_last_step_undoes_the_sources_codes_and_codings_before_it(busy_store: Store,
                                                                                     tmp_path: Path) -> None:
    # A temporary trigger on this connection makes the database refuse one memo, the last thing written.
    busy_store.database.conn.execute(
        "CREATE TEMP TRIGGER refuse_memo BEFORE INSERT ON memos WHEN NEW.title = 'poison' "
        "BEGIN SELECT RAISE(ABORT, 'simulated failure'); END")
    (a, b), (c, d) = spans(TEXT, ["neighbour", "lifeline"])
    source = text_source(SOURCE_1, "m", "internal://m.txt", selection(a, b, CODE_A) + selection(c, d, CODE_B))
    notes = (f'<Notes><Note guid="{_guid("n1")}" name="fine"><PlainTextContent>ok</PlainTextContent></Note>'
             f'<Note guid="{_guid("n2")}" name="poison"><PlainTextContent>x</PlainTextContent></Note></Notes>')
    path = qdpx(tmp_path, project_xml(f"<Sources>{source}</Sources>{notes}"), {"sources/m.txt": TEXT})
    before = snapshot(busy_store)
    with pytest.raises(sqlite3.IntegrityError, match="simulated failure"):
        import_qdpx(busy_store, path, actor="tester")
    assert snapshot(busy_store) == before
    busy_store.database.conn.execute("DROP TRIGGER refuse_memo")
    report = import_qdpx(busy_store, path, actor="tester")  # the same file, once the database accepts it
    assert (len(report.sources_added), report.codes_added, report.codings_added, report.memos_added) == (1, 3, 2, 2)


def test_a_missing_file_is_a_named_error(store: Store, tmp_path: Path) -> None:
    with pytest.raises(QdpxError, match="nothing.qdpx: cannot be read"):
        import_qdpx(store, tmp_path / "nothing.qdpx", actor="tester")


def test_report_summary_lists_counts_skips_and_warnings() -> None:
    report = ImportReport(path="x.qdpx", origin="Tool", sources_added=["a"], codings_added=3, coders=["Ana"])
    report.warnings.append("something odd")
    lines = report.summary()
    assert lines[0] == "Imported x.qdpx (written by Tool)"
    assert "  codings: 3 added, 0 already there" in lines and "  warning: something odd" in lines
