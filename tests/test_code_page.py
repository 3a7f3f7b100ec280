"""The Code page as a place to code all day: the last source each coder had open, quick codes for the
keyboard and the code finder, speakers for the filter. Driven with AppTest on real small projects; what the
browser does with them (keys, alignment, stripes) is in ``test_app_browser.py``.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from coding.codebook import load_codebook
from workbench.errors import Forbidden
from workbench.model import Access, Role
from workbench.sources.importer import ingest_paths
from workbench.store import Store

ROOT = Path(__file__).resolve().parents[1]
INTERVIEW = ("Interviewer: How did you get involved with the garden?\n\n"
             "Maureen: My neighbour dragged me along. <b>Now</b> I go every Saturday.\n\n"
             "Interviewer: And the food pantry?\n\n"
             "Maureen: The pantry is a lifeline when money is tight.\n")
DIARY = "## Tuesday 12 March 2024\n\nFirst proper shift on the pantry today.\n"


@pytest.fixture
def project(tmp_path: Path, monkeypatch) -> Path:
    path = tmp_path / "project.wbproj"
    store = Store.create(path, name="Code page")
    store.import_codebook(load_codebook(ROOT / "codebooks" / "resilience.yaml"), "tester")
    files = tmp_path / "files"
    files.mkdir()
    (files / "NG-R01_maureen.txt").write_text(INTERVIEW, encoding="utf-8")
    (files / "NG-V03_fatima_diary.md").write_text(DIARY, encoding="utf-8")
    assert len(ingest_paths(store, [files], actor="tester").added) == 2
    store.close()
    monkeypatch.setenv("WORKBENCH_RECENT_FILE", str(tmp_path / "recent.json"))
    monkeypatch.delenv("WORKBENCH_PROJECT", raising=False)
    monkeypatch.delenv("WORKBENCH_USER", raising=False)
    return path


def code_page(project: Path, coder: str, state: dict | None = None) -> AppTest:
    """A new session of the app on the Code page."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.session_state["project_path"] = str(project)
    at.session_state["coder"] = coder
    at.run()
    at.switch_page("workbench/ui/pages/code.py")
    for key, value in (state or {}).items():
        at.session_state[key] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def component_data(at: AppTest) -> dict:
    [element] = at.get("bidi_component")
    return json.loads(element.proto.json)


def test_the_store_remembers_each_coders_last_source(project: Path) -> None:
    store = Store.open(project)
    diary = store.source_by_name("NG-V03_fatima_diary.md").id
    assert store.last_source("zoe") is None
    store.remember_source("zoe", diary)
    store.remember_source("tom", store.source_by_name("NG-R01_maureen.txt").id)
    assert store.last_source("zoe") == diary
    assert Store.open(project).last_source("zoe") == diary
    store.delete_source(diary, "tester")
    assert store.last_source("zoe") is None  # a deleted source is no place to come back to
    assert store.events()[-1].action == "source.delete"  # reading places are not logged as changes


def test_in_team_mode_only_the_signed_in_account_has_its_place_remembered(project: Path) -> None:
    store = Store.open(project, access=Access("amira", Role.VIEWER, "project"))
    maureen = store.source_by_name("NG-R01_maureen.txt").id
    store.remember_source("amira", maureen)  # a viewer reads too
    assert store.last_source("amira") == maureen
    with pytest.raises(Forbidden):
        store.remember_source("zoe", maureen)


def test_a_new_session_reopens_the_source_the_coder_had_open(project: Path) -> None:
    store = Store.open(project)
    maureen, diary = (store.source_by_name(n).id for n in ("NG-R01_maureen.txt", "NG-V03_fatima_diary.md"))
    first = code_page(project, "zoe")
    assert first.selectbox(key="code.source").value == maureen
    first.selectbox(key="code.source").set_value(diary).run()
    assert store.last_source("zoe") == diary
    assert code_page(project, "zoe").selectbox(key="code.source").value == diary
    assert code_page(project, "tom").selectbox(key="code.source").value == maureen  # each coder their own


def test_the_document_gets_the_quick_codes_recent_first_and_the_selection(project: Path) -> None:
    store = Store.open(project)
    source = store.source_by_name("NG-R01_maureen.txt")
    wellbeing = store.find_code("Wellbeing").id
    start = source.text.index("My neighbour")
    store.add_coding(source.id, start, start + 12, store.find_code("Bonding ties").id, "amira")
    at = code_page(project, "zoe", {"code.recent_codes": [wellbeing],
                                    "code.selection": {"source_id": source.id, "start": start, "end": start + 12}})
    data = component_data(at)
    panel = json.loads(data["panel"])
    assert [c["name"] for c in panel["codes"][:2]] == ["Wellbeing", "Bonding ties"]  # recent, then most used
    assert panel["codes"][0]["recent"] and panel["codes"][1]["count"] == 1
    assert all(c["id"] != store.find_code("Social connectivity").id for c in panel["codes"])  # a category
    assert panel["selection"] == {"start": start, "end": start + 12}
    assert '<b>Now</b>' not in data["html"] and "&lt;b&gt;Now&lt;/b&gt;" in data["html"]
