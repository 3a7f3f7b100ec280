"""REFI-QDA codebook exchange (coding/qdc.py): export, import, real files, hostile files."""
from __future__ import annotations

import io
import uuid
import zipfile
from pathlib import Path

import defusedxml.ElementTree as DefusedET
import pytest
import xmlschema
from hypothesis import given, settings
from hypothesis import strategies as st

from coding.codebook import (
    CodeDef,
    Codebook,
    InvalidCodebook,
    code_path,
    load_codebook,
    shipped_codebook_path,
)
from coding.qdc import (
    CODEBOOK_NAMESPACE,
    DEFAULT_ORIGIN,
    PROJECT_NAMESPACE,
    DescriptionParts,
    InvalidQdc,
    codebook_element,
    codes_from_element,
    dotted_to_hierarchy,
    export_qdc,
    format_description,
    import_qdc,
    normalize_guid,
    parse_description,
)

DATA = Path(__file__).resolve().parent / "data" / "codebooks"
QDC_DATA = DATA / "qdc"
FIXTURES = Path(__file__).resolve().parents[2] / "shared" / "fixtures"
REFI = FIXTURES / "refi"
NS = {"c": CODEBOOK_NAMESPACE}
A = "11111111-1111-4111-8111-111111111111"
B = "22222222-2222-4222-8222-222222222222"
_SCHEMA = xmlschema.XMLSchema(QDC_DATA / "Codebook.xsd")  # MIT, copied from the REFI standard (NOTICE.md)


def _fixture(*parts: str) -> Path:
    path = REFI.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"shared fixture {path} is absent")
    return path


@pytest.fixture(scope="module")
def resilience() -> Codebook:
    return load_codebook(shipped_codebook_path("resilience"), require_ids=True)


def _export_bytes(book: Codebook) -> bytes:
    buffer = io.BytesIO()
    export_qdc(book, buffer)
    return buffer.getvalue()


# --- export -------------------------------------------------------------------------------


def test_export_validates_against_the_refi_schema(resilience: Codebook, tmp_path: Path) -> None:
    path = tmp_path / "resilience.qdc"
    export_qdc(resilience, path)
    _SCHEMA.validate(str(path))  # raises with the reason if invalid
    assert _SCHEMA.is_valid(str(path))


def test_bundled_schema_is_the_shared_one() -> None:
    shared = _fixture("schemas", "Codebook.xsd")
    assert (QDC_DATA / "Codebook.xsd").read_bytes() == shared.read_bytes()


def test_export_structure_nests_codes_and_writes_attributes(resilience: Codebook) -> None:
    root = DefusedET.fromstring(_export_bytes(resilience))
    assert root.tag == f"{{{CODEBOOK_NAMESPACE}}}CodeBook"
    assert root.get("origin") == DEFAULT_ORIGIN
    assert [child.tag.split("}")[1] for child in root] == ["Codes"]  # no empty <Sets/>: the XSD forbids it
    top = root.findall("c:Codes/c:Code", NS)
    assert [code.get("name") for code in top] == [
        "Neighbourhood resilience", "Individual resilience", "Asset-based community development",
        "System conditions",
    ]
    bonding = root.find(".//c:Code[@name='Bonding ties']", NS)
    assert bonding is not None and bonding.get("isCodable") == "true"
    assert bonding.get("color") == next(c.color for c in resilience.codes if c.name == "Bonding ties")
    social = root.find(".//c:Code[@name='Social connectivity']", NS)
    assert social.get("isCodable") == "false"
    assert [child.tag.split("}")[1] for child in social][0] == "Description"  # Description before children
    assert len(root.findall(".//c:Code", NS)) == len(resilience.codes)


