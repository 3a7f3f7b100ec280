"""REFI-QDA project export (workbench/refi/qdpx_export.py): schema, positions, round trip, CLI."""
from __future__ import annotations

import re
import uuid
import zipfile
from dataclasses import replace
from pathlib import Path

import defusedxml.ElementTree as DefusedET
import pytest
import xmlschema
from click.testing import CliRunner

from coding.codebook import CodeDef, Codebook
from ingest.dispatch import paragraph_segments
from ingest.records import LoadedSource
from workbench.cli import cli
from workbench.sources.importer import to_new_source
from workbench.sources.pseudonyms import Roster
from workbench.export.refi import QdpxError, export_qdpx, import_qdpx
from workbench.export.refi.qdpx_export import mapped_text, user_guid
from workbench.store import Store

from conftest import fixtures_dir

NS = "urn:QDA-XML:project:1.0"
Q = f"{{{NS}}}"
SCHEMA_ORDER = ["Users", "CodeBook", "Variables", "Cases", "Sources", "Notes", "Links", "Sets", "Graphs",
                "Description", "NoteRef"]
MAUREEN = ("Interviewer: How did you get involved with the garden?\n\n"
           "Maureen: My neighbour dragged me along 🌱. Now I go every Saturday — it keeps me sane.\n\n"
           "Interviewer: And the café?\n\n"
           "Maureen: Zoë runs it. Ça marche! 🥫🥫 The pantry is a lifeline when money is tight.")
DIARY = ("Diary, 3 May\n\nStorm warning again. We filled sandbags with the Ahmeds, and Maureen brought tea.\n\n"
         "Diary, 4 May\n\nPower out for six hours; the hub ran on the generator 🔋.\n\n"
         "Neighbours checked on each other.")
ROOT, SUPPORT, BONDING, BRIDGING, PLACE = (f"00000000-0000-4000-8000-00000000000{i}" for i in range(1, 6))
CODEBOOK = Codebook(name="Resilience", codes=[
    CodeDef(uid=ROOT, name="Social capital", codable=False, color="#1565C0",
            definition="Networks and trust that help people cope."),
    CodeDef(uid=SUPPORT, name="Support", parent_uid=ROOT, color="#2E7D32",
            definition="Help given or received.", use_when="Someone helps another person.",
            dont_use_when="Help from an agency.", examples=["She brought tea", "a line\n  over two"],
            keywords=["help", "tea"]),
    CodeDef(uid=BONDING, name="Bonding ties", parent_uid=SUPPORT, definition="Close ties: family, neighbours."),
    CodeDef(uid=BRIDGING, name="Bridging – ties", parent_uid=SUPPORT, definition="Ties across groups."),
    CodeDef(uid=PLACE, name="Place attachment", color="#AD1457", definition="Feeling for a place."),
])


def add_source(store: Store, name: str, text: str, attributes: dict[str, str], case: str | None) -> int:
    loaded = LoadedSource(name=name, kind="interview", text=text, format="txt", segments=paragraph_segments(text))
    new = replace(to_new_source(loaded, Path(name), {}), attributes=attributes, case=case)
    return store.add_source(new, "importer")


def span(text: str, words: str, nth: int = 0) -> tuple[int, int]:
    start = -1
    for _ in range(nth + 1):
        start = text.index(words, start + 1)
    return start, start + len(words)


