"""The codebook format (coding/codebook.py) and the shipped resilience codebook."""
from __future__ import annotations

import itertools
import re
import uuid
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coding.codebook import (
    GUID_RE,
    CodeDef,
    Codebook,
    InvalidCodebook,
    code_path,
    dump_codebook,
    in_tree_order,
    load_codebook,
    loads_codebook,
    shipped_codebook_path,
    validate_codebook,
)

DATA = Path(__file__).resolve().parent / "data" / "codebooks"
SHIPPED = shipped_codebook_path("resilience")

# The hierarchy other parts of the project (demo corpus, human codings) rely on.
# (name, codable, children)
EXPECTED_TREE = [
    ("Neighbourhood resilience", False, [
        ("Social connectivity", False, ["Bonding ties", "Bridging and linking ties", "Loneliness and isolation"]),
        ("Cultural coherence", False, ["Belonging and identity", "Shared history and traditions"]),
        ("Local decision-making", False, ["Voice and influence", "Co-production with services"]),
        ("Economic activity", False, ["Local enterprise and jobs", "Skills and volunteering pathways"]),
        ("Local environment", False, ["Green and shared spaces", "Safety and the built environment"]),
    ]),
    ("Individual resilience", False, [
        "Wellbeing", "Emotional coping", "Social engagement",
        ("Resilience across the life course", False, [
            "Early relationships and trusted adults", "Workplace wellbeing",
            "Older people's connection and autonomy",
        ]),
    ]),
    ("Asset-based community development", False, [
        "Community assets", "Participation and empowerment", "Mental health awareness",
        "Sustainability of community action",
    ]),
    ("System conditions", False, [
        ("Wider determinants", False, [
            "Poverty and cost of living", "Housing", "Employment and income insecurity",
            "Discrimination and exclusion",
        ]),
        "Services and partnership working",
        "Early and preventative support",
    ]),
]


def _expected_paths(nodes: list, above: str = "") -> list[tuple[str, bool]]:
    paths: list[tuple[str, bool]] = []
    for node in nodes:
        name, codable, children = node if isinstance(node, tuple) else (node, True, [])
        path = f"{above}/{name}" if above else name
        paths.append((path, codable))
        paths.extend(_expected_paths(children, path))
    return paths


@pytest.fixture(scope="module")
def shipped() -> Codebook:
    return load_codebook(SHIPPED, require_ids=True)


def _codable(book: Codebook) -> list[CodeDef]:
    return [code for code in book.codes if code.codable]


# --- the shipped codebook -----------------------------------------------------------------


def test_shipped_codebook_has_exactly_the_agreed_hierarchy(shipped: Codebook) -> None:
    actual = [(code_path(shipped, code.uid), code.codable) for code in shipped.codes]
    assert actual == _expected_paths(EXPECTED_TREE)


def test_shipped_codebook_metadata(shipped: Codebook) -> None:
    assert shipped.name == "Community and individual resilience"
    assert shipped.version == "1.0"
    assert shipped.origin == "resilience.yaml"
    # the description cites where the structure comes from
    for source in ("Neighbourhood Resilience Programme", "Public Health Wales", "Resilient Together",
                   "doi:10.1177/17579139221106899", "Compton and Shim"):
        assert source in shipped.description


def test_shipped_codebook_validates_strictly(shipped: Codebook) -> None:
    validate_codebook(shipped)
    assert all(GUID_RE.fullmatch(code.uid) and code.uid == code.uid.upper() for code in shipped.codes)


def test_every_code_has_a_definition_and_colour(shipped: Codebook) -> None:
    for code in shipped.codes:
        assert code.definition.strip(), code.name
        assert re.fullmatch(r"#[0-9A-F]{6}", code.color or ""), code.name


@pytest.mark.parametrize("field", ["use_when", "dont_use_when"])
def test_every_codable_code_has_guidance(shipped: Codebook, field: str) -> None:
    for code in _codable(shipped):
        assert len(getattr(code, field).split()) >= 8, (code.name, field)


