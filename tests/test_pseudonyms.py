"""Pseudonymisation: the roster, proposals, the optional trained-pipeline path, and stored texts."""
from __future__ import annotations

import spacy

from workbench.sources.pseudonyms import Roster, find_person_names, propose_roster, pseudonymise_sources
from workbench.store import Store

from helpers import INTERVIEW, interview_source


def test_roster_replaces_whole_words_case_insensitively_longest_first() -> None:
    roster = Roster({"Maureen": "NG-R01", "Ann": "Person 1", "Ann Marie": "Person 2"})
    text = "Maureen said MAUREEN's friend Ann Marie and Ann came; Annabel did not."
    assert roster.apply(text) == "NG-R01 said NG-R01's friend Person 2 and Person 1 came; Annabel did not."
    assert [r.real for r in roster.find(text)] == ["Maureen", "MAUREEN", "Ann Marie", "Ann"]
    assert roster.pseudonym("maureen") == "NG-R01" and roster.pseudonym("Bob") == "Bob"
    assert Roster({}).apply(text) == text


def test_propose_roster_maps_speakers_to_their_participant(store: Store) -> None:
    store.add_source(interview_source(case="NG-R01"), "amira")
    proposals = propose_roster(store)
    assert proposals == {"Maureen": "NG-R01"}  # "Interviewer" is not a person to hide
    store.set_roster(proposals, "amira")
    assert propose_roster(store) == {}


def test_trained_pipeline_path_with_a_stand_in_pipeline(store: Store) -> None:
    # No trained English pipeline can be installed on this machine, so a blank pipeline with an
    # entity ruler stands in for one: the same spaCy API (doc.ents with PERSON labels).
    nlp = spacy.blank("en")
    nlp.add_pipe("entity_ruler").add_patterns([{"label": "PERSON", "pattern": "Pat"}])
    store.add_source(interview_source(text=INTERVIEW.replace("My neighbour", "Pat next door")), "amira")
    assert find_person_names(store, nlp) == {"Pat": 1}
    assert propose_roster(store, nlp)["Pat"].startswith("Person")


def test_pseudonymising_stored_texts_keeps_codings_on_their_words(store: Store) -> None:
    source = store.add_source(interview_source(case="NG-R01"), "amira")
    code = store.add_code("Wellbeing", "amira")
    text = store.get_source(source).text
    start = text.index("It keeps me sane.")
    coding = store.add_coding(source, start, start + len("It keeps me sane."), code, "amira")
    store.set_roster({"Maureen": "NG-R01"}, "amira")
    report = pseudonymise_sources(store, "amira")
    new_text = store.get_source(source).text
    assert "Maureen" not in new_text and "NG-R01: My neighbour" in new_text
    assert report.replaced == {"maureen.txt": {"Maureen": 2}} and report.total == 2
    c = store.get_coding(coding)
    assert new_text[c.start:c.end] == "It keeps me sane."
    assert {s.speaker for s in store.segments(source, kinds=["turn"])} == {"Interviewer", "NG-R01"}
