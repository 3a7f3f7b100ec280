"""Suggesters: registry, lexical, semantic, learned, ensemble (real model, small texts)."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from coding.codebook import Codebook, CodeDef
from coding.embedding import DictCache, Embedder
from coding.suggesters import (
    EmptyCodebookError,
    NotFittedError,
    UnknownCodeError,
    UnknownSuggesterError,
    available_suggesters,
    make_suggester,
)
from coding.suggesters.base import truncate
from coding.suggesters.ensemble import MIN_LEARNED
from coding.suggesters.learned import best_f1_threshold
from coding.units import Example, Proposal, Unit

LONELY, HELP, FLOOD, EMPTY, OTHER, GROUP = (f"00000000-0000-4000-8000-00000000000{i}" for i in range(6))


def make_codebook() -> Codebook:
    """Three usable codes, one without any text to compare with, one non-codable group, one stop-word name."""
    return Codebook(
        name="test",
        codes=[
            CodeDef(GROUP, "Feelings", codable=False),
            CodeDef(LONELY, "Loneliness", GROUP, definition="Feeling isolated, alone or cut off from other people.",
                    examples=["Since my wife died I sit at home on my own all day."],
                    keywords=["lonely", "on my own"], dont_use_when="Choosing to be alone for some peace and quiet."),
            CodeDef(HELP, "Neighbourly help", definition="Neighbours giving practical help to each other.",
                    use_when="Someone on the street lends, carries, cooks or repairs for another resident.",
                    keywords=["neighbour"]),
            CodeDef(FLOOD, "Flood damage", definition="Damage to homes, roads or property caused by flood water.",
                    keywords=["flood"]),
            CodeDef(EMPTY, "Undefined"),
            CodeDef(OTHER, "Other", definition="", keywords=[]),
        ],
    )


def units(*texts: str, source_id: int = 1) -> list[Unit]:
    """Consecutive sentence units of one source."""
    out, pos = [], 0
    for t in texts:
        out.append(Unit(source_id, pos, pos + len(t), t))
        pos += len(t) + 1
    return out


@pytest.fixture(scope="module")
def embedder() -> Embedder:
    """A cached embedder shared by this module's tests (the model loads once per process)."""
    return Embedder(cache=DictCache())


# registry -------------------------------------------------------------------------------------


def test_registry_lists_the_four_versioned_suggesters():
    assert available_suggesters() == ["ensemble.v1", "learned.v1", "lexical.v1", "semantic.v1"]
    assert make_suggester().name == "ensemble.v1"
    assert make_suggester("lexical.v1", min_score=0.3).min_score == 0.3


def test_unknown_suggester_name_is_a_named_error():
    with pytest.raises(UnknownSuggesterError, match="available: ensemble.v1"):
        make_suggester("magic.v9")


def test_init_only_stores_parameters():
    s = make_suggester("semantic.v1", z_threshold=1.0)
    assert s.z_threshold == 1.0 and not hasattr(s, "embedder_")


# lexical ------------------------------------------------------------------------------------


def test_lexical_matches_keywords_as_lemmas_and_multiword_sequences():
    lex = make_suggester("lexical.v1").fit(make_codebook())
    out = lex.suggest(units("I have been so lonely, living on my own.", "The weather was fine."))
    lonely = [s for s in out if s.code_uid == LONELY]
    assert len(lonely) == 1
    assert lonely[0].reason.startswith('matched "lonely", "on my own"')
    assert (lonely[0].start, lonely[0].end) == (0, 40)
    assert lonely[0].suggester == "lexical.v1" and lonely[0].model is None
    assert "The weather" not in {s.reason for s in out}


def test_lexical_score_grows_with_matches_and_stays_in_unit_interval():
    lex = make_suggester("lexical.v1").fit(make_codebook())
    batch = lex.prepare(units("I was lonely.", "I was lonely and on my own and isolated.", "Nothing here."))
    table = lex.score(batch, [LONELY])
    one, many, none = table.scores[:, 0]
    assert 0.0 == none < one < many < 1.0


def test_lexical_inflected_forms_match_through_lemmas():
    lex = make_suggester("lexical.v1").fit(make_codebook())
    out = lex.suggest(units("Our neighbours were flooded twice."))
    assert {s.code_uid for s in out} >= {HELP, FLOOD}


def test_lexical_skips_codes_with_nothing_to_match():
    lex = make_suggester("lexical.v1").fit(make_codebook())
    assert set(lex.skipped_codes_) == {OTHER}  # "other" is a stop word; "Undefined" still has its name
    assert GROUP not in lex.code_uids_


# semantic -----------------------------------------------------------------------------------