def test_codable_definitions_have_two_to_four_sentences(shipped: Codebook) -> None:
    for code in _codable(shipped):
        sentences = re.findall(r"[.!?](?:\s|$)", code.definition)
        assert 2 <= len(sentences) <= 4, (code.name, len(sentences))


def test_codable_codes_have_at_least_three_distinct_examples(shipped: Codebook) -> None:
    all_examples = [ex for code in _codable(shipped) for ex in code.examples]
    assert len(all_examples) == len(set(all_examples)), "an example is used twice"
    for code in _codable(shipped):
        assert len(code.examples) >= 3, code.name
        assert all(len(ex.split()) >= 6 for ex in code.examples), code.name


def test_codable_codes_have_six_to_fifteen_keywords(shipped: Codebook) -> None:
    for code in _codable(shipped):
        assert 6 <= len(code.keywords) <= 15, (code.name, len(code.keywords))
        lowered = [k.casefold() for k in code.keywords]
        assert len(lowered) == len(set(lowered)), code.name
        assert all(len(k.split()) <= 5 for k in code.keywords), code.name


def test_non_codable_categories_carry_no_coding_guidance(shipped: Codebook) -> None:
    for code in shipped.codes:
        if not code.codable:
            assert not (code.examples or code.keywords or code.use_when), code.name


def test_dont_use_when_names_existing_neighbouring_codes(shipped: Codebook) -> None:
    names = {code.name for code in shipped.codes}
    for code in _codable(shipped):
        quoted = re.findall(r'"([^"]+)"', code.dont_use_when)
        assert quoted, f"{code.name}: dont_use_when names no other code"
        for mentioned in quoted:
            assert mentioned in names, f'{code.name}: "{mentioned}" is not a code name'
            assert mentioned != code.name


def test_the_key_boundaries_are_drawn_both_ways(shipped: Codebook) -> None:
    by_name = {code.name: code for code in shipped.codes}
    trio = ["Social engagement", "Participation and empowerment", "Bonding ties"]
    assert '"Participation and empowerment"' in by_name["Social engagement"].dont_use_when
    assert '"Bonding ties"' in by_name["Social engagement"].dont_use_when
    assert '"Social engagement"' in by_name["Participation and empowerment"].dont_use_when
    assert '"Social engagement"' in by_name["Bonding ties"].dont_use_when
    assert all(name in by_name for name in trio)


def _distance(a: str, b: str) -> float:
    rgb = [tuple(int(c[i:i + 2], 16) for i in (1, 3, 5)) for c in (a, b)]
    return sum((x - y) ** 2 for x, y in zip(*rgb)) ** 0.5


def test_sibling_colours_are_distinguishable(shipped: Codebook) -> None:
    by_parent: dict[str | None, list[CodeDef]] = {}
    for code in shipped.codes:
        by_parent.setdefault(code.parent_uid, []).append(code)
    for siblings in by_parent.values():
        for a, b in itertools.combinations(siblings, 2):
            assert _distance(a.color, b.color) >= 50, (a.name, b.name)


def test_shipped_codebook_round_trips_through_yaml(shipped: Codebook) -> None:
    assert loads_codebook(dump_codebook(shipped), require_ids=True) == shipped


# --- loading ------------------------------------------------------------------------------


def test_load_good_file_flattens_children_in_order() -> None:
    book = load_codebook(DATA / "good.yaml")
    assert [code.name for code in book.codes] == ["Connections", "Neighbours", "Family", "Without an id"]
    parent = book.codes[0]
    assert [c.parent_uid for c in book.codes] == [None, parent.uid, parent.uid, None]
    assert book.version == "2" and book.description == "Two categories, three codes."
    assert book.origin == "good.yaml"
    neighbours = book.codes[1]
    assert neighbours.definition == "Ties between people living near each other. Includes help and favours."
    assert neighbours.keywords == ["neighbour", "next door", "street"]
    assert neighbours.examples == ["She takes my bins in.", "We swap keys."]
    assert book.codes[2].definition == "Ties between relatives.\nSecond line kept as written.\n"
    assert book.codes[2].color is None and book.codes[0].codable is False


