"""A .qdpx round trip keeps what tools recognise a project by: GUIDs, users (also those who coded
nothing) and Sets; importing into an existing project never clears a value the file leaves out."""
from __future__ import annotations

import zipfile
from pathlib import Path

import defusedxml.ElementTree as DefusedET
import pytest

from workbench.export.refi import export_qdpx, import_qdpx
from workbench.export.refi.qdpx_export import user_guid
from workbench.store import Store

from conftest import fixtures_dir
from test_qdpx_import import CODE_A, CODE_B, CODES, SOURCE_1, SOURCE_2, USER_1, USER_2, USERS, project_xml, qdpx, \
    selection, text_source

Q = "{urn:QDA-XML:project:1.0}"
FIXTURES = ["nvivo-win-12.6.qdpx", "nvivo-mac-15.0.qdpx", "qc-1.3.2-demo.qdpx", "atlasti-win-23.2.3-blank.qdpx",
            "atlasti-win-23.2.3-codes.qdpx"]


def read_qde(path: Path):
    with zipfile.ZipFile(path) as archive:
        name = next(n for n in archive.namelist() if n.lower().endswith(".qde"))
        return DefusedET.fromstring(archive.read(name))


def guids(root, tag: str, *, within: str | None = None) -> set[str]:
    scope = root.find(f"{Q}{within}") if within else root
    return {e.get("guid").upper() for e in (scope.iter(f"{Q}{tag}") if scope is not None else []) if e.get("guid")}


def users(root) -> dict[str, str]:
    return {u.get("guid").upper(): u.get("name") for u in root.iter(f"{Q}User")}


@pytest.mark.parametrize("fixture", FIXTURES)
def test_guids_and_users_of_a_real_export_survive_our_export(store: Store, tmp_path: Path, fixture: str) -> None:
    original = read_qde(fixtures_dir("refi", "qdpx") / fixture)
    import_qdpx(store, fixtures_dir("refi", "qdpx") / fixture, actor="tester")
    ours = read_qde(export_qdpx(store, tmp_path / "out.qdpx", actor="tester"))
    assert guids(original, "Code") == guids(ours, "Code")
    assert guids(original, "TextSource") <= guids(ours, "TextSource") or fixture.startswith("nvivo-mac")
    assert guids(original, "PlainTextSelection") == guids(ours, "PlainTextSelection")
    assert guids(original, "Coding", within="Sources") == guids(ours, "Coding", within="Sources")
    assert users(original).items() <= users(ours).items()  # also the users who coded nothing


def test_a_selection_holding_several_codings_is_written_back_as_one(store: Store, tmp_path: Path) -> None:
    original = read_qde(fixtures_dir("refi", "qdpx") / "qc-1.3.2-demo.qdpx")
    import_qdpx(store, fixtures_dir("refi", "qdpx") / "qc-1.3.2-demo.qdpx", actor="tester")
    ours = read_qde(export_qdpx(store, tmp_path / "out.qdpx"))

    def shape(root) -> dict[str, tuple[str, str, frozenset[str]]]:
        return {s.get("guid").upper(): (s.get("startPosition"), s.get("endPosition"),
                                        frozenset(c.get("guid").upper() for c in s.iter(f"{Q}Coding")))
                for s in root.iter(f"{Q}PlainTextSelection")}

    assert shape(ours) == shape(original)
    assert max(len(codings) for _, _, codings in shape(ours).values()) >= 2


def test_a_second_round_trip_changes_no_guid(store: Store, tmp_path: Path) -> None:
    import_qdpx(store, fixtures_dir("refi", "qdpx") / "nvivo-win-12.6.qdpx", actor="tester")
    first = export_qdpx(store, tmp_path / "first.qdpx", for_tool="nvivo-win")
    copy = Store.create(tmp_path / "copy.wbproj")
    import_qdpx(copy, first, actor="someone")
    second = export_qdpx(copy, tmp_path / "second.qdpx", for_tool="nvivo-win")
    a, b = read_qde(first), read_qde(second)
    for tag in ("Code", "TextSource", "PlainTextSelection", "Coding"):
        assert guids(a, tag) == guids(b, tag), tag
    assert users(a).items() <= users(b).items()
    assert set(users(b).values()) - set(users(a).values()) == {"someone"}  # who imported the copy


