"""Inter-coder reliability from the store: units, coverage, suggesters as pseudo-coders, disagreement words."""
from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from test_compare import SmallProject, build_small_project
from workbench.cli import cli
from workbench.analysis.icr import IGNORE_UNCODED_NOTE, ICRError, available_coders, coder_reliability
from workbench.store import NewSuggestion


@pytest.fixture
def small(tmp_path: Path) -> SmallProject:
    """A fresh small project (see test_compare)."""
    return build_small_project(tmp_path / "small.wbproj")


# tom coded Anna's and Ben's interviews only: those 2 sources (8 turns) are shared. Per code at segment level:
# Bonding: Anna's turn both, Ben's turn tom only -> 7/8; Bridging: 2 turns amira only -> 6/8;
# Wellbeing: 2 turns amira only -> 6/8; Housing: Anna's last turn both -> 8/8.
SEGMENT_AGREEMENT = {"Bonding": 7 / 8, "Bridging": 6 / 8, "Wellbeing": 6 / 8, "Housing": 1.0}


def test_segment_level_figures_match_the_hand_count(small: SmallProject) -> None:
    result = coder_reliability(small.store, ["amira", "tom"], "segment")
    assert result.shared_sources == 2 and result.sources_per_coder == {"amira": 5, "tom": 2}
    for code, agreement in SEGMENT_AGREEMENT.items():
        row = result.report.code(code)
        assert row.n_units == 8 and row.percent_agreement == pytest.approx(agreement), code
    # Bonding: po = 7/8, amira yes 1/8, tom yes 2/8 -> pe = 44/64, kappa = (56/64 - 44/64) / (20/64) = 0.6
    assert result.report.code("Bonding").cohen_kappa == pytest.approx(0.6)
    assert result.report.code("Housing").cohen_kappa == pytest.approx(1.0)
    assert result.overall.percent_agreement == pytest.approx(27 / 32) and result.overall.n_units == 32
    frame = result.per_code_frame().set_index("code")
    assert frame.loc["Bridging", "disagreements"] == 2 and frame.loc["Housing", "% agreement"] == 100.0
    assert result.note == ""


def test_ignoring_uncoded_units_keeps_only_units_someone_coded(small: SmallProject) -> None:
    result = coder_reliability(small.store, ["amira", "tom"], "segment", ignore_uncoded=True)
    assert result.report.code("Bonding").percent_agreement == pytest.approx(0.5)
    assert result.report.code("Housing").percent_agreement == pytest.approx(1.0)
    assert result.overall.n_units == 2 + 2 + 2 + 1
    assert result.note == IGNORE_UNCODED_NOTE


def test_disagreements_come_with_source_and_words(small: SmallProject) -> None:
    result = coder_reliability(small.store, ["amira", "tom"], "segment")
    [bonding] = result.disagreements("Bonding")
    assert (bonding.source_name, bonding.coded_by, bonding.not_coded_by) == ("av-ben.txt", ("tom",), ("amira",))
    assert bonding.text == "I met people from the mosque at the repair cafe."  # the whole turn (the unit)
    assert bonding.coded_words == "I met people from the mosque"  # what tom coded there
    assert bonding.code_id == small.codes["Bonding"]
    assert len(result.disagreements()) == 5 and len(result.disagreements(limit=2)) == 2


def test_character_level_pins_the_exact_words(small: SmallProject) -> None:
    result = coder_reliability(small.store, ["amira", "tom"], "character", codes=["Bonding", "Housing"])
    assert [r.code for r in result.report.per_code] == ["Bonding", "Housing"]
    bonding = result.disagreements("Bonding")
    assert [r.text for r in bonding] == ["I met people from the mosque"]
    [housing] = result.disagreements("Housing")
    assert housing.text == " and the rent keeps rising." and housing.coded_by == ("amira",)
    assert housing.coded_words == "The flat is damp and the rent keeps rising."


def test_sentence_units(small: SmallProject) -> None:
    result = coder_reliability(small.store, ["amira", "tom"], "sentence", codes=[small.codes["Wellbeing"]])
    row = result.report.code("Wellbeing")
    sentences = small.store.sentence_units([small.sources["ng-anna.txt"], small.sources["av-ben.txt"]])
    assert row.n_units == len(sentences)
    assert row.percent_agreement == pytest.approx((len(sentences) - 2) / len(sentences))  # amira's 2 sentences