@pytest.fixture
def rich(store: Store) -> Store:
    """A project with everything the exchange carries."""
    store.import_codebook(CODEBOOK, "ana")
    maureen = add_source(store, "maureen.txt", MAUREEN, {"site": "Northgate", "wave": "1"}, "Maureen")
    diary = add_source(store, "diary.txt", DIARY, {"site": "Riverside"}, None)
    store.set_attributes("case", store.ensure_case("Maureen"), {"age": "67", "role": "résident"})
    store.ensure_case("Zoë")
    code = {c.uid: c.id for c in store.codes()}
    coding = {}
    for coder, source, text, words, code_uid, memo in [
        ("ana", maureen, MAUREEN, "My neighbour dragged me along 🌱", BONDING, "Weak tie turned strong."),
        ("ana", maureen, MAUREEN, "My neighbour dragged me along 🌱", PLACE, ""),
        ("ben", maureen, MAUREEN, "My neighbour dragged me along 🌱", BONDING, "agree"),
        ("ben", maureen, MAUREEN, "neighbour dragged me along 🌱. Now I go every Saturday", PLACE, "overlaps"),
        ("ana", maureen, MAUREEN, "Ça marche! 🥫🥫 The pantry is a lifeline", SUPPORT,
         "Zoë's café; ☕\nline two"),
        ("ben", diary, DIARY, "We filled sandbags with the Ahmeds", BRIDGING, ""),
        ("ana", diary, DIARY, "Storm warning again.", PLACE, ""),
        ("ana", diary, DIARY, "Power out for six hours; the hub ran on the generator 🔋.\n\n"
                              "Neighbours checked on each other.", BONDING, ""),
    ]:
        start, end = span(text, words)
        coding[(coder, words[:12], code_uid)] = store.add_coding(source, start, end, code[code_uid], coder, memo=memo)
    store.add_memo("Themes so far:\n\n• trust\n• food 🍞", "ana", title="Free memo")
    store.add_memo("The project keeps growing.", "ben", title="Project memo", target_type="project")
    store.add_memo("Bonding shows up everywhere.", "ana", title="On bonding", target_type="code",
                   target_id=code[BONDING])
    store.add_memo("Recorded in the garden shed.", "ben", title="Setting", target_type="source", target_id=maureen)
    store.add_memo("Is this bonding or bridging?", "ben", title="Doubt", target_type="coding",
                   target_id=coding[("ana", "My neighbour", BONDING)])
    store.add_memo("Maureen moved here in 1998.", "ana", title="Background", target_type="case",
                   target_id=store.ensure_case("Maureen"))
    return store


def read_archive(path: Path) -> tuple[bytes, dict[str, bytes]]:
    with zipfile.ZipFile(path) as archive:
        return archive.read("project.qde"), {n: archive.read(n) for n in archive.namelist() if n != "project.qde"}


def schema() -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(str(fixtures_dir("refi", "schemas") / "Project.xsd"))


OPTIONS = [{}, {"crlf": True}, {"utf16": True}, {"crlf": True, "utf16": True}]


@pytest.mark.parametrize("options", OPTIONS)
def test_export_validates_against_project_xsd(rich: Store, tmp_path: Path, options: dict) -> None:
    path = export_qdpx(rich, tmp_path / "out.qdpx", actor="ana", **options)
    document, _ = read_archive(path)
    schema().validate(document.decode("utf-8"))
    root = DefusedET.fromstring(document)
    order = [child.tag.removeprefix(Q) for child in root]
    assert order == [tag for tag in SCHEMA_ORDER if tag in order]
    assert order[:7] == ["Users", "CodeBook", "Variables", "Cases", "Sources", "Notes", "Links"]


def test_an_empty_project_exports_a_valid_file(store: Store, tmp_path: Path) -> None:
    document, files = read_archive(export_qdpx(store, tmp_path / "empty.qdpx"))
    schema().validate(document.decode("utf-8"))
    assert files == {}


def test_archive_layout_encoding_and_project_attributes(rich: Store, tmp_path: Path) -> None:
    document, files = read_archive(export_qdpx(rich, tmp_path / "out.qdpx", actor="ana"))
    assert not document.startswith(b"\xef\xbb\xbf")
    root = DefusedET.fromstring(document)
    assert root.tag == f"{Q}Project" and root.get("name") == "test"
    assert root.get("origin").startswith("Resilience Workbench")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", root.get("creationDateTime"))
    assert root.get("creatingUserGUID") == user_guid("ana")
    sources = root.findall(f"{Q}Sources/{Q}TextSource")
    assert {f"sources/{s.get('guid')}.txt" for s in sources} == set(files)
    assert {s.get("plainTextPath") for s in sources} == {f"internal://{s.get('guid')}.txt" for s in sources}
    for data in files.values():
        assert not data.startswith(b"\xef\xbb\xbf") and b"\r" not in data
    assert {data.decode() for data in files.values()} == {MAUREEN, DIARY}


