"""Which sources are the same (issue 12 item 1): same text alone never merges two sources.

Re-importing a file (same name and text) or a REFI source (same GUID and text) is a no-op;
two sources that only share their text ("Not sure") stay two, with their own codings.
"""
from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from workbench.analysis.icr import ICRError, coder_reliability
from workbench.errors import Conflict
from workbench.export.refi import import_qdpx
from workbench.sources.importer import ingest_paths
from workbench.store import Store
from workbench.store.migrations import MIGRATIONS

from helpers import interview_source
from test_qdpx_import import CODE_A, CODES, SOURCE_1, SOURCE_2, USER_1, USER_2, project_xml, qdpx, selection, \
    text_source


def _answers(folder: Path, **texts: str) -> Path:
    folder.mkdir(exist_ok=True)
    for name, text in texts.items():
        (folder / f"{name}.txt").write_text(text, encoding="utf-8")
    return folder


def test_files_with_the_same_text_and_different_names_stay_separate(store: Store, tmp_path: Path) -> None:
    folder = _answers(tmp_path / "survey", resp1="Not sure", resp2="Not sure")
    report = ingest_paths(store, [folder], actor="ann", parallel=False)
    assert sorted(name for _, name in report.added) == ["resp1.txt", "resp2.txt"] and report.unchanged == []
    assert [s.name for s in store.list_sources()] == ["resp1.txt", "resp2.txt"]


def test_reimporting_the_same_file_is_still_a_no_op(store: Store, tmp_path: Path) -> None:
    folder = _answers(tmp_path / "survey", resp1="Not sure", resp2="Not sure")
    ingest_paths(store, [folder], actor="ann", parallel=False)
    before = store.counts()
    again = ingest_paths(store, [folder], actor="ann", parallel=False)
    assert again.added == [] and len(again.unchanged) == 2
    assert store.counts() == before


def test_the_store_refuses_the_same_name_and_text_but_keeps_another_name(store: Store) -> None:
    first = store.add_source(interview_source(), "amira")
    second = store.add_source(interview_source(name="copy.txt"), "amira")
    assert first != second and store.counts()["sources"] == 2
    with pytest.raises(Conflict, match="maureen.txt: the same text under the same name is already in the project"):
        store.add_source(interview_source(), "amira")
    assert store.counts()["sources"] == 2


def test_reliability_does_not_invent_a_shared_source(store: Store, tmp_path: Path) -> None:
    ingest_paths(store, [_answers(tmp_path / "survey", resp1="Not sure", resp2="Not sure")], actor="ann",
                 parallel=False)
    code = store.add_code("Uncertain", "ann")
    resp1, resp2 = (store.source_by_name(n).id for n in ("resp1.txt", "resp2.txt"))
    store.add_coding(resp1, 0, 8, code, "ann")
    store.add_coding(resp2, 0, 8, code, "bob")
    assert len(store.codings()) == 2
    with pytest.raises(ICRError, match="have not coded any source in common"):
        coder_reliability(store, ["ann", "bob"], "segment")


def _two_sources_one_text(tmp_path: Path, name2: str = "resp2") -> Path:
    body = ("<Sources>"
            + text_source(SOURCE_1, "resp1", "internal://a.txt", selection(0, 8, CODE_A, user=USER_1))
            + text_source(SOURCE_2, name2, "internal://b.txt", selection(0, 8, CODE_A, user=USER_2))
            + "</Sources>")
    return qdpx(tmp_path, project_xml(body, codes=CODES), {"sources/a.txt": "Not sure", "sources/b.txt": "Not sure"})


@pytest.mark.parametrize("name2", ["resp2", "resp1"])
def test_refi_sources_with_other_guids_stay_separate_and_keep_their_codings(store: Store, tmp_path: Path,
                                                                           name2: str) -> None:
    report = import_qdpx(store, _two_sources_one_text(tmp_path, name2), actor="tester")
    assert len(report.sources_added) == 2 and report.sources_reused == []
    assert report.codings_added == 2
    by_source = {(c.source_id, c.coder) for c in store.codings()}
    assert len({s for s, _ in by_source}) == 2 and {c for _, c in by_source} == {"Ana", "Ben"}


def test_reimporting_the_same_refi_project_is_a_no_op(store: Store, tmp_path: Path) -> None:
    path = _two_sources_one_text(tmp_path)
    import_qdpx(store, path, actor="tester")
    before = store.counts()
    again = import_qdpx(store, path, actor="tester")
    assert again.sources_added == [] and sorted(again.sources_reused) == ["resp1", "resp2"]
    assert again.codings_added == 0 and again.codings_existing == 2
    assert {k: v for k, v in store.counts().items() if k != "events"} == \
        {k: v for k, v in before.items() if k != "events"}


def test_an_older_project_with_the_unique_text_constraint_migrates_and_keeps_everything(tmp_path: Path) -> None:
    path = tmp_path / "old.wbproj"
    conn = sqlite3.connect(path, isolation_level=None)
    for _number, _name, fn in MIGRATIONS[:3]:
        fn(conn)
    conn.execute("PRAGMA user_version = 3")
    conn.execute("PRAGMA application_id = 1381450273")
    source = interview_source()
    conn.execute("INSERT INTO sources (uid, name, kind, text, content_hash, format, imported_at, imported_by) "
                 "VALUES ('S1', ?, 'interview', ?, ?, 'txt', 'now', 'amira')",
                 (source.name, source.text, source.content_hash))
    conn.execute("INSERT INTO segments (source_id, kind, start, \"end\") VALUES (1, 'turn', 0, 5)")
    conn.execute("INSERT INTO codes (uid, name, created_at, updated_at) VALUES ('C1', 'Hope', 'now', 'now')")
    conn.execute("INSERT INTO codings (uid, source_id, start, \"end\", code_id, coder, created_at) "
                 "VALUES ('K1', 1, 0, 5, 1, 'amira', 'now')")
    conn.close()
    store = Store.open(path)
    assert len(store.codings()) == 1 and len(store.segments(1)) == 1  # nothing cascaded away
    store.add_source(interview_source(name="copy.txt"), "amira")
    assert store.counts()["sources"] == 2
    assert store.database.scalar("PRAGMA foreign_key_check") is None
    assert store.database.scalar("PRAGMA foreign_keys") == 1
