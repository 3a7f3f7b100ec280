"""The project store: schema, sources, codes, codings, memos, events, search."""
from __future__ import annotations

import sqlite3
from dataclasses import replace

import pytest

from coding.codebook import Codebook, CodeDef
from workbench.errors import Conflict, InvalidSpan, NotFound, ProjectError, SearchSyntaxError
from workbench.store import NewSegment, Store, schema_version
from workbench.store.migrations import MIGRATIONS

from helpers import INTERVIEW, interview_source


def test_new_project_has_current_schema_in_wal_mode(store: Store) -> None:
    conn = store.database.conn
    assert conn.execute("PRAGMA user_version").fetchone()[0] == schema_version()
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.setting("name") == "test"


def test_opening_a_missing_project_says_how_to_create_one(tmp_path) -> None:
    with pytest.raises(ProjectError, match="workbench init"):
        Store.open(tmp_path / "nope.wbproj")


def test_a_foreign_sqlite_file_is_refused(tmp_path) -> None:
    path = tmp_path / "other.db"
    sqlite3.connect(path).execute("CREATE TABLE t (x)").connection.commit()
    with pytest.raises(ProjectError, match="not a Resilience Workbench project"):
        Store.open(path)


def test_a_text_file_is_refused(tmp_path) -> None:
    path = tmp_path / "notes.wbproj"
    path.write_text("these are not the droids " * 100)
    with pytest.raises(ProjectError, match="not a workbench project"):
        Store.open(path)


def test_a_newer_schema_is_refused(tmp_path) -> None:
    path = tmp_path / "p.wbproj"
    Store.create(path).close()
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {schema_version() + 1}")
    conn.close()
    with pytest.raises(ProjectError, match="newer version"):
        Store.open(path)


def test_an_older_project_is_backed_up_then_migrated(tmp_path) -> None:
    path = tmp_path / "old.wbproj"
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    MIGRATIONS[0][2](conn)
    conn.execute("PRAGMA user_version = 1")
    conn.execute("PRAGMA application_id = 1381450273")
    conn.execute("INSERT INTO project VALUES ('name', 'old one')")
    conn.close()
    store = Store.open(path)
    assert store.database.scalar("PRAGMA user_version") == schema_version()
    backup = tmp_path / f"old.wbproj.before-schema-{schema_version()}.bak"
    assert backup.exists()
    assert sqlite3.connect(backup).execute("PRAGMA user_version").fetchone()[0] == 1
    assert store.setting("name") == "old one"


def test_add_source_stores_text_segments_sentences_and_logs(store: Store) -> None:
    source_id = store.add_source(interview_source(attributes={"site": "Northgate"}, case="NG-R01"), "amira")
    source = store.get_source(source_id)
    assert source.text == INTERVIEW
    turns = store.segments(source_id, kinds=["turn"])
    assert [t.speaker for t in turns] == ["Interviewer", "Maureen", "Interviewer", "Maureen"]
    assert source.text[turns[1].start:turns[1].end].startswith("My neighbour dragged me along.")
    sentences = store.segments(source_id, kinds=["sentence"])
    assert all(s.parent_id in {t.id for t in turns} for s in sentences)
    assert store.attributes("source", source_id) == {"site": "Northgate"}
    assert store.get_case(source.case_id).name == "NG-R01"
    assert [e.action for e in store.events()][-1] == "source.add"


def test_same_name_and_text_twice_is_a_conflict(store: Store) -> None:
    # Issue 12 item 1: the same text under another name is another source (test_source_identity).
    store.add_source(interview_source(), "amira")
    with pytest.raises(Conflict, match="already in the project"):
        store.add_source(interview_source(), "amira")
    assert store.counts()["sources"] == 1


def test_a_failure_half_way_leaves_the_project_as_it_was(store: Store) -> None:
    store.add_source(interview_source(), "amira")
    before = store.counts()
    bad = interview_source(text=INTERVIEW + " More.", name="bad.txt")
    bad.segments.append(NewSegment(start=10, end=5, kind="turn"))  # violates the CHECK constraint
    with pytest.raises(sqlite3.IntegrityError):
        store.add_source(bad, "amira")
    assert store.counts() == before
    assert store.search_segments("More") == []


def test_delete_source_removes_segments_codings_and_index(store: Store) -> None:
    source_id = store.add_source(interview_source(), "amira")
    code = store.add_code("Bonding ties", "amira")
    store.add_coding(source_id, 0, 10, code, "amira")
    store.delete_source(source_id, "amira")
    assert store.counts()["segments"] == 0 and store.counts()["codings"] == 0
    assert store.search_segments("pantry") == []


def test_search_finds_stems_and_filters(store: Store) -> None:
    a = store.add_source(interview_source(attributes={"site": "Northgate"}), "amira")
    store.add_source(interview_source(text=INTERVIEW.replace("Maureen", "Jean"), name="jean.txt",
                                      attributes={"site": "Ashby Vale"}), "amira")
    hits = store.search_segments("pantries")
    assert len(hits) == 4  # the question and the answer in both interviews
    assert {h.source_id for h in store.search_segments("pantry", attributes={"site": "Northgate"})} == {a}
    assert {h.speaker for h in store.search_segments("pantry", speaker="Jean")} == {"Jean"}
    with pytest.raises(SearchSyntaxError):
        store.search_segments('"unbalanced')


