"""Reviewing suggestions: one-by-one and bulk accepts recorded apart, bulk accept confirmed and undone in one
step, messages in words, suggestions resolved by a person's own coding, and `workbench review`."""
from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from workbench.assist.review import (ConfirmationNeeded, accept, accept_in_bulk, plan_bulk_accept, reject,
                                     review_queue)
from workbench.cli import cli
from workbench.errors import Conflict
from workbench.sources.history import describe, history, redo, undo
from workbench.store import NewSuggestion, Store

from helpers import interview_source

HOUSING = "We rent a flat above the chip shop and the damp gets into everything."
TEXT = ("Interviewer: Tell me about where you live.\n\n"
        f"Maureen: {HOUSING} The neighbours from the newer houses never say hello.\n\n"
        "Interviewer: And the garden?\n\n"
        "Maureen: The garden keeps me sane.")


@pytest.fixture
def project(store: Store) -> tuple[Store, int, dict[str, int]]:
    """An interview with three pending suggestions: Housing 0.95 and 0.91 (the second wrong), Wellbeing 0.6."""
    source = store.add_source(interview_source(TEXT, name="maureen.txt"), "lead")
    codes = {name: store.add_code(name, "lead") for name in ("Housing", "Wellbeing")}
    proposals = [("We rent a flat above the chip shop", "Housing", 0.95),
                 ("The neighbours from the newer houses never say hello.", "Housing", 0.91),
                 ("The garden keeps me sane.", "Wellbeing", 0.6)]
    store.replace_suggestions([NewSuggestion(source, TEXT.index(w), TEXT.index(w) + len(w), codes[c], score,
                                             f"mentions {w.split()[1]}", "lexical.v1")
                               for w, c, score in proposals], "engine")
    return store, source, codes


def _pending(store: Store) -> dict[str, int]:
    text = {s.id: TEXT[s.start:s.end] for s in store.suggestions()}
    return {words: suggestion_id for suggestion_id, words in text.items()}


# -- item 2: accepts one by one and in bulk are recorded apart; bulk needs a yes and is one undo step ------------
def test_one_by_one_and_bulk_accepts_are_recorded_differently(project) -> None:
    store, _source, codes = project
    garden = _pending(store)["The garden keeps me sane."]
    one = store.get_coding(store.accept_suggestion(garden, "zoe"))
    assert (one.accept_mode, one.accept_min_score) == ("one", None)
    assert one.provenance == "machine-suggested, accepted by zoe"
    plan = plan_bulk_accept(store, 0.9)
    accept_in_bulk(store, plan, "amira", confirmed=True)
    bulk = store.codings(code_ids=[codes["Housing"]])
    assert [(c.accept_mode, c.accept_min_score, c.accepted_by) for c in bulk] == [("bulk", 0.9, "amira")] * 2
    assert bulk[0].provenance == "machine-suggested, accepted in bulk (score ≥ 0.90) by amira"
    event = store.events()[-1]
    assert event.action == "suggestion.accept_bulk" and event.payload["min_score"] == 0.9
    assert sorted(event.payload["coding_ids"]) == sorted(c.id for c in bulk)
    assert describe(event, store) == "accept in bulk 2 suggestions scoring 0.90 or more (Housing 2)"
    hand = store.get_coding(store.add_coding(_source, 0, 11, codes["Housing"], "zoe"))
    assert (hand.accept_mode, hand.provenance) == (None, "")


def test_bulk_accept_asks_for_confirmation_and_stores_nothing_without_it(project) -> None:
    store, _source, _codes = project
    plan = plan_bulk_accept(store, 0.9)
    assert [row.quote for row in plan.rows] == ["We rent a flat above the chip shop",
                                                "The neighbours from the newer houses never say hello."]
    assert plan.question() == ("Accept 2 suggestions scoring 0.90 or more (Housing 2) without reading them one "
                               "by one? Each will be marked “accepted in bulk” in reports and exports.")
    with pytest.raises(ConfirmationNeeded, match="Accept 2 suggestions"):
        accept_in_bulk(store, plan, "amira")
    assert store.codings() == [] and store.suggestion_counts()["pending"] == 3


def test_bulk_accept_is_undone_and_redone_in_one_step(project) -> None:
    store, _source, _codes = project
    store.add_coding(_source, 0, 11, _codes["Wellbeing"], "amira")  # an earlier action stays where it is
    message = accept_in_bulk(store, plan_bulk_accept(store, 0.9), "amira", confirmed=True)
    assert message == "Accepted in bulk: 2 suggestions scoring 0.90 or more (Housing 2). Undo takes them all back."
    assert len(history(store, "amira").done) == 2  # the coding, then the bulk accept as one action
    assert undo(store, "amira") == "accept in bulk 2 suggestions scoring 0.90 or more (Housing 2)"
    assert len(store.codings()) == 1 and store.suggestion_counts() == {"pending": 3, "accepted": 0, "rejected": 0}
    redo(store, "amira")
    assert [c.accept_mode for c in store.codings(origin="suggestion")] == ["bulk", "bulk"]
    undo(store, "amira")
    assert len(store.codings()) == 1


def test_a_stale_bulk_plan_skips_what_someone_else_decided(project) -> None:
    store, _source, _codes = project
    plan = plan_bulk_accept(store, 0.9)
    store.reject_suggestion(plan.rows[1].id, "tom")  # in another window, meanwhile
    message = accept_in_bulk(store, plan, "amira", confirmed=True)
    assert message.startswith("Accepted in bulk: 1 suggestion scoring 0.90 or more (Housing 1).")
    assert "1 was decided by someone else meanwhile" in message
    assert len(store.codings()) == 1