def test_users_are_stable_and_every_user_reference_resolves(rich: Store, tmp_path: Path) -> None:
    first, _ = read_archive(export_qdpx(rich, tmp_path / "a.qdpx", actor="ana"))
    second, _ = read_archive(export_qdpx(rich, tmp_path / "b.qdpx", actor="ana"))
    without_time = [re.sub(rb'(<Project[^>]*?) creationDateTime="[^"]*"', rb"\1", d) for d in (first, second)]
    assert without_time[0] == without_time[1]  # re-exporting gives the same GUIDs and the same document
    root = DefusedET.fromstring(first)
    users = {u.get("name"): u.get("guid") for u in root.iter(f"{Q}User")}
    assert users == {name: user_guid(name) for name in ("ana", "ben", "importer")}
    assert user_guid("ana") == str(uuid.uuid5(uuid.UUID("7C7B0E4A-9E55-4E0F-8D5B-3F1A2C6D9B10"), "user:ana")).upper()
    referenced = {e.get("creatingUser") for e in root.iter() if e.get("creatingUser")}
    assert referenced == set(users.values())


def exported_selections(path: Path) -> list[tuple[str, str, str, int, int, str]]:
    """(file text, source name, code GUID, start, end, coder) of every selection, read from the archive."""
    document, files = read_archive(path)
    root = DefusedET.fromstring(document)
    users = {u.get("guid"): u.get("name") for u in root.iter(f"{Q}User")}
    found = []
    for source in root.iter(f"{Q}TextSource"):
        text = files[f"sources/{source.get('guid')}.txt"].decode("utf-8")
        for selection in source.findall(f"{Q}PlainTextSelection"):
            [coding] = selection.findall(f"{Q}Coding")
            found.append((text, source.get("name"), coding.find(f"{Q}CodeRef").get("targetGUID"),
                          int(selection.get("startPosition")), int(selection.get("endPosition")),
                          users[coding.get("creatingUser")]))
    return found


def quote(text: str, start: int, end: int, utf16: bool) -> str:
    if utf16:
        return text.encode("utf-16-le")[2 * start:2 * end].decode("utf-16-le")
    return text[start:end]


@pytest.mark.parametrize("options", OPTIONS)
def test_positions_select_the_coded_words_in_the_written_file(rich: Store, tmp_path: Path, options: dict) -> None:
    selections = exported_selections(export_qdpx(rich, tmp_path / "out.qdpx", **options))
    expected = sorted((rich.get_source(c.source_id).name, rich.get_code(c.code_id).uid, c.coder,
                       rich.get_source(c.source_id).text[c.start:c.end]) for c in rich.codings())
    written = sorted((name, code, coder, quote(text, start, end, options.get("utf16", False)))
                     for text, name, code, start, end, coder in selections)
    newline = "\r\n" if options.get("crlf") else "\n"
    assert written == [(n, c, who, words.replace("\n", newline)) for n, c, who, words in expected]
    assert all(("\r\n" in text) == bool(options.get("crlf")) for text, *_ in selections)


def test_crlf_and_utf16_shift_positions_by_what_precedes(rich: Store, tmp_path: Path) -> None:
    plain = {(n, c, w): (s, e) for _, n, c, s, e, w in exported_selections(export_qdpx(rich, tmp_path / "a.qdpx"))}
    both = {(n, c, w): (s, e) for _, n, c, s, e, w in
            exported_selections(export_qdpx(rich, tmp_path / "b.qdpx", crlf=True, utf16=True))}
    start, end = span(MAUREEN, "Ça marche! 🥫🥫 The pantry is a lifeline")
    wide_before = [MAUREEN[:p].count("\n") + sum(ord(ch) > 0xFFFF for ch in MAUREEN[:p]) for p in (start, end)]
    assert wide_before == [6 + 1, 6 + 3]  # 6 newlines and 🌱 before it; 🥫🥫 inside it
    plain_start, plain_end = plain[("maureen.txt", SUPPORT, "ana")]
    assert both[("maureen.txt", SUPPORT, "ana")] == (plain_start + wide_before[0], plain_end + wide_before[1])