def test_a_survey_answer_found_by_search_says_whose_answer_to_which_question(tmp_path) -> None:
    from test_compare import _survey
    from workbench.cli import cli
    from click.testing import CliRunner

    store = Store.create(tmp_path / "survey.wbproj", name="survey")
    store.add_source(_survey(), "amira")
    [hit] = store.search_segments("church")
    assert (hit.case_name, hit.label, hit.speaker) == ("R3", "What helps you?", None)
    listing = CliRunner().invoke(cli, ["search", "church", "--project", str(tmp_path / "survey.wbproj")])
    assert listing.exit_code == 0 and "R3: " in listing.output


def test_codings_are_checked_logged_and_unique(store: Store) -> None:
    source_id = store.add_source(interview_source(), "amira")
    parent = store.add_code("Social connectivity", "amira", codable=False)
    code = store.add_code("Bonding ties", "amira", parent_id=parent)
    coding_id = store.add_coding(source_id, 60, 90, code, "amira", memo="neighbour")
    with pytest.raises(Conflict, match="already coded"):
        store.add_coding(source_id, 60, 90, code, "amira")
    store.add_coding(source_id, 60, 90, code, "tom")  # another coder may code the same words
    with pytest.raises(InvalidSpan, match="does not fit"):
        store.add_coding(source_id, 0, len(INTERVIEW) + 1, code, "amira")
    with pytest.raises(InvalidSpan):
        store.add_coding(source_id, 5, 5, code, "amira")
    with pytest.raises(Conflict, match="category"):
        store.add_coding(source_id, 0, 5, parent, "amira")
    with pytest.raises(NotFound):
        store.add_coding(source_id, 0, 5, 999, "amira")
    updated = store.update_coding(coding_id, "amira", memo="a neighbour's nudge", end=95)
    assert (updated.memo, updated.end) == ("a neighbour's nudge", 95)
    store.remove_coding(coding_id, "amira")
    actions = [e.action for e in store.events()]
    assert actions[-1] == "coding.remove" and "coding.update" in actions
    removed = store.events()[-1].payload["coding"]
    assert removed["start"] == 60 and removed["end"] == 95 and removed["coder"] == "amira"
    assert store.coders() == ["tom"]


def test_events_log_is_append_only(store: Store) -> None:
    store.add_code("Wellbeing", "amira")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        store.database.conn.execute("UPDATE events SET actor = 'mallory'")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        store.database.conn.execute("DELETE FROM events")


def _codebook() -> Codebook:
    return Codebook(name="cb", codes=[
        CodeDef(uid="A0000000-0000-0000-0000-000000000001", name="Social connectivity", codable=False,
                definition="Ties between people."),
        CodeDef(uid="A0000000-0000-0000-0000-000000000002", name="Bonding ties",
                parent_uid="A0000000-0000-0000-0000-000000000001", definition="Close ties.",
                examples=["my neighbour looks in on me"], keywords=["neighbour"], color="#336699"),
        CodeDef(uid="A0000000-0000-0000-0000-000000000003", name="Wellbeing", definition="Feeling well."),
    ])


def test_import_codebook_is_idempotent_and_updates_by_uid(store: Store) -> None:
    assert store.import_codebook(_codebook(), "amira") == {"added": 3, "updated": 0}
    assert store.import_codebook(_codebook(), "amira") == {"added": 0, "updated": 0}
    changed = _codebook()
    changed.codes[1] = replace(changed.codes[1], name="Close ties", definition="Family and friends.")
    assert store.import_codebook(changed, "amira") == {"added": 0, "updated": 1}
    code = store.find_code("A0000000-0000-0000-0000-000000000002")
    assert (code.name, code.definition) == ("Close ties", "Family and friends.")
    assert store.code_path(code.id) == "Social connectivity/Close ties"
    exported = store.codebook()
    assert [c.uid for c in exported.codes] == [c.uid for c in changed.codes]
    assert exported.codes[1].parent_uid == changed.codes[0].uid
    assert exported.codes[1].examples == ["my neighbour looks in on me"]


def test_rename_move_merge_delete(store: Store) -> None:
    store.import_codebook(_codebook(), "amira")
    source_id = store.add_source(interview_source(), "amira")
    bonding = store.find_code("Bonding ties").id
    wellbeing = store.find_code("Wellbeing").id
    parent = store.find_code("Social connectivity").id
    store.add_coding(source_id, 60, 90, bonding, "amira")
    store.add_coding(source_id, 60, 90, wellbeing, "amira")
    store.add_coding(source_id, 100, 120, bonding, "amira")
    store.move_code(wellbeing, parent, "amira")
    with pytest.raises(Conflict, match="under itself"):
        store.move_code(parent, bonding, "amira")
    with pytest.raises(Conflict, match="already exists"):
        store.update_code(bonding, "amira", name="WELLBEING")
    moved = store.merge_codes(bonding, wellbeing, "amira")
    assert moved == 1  # the duplicate on 60-90 is dropped, the other follows
    assert [(c.start, c.code_id) for c in store.codings()] == [(60, wellbeing), (100, wellbeing)]
    with pytest.raises(NotFound):
        store.get_code(bonding)
    assert store.delete_code(parent, "amira") == 2
    assert store.codes() == [] and store.codings() == []
    assert [e.action for e in store.events()][-2:] == ["code.merge", "code.delete"]


def test_memos(store: Store) -> None:
    code = store.add_code("Wellbeing", "amira")
    memo = store.add_memo("Residents use 'sane' a lot.", "amira", title="Language", target_type="code",
                          target_id=code)
    store.update_memo(memo, "amira", text="Residents say 'keeps me sane'.")
    assert store.memos(target_type="code", target_id=code)[0].text == "Residents say 'keeps me sane'."