# -- item 10: messages in words; a person's own coding resolves the suggestion --------------------------------
def test_messages_name_the_code_and_the_words_not_ids(project) -> None:
    store, _source, _codes = project
    pending = _pending(store)
    assert accept(store, pending["We rent a flat above the chip shop"], "zoe") == \
        "Accepted: Housing on “We rent a flat above the chip…”"
    assert reject(store, pending["The garden keeps me sane."], "zoe") == \
        "Rejected: Wellbeing on “The garden keeps me sane.” (it will not be suggested again)"
    with pytest.raises(Conflict) as error:
        store.accept_suggestion(pending["The garden keeps me sane."], "tom")
    assert str(error.value) == "Wellbeing on “The garden keeps me sane.” was already rejected by zoe"
    done = history(store, "zoe").done
    assert [describe(e, store) for e in done] == ["accept Housing on “We rent a flat above the chip…”",
                                                  "reject Wellbeing on “The garden keeps me sane.”"]


def test_coding_the_same_words_by_hand_resolves_the_suggestion(project) -> None:
    store, source, codes = project
    words = "The garden keeps me sane."
    start = TEXT.index(words)
    store.add_coding(source, start, start + len(words), codes["Wellbeing"], "zoe")
    assert words not in _pending(store)
    assert store.suggestion_counts() == {"pending": 2, "accepted": 0, "rejected": 0}
    other = "We rent a flat"  # another code on the same words leaves its suggestion alone
    store.add_coding(source, TEXT.index(other), TEXT.index(other) + len(other), codes["Wellbeing"], "zoe")
    assert len(_pending(store)) == 2
    undo(store, "zoe")
    undo(store, "zoe")  # taking the coding back brings the suggestion back
    assert words in _pending(store)
    redo(store, "zoe")
    assert words not in _pending(store)


def test_the_queue_is_a_core_function(project) -> None:
    store, _source, codes = project
    rows = review_queue(store, code_ids=[codes["Housing"]])
    assert [(r.code, r.score) for r in rows] == [("Housing", 0.95), ("Housing", 0.91)]
    assert [r.source for r in review_queue(store, min_score=0.6, order="learn")] == ["maureen.txt"] * 3


# -- item 7: `workbench review` ----------------------------------------------------------------------------------
def _run(path: Path, *args: str, input: str | None = None):
    who = [] if args[0] == "list" else ["--as", "amira"]
    return CliRunner().invoke(cli, ["review", *args, "--project", str(path), *who], input=input)


def test_cli_review_list_accept_reject(project) -> None:
    store, _source, _codes = project
    path = store.path
    listing = _run(path, "list", "--code", "Housing")
    assert listing.exit_code == 0, listing.output
    ids = _pending(store)
    assert f"{ids['We rent a flat above the chip shop']:>4}  0.95  Housing  maureen.txt  " \
           "“We rent a flat above the chip shop”" in listing.output
    assert "Wellbeing" not in listing.output and "2 pending suggestions" in listing.output
    assert "0.60" not in _run(path, "list", "--min-score", "0.9").output
    done = _run(path, "accept", str(ids["We rent a flat above the chip shop"]))
    assert done.exit_code == 0, done.output
    assert "Accepted: Housing on “We rent a flat above the chip…”" in done.output
    assert store.codings()[0].accept_mode == "one"
    gone = _run(path, "reject", str(ids["The garden keeps me sane."]))
    assert "Rejected: Wellbeing on “The garden keeps me sane.”" in gone.output
    again = _run(path, "reject", str(ids["The garden keeps me sane."]))
    assert again.exit_code != 0 and "already rejected by amira" in again.output and "Traceback" not in again.output


def test_cli_bulk_accept_asks_first_unless_yes(project) -> None:
    store, _source, _codes = project
    path = store.path
    declined = _run(path, "accept", "--min-score", "0.9", input="n\n")
    assert "Accept 2 suggestions scoring 0.90 or more (Housing 2) without reading them one by one?" \
        in declined.output
    assert "Nothing accepted." in declined.output and store.codings() == []
    done = _run(path, "accept", "--min-score", "0.5", "--code", "Housing", "--yes")
    assert done.exit_code == 0, done.output
    assert "Accepted in bulk: 2 suggestions scoring 0.50 or more (Housing 2)." in done.output
    assert {c.accept_mode for c in store.codings()} == {"bulk"}
    undone = CliRunner().invoke(cli, ["undo", "--project", str(path), "--as", "amira"])
    assert "accept in bulk 2 suggestions" in undone.output and store.codings() == []


def test_cli_review_accept_needs_ids_or_a_score(project) -> None:
    store, _source, _codes = project
    for args in ((), ("1", "--min-score", "0.5"), ("--code", "Housing")):
        result = _run(store.path, "accept", *args)
        assert result.exit_code == 2 and "Traceback" not in result.output
        assert "give suggestion ids or --min-score" in result.output
    missing = _run(store.path, "accept", "999")
    assert missing.exit_code == 1 and "no suggestion with id 999" in missing.output


def test_conflicts_name_the_code_and_the_words(project) -> None:
    store, source, codes = project
    words = "The garden keeps me sane."
    start = TEXT.index(words)
    store.add_coding(source, start, start + len(words), codes["Wellbeing"], "zoe")
    other = store.add_coding(source, start, start + 10, codes["Wellbeing"], "zoe")
    with pytest.raises(Conflict) as error:
        store.update_coding(other, "zoe", end=start + len(words))
    assert str(error.value) == "zoe has already coded “The garden keeps me sane.” with 'Wellbeing'"
    store.remove_coding(other, "tom")  # someone else removes zoe's last coding before she undoes it
    with pytest.raises(Conflict) as error:
        undo(store, "zoe")
    assert str(error.value) == "the coding Wellbeing on “The garden” was removed by someone else in the meantime"