def test_semantic_finds_the_fitting_code_and_quotes_the_closest_prototype(embedder):
    sem = make_suggester("semantic.v1", embedder=embedder).fit(make_codebook())
    out = sem.suggest(units("Since my husband passed away I am alone in the house every single day."))
    assert out and out[0].code_uid == LONELY
    assert out[0].reason.startswith('close to example: "Since my wife died')
    assert out[0].model == "all-MiniLM-L6-v2" and 0.5 <= out[0].score <= 1.0


def test_semantic_skips_codes_without_definition_or_examples(embedder):
    sem = make_suggester("semantic.v1", embedder=embedder).fit(make_codebook())
    assert set(sem.skipped_codes_) == {EMPTY, OTHER}
    assert not any(s.code_uid in (EMPTY, OTHER) for s in sem.suggest(units("Anything undefined or other.")))


def test_semantic_merges_adjacent_units_of_one_source_with_the_same_code(embedder):
    sem = make_suggester("semantic.v1", embedder=embedder, min_similarity=0.0, z_threshold=-5).fit(make_codebook())
    us = units("The flood water ruined our kitchen.", "The river flooded the road and the houses.")
    flood = [s for s in sem.suggest(us) if s.code_uid == FLOOD]
    assert [(s.start, s.end) for s in flood] == [(0, us[1].end)]
    other_source = [us[0], Unit(2, 0, us[1].end - us[1].start, us[1].text)]
    assert len([s for s in sem.suggest(other_source) if s.code_uid == FLOOD]) == 2


def test_semantic_codes_argument_restricts_and_checks_uids(embedder):
    sem = make_suggester("semantic.v1", embedder=embedder, min_similarity=0.0, z_threshold=-5).fit(make_codebook())
    us = units("The flood water ruined our kitchen.")
    assert {s.code_uid for s in sem.suggest(us, codes=[FLOOD])} == {FLOOD}
    assert sem.suggest(us, codes=[EMPTY]) == []
    with pytest.raises(UnknownCodeError, match="not in the fitted codebook"):
        sem.suggest(us, codes=["nope"])


def test_dont_use_when_lowers_the_similarity(embedder):
    book = make_codebook()
    plain = make_suggester("semantic.v1", embedder=embedder, negative_penalty=0.0).fit(book)
    penalised = make_suggester("semantic.v1", embedder=embedder, negative_penalty=1.0).fit(book)
    vec = embedder.encode(["I chose to be alone for some peace and quiet."])
    assert penalised.similarities(vec, [LONELY])[0, 0] < plain.similarities(vec, [LONELY])[0, 0]


# learned ------------------------------------------------------------------------------------

LONELY_TEXTS = ["I sit alone every evening.", "Nobody visits me any more.", "I feel cut off from everyone.",
                "Since the move I have no friends here.", "Weeks go by without talking to anyone.",
                "I am so isolated up here."]
HELP_TEXTS = ["My neighbour fixed our fence.", "The man next door brought us soup.", "They carried my shopping.",
              "Our street cleared the gutters together.", "She lent us her ladder.", "He mowed my lawn."]


def training_examples() -> list[Example]:
    """Six codings for two codes, and two rejected suggestions of the lonely code."""
    return (
        [Example(t, LONELY, True) for t in LONELY_TEXTS]
        + [Example(t, HELP, True) for t in HELP_TEXTS]
        + [Example("I enjoy a quiet walk alone.", LONELY, False), Example("The bins were late.", LONELY, False)]
    )


def test_learned_fits_codes_with_enough_codings_only(embedder):
    learned = make_suggester("learned.v1", embedder=embedder).fit(make_codebook(), training_examples())
    assert set(learned.code_uids_) == {LONELY, HELP}
    assert FLOOD in learned.skipped_codes_ and "needs 5" in learned.skipped_codes_[FLOOD]
    model = learned.models_[LONELY]
    assert (model.n_positive, model.n_negative) == (6, 8)  # 6 help codings + 2 rejections
    assert 0.0 < model.threshold < 1.0


def test_learned_suggests_with_provenance(embedder):
    learned = make_suggester("learned.v1", embedder=embedder).fit(make_codebook(), training_examples())
    out = learned.suggest(units("I have been completely alone for months.", "My neighbour repaired our gate."))
    by_unit = {(s.start, s.code_uid) for s in out}
    assert (0, LONELY) in by_unit and (0, HELP) not in by_unit
    assert all(s.reason == "learned from 6 codings" and s.suggester == "learned.v1" for s in out)


def test_learned_min_examples_is_respected(embedder):
    learned = make_suggester("learned.v1", embedder=embedder, min_examples=7).fit(make_codebook(), training_examples())
    assert learned.code_uids_ == [] and learned.suggest(units("anything")) == []