def test_description_is_readable_in_other_tools(resilience: Codebook) -> None:
    root = DefusedET.fromstring(_export_bytes(resilience))
    text = root.find(".//c:Code[@name='Housing']/c:Description", NS).text
    housing = next(c for c in resilience.codes if c.name == "Housing")
    assert text.startswith(housing.definition + "\n\nWhen to use: ")
    assert "\n\nWhen not to use: " in text
    assert "\n\nExamples:\n- " in text
    assert text.endswith("Keywords: " + "; ".join(housing.keywords))


def test_round_trip_of_the_shipped_codebook_is_exact(resilience: Codebook, tmp_path: Path) -> None:
    path = tmp_path / "resilience.qdc"
    export_qdc(resilience, path)
    back = import_qdc(path)
    assert back.codes == resilience.codes  # uids, names, hierarchy, text fields, colours, codable
    assert back.name == "resilience" and back.origin == DEFAULT_ORIGIN


def test_export_accepts_a_custom_origin_and_a_file_object() -> None:
    book = Codebook(name="x", codes=[CodeDef(A, "Only", definition="d")])
    buffer = io.BytesIO()
    export_qdc(book, buffer, origin="Someone else 2.0")
    assert buffer.getvalue().startswith(b"<?xml version='1.0' encoding='utf-8'?>")
    assert DefusedET.fromstring(buffer.getvalue()).get("origin") == "Someone else 2.0"


def test_export_refuses_an_empty_codebook() -> None:
    with pytest.raises(InvalidQdc, match="has no codes"):
        export_qdc(Codebook(name="Empty"), io.BytesIO())


def test_export_refuses_an_invalid_codebook() -> None:
    book = Codebook(name="x", codes=[CodeDef("not-a-guid", "A", definition="d")])
    with pytest.raises(InvalidCodebook, match='field "id" must be a GUID'):
        export_qdc(book, io.BytesIO())


def test_codebook_element_for_a_project_has_no_namespace_declaration() -> None:
    book = Codebook(name="x", codes=[CodeDef(A, "A", definition="d"), CodeDef(B, "B", parent_uid=A)])
    element = codebook_element(book)
    assert element.tag == "CodeBook" and element.get("xmlns") is None and element.get("origin") is None
    assert element.find("Codes/Code/Code").get("guid") == B


# --- the Description layout ---------------------------------------------------------------


DESCRIPTIONS = [
    DescriptionParts(),
    DescriptionParts(definition="Only a definition."),
    DescriptionParts(definition="Two\n\nparagraphs.", use_when="u", dont_use_when="d",
                     examples=["one", "two\nlines", "  indented", "ends with break\n", "- dash"],
                     keywords=["a", " spaced ", "b c"]),
    DescriptionParts(use_when="No definition, guidance only."),
    DescriptionParts(definition="ends with breaks\n\n", keywords=["k"]),
    DescriptionParts(definition="x", examples=["example with\n\nblank line"]),
    DescriptionParts(dont_use_when="trailing\n", examples=["e"]),
]


@pytest.mark.parametrize("parts", DESCRIPTIONS)
def test_description_layout_round_trips(parts: DescriptionParts) -> None:
    code = CodeDef(A, "A", **vars(parts))
    assert parse_description(format_description(code)) == parts


FOREIGN = [
    "Az emberek akkor hajlandók cselekedni (Rosenstock, 1974).",
    "csak egy nátha\n",
    "Keywords: a; b\n\nWhen to use: out of order",  # our headers in the wrong order
    "When to use: x\n\nWhen to use: twice",
    "Examples:\nnot a dash list",
    "Keywords: a\nb",
    "Keywords: a; ; b",
    "",
]


@pytest.mark.parametrize("text", FOREIGN)
def test_descriptions_in_other_layouts_stay_whole_as_the_definition(text: str) -> None:
    assert parse_description(text) == DescriptionParts(definition=text)


def test_a_foreign_description_in_our_layout_is_split() -> None:
    parts = parse_description("Def.\n\nWhen to use: now\n\nKeywords: x; y")
    assert parts == DescriptionParts(definition="Def.", use_when="now", keywords=["x", "y"])


# --- real files from other tools ----------------------------------------------------------