def test_users_without_codings_are_stored_and_exported(store: Store, tmp_path: Path) -> None:
    lurker = "B0000000-0000-4000-8000-0000000000FF"
    xml = project_xml(text_source(SOURCE_1, "one", "internal://one.txt", selection(0, 5, CODE_A, user=USER_1)),
                      users=USERS.replace("</Users>", f'<User guid="{lurker}" name="Lurker"/></Users>'))
    import_qdpx(store, qdpx(tmp_path, xml, {"sources/one.txt": "Hello world"}), actor="tester")
    assert store.users() == {"Ana": USER_1, "Ben": USER_2, "Lurker": lurker}
    exported = users(read_qde(export_qdpx(store, tmp_path / "out.qdpx")))
    assert {USER_1: "Ana", USER_2: "Ben", lurker: "Lurker"}.items() <= exported.items()


# --- Sets ---------------------------------------------------------------------------------------------

SET_1 = "D0000000-0000-4000-8000-000000000001"
SET_2 = "D0000000-0000-4000-8000-000000000002"
NOTE_1 = "F0000000-0000-4000-8000-000000000001"
PICTURE = "C0000000-0000-4000-8000-0000000000AA"


def sets_xml(*, description: str = "<Description>First wave, spring.</Description>",
             extra_members: str = "") -> str:
    """Two sources (one a picture we skip), a note, and MAXQDA-style sets of documents and codes."""
    sources = (text_source(SOURCE_1, "one", "internal://one.txt", selection(0, 5, CODE_A))
               + text_source(SOURCE_2, "two", "internal://two.txt")
               + f'<PictureSource guid="{PICTURE}" name="photo" path="internal://p.png"/>')
    notes = f'<Notes><Note guid="{NOTE_1}" name="memo"><PlainTextContent>A thought.</PlainTextContent></Note></Notes>'
    sets = (f'<Sets><Set guid="{SET_1}" name="Wave 1">{description}'
            f'<MemberSource targetGUID="{SOURCE_1}"/><MemberSource targetGUID="{SOURCE_2}"/>'
            f'<MemberSource targetGUID="{PICTURE}"/>{extra_members}</Set>'
            f'<Set guid="{SET_2}" name="Core codes"><MemberCode targetGUID="{CODE_A}"/>'
            f'<MemberCode targetGUID="{CODE_B}"/><MemberNote targetGUID="{NOTE_1}"/></Set></Sets>')
    return project_xml(f"<Sources>{sources}</Sources>{notes}{sets}")


def sets_file(tmp_path: Path, xml: str, name: str = "sets.qdpx") -> Path:
    return qdpx(tmp_path, xml, {"sources/one.txt": "Hello world", "sources/two.txt": "Another text"}, name=name)


def named_sets(store: Store) -> dict[str, tuple]:
    source_names = {s.id: s.name for s in store.list_sources()}
    memo_titles = {m.id: m.title for m in store.memos()}
    return {s.name: (s.uid.upper(), s.description, sorted(store.get_code(i).name for i in s.code_ids),
                     sorted(source_names[i] for i in s.source_ids), sorted(memo_titles[i] for i in s.memo_ids))
            for s in store.sets()}


def test_sets_are_imported_with_their_members(store: Store, tmp_path: Path) -> None:
    report = import_qdpx(store, sets_file(tmp_path, sets_xml()), actor="tester")
    assert named_sets(store) == {
        "Wave 1": (SET_1, "First wave, spring.", [], ["one", "two"], []),
        "Core codes": (SET_2, "", ["Bonding", "Place attachment"], [], ["memo"]),
    }
    assert report.sets_added == 2
    assert ("set member", "Wave 1") in {(s.what, s.name) for s in report.skipped}  # the skipped picture
    assert any("sets: 2 added" in line for line in report.summary())
    again = import_qdpx(store, sets_file(tmp_path, sets_xml()), actor="tester")
    assert again.sets_added == 0 and len(store.sets()) == 2


