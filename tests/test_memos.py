"""Document, code and project memos beside coding memos: the core API, its events and undo."""
from __future__ import annotations

import pytest

from workbench.errors import InvalidMemo, NotFound
from workbench.sources.history import redo, undo
from workbench.sources.memos import add_memo, edit_memo, list_memos, remove_memo
from workbench.store import Store

from helpers import interview_source


@pytest.fixture
def project(store: Store) -> tuple[Store, int, int]:
    source = store.add_source(interview_source(), "amira")
    parent = store.add_code("Social connectivity", "lead", codable=False)
    code = store.add_code("Bonding ties", "lead", parent_id=parent)
    return store, source, code


def test_a_memo_on_each_kind_of_target_by_name(project) -> None:
    store, source, code = project
    project_memo = add_memo(store, "Saturated after ten interviews?", "amira", title="Saturation")
    document = add_memo(store, "Recorded in the garden shed.", "amira", about="source", target="maureen.txt")
    code_memo = add_memo(store, "Bonding shows up everywhere.", "ben", about="code",
                         target="Social connectivity/Bonding ties")
    assert (project_memo.target_type, project_memo.target_id) == ("project", None)
    assert (document.target_type, document.target_id) == ("source", source)
    assert (code_memo.target_type, code_memo.target_id, code_memo.author) == ("code", code, "ben")
    assert add_memo(store, "By id.", "amira", about="source", target=str(source)).target_id == source


def test_listing_names_what_each_memo_is_about_and_includes_coding_memos(project) -> None:
    store, source, code = project
    store.add_coding(source, 10, 20, code, "amira", memo="Is this bonding or bridging?")
    add_memo(store, "About the garden.", "amira", about="source", target="maureen.txt", title="Setting")
    add_memo(store, "A project memo.", "ben")
    entries = list_memos(store)
    assert [(e.kind, e.about, e.author) for e in entries] == [
        ("project", "Project", "ben"), ("source", "maureen.txt", "amira"),
        ("coding", "Social connectivity/Bonding ties", "amira")]
    coding = entries[-1]
    assert coding.memo_id is None and coding.coding_id is not None and coding.text == "Is this bonding or bridging?"
    words = " ".join(store.get_source(source).text[10:20].split())
    assert coding.where == f"“{words}” in maureen.txt"  # which words, where: coding memos are told apart
    assert [e.kind for e in list_memos(store, kinds=["source"])] == ["source"]
    assert [e.author for e in list_memos(store, author="ben")] == ["ben"]
    assert [e.kind for e in list_memos(store, contains="GARDEN")] == ["source"]
    assert [e.title for e in list_memos(store, kinds=["source"], target_id=source)] == ["Setting"]
    long = store.add_coding(source, 0, 200, code, "cleo")
    add_memo(store, "A long passage.", "cleo", about="coding", target=str(long))
    [stored] = [e for e in list_memos(store, kinds=["coding"]) if e.memo_id is not None]
    assert stored.where.endswith("…” in maureen.txt") and len(stored.where) == len("“”… in maureen.txt") + 60


def test_bad_memos_are_refused_with_what_is_wrong_and_nothing_is_stored(project) -> None:
    store, _source, _code = project
    with pytest.raises(InvalidMemo, match="empty"):
        add_memo(store, "   ", "amira")
    with pytest.raises(InvalidMemo, match="project or a source, code, case, coding, not 'theme'"):
        add_memo(store, "x", "amira", about="theme", target="1")
    with pytest.raises(InvalidMemo, match="which source"):
        add_memo(store, "x", "amira", about="source")
    with pytest.raises(NotFound, match="no source called 'nobody.txt'"):
        add_memo(store, "x", "amira", about="source", target="nobody.txt")
    with pytest.raises(NotFound, match="no code called 'Housing'"):
        add_memo(store, "x", "amira", about="code", target="Housing")
    assert store.memos() == []


def test_edit_and_remove_are_logged_and_undone(project) -> None:
    store, _source, code = project
    memo = add_memo(store, "First thought.", "amira", about="code", target="Bonding ties", title="Idea")
    edited = edit_memo(store, memo.id, "amira", text="Second thought.")
    assert (edited.text, edited.title) == ("Second thought.", "Idea")
    remove_memo(store, memo.id, "amira")
    assert store.memos() == []
    assert [e.action for e in store.events(actor="amira")][-3:] == ["memo.add", "memo.update", "memo.delete"]
    assert undo(store, "amira") == "remove memo 'Idea'"
    assert store.get_memo(memo.id).text == "Second thought."
    assert undo(store, "amira") == "edit memo 'Idea'"
    assert store.get_memo(memo.id).text == "First thought."
    redo(store, "amira")
    redo(store, "amira")
    assert store.memos() == []
    undo(store, "amira")
    assert (store.get_memo(memo.id).target_type, store.get_memo(memo.id).target_id) == ("code", code)


def test_editing_an_unknown_or_emptying_a_memo_is_refused(project) -> None:
    store, _source, _code = project
    memo = add_memo(store, "Keep me.", "amira")
    with pytest.raises(NotFound, match="no memo with id 99"):
        edit_memo(store, 99, "amira", text="x")
    with pytest.raises(InvalidMemo, match="empty"):
        edit_memo(store, memo.id, "amira", text=" \n")
    with pytest.raises(NotFound, match="no memo with id 99"):
        remove_memo(store, 99, "amira")
    assert store.get_memo(memo.id).text == "Keep me."


def test_a_memo_whose_source_was_deleted_is_still_listed(project) -> None:
    store, source, _code = project
    add_memo(store, "About a source that goes.", "amira", about="source", target="maureen.txt")
    store.delete_source(source, "lead")
    [entry] = list_memos(store)
    assert entry.about == f"(deleted source {source})"


def test_a_code_memo_follows_its_code_into_a_merge_and_back_on_undo(project) -> None:
    store, _source, code = project
    other = store.add_code("Close ties", "lead")
    memo = add_memo(store, "Family first.", "lead", about="code", target="Close ties")
    store.merge_codes(other, code, "lead")
    assert (store.get_memo(memo.id).target_type, store.get_memo(memo.id).target_id) == ("code", code)
    assert [e.about for e in list_memos(store)] == ["Social connectivity/Bonding ties"]
    undo(store, "lead")
    assert store.get_memo(memo.id).target_id == other