def test_best_f1_threshold_separates_a_clean_split():
    labels = np.array([1, 1, 1, 0, 0, 0])
    probs = np.array([0.9, 0.8, 0.7, 0.4, 0.3, 0.2])
    assert 0.4 < best_f1_threshold(labels, probs) < 0.7
    assert best_f1_threshold(np.array([1, 0, 1]), np.array([0.5, 0.5, 0.9])) < 0.5


# ensemble ------------------------------------------------------------------------------------


def test_the_ensemble_fits_a_code_its_own_model_from_ten_codings(embedder):
    # below that the code's scores move by its review decisions' offset (coding.decisions), which did better
    ens = make_suggester("ensemble.v1", embedder=embedder).fit(make_codebook(), training_examples())
    assert MIN_LEARNED == 10 and not ens.parts_["learned"].code_uids_  # six codings each
    more = training_examples() + [Example(f"{t} Again and again.", LONELY, True) for t in LONELY_TEXTS[:4]]
    ens = make_suggester("ensemble.v1", embedder=embedder).fit(make_codebook(), more)
    assert list(ens.parts_["learned"].code_uids_) == [LONELY]


def test_ensemble_combines_reasons_and_scores_in_unit_interval(embedder):
    ens = make_suggester("ensemble.v1", embedder=embedder, min_examples=5).fit(make_codebook(), training_examples())
    out = ens.suggest(units("I have been so lonely, living on my own since the flood."))
    lonely = [s for s in out if s.code_uid == LONELY]
    assert lonely, out
    reason = lonely[0].reason
    assert "close to" in reason and 'matched "lonely", "on my own"' in reason and "learned from 6 codings" in reason
    assert all(0.0 <= s.score <= 1.0 and s.suggester == "ensemble.v1" for s in out)


def test_ensemble_score_of_a_unit_does_not_depend_on_other_units(embedder):
    ens = make_suggester("ensemble.v1", embedder=embedder).fit(make_codebook())
    target = Unit(5, 0, 32, "Water came into every house here")
    alone = ens.score(ens.prepare([target]), ens.code_uids_).scores[0]
    crowd = [target] + [Unit(9 + i, 0, 10, t) for i, t in enumerate(["Lovely weather", "I am lonely", "x y"])]
    together = ens.score(ens.prepare(crowd), ens.code_uids_).scores[0]
    assert np.allclose(alone, together, atol=1e-6)


def test_ensemble_refit_of_one_code_keeps_the_others(embedder):
    book = make_codebook()
    ens = make_suggester("ensemble.v1", embedder=embedder, min_examples=5).fit(book, training_examples())
    us = units("The river burst its banks and ruined the kitchen.", "I am lonely.")
    before = ens.score(ens.prepare(us), [FLOOD, HELP]).scores
    book.codes[3] = CodeDef(FLOOD, "Flood damage", definition="Feeling sad about the weather.", keywords=["flood"])
    ens.fit(book, training_examples(), codes=[FLOOD])
    after = ens.score(ens.prepare(us), [FLOOD, HELP]).scores
    assert after[0, 0] < before[0, 0]  # the edited code changed
    assert np.allclose(after[:, 1], before[:, 1], atol=0.05)  # the others move only through the centroid
    assert ens.parts_["learned"].models_[LONELY] is not None


@pytest.mark.parametrize("name", ["lexical.v1", "semantic.v1", "learned.v1", "ensemble.v1"])
def test_other_languages_one_word_and_empty_units_do_not_crash(name, embedder):
    params = {} if name == "lexical.v1" else {"embedder": embedder}
    s = make_suggester(name, **params).fit(make_codebook(), training_examples())
    out = s.suggest(units("Je me sens très seule depuis l'inondation.", "Hochwasser!", "ok", "!!!", "水害"))
    assert all(isinstance(x, Proposal) and 0.0 <= x.score <= 1.0 for x in out)
    assert s.suggest([]) == []


@pytest.mark.parametrize("name", ["lexical.v1", "semantic.v1", "learned.v1", "ensemble.v1"])
def test_empty_codebook_and_unfitted_use_are_named_errors(name):
    with pytest.raises(EmptyCodebookError, match="no codable code"):
        make_suggester(name).fit(Codebook(name="empty", codes=[CodeDef(GROUP, "group", codable=False)]))
    with pytest.raises(NotFittedError, match="call fit"):
        make_suggester(name).suggest(units("text"))


@given(st.text(max_size=300), st.integers(min_value=10, max_value=120))
def test_truncate_never_exceeds_the_limit(text, limit):
    out = truncate(text, limit)
    assert len(out) <= limit
    assert out == " ".join(text.split()) or out.endswith("…")