def test_import_atlasti_codebook() -> None:
    book = import_qdc(_fixture("qdc", "atlasti-win-23.4.0.qdc"))
    assert book.origin == "ATLAS.ti Win 23.4.0" and book.name == "atlasti-win-23.4.0"
    assert book.codes == [CodeDef(uid="1FF58B12-6F6F-4B0C-8BE5-BBDC91F55294", name="code1",
                                  definition="description", color="#46AA00", codable=True)]


def test_import_taguette_codebook_keeps_dotted_names_by_default() -> None:
    book = import_qdc(_fixture("qdc", "taguette.qdc"))
    assert book.origin == "Taguette {ver}"
    assert [(c.name, c.parent_uid) for c in book.codes] == [
        ("interesting", None), ("people", None), ("interesting.places", None)
    ]


def test_import_taguette_codebook_with_dotted_hierarchy() -> None:
    book = import_qdc(_fixture("qdc", "taguette.qdc"), dotted_hierarchy=True)
    assert [code_path(book, c.uid) for c in book.codes] == ["interesting", "interesting/places", "people"]
    assert book.codes[1].uid == "725F0645-9CD3-598A-8D2B-EC3D39AB3C3F"  # the guid stays with the code


def test_dotted_hierarchy_creates_missing_parents_deterministically() -> None:
    codes = [CodeDef(A, "a.b.c"), CodeDef(B, "1. Intro")]
    first = dotted_to_hierarchy(codes)
    second = dotted_to_hierarchy(codes)
    assert [(c.name, c.codable) for c in first] == [("a", False), ("b", False), ("c", True), ("1. Intro", True)]
    assert [c.uid for c in first] == [c.uid for c in second]
    assert first[1].parent_uid == first[0].uid and first[2].parent_uid == first[1].uid
    assert codes[0].name == "a.b.c"  # the input is not modified


def _project_codebook(name: str) -> list[CodeDef]:
    with zipfile.ZipFile(_fixture("qdpx", name)) as archive:
        root = DefusedET.fromstring(archive.read("project.qde"))
    codebook = root.find(f"{{{PROJECT_NAMESPACE}}}CodeBook")
    if codebook is None:
        return []
    return codes_from_element(codebook, PROJECT_NAMESPACE, source=name)


def _paths(codes: list[CodeDef]) -> dict[str, str]:
    book = Codebook(name="p", codes=codes)
    return {code.uid: code_path(book, code.uid) for code in codes}


def test_codebook_inside_nvivo_windows_project() -> None:
    codes = _project_codebook("nvivo-win-12.6.qdpx")
    paths = _paths(codes)
    assert len(codes) == 60
    assert sum(code.parent_uid is None for code in codes) == 11
    by_path = {path: uid for uid, path in paths.items()}
    assert "1. Perceived Susceptibility – Észlelt fogékonyság/alacsony fogékonyság" in by_path
    assert "2. Perceived Severity – Észlelt súlyosság/Oltás kockázatai/méreg" in by_path
    severity = "2. Perceived Severity – Észlelt súlyosság"
    assert f"{severity}/Betegség kockázatai/relativizálás, analógiák" in by_path
    first = next(code for code in codes if code.name.startswith("1. Perceived"))
    assert first.uid == "3C51EFBB-071F-43A7-9F32-228B89668E8D"  # NVivo writes lower case
    assert first.definition.startswith("Az emberek akkor hajlandók cselekedni")
    assert sum(bool(code.definition) for code in codes) == 9


def test_codebook_inside_nvivo_mac_project() -> None:
    codes = _project_codebook("nvivo-mac-15.0.qdpx")
    paths = set(_paths(codes).values())
    assert len(codes) == 262
    assert [c.name for c in codes if c.parent_uid is None] == ["rq1_definition", "rq2_curriculum_and_instruction",
                                                                "rq3_process"]
    # the same name under two different parents
    assert "rq1_definition/competencies/programming" in paths
    assert "rq1_definition/framings/cs_as_programming/programming" in paths
    assert "rq1_definition/defining_education/restructuring_high_school/restructure_curriculum" in paths


