"""Undo and redo per coder, built on the events log."""
from __future__ import annotations

import pytest

from workbench.sources.history import NothingToUndo, history, redo, undo
from workbench.store import NewSuggestion, Store

from helpers import interview_source


@pytest.fixture
def project(store: Store) -> tuple[Store, int, int, int]:
    source = store.add_source(interview_source(), "amira")
    parent = store.add_code("Individual resilience", "lead", codable=False)
    wellbeing = store.add_code("Wellbeing", "lead", parent_id=parent, definition="Feeling well.")
    coping = store.add_code("Emotional coping", "lead", parent_id=parent)
    return store, source, wellbeing, coping


def _spans(store: Store) -> list[tuple[int, int, int, str]]:
    return [(c.start, c.end, c.code_id, c.coder) for c in store.codings()]


def test_undo_and_redo_a_coding(project) -> None:
    store, source, wellbeing, _ = project
    store.add_coding(source, 10, 20, wellbeing, "amira")
    store.add_coding(source, 30, 40, wellbeing, "amira")
    assert undo(store, "amira").startswith("add coding")
    assert _spans(store) == [(10, 20, wellbeing, "amira")]
    undo(store, "amira")
    assert _spans(store) == []
    with pytest.raises(NothingToUndo):
        undo(store, "amira")
    redo(store, "amira")
    redo(store, "amira")
    assert _spans(store) == [(10, 20, wellbeing, "amira"), (30, 40, wellbeing, "amira")]
    with pytest.raises(NothingToUndo):
        redo(store, "amira")


def test_undo_is_per_coder(project) -> None:
    store, source, wellbeing, _ = project
    store.add_coding(source, 10, 20, wellbeing, "amira")
    store.add_coding(source, 10, 20, wellbeing, "tom")
    undo(store, "amira")
    assert _spans(store) == [(10, 20, wellbeing, "tom")]


def test_a_new_action_clears_redo(project) -> None:
    store, source, wellbeing, _ = project
    store.add_coding(source, 10, 20, wellbeing, "amira")
    undo(store, "amira")
    store.add_coding(source, 50, 60, wellbeing, "amira")
    assert history(store, "amira").undone == []
    with pytest.raises(NothingToUndo):
        redo(store, "amira")


def test_undo_remove_and_update_restore_the_same_coding(project) -> None:
    store, source, wellbeing, coping = project
    coding_id = store.add_coding(source, 10, 20, wellbeing, "amira", memo="first")
    store.update_coding(coding_id, "amira", memo="second", code_id=coping, end=25)
    store.remove_coding(coding_id, "amira")
    undo(store, "amira")
    assert store.get_coding(coding_id).memo == "second"
    undo(store, "amira")
    restored = store.get_coding(coding_id)
    assert (restored.memo, restored.code_id, restored.end) == ("first", wellbeing, 20)
    redo(store, "amira")
    assert store.get_coding(coding_id).code_id == coping


def test_undo_accept_and_reject_of_suggestions(project) -> None:
    store, source, wellbeing, coping = project
    store.replace_suggestions([NewSuggestion(source, 10, 20, wellbeing, 0.9, "r", "lexical.v1"),
                               NewSuggestion(source, 30, 40, coping, 0.8, "r", "lexical.v1")], "engine")
    first, second = store.suggestions()
    store.accept_suggestion(first.id, "amira")
    store.reject_suggestion(second.id, "amira")
    undo(store, "amira")
    assert store.get_suggestion(second.id).status == "pending"
    undo(store, "amira")
    assert store.get_suggestion(first.id).status == "pending" and store.codings() == []
    redo(store, "amira")
    assert store.get_suggestion(first.id).status == "accepted" and len(store.codings()) == 1
    undo(store, "amira")  # undo the redone accept: the new coding goes
    assert store.codings() == []
    with pytest.raises(NothingToUndo):  # the accept's coding was part of the accept, not an action of its own
        undo(store, "amira")


def test_codings_brought_in_by_an_import_are_not_on_the_undo_stack(project) -> None:
    store, source, wellbeing, coping = project
    store.add_coding(source, 10, 20, wellbeing, "amira", origin="import")
    mine = store.add_coding(source, 30, 40, coping, "amira")
    assert [e.target_id for e in history(store, "amira").done] == [mine]
    undo(store, "amira")
    with pytest.raises(NothingToUndo):
        undo(store, "amira")
    assert [c.origin for c in store.codings()] == ["import"]


def test_undo_codebook_actions(project) -> None:
    store, source, wellbeing, coping = project
    store.add_coding(source, 10, 20, wellbeing, "amira")
    store.add_coding(source, 10, 20, coping, "amira")
    store.update_code(wellbeing, "lead", name="Feeling well")
    store.merge_codes(coping, wellbeing, "lead")
    assert [c.code_id for c in store.codings()] == [wellbeing]  # the duplicate span is folded
    undo(store, "lead")  # unmerge
    assert sorted(c.code_id for c in store.codings()) == sorted([wellbeing, coping])
    undo(store, "lead")  # un-rename
    assert store.get_code(wellbeing).name == "Wellbeing"
    store.delete_code(coping, "lead")
    undo(store, "lead")
    assert store.get_code(coping).name == "Emotional coping"
    assert sorted(c.code_id for c in store.codings()) == sorted([wellbeing, coping])


def test_undo_and_redo_are_logged_without_becoming_new_actions(project) -> None:
    store, source, wellbeing, _ = project
    store.add_coding(source, 10, 20, wellbeing, "amira")
    undo(store, "amira")
    actions = [(e.action, e.payload.get("via")) for e in store.events(actor="amira")]
    assert actions[-2:] == [("coding.remove", actions[-2][1]), ("undo", None)]
    assert actions[-2][1].startswith("undo:")


def test_theme_links_follow_a_merge_and_come_back_with_undo(project) -> None:
    store, source, wellbeing, coping = project
    theme = store.add_theme("Getting by", "lead", code_ids=[coping])
    store.merge_codes(coping, wellbeing, "lead")
    assert store.get_theme(theme).code_ids == [wellbeing]
    undo(store, "lead")
    assert store.get_theme(theme).code_ids == [coping]
    store.delete_code(coping, "lead")
    assert store.get_theme(theme).code_ids == []
    undo(store, "lead")
    assert store.get_theme(theme).code_ids == [coping]
