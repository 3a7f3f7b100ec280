"""Boolean code queries: the parser (with positions in its errors) and evaluation per segment or sentence."""
from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from test_compare import SmallProject, build_small_project
from workbench.cli import cli
from workbench.errors import NotFound
from workbench.analysis.query import And, CodeTerm, Not, Or, QuerySyntaxError, parse_query, run_query, tokenize

CODES = {"wellbeing": (1,), "bonding ties": (2,), "green and shared spaces": (3,), "housing": (4,),
         "social connectivity": (5, 2)}


def resolve(name: str) -> tuple[int, ...]:
    """A codebook as a dict (the parser's resolver seam)."""
    try:
        return CODES[name.lower()]
    except KeyError:
        raise NotFound(f"no code called {name!r}") from None


def term(name: str) -> CodeTerm:
    return CodeTerm(CODES[name.lower()], name)


@pytest.mark.parametrize("text, tree", [
    ("Wellbeing", term("Wellbeing")),
    ("Green and shared spaces", term("Green and shared spaces")),  # lower-case "and" belongs to the name
    ('"Green and shared spaces"', term("Green and shared spaces")),
    ("Wellbeing AND Housing OR Bonding ties",
     Or((And((term("Wellbeing"), term("Housing"))), term("Bonding ties")))),  # AND binds tighter
    ("Wellbeing AND (Housing OR Bonding ties)",
     And((term("Wellbeing"), Or((term("Housing"), term("Bonding ties")))))),
    ("NOT NOT Housing", Not(Not(term("Housing")))),
    ('Wellbeing AND (Bonding ties OR "Green and shared spaces") AND NOT Housing',
     And((term("Wellbeing"), Or((term("Bonding ties"), term("Green and shared spaces"))), Not(term("Housing"))))),
    ("  Wellbeing   AND   Housing  ", And((term("Wellbeing"), term("Housing")))),
])
def test_parser_builds_the_expected_tree(text: str, tree) -> None:
    assert parse_query(text, resolve) == tree


@pytest.mark.parametrize("text, position, message", [
    ("", 0, "the query is empty"),
    ("Wellbeing AND", 13, "expected a code name"),
    ("Wellbeing AND (Housing", 22, r"expected '\)' to close the '\(' at position 15"),
    ("Wellbeing)", 9, "no closing parenthesis"),
    ('"Wellbeing', 0, "never closed"),
    ("Wellbeing NOT Housing", 10, "expected AND, OR or the end"),
    ("Wellbeing OR Nope", 13, "no code called 'Nope'"),
    ("Wellbeing Housing", 0, "put AND or OR between them"),
    ("OR Housing", 0, "expected a code name"),
    ('Wellbeing AND ""', 14, "empty code name"),
])
def test_syntax_errors_say_where(text: str, position: int, message: str) -> None:
    with pytest.raises(QuerySyntaxError, match=message) as caught:
        parse_query(text, resolve)
    assert caught.value.position == position
    assert f"(at position {position + 1})" in str(caught.value)
    if text:
        assert caught.value.pointer.splitlines()[1] == " " * position + "^"


def test_tokens_keep_their_positions() -> None:
    tokens = tokenize('NOT ("Bonding ties" OR Wellbeing)')
    assert [(t.kind, t.position) for t in tokens] == [("NOT", 0), ("(", 4), ("quoted", 5), ("OR", 20),
                                                      ("word", 23), (")", 32), ("end", 33)]


@pytest.fixture
def small(tmp_path: Path) -> SmallProject:
    """A fresh small project (see test_compare)."""
    return build_small_project(tmp_path / "small.wbproj")


# Segments of the small project with their codes: Anna's second turn (Bonding, Bridging, Wellbeing), her
# fourth (Housing); Ben's second (Bridging, Bonding), fourth (Wellbeing); Cara's second (Bonding, Housing),
# fourth (Wellbeing); answers R1 (Bonding), R3 (Bonding, Wellbeing); the field note (Housing). 16 segments.
@pytest.mark.parametrize("query, hits", [
    ("Bonding", 5),
    ("Social", 5),  # a category stands for its codes
    ("Bonding AND NOT Wellbeing", 3),
    ("Wellbeing OR Housing", 7),
    ("Bridging AND Wellbeing", 1),
    ("NOT Social", 11),
    ("Social AND (Housing OR Wellbeing)", 3),
])
def test_queries_count_segments(small: SmallProject, query: str, hits: int) -> None:
    assert len(run_query(small.store, query)) == hits


def test_hits_carry_text_source_speaker_case_attributes_and_codes(small: SmallProject) -> None:
    hits = run_query(small.store, "Bonding AND Wellbeing")
    assert [(h.source_name, h.text) for h in hits] == [
        ("ng-anna.txt", "My neighbour checks on me every day. The garden group keeps me well."),
        ("survey.csv", "Friends at church help me cope.")]
    anna, respondent = hits
    assert anna.speaker == "Anna" and anna.case == "NG-A" and anna.attributes["site"] == "Northgate"
    assert anna.codes == ["Bonding", "Bridging", "Wellbeing"]
    assert respondent.case == "R3" and respondent.attributes["site"] == "Seacombe" and respondent.kind == "answer"


def test_where_uses_the_respondents_own_site(small: SmallProject) -> None:
    hits = run_query(small.store, "Bonding", where={"site": "Seacombe"})
    assert [(h.source_name, h.case) for h in hits] == [("sc-cara.txt", "SC-C"), ("survey.csv", "R3")]


def test_coders_and_sentences(small: SmallProject) -> None:
    assert [h.source_name for h in run_query(small.store, "Bonding", coders=["tom"])] == ["ng-anna.txt",
                                                                                        "av-ben.txt"]
    sentences = run_query(small.store, "Wellbeing", unit="sentence")
    assert "The garden group keeps me well." in [h.text for h in sentences]
    assert "My neighbour checks on me every day." not in [h.text for h in sentences]
    assert all(h.kind == "sentence" for h in sentences)


def test_unknown_code_in_a_project_query(small: SmallProject) -> None:
    with pytest.raises(QuerySyntaxError, match="no code called 'Loneliness'"):
        run_query(small.store, "Bonding OR Loneliness")


def test_cli_prints_hits(small: SmallProject) -> None:
    result = CliRunner().invoke(cli, ["query", "Bonding AND NOT Wellbeing", "--project", str(small.store.path),
                                      "--where", "site=Seacombe"])
    assert result.exit_code == 0, result.output
    assert "1 segments match" in result.output and "sc-cara.txt" in result.output
    bad = CliRunner().invoke(cli, ["query", "Bonding AND", "--project", str(small.store.path)])
    assert bad.exit_code == 1 and "^" in bad.output