def test_sets_round_trip_and_validate(store: Store, tmp_path: Path) -> None:
    import xmlschema

    import_qdpx(store, sets_file(tmp_path, sets_xml()), actor="tester")
    path = export_qdpx(store, tmp_path / "out.qdpx", for_tool="maxqda")
    with zipfile.ZipFile(path) as archive:
        document = archive.read("project.qde").decode("utf-8")
    xmlschema.XMLSchema(str(fixtures_dir("refi", "schemas") / "Project.xsd")).validate(document)
    root = DefusedET.fromstring(document)
    written = {s.get("guid"): (s.get("name"), [(m.tag.removeprefix(Q), m.get("targetGUID")) for m in s])
               for s in root.iter(f"{Q}Set")}
    assert written[SET_2] == ("Core codes", [("MemberCode", CODE_A), ("MemberCode", CODE_B),
                                             ("MemberNote", NOTE_1)])
    assert written[SET_1][1][0] == ("Description", None)
    copy = Store.create(tmp_path / "copy.wbproj")
    import_qdpx(copy, path, actor="someone")
    assert named_sets(copy) == named_sets(store)


def test_a_set_member_the_file_does_not_define_is_reported(store: Store, tmp_path: Path) -> None:
    ghost = "C0000000-0000-4000-8000-0000000000EE"
    report = import_qdpx(store, sets_file(tmp_path, sets_xml(extra_members=f'<MemberSource targetGUID="{ghost}"/>')),
                         actor="tester")
    assert named_sets(store)["Wave 1"][3] == ["one", "two"]
    assert any(ghost in s.reason for s in report.skipped if s.what == "set member")


# --- importing into an existing project -------------------------------------------------------------


def test_importing_never_clears_a_value_the_file_leaves_out(store: Store, tmp_path: Path) -> None:
    full = CODES.replace('<Code guid="A0000000-0000-4000-8000-00000000000B" name="Place attachment" isCodable="true"/>',
                         '<Code guid="A0000000-0000-4000-8000-00000000000B" name="Place attachment" isCodable="true" '
                         'color="#AD1457"><Description>Feeling for a place.</Description></Code>')
    import_qdpx(store, qdpx(tmp_path, project_xml(sets_xml_body(), codes=full), name="full.qdpx"), actor="ana")
    bare = ('<Code guid="A0000000-0000-4000-8000-0000000000CA" name="Support" isCodable="false">'
            f'<Code guid="{CODE_A}" name="Bonding" isCodable="true"/></Code>'
            f'<Code guid="{CODE_B}" name="Place attachment" isCodable="true"/>')
    before = {c.uid: c for c in store.codes()}
    report = import_qdpx(store, qdpx(tmp_path, project_xml(sets_xml_body(described=False), codes=bare),
                                     name="bare.qdpx"), actor="ben")
    after = {c.uid: c for c in store.codes()}
    assert after == before and report.codes_updated == 0
    assert (after[CODE_A].color, after[CODE_B].color) == ("#2E7D32", "#AD1457")
    assert after[CODE_B].definition == "Feeling for a place."
    assert after["A0000000-0000-4000-8000-0000000000CA"].definition == "Help people give and get."
    assert named_sets(store)["Wave 1"][1] == "First wave, spring."
    recoloured = bare.replace('name="Bonding" isCodable="true"/>', 'name="Bonding" isCodable="true" color="#000000"/>')
    import_qdpx(store, qdpx(tmp_path, project_xml(sets_xml_body(), codes=recoloured), name="new.qdpx"), actor="ben")
    assert store.find_code(CODE_A).color == "#000000"  # a value the file gives still changes


def sets_xml_body(*, described: bool = True) -> str:
    description = "<Description>First wave, spring.</Description>" if described else ""
    return f'<Sets><Set guid="{SET_1}" name="Wave 1">{description}</Set></Sets>'