def test_codebook_inside_atlasti_project() -> None:
    codes = _project_codebook("atlasti-win-23.2.3-codes.qdpx")
    assert sorted(_paths(codes).values()) == [
        "Commits", "Commits/2022-02-11T10:39:25Z cdbfd92", "Commits/2022-05-10T02:05:59Z 19e4dce"
    ]
    assert codes[0].name == "Commits" and all(c.parent_uid == codes[0].uid for c in codes[1:])


def test_blank_atlasti_project_has_no_codebook() -> None:
    assert _project_codebook("atlasti-win-23.2.3-blank.qdpx") == []


def test_codes_from_element_accepts_the_codes_element_itself() -> None:
    root = DefusedET.fromstring(_export_bytes(Codebook(name="x", codes=[CodeDef(A, "A", definition="d")])))
    codes_element = root.find("c:Codes", NS)
    assert [c.name for c in codes_from_element(codes_element, CODEBOOK_NAMESPACE)] == ["A"]


def test_quirky_but_valid_file() -> None:
    book = import_qdc(QDC_DATA / "quirks.qdc")
    housing, damp, rent = book.codes
    assert housing.uid == "5B2D1F3C-6A7E-4C8D-9E0F-1A2B3C4D5E6F"  # braces and case normalised
    assert housing.color == "#AA11FF" and housing.codable is False
    assert housing.definition == "Homes.\nSecond line."  # CR LF read as one line break
    assert damp.parent_uid == housing.uid and damp.codable is True and damp.color == "#3366CC"
    assert damp.definition.startswith("Examples:\nnot in our layout")
    assert rent.parent_uid is None and rent.definition == ""


def test_import_from_a_binary_file_object_names_it() -> None:
    with open(QDC_DATA / "quirks.qdc", "rb") as handle:
        book = import_qdc(handle, name="Given name")
    assert book.name == "Given name" and len(book.codes) == 3


def test_external_dtd_is_not_fetched() -> None:
    book = import_qdc(QDC_DATA / "external_dtd.qdc")  # expat never loads it; nothing to expand
    assert [c.name for c in book.codes] == ["remote"]


@pytest.mark.parametrize(("guid", "expected"), [
    ("{5b2d1f3c-6a7e-4c8d-9e0f-1a2b3c4d5e6f}", "5B2D1F3C-6A7E-4C8D-9E0F-1A2B3C4D5E6F"),
    (" 5B2D1F3C-6A7E-4C8D-9E0F-1A2B3C4D5E6F ", "5B2D1F3C-6A7E-4C8D-9E0F-1A2B3C4D5E6F"),
])
def test_normalize_guid(guid: str, expected: str) -> None:
    assert normalize_guid(guid) == expected


# --- refused files ------------------------------------------------------------------------

# (file, code, field, words in the message)
BAD_QDC = [
    ("billion_laughs.qdc", None, None, "entity expansion"),
    ("external_entity.qdc", None, None, "external entity"),
    ("truncated.qdc", None, None, "not well-formed XML"),
    ("not_xml.qdc", None, None, "not well-formed XML"),
    ("empty.qdc", None, None, "not well-formed XML"),
    ("namespace_2_0.qdc", None, None,
     'namespace "urn:QDA-XML:codebook:2.0"; supported: <CodeBook> in namespace "urn:QDA-XML:codebook:1.0"'),
    ("no_namespace.qdc", None, None,
     'in no namespace; supported: <CodeBook> in namespace "urn:QDA-XML:codebook:1.0"'),
    ("project_root.qdc", None, None, "import the .qdpx instead"),
    ("duplicate_guid.qdc", "Housing/Damp", "guid", 'already the guid of "Housing"'),
    ("missing_name.qdc", "Housing/(guid 6C3E2A4D-7B8F-4D9E-8F1A-2B3C4D5E6F70)", "name", "is missing"),
    ("missing_guid.qdc", "Housing", "guid", "is missing"),
    ("bad_guid.qdc", "Housing", "guid", "is not a GUID"),
    ("bad_color.qdc", "Housing", "color", "#RRGGBB or #RGB"),
    ("bad_iscodable.qdc", "Housing", "isCodable", "true or false"),
    ("duplicate_sibling.qdc", "housing", "name", 'duplicates the name of "Housing"'),
]