def test_memos_are_notes_referenced_from_what_they_belong_to(rich: Store, tmp_path: Path) -> None:
    document, _ = read_archive(export_qdpx(rich, tmp_path / "out.qdpx"))
    root = DefusedET.fromstring(document)
    notes = {n.get("name"): n.get("guid") for n in root.iter(f"{Q}Note")}
    assert set(notes) == {"Free memo", "Project memo", "On bonding", "Setting", "Doubt", "Background"}
    refs_under = {}
    for parent in root.iter():
        for ref in parent.findall(f"{Q}NoteRef"):
            refs_under[ref.get("targetGUID")] = parent.tag.removeprefix(Q)
    assert refs_under == {notes["Project memo"]: "Project", notes["On bonding"]: "Code", notes["Setting"]: "TextSource",
                          notes["Doubt"]: "Coding"}
    [link] = root.iter(f"{Q}Link")
    case_guid = next(c.get("guid") for c in root.iter(f"{Q}Case") if c.get("name") == "Maureen")
    assert (link.get("originGUID"), link.get("targetGUID")) == (notes["Background"], case_guid)
    memo_selection = [s for s in root.iter(f"{Q}PlainTextSelection") if s.find(f"{Q}Description") is not None]
    assert {s.find(f"{Q}Description").text for s in memo_selection} == \
        {"Weak tie turned strong.", "agree", "overlaps", "Zoë's café; ☕\nline two"}


def snapshot(store: Store) -> dict:
    """Everything the exchange must preserve, keyed by stable identities (names and uids, not ids)."""
    sources = {s.id: s for s in (store.get_source(i) for i in store.source_ids())}
    cases = {c.id: c for c in store.cases()}
    codes = store.codes()
    uid_of = {c.id: c.uid for c in codes}
    codings = store.codings()
    coding_uid = {c.id: c.uid for c in codings}

    def target(memo) -> object:
        kind, ident = memo.target_type, memo.target_id
        return {"source": lambda: sources[ident].name, "code": lambda: uid_of[ident], "case": lambda: cases[ident].name,
                "coding": lambda: coding_uid[ident]}.get(kind, lambda: ident)()

    return {
        "sources": {s.name: (s.text, store.attributes("source", s.id), cases[s.case_id].name if s.case_id else None)
                    for s in sources.values()},
        "cases": {c.name: c.attributes for c in cases.values()},
        "codes": [(c.uid, c.name, uid_of.get(c.parent_id), c.definition, c.use_when, c.dont_use_when, c.examples,
                   c.keywords, c.color, c.codable) for c in codes],
        "codings": sorted((sources[c.source_id].name, c.start, c.end, uid_of[c.code_id], c.coder, c.memo, c.uid)
                          for c in codings),
        "coders": store.coders(),
        "memos": sorted((m.uid, m.title, m.text, m.author, m.target_type, target(m)) for m in store.memos()),
    }


@pytest.mark.parametrize("options", OPTIONS)
def test_round_trip_preserves_everything(rich: Store, tmp_path: Path, options: dict) -> None:
    path = export_qdpx(rich, tmp_path / "out.qdpx", actor="ana", **options)
    copy = Store.create(tmp_path / "copy.wbproj")
    report = import_qdpx(copy, path, actor="carol")
    assert snapshot(copy) == snapshot(rich)
    crlf = "CR+LF counted as two" if options.get("crlf") else None
    units = "UTF-16 code units" if options.get("utf16") else "code points"
    assert report.positions == {name: ", ".join(filter(None, [units, crlf])) for name in ("maureen.txt", "diary.txt")}
    assert report.skipped == [] and report.warnings == []


def test_round_trip_into_the_same_project_adds_nothing(rich: Store, tmp_path: Path) -> None:
    before = snapshot(rich)
    report = import_qdpx(rich, export_qdpx(rich, tmp_path / "out.qdpx", crlf=True), actor="ana")
    assert snapshot(rich) == before
    assert sorted(report.sources_reused) == ["diary.txt", "maureen.txt"]
    assert report.codings_existing == len(before["codings"]) and report.memos_existing == len(before["memos"])