def test_case_guids_survive_the_round_trip(store: Store, tmp_path: Path) -> None:
    case = "E0000000-0000-4000-8000-000000000001"
    body = (f'<Cases><Case guid="{case}" name="NG-R01"><SourceRef targetGUID="{SOURCE_1}"/></Case></Cases>'
            f'<Sources>{text_source(SOURCE_1, "one", "internal://one.txt", selection(0, 5, CODE_A))}</Sources>')
    import_qdpx(store, qdpx(tmp_path, project_xml(body), {"sources/one.txt": "Hello world"}), actor="tester")
    assert guids(read_qde(export_qdpx(store, tmp_path / "out.qdpx")), "Case") == {case}


def test_deleting_a_member_takes_it_out_of_its_sets_and_the_export_stays_valid(store: Store, tmp_path: Path) -> None:
    import xmlschema

    import_qdpx(store, sets_file(tmp_path, sets_xml()), actor="tester")
    store.delete_source(store.source_by_name("two").id, "tester")
    store.delete_memo(store.memos()[0].id, "tester")
    store.delete_code(store.find_code("Place attachment").id, "tester")
    assert {name: (codes, sources, memos) for name, (_, _, codes, sources, memos) in named_sets(store).items()} == {
        "Wave 1": ([], ["one"], []), "Core codes": (["Bonding"], [], [])}
    with zipfile.ZipFile(export_qdpx(store, tmp_path / "out.qdpx")) as archive:
        document = archive.read("project.qde").decode("utf-8")
    xmlschema.XMLSchema(str(fixtures_dir("refi", "schemas") / "Project.xsd")).validate(document)


def test_architecture_documents_every_tool() -> None:
    from workbench.export.refi.targets import TARGETS

    architecture = (Path(__file__).resolve().parents[1] / "ARCHITECTURE.md").read_text(encoding="utf-8")
    for key, target in TARGETS.items():
        row = next(line for line in architecture.splitlines() if line.startswith(f"| `{key}` |"))
        assert ("CR+LF" in row.split("|")[2]) == target.crlf and ("UTF-16" in row.split("|")[3]) == target.utf16


def test_our_nvivo_export_imported_back_adds_nothing(store: Store, tmp_path: Path) -> None:
    import_qdpx(store, fixtures_dir("refi", "qdpx") / "nvivo-win-12.6.qdpx", actor="tester")
    before = (store.counts(), store.users(), store.selection_uids())
    report = import_qdpx(store, export_qdpx(store, tmp_path / "out.qdpx", for_tool="nvivo-win"), actor="tester")
    counts, known_users, selections = before
    assert {k: v for k, v in store.counts().items() if k != "events"} == {k: v for k, v in counts.items()
                                                                          if k != "events"}
    assert store.selection_uids() == selections
    assert store.users() == {**known_users, "tester": user_guid("tester")}  # who imported: the file names them
    assert report.codings_added == 0 and report.sources_reused == ["videos_selection"]


def test_variable_guids_survive_the_round_trip(store: Store, tmp_path: Path) -> None:
    site = "70000000-0000-4000-8000-000000000001"
    body = (f'<Variables><Variable guid="{site}" name="Site" typeOfVariable="Text"/></Variables>'
            f'<Sources>{text_source(SOURCE_1, "one", "internal://one.txt", tail=_value(site, "Northgate"))}</Sources>')
    import_qdpx(store, qdpx(tmp_path, project_xml(body), {"sources/one.txt": "Hello world"}), actor="tester")
    root = read_qde(export_qdpx(store, tmp_path / "out.qdpx"))
    assert guids(root, "Variable") == {site}
    assert {r.get("targetGUID") for r in root.iter(f"{Q}VariableRef")} == {site}


def _value(variable: str, text: str) -> str:
    return f'<VariableValue><VariableRef targetGUID="{variable}"/><TextValue>{text}</TextValue></VariableValue>'