@pytest.mark.parametrize(("file", "code", "field", "words"), BAD_QDC, ids=[b[0] for b in BAD_QDC])
def test_bad_files_are_refused_with_a_clear_message(file: str, code: str | None, field: str | None,
                                                    words: str) -> None:
    with pytest.raises(InvalidQdc) as caught:
        import_qdc(QDC_DATA / file)
    err = caught.value
    assert isinstance(err, InvalidCodebook) and isinstance(err, ValueError)
    assert (err.source, err.code, err.field) == (file, code, field)
    assert str(err).startswith(file)
    assert words in str(err)


def test_truncated_file_error_names_the_line() -> None:
    with pytest.raises(InvalidQdc) as caught:
        import_qdc(QDC_DATA / "truncated.qdc")
    assert caught.value.line == 5 and str(caught.value).startswith("truncated.qdc:5:")


def test_deeply_nested_codes_do_not_overflow_the_stack(tmp_path: Path) -> None:
    depth = 3000
    opening = "".join(f'<Code guid="{uuid.UUID(int=i + 1)}" name="c{i}" isCodable="true">' for i in range(depth))
    closing = "</Code>" * depth
    path = tmp_path / "deep.qdc"
    path.write_text(f'<CodeBook xmlns="{CODEBOOK_NAMESPACE}"><Codes>{opening}{closing}</Codes></CodeBook>')
    book = import_qdc(path)
    assert len(book.codes) == depth and book.codes[-1].parent_uid == book.codes[-2].uid


# --- property: any valid codebook survives export and import ------------------------------

_TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters=":\ufffe\uffff")
    | st.sampled_from(["\n", "\t", " ", "-", "<", ">", "&", "'", '"', ";"]),
    max_size=30,
)
_NAME = _TEXT.filter(lambda s: s.strip() and "\n" not in s and "\t" not in s)
_ITEM = _TEXT.filter(lambda s: s.strip())
_KEYWORD = _ITEM.filter(lambda s: ";" not in s and "\n" not in s)


@st.composite
def codebooks(draw: st.DrawFn) -> Codebook:
    """Random valid codebooks in tree order whose texts avoid our section headers (no ':')."""
    codes: list[CodeDef] = []

    def add_level(parent: str | None, depth: int) -> None:
        for name in draw(st.lists(_NAME, min_size=0 if depth else 1, max_size=3,
                                  unique_by=lambda s: s.strip().casefold())):
            code = CodeDef(
                uid=str(uuid.UUID(int=len(codes) + 1)).upper(), name=name, parent_uid=parent,
                definition=draw(_TEXT), use_when=draw(_TEXT), dont_use_when=draw(_TEXT),
                examples=draw(st.lists(_ITEM, max_size=3)), keywords=draw(st.lists(_KEYWORD, max_size=3)),
                color=draw(st.none() | st.from_regex(r"#[0-9A-Fa-f]{6}", fullmatch=True)),
                codable=draw(st.booleans()),
            )
            codes.append(code)
            if depth < 2:
                add_level(code.uid, depth + 1)

    add_level(None, 0)
    return Codebook(name="generated", codes=codes)


@settings(max_examples=150, deadline=None)
@given(codebooks())
def test_export_import_round_trip_is_exact(book: Codebook) -> None:
    data = _export_bytes(book)
    assert import_qdc(io.BytesIO(data)).codes == book.codes
    assert _SCHEMA.is_valid(io.BytesIO(data))