def test_ids_are_normalised_to_upper_case() -> None:
    book = load_codebook(DATA / "good.yaml")
    assert book.codes[2].uid == "4B0F4C1E-8A3D-4F3B-9E55-1C7A2D9B6E03"


def test_codes_without_an_id_get_a_fresh_uppercase_guid() -> None:
    first = load_codebook(DATA / "good.yaml").codes[3].uid
    second = load_codebook(DATA / "good.yaml").codes[3].uid
    assert GUID_RE.fullmatch(first) and first == first.upper()
    assert first != second


def test_require_ids_refuses_a_code_without_id() -> None:
    with pytest.raises(InvalidCodebook) as caught:
        load_codebook(DATA / "good.yaml", require_ids=True)
    assert caught.value.code == "Without an id" and caught.value.field == "id"
    assert "good.yaml:30" in str(caught.value)


def test_string_is_yaml_text_and_source_names_it() -> None:
    book = load_codebook("name: Inline\ncodes:\n  - name: A\n    definition: d\n", source="inline.yaml")
    assert book.name == "Inline" and book.origin == "inline.yaml"


def test_a_file_name_given_as_string_gets_a_hint() -> None:
    with pytest.raises(InvalidCodebook, match="pathlib.Path"):
        load_codebook("codebooks/resilience.yaml")


def test_non_utf8_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("name: Caf\xe9\ncodes: []\n".encode("latin-1"))
    with pytest.raises(InvalidCodebook, match="latin1.yaml: is not UTF-8"):
        load_codebook(path)


# (file, line, code, field, words in the message)
BAD_FILES = [
    ("malformed.yaml", 5, None, None, "is not valid YAML"),
    ("unknown_field.yaml", 9, "Social connectivity/Bonding ties", "keyword", 'did you mean "keywords"'),
    ("examples_not_list.yaml", 9, "Social connectivity/Bonding ties", "examples", "must be a list of strings"),
    ("duplicate_sibling.yaml", 9, "Social connectivity/bonding Ties", "name", 'duplicates the name of "Bonding ties"'),
    ("duplicate_id.yaml", 6, "Emotional coping", "id", 'already the id of "Wellbeing"'),
    ("no_definition.yaml", 7, "Individual resilience/Wellbeing", "definition", "needs a definition"),
    ("bad_color.yaml", 5, "Housing", "color", "#RRGGBB"),
    ("missing_name.yaml", 5, "#2", "name", "is missing"),
    ("duplicate_key.yaml", 5, None, None, 'found the key "definition" twice'),
    ("bad_id.yaml", 3, "Housing", "id", "must be a GUID"),
    ("codable_not_bool.yaml", 4, "Housing", "codable", "must be true or false"),
    ("keyword_semicolon.yaml", 5, "Housing", "keywords", "without ';'"),
    ("no_codebook_name.yaml", None, None, "name", "give the codebook a name"),
    ("top_level_typo.yaml", 2, None, "code", 'did you mean "codes"'),
]


@pytest.mark.parametrize(("file", "line", "code", "field", "words"), BAD_FILES, ids=[b[0] for b in BAD_FILES])
def test_bad_files_name_file_line_code_and_field(
    file: str, line: int | None, code: str | None, field: str | None, words: str
) -> None:
    with pytest.raises(InvalidCodebook) as caught:
        load_codebook(DATA / "bad" / file)
    err = caught.value
    assert (err.source, err.line, err.code, err.field) == (file, line, code, field)
    message = str(err)
    assert message.startswith(file + (f":{line}" if line else ""))
    assert words in message
    if code:
        assert f'code "{code}"' in message
    if field:
        assert f'field "{field}"' in message