def test_pseudonymised_export_replaces_names_and_keeps_positions(rich: Store, tmp_path: Path) -> None:
    path = export_qdpx(rich, tmp_path / "out.qdpx", pseudonymise={"Maureen": "P01", "Zoë": "P02", "Ahmeds": "X"})
    document, files = read_archive(path)
    everything = document.decode() + "".join(data.decode() for data in files.values())
    assert "Maureen" not in everything and "maureen" not in everything and "Zoë" not in everything
    assert "P01: My neighbour" in everything and "<TextValue>résident</TextValue>" in everything
    names = {s.get("name") for s in DefusedET.fromstring(document).iter(f"{Q}TextSource")}
    assert names == {"P01.txt", "diary.txt"}
    written = {(name, code, who): text[start:end] for text, name, code, start, end, who in exported_selections(path)}
    assert written[("P01.txt", SUPPORT, "ana")] == "Ça marche! 🥫🥫 The pantry is a lifeline"
    assert written[("diary.txt", BRIDGING, "ben")] == "We filled sandbags with the X"
    copy = Store.create(tmp_path / "copy.wbproj")
    import_qdpx(copy, path, actor="carol")
    assert {c.name for c in copy.cases()} == {"P01", "P02"}


@pytest.mark.parametrize(("offset", "end", "expected"), [
    (0, False, 0), (4, False, 4),  # before the name
    (5, False, 5), (6, False, 5), (6, True, 8), (12, True, 8),  # inside "Maureen" (5..12) -> "P01" (5..8)
    (13, False, 9), (20, True, 16),  # after it: shifted by -4
])
def test_offsets_follow_the_rosters_replacements(offset: int, end: bool, expected: int) -> None:
    mapped = mapped_text("Dear Maureen, hi Maureenish.", Roster({"Maureen": "P01"}))
    assert mapped.text == "Dear P01, hi Maureenish."
    assert mapped.offset(offset, end=end) == expected


def test_characters_xml_cannot_hold_are_replaced_and_the_file_stays_valid(store: Store, tmp_path: Path) -> None:
    store.add_memo("bell\x07 and form feed\x0c", "ana", title="odd\x01")
    document, _ = read_archive(export_qdpx(store, tmp_path / "out.qdpx"))
    schema().validate(document.decode("utf-8"))
    note = DefusedET.fromstring(document).find(f".//{Q}Note")
    assert note.get("name") == "odd\ufffd"
    assert note.find(f"{Q}PlainTextContent").text == "bell\ufffd and form feed\ufffd"


def test_an_unwritable_target_is_a_named_error_and_leaves_nothing(rich: Store, tmp_path: Path) -> None:
    target = tmp_path / "missing-folder" / "out.qdpx"
    with pytest.raises(QdpxError, match="out.qdpx: cannot be written"):
        export_qdpx(rich, target)
    assert not target.parent.exists() or not any(target.parent.iterdir())


def test_cli_export_and_import(rich: Store, tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "out.qdpx"
    command = ["export", "qdpx", "--out", str(out), "--crlf", "--pseudonymise", "--project", str(rich.path),
               "--as", "ana"]
    result = runner.invoke(cli, command)
    assert result.exit_code == 2 and "roster is empty" in result.output
    rich.set_roster({"Maureen": "P01"}, "ana")
    result = runner.invoke(cli, command)
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"Wrote {out} (names pseudonymised): 2 sources, 5 codes, 8 codings, 2 coders, "
                                    "6 memos, 2 cases.")
    Store.create(tmp_path / "copy.wbproj")
    result = runner.invoke(cli, ["import", "qdpx", str(out), "--project", str(tmp_path / "copy.wbproj"), "--as", "c"])
    assert result.exit_code == 0, result.output
    assert "  sources: 2 added, 0 already in the project" in result.output
    assert "  codings: 8 added, 0 already there" in result.output and "  coders: ana, ben" in result.output
    assert "positions counted in code points, CR+LF counted as two: 'P01.txt'" in result.output
    bad = tmp_path / "bad.qdpx"
    bad.write_text("nope")
    result = runner.invoke(cli, ["import", "qdpx", str(bad), "--project", str(tmp_path / "copy.wbproj")])
    assert result.exit_code == 1 and "bad.qdpx: not a ZIP archive" in result.output
    for command in (["export", "qdpx", "--help"], ["import", "qdpx", "--help"]):
        result = runner.invoke(cli, command)
        assert result.exit_code == 0 and "REFI-QDA project (.qdpx)" in " ".join(result.output.split())
    assert "qdpx" in runner.invoke(cli, ["export", "--help"]).output