def test_a_suggester_is_a_pseudo_coder_of_its_pending_and_accepted_suggestions(small: SmallProject) -> None:
    store, cara, ben = small.store, small.sources["sc-cara.txt"], small.sources["av-ben.txt"]
    text = small.texts["sc-cara.txt"]

    def at(source_text: str, words: str) -> tuple[int, int]:
        start = source_text.index(words)
        return start, start + len(words)

    beach, sister = at(text, "The beach clean makes me happy."), at(text, "My sister lives next door")
    lonely = at(small.texts["av-ben.txt"], "Lonely in winter, better in summer.")
    store.replace_suggestions([
        NewSuggestion(cara, *beach, small.codes["Bridging"], 0.8, "community activity", "lexical.v1"),
        NewSuggestion(cara, *sister, small.codes["Wellbeing"], 0.6, "family", "lexical.v1"),
        NewSuggestion(ben, *lonely, small.codes["Housing"], 0.5, "winter", "lexical.v1")], "engine")
    by_code = {s.code_id: s.id for s in store.suggestions()}
    store.accept_suggestion(by_code[small.codes["Bridging"]], "amira")
    store.reject_suggestion(by_code[small.codes["Wellbeing"]], "amira")
    assert "suggester:lexical.v1" in available_coders(store)
    result = coder_reliability(store, ["amira", "suggester:lexical.v1"], "segment")
    assert result.shared_sources == 2 and result.sources_per_coder["suggester:lexical.v1"] == 2
    # Shared: Ben's and Cara's 8 turns. Bridging: Ben's turn amira only, Cara's last turn both (accepted).
    assert result.report.code("Bridging").percent_agreement == pytest.approx(7 / 8)
    assert [d.source_name for d in result.disagreements("Bridging")] == ["av-ben.txt"]
    # Housing: Ben's last turn by the pending suggestion only, Cara's second turn by amira only.
    assert result.report.code("Housing").percent_agreement == pytest.approx(6 / 8)
    assert result.disagreements("Housing")[0].coded_by == ("suggester:lexical.v1",)
    # Wellbeing: amira's two turns; the rejected suggestion on Cara's second turn is left out.
    assert result.report.code("Wellbeing").percent_agreement == pytest.approx(6 / 8)
    manual = coder_reliability(store, ["amira", "suggester:lexical.v1"], "segment", origins=["manual"])
    assert manual.report.code("Bridging").percent_agreement == pytest.approx(6 / 8)  # the acceptance left out


def test_origins_decide_which_sources_a_coder_coded(small: SmallProject) -> None:
    store, cara, text = small.store, small.sources["sc-cara.txt"], small.texts["sc-cara.txt"]
    start = text.index("The beach clean makes me happy.")
    store.replace_suggestions([NewSuggestion(cara, start, start + 31, small.codes["Bridging"], 0.9, "beach",
                                             "lexical.v1")], "engine")
    store.accept_suggestion(store.suggestions()[0].id, "tom")  # tom's only coding on Cara's interview
    assert coder_reliability(store, ["amira", "tom"]).shared_sources == 3
    assert coder_reliability(store, ["amira", "tom"], origins=["manual"]).shared_sources == 2


@pytest.mark.parametrize("coders, unit, message", [
    (["amira"], "segment", "at least two coders"),
    (["amira", "zoe"], "segment", "no codings by zoe"),
    (["amira", "suggester:none.v0"], "segment", "no suggestions by 'none.v0'"),
    (["amira", "tom"], "word", "unknown unit 'word'"),
])
def test_unusable_requests_are_named_errors(small: SmallProject, coders: list[str], unit: str, message: str) -> None:
    with pytest.raises(ICRError, match=message):
        coder_reliability(small.store, coders, unit)


def test_coders_without_a_shared_source(small: SmallProject) -> None:
    small.store.add_coding(small.sources["notes.txt"], 0, 4, small.codes["Housing"], "zoe")
    with pytest.raises(ICRError, match="have not coded any source in common"):
        coder_reliability(small.store, ["tom", "zoe"], "segment")


def test_cli_prints_per_code_and_overall_figures(small: SmallProject) -> None:
    result = CliRunner().invoke(cli, ["reliability", "--project", str(small.store.path), "--coder", "amira",
                                      "--coder", "tom", "--disagreements", "1"])
    assert result.exit_code == 0, result.output
    assert "overall: 84.4% agreement, kappa" in result.output and "over 32 segments" in result.output
    bonding = next(line for line in result.output.splitlines() if line.startswith("Bonding"))
    assert bonding.split()[1:3] == ["8", "87.50"]
    assert "disagreements (5 in all)" in result.output
    ignored = CliRunner().invoke(cli, ["reliability", "--project", str(small.store.path), "--coder", "amira",
                                       "--coder", "tom", "--ignore-uncoded"])
    assert "note: Uncoded units left out" in ignored.output