# (yaml text, field at fault, words in the message)
BAD_TEXTS = [
    ("just a string\n", None, "must be a YAML mapping"),
    ("name: X\n", "codes", "is missing"),
    ("name: X\ncodes: {a: 1}\n", "codes", "must be a list of codes"),
    ("name: X\ncodes:\n  - just a name\n", None, "must be a mapping"),
    ("name: X\ncodes:\n  - name: A\n    definition: d\n    children: B\n", "children", "must be a list"),
    ("name: X\ncodes:\n  - name: 2024\n    definition: d\n", "name", "quote it"),
    ("name: X\ncodes:\n  - name: A\n    definition: [d]\n", "definition", "must be a string"),
    ("name: X\ncodes:\n  - name: A\n    definition: d\n    keywords: [a, 3]\n", "keywords", "list of strings"),
    ("name: X\ncodes:\n  - name: A\n    definition: d\n    examples: ['  ']\n", "examples", "empty entries"),
    ("name: X\ncodes:\n  - name: A\n    definition: d\n    color: '#12345'\n", "color", "#RRGGBB"),
    ("name: X\ncodes:\n  - name: A\n    definition: \"d\\x01\"\n", "definition", "control character"),
    ("name: X\ncodes:\n  - name: \"A\\nB\"\n    definition: d\n", "name", "single line"),
    ("name: X\nversion: 1.10\ncodes: []\n", "version", "quote it"),
    ("name: [X]\ncodes: []\n", "name", "must be a string"),
    ("name: X\ncodes:\n  - id: 7\n    name: A\n    definition: d\n", "id", "GUID string"),
]


@pytest.mark.parametrize(("text", "field", "words"), BAD_TEXTS)
def test_bad_texts_are_refused_with_the_field_named(text: str, field: str | None, words: str) -> None:
    with pytest.raises(InvalidCodebook) as caught:
        loads_codebook(text, "t.yaml")
    assert caught.value.field == field
    assert words in str(caught.value)
    assert str(caught.value).startswith("t.yaml")


def test_require_definitions_false_accepts_bare_codes() -> None:
    book = loads_codebook("name: X\ncodes:\n  - name: A\n", require_definitions=False)
    assert book.codes[0].definition == ""
    with pytest.raises(InvalidCodebook, match="needs a definition"):
        loads_codebook("name: X\ncodes:\n  - name: A\n")


def test_a_non_codable_category_needs_no_definition() -> None:
    book = loads_codebook("name: X\ncodes:\n  - name: Group\n    codable: false\n")
    assert book.codes[0].codable is False


# --- validating codebooks built in Python -------------------------------------------------

A = "11111111-1111-4111-8111-111111111111"
B = "22222222-2222-4222-8222-222222222222"
C = "33333333-3333-4333-8333-333333333333"


def _book(*codes: CodeDef) -> Codebook:
    return Codebook(name="Built in Python", codes=list(codes))


# (codes, code named in the error, field, words)
BAD_OBJECTS = [
    ((CodeDef(A, "A", definition="d"), CodeDef(B, "B", parent_uid=C, definition="d")),
     "B", "parent_uid", "unknown parent"),
    ((CodeDef(A, "A", parent_uid=B, definition="d"), CodeDef(B, "B", parent_uid=A, definition="d")),
     "B/A", "parent_uid", "cycle"),
    ((CodeDef(A, "A", parent_uid=A, definition="d"),), "A", "parent_uid", "cycle"),
    ((CodeDef(B, "B", parent_uid=A, definition="d"), CodeDef(A, "A", definition="d")),
     "A/B", "parent_uid", "list parents before their children"),
    ((CodeDef(A, "A", definition="d"), CodeDef(A.lower(), "B", definition="d")), "B", "id", "already the id"),
    ((CodeDef(A, "A", definition="d"), CodeDef(B, " a ", definition="d")), " a ", "name", "duplicates"),
    ((CodeDef(A, "", definition="d"),), "", "name", "non-empty"),
    ((CodeDef("A-1", "A", definition="d"),), "A", "id", "GUID"),
    ((CodeDef(A, "A", definition="d", examples="one"),), "A", "examples", "list of strings"),  # type: ignore[arg-type]
    ((CodeDef(A, "A", definition="d", codable="yes"),), "A", "codable", "true or false"),  # type: ignore[arg-type]
    ((CodeDef(A, "A", definition="d", color="#FFF"),), "A", "color", "#RRGGBB"),
    ((CodeDef(A, "A"),), "A", "definition", "needs a definition"),
    ((CodeDef(A, "A", definition=None),), "A", "definition", "must be a string"),  # type: ignore[arg-type]
]


