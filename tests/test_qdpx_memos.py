"""Memos through REFI-QDA: `Notes` with `NoteRef`s from the Project, Sources, Codes and Codings, valid against
Project.xsd, and back with their author, kind, target and dates."""
from __future__ import annotations

from pathlib import Path

import defusedxml.ElementTree as DefusedET

from workbench.export.refi import export_qdpx, import_qdpx
from workbench.sources.memos import add_memo, edit_memo, list_memos
from workbench.store import Store

from test_qdpx_export import Q, read_archive, schema
from helpers import interview_source


def _project(tmp_path: Path) -> Store:
    store = Store.create(tmp_path / "memos.wbproj")
    source = store.add_source(interview_source(), "amira")
    code = store.add_code("Bonding ties", "lead")
    store.add_coding(source, 13, 20, code, "amira", memo="Is this bonding?")
    add_memo(store, "Saturation after ten interviews?", "amira", title="Saturation")
    add_memo(store, "Recorded in the garden shed.", "ben", about="source", target="maureen.txt", title="Setting")
    memo = add_memo(store, "Bonding shows up everywhere.", "amira", about="code", target="Bonding ties")
    edit_memo(store, memo.id, "ben", text="Bonding shows up everywhere, even online.")
    store.add_memo("Written before the workbench.", "carol", title="Old", target_type="project",
                   created_at="2024-03-12T09:30:00.000+00:00", updated_at="2024-04-01T17:05:09.000+00:00")
    return store


def _seconds(stamp: str) -> str:
    return stamp[:19]


def _listing(store: Store) -> list[tuple]:
    return [(e.kind, e.about, e.title, e.text, e.author, _seconds(e.created_at), _seconds(e.updated_at))
            for e in list_memos(store)]


def test_memos_export_as_referenced_notes_valid_against_the_schema(tmp_path: Path) -> None:
    store = _project(tmp_path)
    document, _files = read_archive(export_qdpx(store, tmp_path / "out.qdpx", actor="amira"))
    schema().validate(document.decode("utf-8"))
    root = DefusedET.fromstring(document)
    notes = {n.get("name") or n.find(f"{Q}PlainTextContent").text: n for n in root.iter(f"{Q}Note")}
    assert set(notes) == {"Saturation", "Setting", "Old", "Bonding shows up everywhere, even online."}
    assert (notes["Old"].get("creationDateTime"), notes["Old"].get("modifiedDateTime")) == \
        ("2024-03-12T09:30:00Z", "2024-04-01T17:05:09Z")
    code_note = notes["Bonding shows up everywhere, even online."]
    assert code_note.get("modifiedDateTime") >= code_note.get("creationDateTime")
    referrers = {ref.get("targetGUID"): parent.tag.removeprefix(Q) for parent in root.iter()
                 for ref in parent.findall(f"{Q}NoteRef")}
    assert {referrers[n.get("guid")] for n in notes.values()} == {"Project", "TextSource", "Code"}


def test_round_trip_keeps_kind_target_author_and_dates(tmp_path: Path) -> None:
    store = _project(tmp_path)
    path = export_qdpx(store, tmp_path / "out.qdpx", actor="amira")
    copy = Store.create(tmp_path / "copy.wbproj")
    report = import_qdpx(copy, path, actor="carol")
    assert report.memos_added == 4
    assert _listing(copy) == _listing(store)
    assert ("project", "Project", "Old", "Written before the workbench.", "carol", "2024-03-12T09:30:00",
            "2024-04-01T17:05:09") in _listing(copy)