@pytest.mark.parametrize(("codes", "code", "field", "words"), BAD_OBJECTS)
def test_validate_codebook_refuses_broken_objects(codes: tuple, code: str, field: str, words: str) -> None:
    with pytest.raises(InvalidCodebook) as caught:
        validate_codebook(_book(*codes))
    assert (caught.value.code, caught.value.field) == (code, field)
    assert words in str(caught.value)


def test_validate_codebook_accepts_lowercase_guids_and_siblings_elsewhere() -> None:
    book = _book(
        CodeDef(A.lower(), "A", definition="d"),
        CodeDef(B, "Same", parent_uid=A.lower(), definition="d"),
        CodeDef(C, "Same", definition="d"),
    )
    validate_codebook(book)  # a name may repeat under different parents
    assert code_path(book, B) == "A/Same"


def test_validate_codebook_refuses_a_nameless_codebook() -> None:
    with pytest.raises(InvalidCodebook, match='field "name" is missing or empty'):
        validate_codebook(Codebook(name="  ", codes=[]))


def test_source_is_named_when_given() -> None:
    with pytest.raises(InvalidCodebook, match=r'^mine.yaml: code "A": field "definition"'):
        validate_codebook(_book(CodeDef(A, "A")), source="mine.yaml")


def test_code_path_of_unknown_uid_is_a_key_error(shipped: Codebook) -> None:
    with pytest.raises(KeyError):
        code_path(shipped, A)
    bonding = next(code for code in shipped.codes if code.name == "Bonding ties")
    assert code_path(shipped, bonding.uid) == "Neighbourhood resilience/Social connectivity/Bonding ties"


def test_in_tree_order_puts_descendants_after_their_parent() -> None:
    codes = [CodeDef(A, "A"), CodeDef(C, "C"), CodeDef(B, "B", parent_uid=A)]
    assert [code.name for code in in_tree_order(codes)] == ["A", "B", "C"]


# --- dumping ------------------------------------------------------------------------------


def test_dump_nests_children_and_omits_defaults() -> None:
    book = load_codebook(DATA / "good.yaml")
    text = dump_codebook(book)
    assert "parent_uid" not in text
    assert text.count("codable:") == 1  # only the category, codable is true by default
    assert "  children:\n  - id: 4B0F4C1E-8A3D-4F3B-9E55-1C7A2D9B6E02" in text
    assert "definition: |\n      Ties between relatives.\n      Second line kept as written.\n" in text
    assert loads_codebook(text) == book


def test_dump_writes_tree_order_even_from_a_jumbled_list() -> None:
    book = _book(CodeDef(A, "A", definition="d"), CodeDef(C, "C", definition="d"),
                 CodeDef(B, "B", parent_uid=A, definition="d"))
    again = loads_codebook(dump_codebook(book))
    assert [code.name for code in again.codes] == ["A", "B", "C"]


def test_dump_refuses_an_invalid_codebook() -> None:
    with pytest.raises(InvalidCodebook, match="unknown parent"):
        dump_codebook(_book(CodeDef(B, "B", parent_uid=A)))


def test_dump_does_not_write_yaml_aliases_for_shared_lists() -> None:
    shared = ["same", "list"]
    book = _book(CodeDef(A, "A", definition="d", keywords=shared),
                 CodeDef(B, "B", definition="d", keywords=shared))
    text = dump_codebook(book)
    assert "&id" not in text and "*id" not in text
    assert loads_codebook(text) == book


_TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\ufffe\uffff")
    | st.sampled_from(["\n", "\t", " ", ":", "#", "-", "'", '"', "|", ">", "*", "&", "!", "%", "@", "`", "\x85"]),
    max_size=40,
)
_NAME = _TEXT.filter(lambda s: s.strip() and "\n" not in s and "\t" not in s)
_ITEM = _TEXT.filter(lambda s: s.strip())
_KEYWORD = _ITEM.filter(lambda s: ";" not in s and "\n" not in s)


@st.composite
def codebooks(draw: st.DrawFn) -> Codebook:
    """Random valid codebooks in tree order."""
    codes: list[CodeDef] = []

    def add_level(parent: str | None, depth: int) -> None:
        names = draw(st.lists(_NAME, max_size=3 if depth else 4, unique_by=lambda s: s.strip().casefold()))
        for name in names:
            code = CodeDef(
                uid=str(uuid.UUID(int=len(codes) + 1)).upper(),
                name=name,
                parent_uid=parent,
                definition=draw(_TEXT),
                use_when=draw(_TEXT),
                dont_use_when=draw(_TEXT),
                examples=draw(st.lists(_ITEM, max_size=3)),
                keywords=draw(st.lists(_KEYWORD, max_size=3)),
                color=draw(st.none() | st.from_regex(r"#[0-9A-Fa-f]{6}", fullmatch=True)),
                codable=draw(st.booleans()),
            )
            codes.append(code)
            if depth < 2:
                add_level(code.uid, depth + 1)

    add_level(None, 0)
    return Codebook(
        name=draw(_NAME), codes=codes, description=draw(_TEXT), version=draw(_TEXT), origin=draw(_TEXT)
    )


@settings(max_examples=150, deadline=None)
@given(codebooks())
def test_load_dump_round_trip_is_exact(book: Codebook) -> None:
    assert loads_codebook(dump_codebook(book), require_ids=True, require_definitions=False) == book


def test_round_trip_keeps_awkward_strings() -> None:
    awkward = ["yes", "No", "1.0", "null", "~", "- dash", "#hash", "a: b", "  lead", "trail  ", "line\n",
               "\nfirst", "tab\there", "next\x85line", "sep\u2028line", "quote's \"both\"", "üñíçødé ✓",
               "%percent", "@at", "{brace}"]
    code = CodeDef(A, "yes", definition="\n\n".join(awkward), examples=awkward,
                   keywords=[a for a in awkward if "\n" not in a])
    book = Codebook(name="No", codes=[code], version="1.10", description="0x1F")
    again = loads_codebook(dump_codebook(book))
    assert again == book
    assert again.codes[0].examples == awkward and again.version == "1.10"


def test_the_example_in_the_format_docs_loads() -> None:
    docs = Path(__file__).resolve().parents[1] / "docs" / "codebook-format.md"
    block = re.search(r"```yaml\n(.*?)```", docs.read_text(encoding="utf-8"), re.S)
    book = loads_codebook(block.group(1), "codebook-format.md", require_ids=True)
    assert [code.name for code in book.codes] == ["Social connectivity", "Bonding ties"]
    assert book.codes[1].parent_uid == book.codes[0].uid


def test_windows_line_endings_and_bom_load_like_the_original(tmp_path: Path) -> None:
    original = (DATA / "good.yaml").read_text(encoding="utf-8")
    path = tmp_path / "windows.yaml"
    path.write_bytes(("\ufeff" + original).replace("\n", "\r\n").encode("utf-8"))
    windows, unix = load_codebook(path, require_ids=False), load_codebook(DATA / "good.yaml")
    strip_uid = [(c.name, c.definition, c.examples, c.keywords) for c in windows.codes]
    assert strip_uid == [(c.name, c.definition, c.examples, c.keywords) for c in unix.codes]
    assert windows.codes[2].definition == "Ties between relatives.\nSecond line kept as written.\n"
