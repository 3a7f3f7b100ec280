"""Every page of the Streamlit app, driven with AppTest against a real small project.

AppTest cannot drive the browser component that reports a mouse selection, so the Code page tests put
the selection where the component's callback puts it (``st.session_state["code.selection"]``); the
mouse itself is tested in ``test_app_browser.py``.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from coding.codebook import load_codebook
from workbench.sources.importer import ingest_paths
from workbench.store import NewSuggestion, Store

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "app.py"
CODEBOOK = ROOT / "codebooks" / "resilience.yaml"
HOSTILE = "<script>alert('x')</script> <img src=x onerror=alert(1)>"
INTERVIEW = ("Interviewer: How did you get involved with the garden?\n\n"
             f"Maureen: My neighbour 👋 dragged me along. {HOSTILE} Now I go every Saturday. It keeps me sane.\n\n"
             "Interviewer: And the food pantry?\n\n"
             "Maureen: The pantry is a lifeline when money is tight.\n")
DIARY = ("## Tuesday 12 March 2024\n\nFirst proper shift on the pantry today. The queue was outside the Hub "
         "before nine.\n\n## Friday 5 April 2024\n\nBad morning at the pantry. A man in the queue shouted.\n")


def build_project(folder: Path) -> Path:
    """A project with the resilience codebook, an interview, a diary, site attributes and two suggestions."""
    path = folder / "project.wbproj"
    store = Store.create(path, name="Test project")
    store.import_codebook(load_codebook(CODEBOOK), "tester")
    files = folder / "files"
    files.mkdir()
    (files / "NG-R01_maureen.txt").write_text(INTERVIEW, encoding="utf-8")
    (files / "NG-V03_fatima_diary.md").write_text(DIARY, encoding="utf-8")
    (files / "attributes.csv").write_text("file,site,participant,role\nNG-R01_maureen.txt,Northgate,NG-R01,resident\n"
                                          "NG-V03_fatima_diary.md,Seacombe,NG-V03,volunteer\n", encoding="utf-8")
    report = ingest_paths(store, [files], actor="tester")
    assert len(report.added) == 2 and not report.skipped, report
    maureen = store.source_by_name("NG-R01_maureen.txt")
    diary = store.source_by_name("NG-V03_fatima_diary.md")
    suggestions = [(maureen, "The pantry is a lifeline", "Poverty and cost of living", 0.91),
                   (diary, "The queue was outside the Hub", "Community assets", 0.55)]
    store.replace_suggestions([NewSuggestion(s.id, s.text.index(w), s.text.index(w) + len(w),
                                             store.find_code(c).id, score, f"mentions {w.split()[1]}", "lexical")
                               for s, w, c, score in suggestions], "engine")
    store.close()
    return path


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    return build_project(tmp_path_factory.mktemp("template"))


@pytest.fixture
def project(template: Path, tmp_path: Path, monkeypatch) -> Path:
    """A fresh copy of the small project, and an environment that touches nothing outside tmp_path."""
    path = tmp_path / "project.wbproj"
    path.write_bytes(template.read_bytes())
    monkeypatch.setenv("WORKBENCH_RECENT_FILE", str(tmp_path / "recent.json"))
    monkeypatch.delenv("WORKBENCH_PROJECT", raising=False)
    monkeypatch.delenv("WORKBENCH_USER", raising=False)
    return path


def open_page(project: Path | None, page: str, *, coder: str = "zoe", state: dict | None = None) -> AppTest:
    """Run the app on a page, with a project and a coder in the session."""
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.session_state["project_path"] = str(project) if project else None
    at.session_state["coder"] = coder
    at.run()
    if page != "start":
        at.switch_page(f"workbench/ui/pages/{page}.py")
    for key, value in (state or {}).items():
        at.session_state[key] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def component_html(at: AppTest) -> str:
    """The HTML the Code page sends to the document component."""
    [element] = at.get("bidi_component")
    return json.loads(element.proto.json)["html"]


def html_blocks(at: AppTest) -> str:
    return "\n".join(h.proto.body for h in at.get("html"))


def store_of(project: Path) -> Store:
    return Store.open(project)


# -- every page -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("page, marker", [("start", "Resilience Workbench"), ("sources", "Sources"),
                                          ("suggestions", "Suggestions"), ("codebook", "Codebook"),
                                          ("search", "Search")])
def test_every_page_renders(project: Path, page: str, marker: str) -> None:
    at = open_page(project, page)
    assert marker in [t.value for t in at.title]
    assert not at.error


def test_the_menu_lists_every_page_including_the_analysis_pages_present(project: Path) -> None:
    at = open_page(project, "start")
    names = ["start", "sources", "code", "suggestions", "codebook", "search",
             "compare", "themes", "framework", "reliability", "report"]
    present = [n for n in names if (ROOT / "workbench" / "ui" / "pages" / f"{n}.py").exists()]
    for name in present:
        at.switch_page(f"workbench/ui/pages/{name}.py")  # raises ValueError for a page not in st.navigation
    with pytest.raises(ValueError):
        at.switch_page("workbench/document_view.py")


def test_code_page_renders_the_document_with_headers_and_escaped_text(project: Path) -> None:
    at = open_page(project, "code")
    html_text = component_html(at)
    assert "Maureen" in html_text and 'class="wb-hd"' in html_text
    assert "&lt;script&gt;" in html_text and "<script" not in html_text and "<img" not in html_text
    assert 'data-k="g"' in html_text  # the pending suggestion sits in the margin


def test_pages_without_a_project_point_to_start(project: Path) -> None:
    at = open_page(None, "code")
    assert "No project is open" in at.info[0].value
    assert not at.get("bidi_component")


# -- Start ----------------------------------------------------------------------------------------------
def test_start_sets_the_coder_and_creates_a_project(project: Path, tmp_path: Path) -> None:
    at = open_page(None, "start", coder="")
    assert at.warning and "Type your name" in at.warning[0].value
    at.text_input(key="start.coder").set_value("amira").run()
    assert at.session_state["coder"] == "amira"
    new = tmp_path / "new" / "evaluation.wbproj"
    at.text_input(key="start.new_path").set_value(str(new))
    at.text_input(key="start.new_name").set_value("My evaluation")
    at.button(key="start.create").click().run()
    assert not at.exception and not at.error
    assert at.session_state["project_path"] == str(new.resolve()) and new.exists()
    assert Store.open(new).setting("name") == "My evaluation"
    assert str(new.resolve()) in json.loads((tmp_path / "recent.json").read_text())


def test_start_refuses_a_file_that_is_not_a_project(project: Path, tmp_path: Path) -> None:
    junk = tmp_path / "notes.wbproj"
    junk.write_text("not a database, just words " * 100)
    at = open_page(None, "start")
    at.text_input(key="start.open_path").set_value(str(junk))
    at.button(key="start.open").click().run()
    assert not at.exception
    assert at.error and "not a workbench project" in at.error[0].value
    assert at.session_state["project_path"] is None


def test_start_opens_the_demo_in_one_click(project: Path, tmp_path: Path, monkeypatch) -> None:
    demo = tmp_path / "demo" / "demo.wbproj"
    monkeypatch.setenv("WORKBENCH_DEMO_PATH", str(demo))
    at = open_page(None, "start")
    at.button(key="start.demo").click().run(timeout=180)
    assert not at.exception and not at.error
    assert at.session_state["project_path"] == str(demo.resolve())
    assert Store.open(demo).counts()["sources"] > 20
    assert "Stronger Together" in at.success[0].value


# -- Sources --------------------------------------------------------------------------------------------
def test_sources_upload_imports_good_files_and_names_the_broken_one(project: Path) -> None:
    at = open_page(project, "sources")
    uploader = at.file_uploader[0]
    uploader.upload("SC-R02_ray.txt", "Interviewer: Hello Ray.\n\nRay: I fished for forty years.\n".encode(),
                    "text/plain")
    uploader.upload("broken.docx", b"this is not a zip file at all", "application/octet-stream")
    at.run()
    at.button(key="sources.import").click().run()
    assert not at.exception
    assert any("Imported 1 sources" in s.value for s in at.success)
    assert any("broken.docx" in e.value.replace("\\", "") for e in at.error)  # shown Markdown-escaped
    names = [s.name for s in store_of(project).list_sources()]
    assert "SC-R02_ray.txt" in names and "broken.docx" not in names


def test_sources_attribute_edits_are_saved(project: Path) -> None:
    at = open_page(project, "sources")
    table = at.data_editor[0].value
    assert list(table["name"]) == ["NG-R01_maureen.txt", "NG-V03_fatima_diary.md"]
    assert {"site", "participant", "role"} <= set(table.columns)
    at.session_state["sources.table.0"] = {"edited_rows": {0: {"site": "Ashby Vale", "role": ""}},
                                           "added_rows": [], "deleted_rows": []}
    at.run()
    assert at.button(key="sources.save").label == "Save 2 attribute changes"
    at.button(key="sources.save").click().run()
    assert not at.exception and not at.error
    assert [t.value for t in at.toast] == ["Saved attributes of 1 source"]
    store = store_of(project)
    maureen = store.source_by_name("NG-R01_maureen.txt")
    attributes = store.attributes("source", maureen.id)
    assert attributes["site"] == "Ashby Vale" and "role" not in attributes
    assert store.events()[-1].action == "attributes.set" and store.events()[-1].actor == "zoe"


def test_sources_can_be_filtered(project: Path) -> None:
    at = open_page(project, "sources", state={"sources.attr_key": "site"})
    at.multiselect(key="sources.attr_values").set_value(["Seacombe"]).run()
    assert list(at.data_editor[0].value["name"]) == ["NG-V03_fatima_diary.md"]
    at.multiselect(key="sources.attr_values").set_value([])
    at.text_input(key="sources.name_filter").set_value("MAUREEN").run()
    assert list(at.data_editor[0].value["name"]) == ["NG-R01_maureen.txt"]


def test_sources_upload_a_transcript_with_its_recording_then_attach_one_later(project: Path, tmp_path: Path) -> None:
    from test_recordings import VTT, sox_wav

    wav = sox_wav(tmp_path / "interview.wav").read_bytes()
    at = open_page(project, "sources")
    at.file_uploader[0].upload("interview.vtt", VTT.encode(), "text/vtt")
    at.file_uploader[0].upload("interview.wav", wav, "audio/wav")
    at.run()
    at.button(key="sources.import").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert any("Recordings attached: interview.wav to interview.vtt" in s.value.replace("\\", "")
               for s in at.success)
    store = store_of(project)
    assert store.recording(store.source_by_name("interview.vtt").id).sha256
    # later, on the interview without times: attached, but the Code page shows no player for it
    maureen = store.source_by_name("NG-R01_maureen.txt").id
    at.selectbox(key="sources.chosen").set_value(maureen).run()
    uploader = next(u for u in at.file_uploader if u.label == "Audio or video")
    uploader.upload("maureen.wav", wav, "audio/wav")
    at.run()
    at.button(key="sources.attach").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert store.recording(maureen).original_name == "maureen.wav"
    assert not open_source(project, "NG-R01_maureen.txt")[0].get("audio")
    # a damaged file is refused by name
    at.selectbox(key="sources.chosen").set_value(maureen).run()
    uploader = next(u for u in at.file_uploader if u.label == "Audio or video")
    uploader.upload("broken.mp3", b"not sound", "audio/mpeg")
    at.run()
    at.button(key="sources.attach").click().run()
    assert any("broken.mp3" in e.value.replace("\\", "") for e in at.error)
    assert store.recording(maureen).original_name == "maureen.wav"


def test_code_page_plays_a_timed_interview_and_names_a_missing_recording(project: Path, tmp_path: Path) -> None:
    from test_recordings import VTT, sox_wav

    files = tmp_path / "files"
    files.mkdir()
    (files / "interview.vtt").write_text(VTT, encoding="utf-8")
    sox_wav(files / "interview.wav")
    store = store_of(project)
    ingest_paths(store, [files], actor="tester")
    at = open_source(project, "interview.vtt")[0]
    [player] = at.get("audio")
    assert not at.warning
    assert 'class="wb-time" data-start="2"' in component_html(at)
    recording = store.recording(store.source_by_name("interview.vtt").id)
    (store.media_dir / recording.file).unlink()
    at = open_source(project, "interview.vtt")[0]
    assert not at.get("audio") and not at.exception
    assert "is missing from the project" in at.warning[0].value.replace("\\", "")


# -- Code -----------------------------------------------------------------------------------------------
def open_source(project: Path, name: str, extra: dict | None = None, *,
                coder: str = "zoe") -> tuple[AppTest, Store, int]:
    store = store_of(project)
    source_id = store.source_by_name(name).id
    state = {"code.open": {"source_id": source_id, "offset": None, "end": None, "nonce": "t"}, **(extra or {})}
    return open_page(project, "code", state=state, coder=coder), store, source_id


def test_code_page_applies_codes_to_the_selected_words(project: Path) -> None:
    store = store_of(project)
    source = store.source_by_name("NG-R01_maureen.txt")
    start = source.text.index("neighbour 👋 dragged")
    end = start + len("neighbour 👋 dragged")
    # The component reports what the mouse selected; here half a word at each end, as a drag often does.
    at, store, source_id = open_source(project, source.name,
                                       {"code.selection": {"source_id": source.id, "start": start + 3,
                                                           "end": end - 2}})
    assert "neighbour 👋 dragged" in html_blocks(at)
    bonding, wellbeing = store.find_code("Bonding ties").id, store.find_code("Wellbeing").id
    at.multiselect(key="code.apply_codes").set_value([bonding, wellbeing])  # in a form: sent with Apply
    at.button(key="code.apply").click().run()
    assert not at.exception and not at.error
    codings = store.codings(source_id=source_id, coders=["zoe"])
    assert sorted((c.start, c.end, c.code_id) for c in codings) == sorted([(start, end, bonding),
                                                                           (start, end, wellbeing)])
    assert source.text[start:end] == "neighbour 👋 dragged"
    assert "code.selection" not in at.session_state
    assert any("Coded with" in t.value for t in at.toast)
    html_text = component_html(at)
    assert html_text.count(f'data-s="{start}"') >= 1 and 'data-c="' in html_text
    # The code is now one click away for the next selection.
    assert at.session_state["code.recent_codes"][:2] == [bonding, wellbeing]


def test_two_tabs_coding_one_document_keep_both_codings(project: Path) -> None:
    """Two browser sessions (tabs) open the same transcript; each codes words the other has not seen."""
    store = store_of(project)
    source = store.source_by_name("NG-R01_maureen.txt")
    first, second = source.text.index("It keeps me sane"), source.text.index("neighbour 👋 dragged")
    wellbeing, bonding = store.find_code("Wellbeing").id, store.find_code("Bonding ties").id
    tab_a, _, _ = open_source(project, source.name,
                              {"code.selection": {"source_id": source.id, "start": first, "end": first + 16}})
    tab_b, _, _ = open_source(project, source.name,
                              {"code.selection": {"source_id": source.id, "start": second, "end": second + 9}},
                              coder="tom")
    tab_a.multiselect(key="code.apply_codes").set_value([wellbeing])
    tab_a.button(key="code.apply").click().run()
    tab_b.multiselect(key="code.apply_codes").set_value([bonding])  # tab B still shows the page without A's coding
    tab_b.button(key="code.apply").click().run()
    assert not tab_a.exception and not tab_b.exception
    assert sorted((c.coder, c.code_id, c.start) for c in store.codings(source_id=source.id)) == [
        ("tom", bonding, second), ("zoe", wellbeing, first)]
    tab_a.run()  # and each tab shows the other's coding once it refreshes
    assert f'data-s="{second}"' in component_html(tab_a) and f'data-s="{first}"' in component_html(tab_b)


def test_code_page_quick_button_applies_a_recent_code(project: Path) -> None:
    store = store_of(project)
    source = store.source_by_name("NG-R01_maureen.txt")
    start = source.text.index("It keeps me sane")
    wellbeing = store.find_code("Wellbeing").id
    at, store, _ = open_source(project, source.name, {
        "code.selection": {"source_id": source.id, "start": start, "end": start + 16},
        "code.recent_codes": [wellbeing]})
    at.button(key=f"code.quick.{wellbeing}").click().run()
    assert [(c.start, c.end, c.code_id) for c in store.codings(coders=["zoe"])] == [(start, start + 16, wellbeing)]


def test_code_page_memo_remove_undo_and_redo(project: Path) -> None:
    store = store_of(project)
    source = store.source_by_name("NG-R01_maureen.txt")
    start = source.text.index("Now I go every Saturday")
    coding_id = store.add_coding(source.id, start, start + 23, store.find_code("Social engagement").id, "zoe")
    at, store, _ = open_source(project, source.name, {"code.focus": {"source_id": source.id, "offset": start + 4,
                                                                    "kind": None, "id": None}})
    at.text_area(key=f"code.memo.{coding_id}").set_value("Routine as coping?")
    at.button(key=f"code.save_memo.{coding_id}").click().run()
    assert store.get_coding(coding_id).memo == "Routine as coping?"
    at.button(key=f"code.remove.{coding_id}").click().run()
    assert store.codings(coders=["zoe"]) == []
    assert "Undo: remove coding" in at.button(key="code.undo").proto.help
    at.button(key="code.undo").click().run()
    assert [c.id for c in store.codings(coders=["zoe"])] == [coding_id]
    at.button(key="code.redo").click().run()
    assert store.codings(coders=["zoe"]) == []
    assert not at.exception


def test_code_page_accepts_and_rejects_suggestions_from_the_margin(project: Path) -> None:
    store = store_of(project)
    maureen = store.source_by_name("NG-R01_maureen.txt")
    [pending] = store.suggestions(source_id=maureen.id)
    at, store, _ = open_source(project, maureen.name)
    at.button(key=f"code.accept.{pending.id}").click().run()
    assert not at.exception
    [coding] = store.codings(coders=["zoe"])
    assert (coding.origin, coding.start, coding.end, coding.score) == ("suggestion", pending.start, pending.end,
                                                                       pending.score)
    assert 'data-k="g"' not in component_html(at)

    diary = store.source_by_name("NG-V03_fatima_diary.md")
    [other] = store.suggestions(source_id=diary.id)
    at, store, _ = open_source(project, diary.name, {"code.focus": {"source_id": diary.id, "offset": other.start,
                                                                   "kind": "suggestion", "id": other.id}})
    at.button(key=f"code.f_reject.{other.id}").click().run()
    assert store.get_suggestion(other.id).status == "rejected"


def test_coding_a_suggestions_words_by_hand_resolves_it(project: Path) -> None:
    store = store_of(project)
    maureen = store.source_by_name("NG-R01_maureen.txt")
    [pending] = store.suggestions(source_id=maureen.id)
    at, store, _ = open_source(project, maureen.name, {"code.selection": {"source_id": maureen.id,
                                                                          "start": pending.start, "end": pending.end}})
    assert 'data-k="g"' in component_html(at)
    at.multiselect(key="code.apply_codes").set_value([pending.code_id])
    at.button(key="code.apply").click().run()
    assert not at.exception and not at.error
    assert store.suggestions(source_id=maureen.id) == [] and 'data-k="g"' not in component_html(at)
    assert at.button(key="code.undo").proto.help == "Undo: add coding Poverty and cost of living on “The pantry " \
                                                    "is a lifeline”"


def test_code_page_filters_codings_by_coder(project: Path) -> None:
    store = store_of(project)
    source = store.source_by_name("NG-V03_fatima_diary.md")
    code_id = store.find_code("Community assets").id
    start = source.text.index("First proper shift")
    by_amira = store.add_coding(source.id, start, start + 18, code_id, "amira")
    by_tom = store.add_coding(source.id, start, start + 11, code_id, "tom")
    at, _, _ = open_source(project, source.name)
    both = component_html(at)
    assert f'data-id="{by_amira}"' in both and f'data-id="{by_tom}"' in both
    at.multiselect(key="code.coders").set_value(["tom"]).run()
    only_tom = component_html(at)
    assert f'data-id="{by_tom}"' in only_tom and f'data-id="{by_amira}"' not in only_tom


def test_code_page_needs_a_coder_before_applying(project: Path) -> None:
    store = store_of(project)
    source = store.source_by_name("NG-R01_maureen.txt")
    at = open_page(project, "code", coder="", state={
        "code.open": {"source_id": source.id, "offset": None, "end": None, "nonce": "t"},
        "code.selection": {"source_id": source.id, "start": 13, "end": 20}})
    assert at.warning and "who is coding" in at.warning[0].value
    assert at.button(key="code.apply").disabled


# -- Suggestions ----------------------------------------------------------------------------------------
def test_suggestions_accept_reject_and_filter(project: Path) -> None:
    store = store_of(project)
    best, other = store.suggestions()  # best first
    at = open_page(project, "suggestions")
    assert f"suggestions.accept.{best.id}" in [b.key for b in at.button]
    at.button(key=f"suggestions.accept.{best.id}").click().run()
    [coding] = store.codings(coders=["zoe"])
    assert coding.origin == "suggestion" and coding.accepted_by == "zoe" and coding.reason == best.reason
    assert [m.value.replace("\\", "") for m in at.success] == [
        "Accepted: Poverty and cost of living on “The pantry is a lifeline”"]  # words, not an id
    at.selectbox(key="suggestions.site").set_value("Northgate").run()
    assert any("No pending suggestions" in i.value for i in at.info)
    at.selectbox(key="suggestions.site").set_value("Seacombe").run()
    at.button(key=f"suggestions.reject.{other.id}").click().run()
    assert store.get_suggestion(other.id).status == "rejected"


def test_suggestions_run_the_engine_from_the_page(project: Path) -> None:
    store = store_of(project)
    before = {(s.source_id, s.start, s.end, s.code_id, s.suggester) for s in store.suggestions()}
    at = open_page(project, "suggestions")
    at.button(key="suggestions.run").click().run(timeout=180)
    assert not at.exception and not at.error
    shown = [m.value.replace("\\", "") for m in at.success]  # the message is escaped for Markdown
    assert any("ensemble.v1:" in m and "suggestions stored" in m for m in shown), shown
    after = store.suggestions()
    assert after and {(s.source_id, s.start, s.end, s.code_id, s.suggester) for s in after}.isdisjoint(before)
    assert all(s.suggester == "ensemble.v1" and s.reason for s in after)
    assert [e.action for e in store.events()][-1] == "suggestions.run"


def test_suggestions_queue_can_be_ordered_to_learn_fastest(project: Path) -> None:
    store = store_of(project)
    at = open_page(project, "suggestions")
    at.radio(key="suggestions.order").set_value("score").run()
    by_score = [k for k in (b.key for b in at.button) if k and k.startswith("suggestions.accept.")]
    assert by_score == [f"suggestions.accept.{s.id}" for s in store.suggestions()]  # best first
    at.radio(key="suggestions.order").set_value("learn").run()
    assert not at.exception


def test_suggestions_adjust_words_and_code_then_accept(project: Path) -> None:
    store = store_of(project)
    best = store.suggestions()[0]
    text = store.get_source(best.source_id).text
    assert text[best.start:best.end] == "The pantry is a lifeline"
    at = open_page(project, "suggestions")
    assets = store.find_code("Community assets").id
    at.text_area(key=f"suggestions.words.{best.id}").set_value("pantry is a lifeline when money is tight")
    at.selectbox(key=f"suggestions.code.{best.id}").set_value(assets)
    at.button(key=f"suggestions.adjust.{best.id}").click().run()
    assert not at.exception and not at.error
    [coding] = store.codings(coders=["zoe"])
    assert text[coding.start:coding.end] == "pantry is a lifeline when money is tight"
    assert (coding.code_id, coding.origin, coding.suggester) == (assets, "suggestion", best.suggester)
    other = store.suggestions()[0]
    at.text_area(key=f"suggestions.words.{other.id}").set_value("words that are nowhere")
    at.button(key=f"suggestions.adjust.{other.id}").click().run()
    assert any("not in the text near the suggestion" in e.value.replace("\\", "") for e in at.error)
    assert store.get_suggestion(other.id).status == "pending"


def test_suggestions_bulk_accept_shows_a_preview_then_accepts_it(project: Path) -> None:
    store = store_of(project)
    at = open_page(project, "suggestions")
    at.slider(key="suggestions.threshold").set_value(0.9).run()
    assert not at.dataframe  # the preview is read only when asked for
    at.toggle(key="suggestions.bulk_preview").set_value(True).run()
    preview = at.dataframe[0].value
    assert list(preview["code"]) == ["System conditions/Wider determinants/Poverty and cost of living"]
    assert store.codings(coders=["zoe"]) == []  # nothing happens before the confirm button
    at.button(key="suggestions.bulk").click().run()
    assert store.codings(coders=["zoe"]) == []  # the button asks first
    assert any("Accept 1 suggestion scoring 0.90 or more (Poverty and cost of living 1) without reading them one by "
               "one?" in w.value.replace("\\", "") for w in at.warning)
    at.button(key="suggestions.bulk_confirm").click().run()
    assert [c.origin for c in store.codings(coders=["zoe"])] == ["suggestion"]
    assert store.suggestion_counts()["pending"] == 1
    assert [(c.accept_mode, c.accept_min_score) for c in store.codings(coders=["zoe"])] == [("bulk", 0.9)]
    assert any("Accepted in bulk: 1 suggestion scoring 0.90 or more" in m.value.replace("\\", "")
               for m in at.success)
    at = open_page(project, "code", state={"code.open": {"source_id": store.codings()[0].source_id,
                                                          "offset": store.codings()[0].start, "end": None,
                                                          "nonce": "bulk"}})
    assert "machine-suggested, accepted in bulk (score ≥ 0.90) by zoe" in html_blocks(at) + " ".join(
        c.value.replace("\\", "") for c in at.caption)
    # the tooltip is Markdown made literal: the reader sees it without the escaping backslashes
    assert at.button(key="code.undo").proto.help.replace("\\", "") == "Undo: accept in bulk 1 suggestion scoring " \
                                                                     "0.90 or more (Poverty and cost of living 1)"
    at.button(key="code.undo").click().run()
    assert store.codings(coders=["zoe"]) == [] and store.suggestion_counts()["pending"] == 2


# -- Codebook -------------------------------------------------------------------------------------------
def test_codebook_rename_add_and_delete(project: Path) -> None:
    store = store_of(project)
    bonding = store.find_code("Bonding ties").id
    at = open_page(project, "codebook", state={"codebook.code": bonding})
    assert "Bonding ties" in html_blocks(at)
    at.text_input(key=f"codebook.name.{bonding}").set_value("Close ties")
    at.button(key=f"codebook.save.{bonding}").click().run()
    assert not at.exception and not at.error
    assert store.get_code(bonding).name == "Close ties"
    assert [e.action for e in store.events()][-1] == "code.rename"
    assert "Close ties" in html_blocks(at)

    at.text_input(key="codebook.new_name").set_value("Allotments")
    at.button(key="codebook.add_code").click().run()
    added = store.find_code("Allotments")
    assert added.parent_id == bonding  # "Under" starts at the selected code

    source = store.source_by_name("NG-R01_maureen.txt")
    store.add_coding(source.id, 13, 20, bonding, "zoe")
    at.session_state["codebook.next"] = bonding
    at.run()
    at.button(key="codebook.delete").click().run()
    assert any("1 codings will go" in w.value for w in at.warning)
    assert store.get_code(bonding)  # not yet
    at.button(key="codebook.confirm_delete").click().run()
    assert "Close ties" not in [c.name for c in store.codes()] and store.codings(coders=["zoe"]) == []


def test_codebook_quotes_open_the_code_page(project: Path) -> None:
    store = store_of(project)
    source = store.source_by_name("NG-R01_maureen.txt")
    start = source.text.index("The pantry is a lifeline")
    code_id = store.find_code("Poverty and cost of living").id
    coding_id = store.add_coding(source.id, start, start + 24, code_id, "amira")
    at = open_page(project, "codebook", state={"codebook.code": code_id})
    assert "The pantry is a lifeline" in html_blocks(at)
    at.button(key=f"codebook.open.{coding_id}").click().run()
    assert not at.exception
    assert at.get("bidi_component") and at.session_state["code.source"] == source.id
    assert at.session_state["code.scroll"]["offset"] == start


# -- Search ---------------------------------------------------------------------------------------------
def test_search_shows_keyword_in_context_and_opens_a_hit(project: Path) -> None:
    store = store_of(project)
    at = open_page(project, "search", state={"search.query": "pantry"})
    shown = html_blocks(at)
    assert "<b style=\"background:#fff3b0\">pantry</b>" in shown
    assert at.markdown[0].value == "**4 hits**"  # two turns of the interview, two diary entries
    at.selectbox(key="search.attr_value").set_value("Northgate").run()
    assert at.markdown[0].value == "**2 hits**"
    at.button(key="search.open.0").click().run()
    maureen = store.source_by_name("NG-R01_maureen.txt")
    assert at.session_state["code.source"] == maureen.id
    offset = at.session_state["code.scroll"]["offset"]
    assert maureen.text[offset:offset + 6] == "pantry"
    # The hit arrives selected, ready to code.
    assert at.session_state["code.selection"] == {"source_id": maureen.id, "start": offset, "end": offset + 6}
    assert at.button(key="code.apply") is not None and "pantry" in html_blocks(at)


def test_a_survey_hit_names_its_respondent_and_question(project: Path, tmp_path: Path) -> None:
    survey = tmp_path / "wellbeing-survey.csv"
    survey.write_text("respondent,What helps you cope?\nR7,Friends at the allotment help me cope.\n"
                      "R8,Nothing much.\n", encoding="utf-8")
    report = ingest_paths(store_of(project), [survey], actor="lead")
    assert [name for _id, name in report.added] == ["wellbeing-survey.csv"], report.skipped
    at = open_page(project, "search", state={"search.query": "allotment"})
    assert "wellbeing-survey.csv · R7 · What helps you cope?" in html_blocks(at)


def test_search_marks_only_the_context_it_cut_short(project: Path) -> None:
    """A whole short turn is shown whole ("…The pantry…tight.…" read as if words were missing); a long entry
    cut on one side has the ellipsis on that side only."""
    at = open_page(project, "search", state={"search.query": "lifeline"})
    shown = html_blocks(at)
    assert ('<div style="font-size:0.95rem">The pantry is a <b style="background:#fff3b0">lifeline</b> '
            'when money is tight.</div>') in shown
    at = open_page(project, "search", state={"search.query": "sane"})
    assert re.search(r'>…[^<…]+<b style="background:#fff3b0">sane</b>\.</div>', html_blocks(at))


def test_hostile_text_renders_inert_on_search_and_suggestion_pages(project: Path) -> None:
    at = open_page(project, "search", state={"search.query": "alert"})
    shown = html_blocks(at)
    assert "&lt;script&gt;" in shown and "<script" not in shown and "<img" not in shown
    store = store_of(project)
    maureen = store.source_by_name("NG-R01_maureen.txt")
    start = maureen.text.index("<script>")
    store.replace_suggestions([NewSuggestion(maureen.id, start, start + len(HOSTILE), store.find_code("Wellbeing").id,
                                             0.99, "<img src=y onerror=alert(2)>", "lexical")], "engine",
                              code_ids=[store.find_code("Wellbeing").id])
    at = open_page(project, "suggestions")
    shown = html_blocks(at)
    assert "&lt;img src=y" in shown and "<img" not in shown and "<script" not in shown


def test_bad_search_syntax_is_an_error_not_a_traceback(project: Path) -> None:
    at = open_page(project, "search", state={"search.query": '"unclosed'})
    assert not at.exception
    assert at.error


# -- `workbench app` ------------------------------------------------------------------------------------
def test_workbench_app_serves_locally_by_default_and_warns_otherwise(project: Path, monkeypatch) -> None:
    from click.testing import CliRunner

    from workbench.cli import app as cli_app
    from workbench.cli import cli

    calls = []
    monkeypatch.setattr(cli_app.os, "execve", lambda path, cmd, env: calls.append((cmd, env)))  # not a real server
    result = CliRunner().invoke(cli, ["app", "--project", str(project), "--as", "amira"])
    assert result.exit_code == 0, result.output
    command, env = calls[0]
    assert command[command.index("--server.address") + 1] == "127.0.0.1"
    assert command[command.index("--browser.gatherUsageStats") + 1] == "false"
    assert command[command.index("--client.toolbarMode") + 1] == "viewer"  # no Deploy button, no developer menu
    assert Path(command[command.index("run") + 1]) == ROOT / "workbench" / "ui" / "server" / "main.py"  # package data
    assert not (ROOT / "workbench" / "ui" / "server" / "pages").exists()  # no page runs without the router
    assert env["WORKBENCH_PROJECT"] == str(project.resolve()) and env["WORKBENCH_USER"] == "amira"
    assert "Warning" not in result.output

    result = CliRunner().invoke(cli, ["app", "--host", "0.0.0.0", "--port", "9000"])
    assert result.exit_code == 0
    assert "Warning: serving on 0.0.0.0" in result.output
    assert calls[1][0][calls[1][0].index("--server.port") + 1] == "9000"

    result = CliRunner().invoke(cli, ["app", "--project", str(project.with_name("missing.wbproj"))])
    assert result.exit_code == 1 and "no project here" in result.output and len(calls) == 2


def test_stopping_workbench_app_stops_its_server(project: Path, tmp_path: Path) -> None:
    """SIGTERM to `workbench app` (a service manager, a test's teardown) leaves no server running."""
    import os
    import signal
    import subprocess
    import sys
    import urllib.request

    from test_app_browser import free_port, wait_until

    port = free_port()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    process = subprocess.Popen([sys.executable, "-m", "workbench", "app", "--project", str(project), "--port", str(port)],
                               env=env, stdout=(tmp_path / "app.log").open("w"), stderr=subprocess.STDOUT)

    def answers() -> bool:
        """the server to answer"""
        try:
            return urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=1).status == 200
        except OSError:
            return False

    try:
        wait_until(answers, timeout=60)
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=20)
        wait_until(lambda: not answers(), timeout=10)  # the port no longer answers: no orphaned server
    finally:
        if process.poll() is None:
            process.kill()


# -- Report page: REFI-QDA exchange ---------------------------------------------------------------------
def _other_project_qdpx(folder: Path) -> bytes:
    """A .qdpx from another project: one source whose name and text look like Markdown and HTML."""
    from ingest.records import LoadedSource
    from workbench.export.refi import export_qdpx
    from workbench.sources.importer import to_new_source

    other = Store.create(folder / "other.wbproj", name="Other")
    other.import_codebook(load_codebook(CODEBOOK), "ana")
    text = f"Ray: I fished for forty years. {HOSTILE}"
    loaded = LoadedSource(name="[click](http://evil.example) :red[ray]", kind="interview", text=text, format="txt",
                          segments=[])
    source_id = other.add_source(to_new_source(loaded, folder / "ray.txt", {}), "ana")
    other.add_coding(source_id, 5, 29, other.find_code("Bonding ties").id, "ana")
    return export_qdpx(other, folder / "other.qdpx").read_bytes()


def test_report_page_counts_one_machine_suggested_quote_in_the_singular(project: Path) -> None:
    from workbench.assist.review import accept

    store = store_of(project)
    [pantry] = [s for s in store.suggestions() if store.get_code(s.code_id).name == "Poverty and cost of living"]
    accept(store, pantry.id, "zoe")
    at = open_page(project, "report")
    at.button(key="FormSubmitter:report.options-Build report").click().run()
    assert not at.exception
    assert at.success[0].value == ("1 quote for 1 code in 1 category (1 coded passage behind it). 1 comes from an "
                                   "accepted suggestion and is marked as machine-suggested.")


def test_report_page_exports_qdpx_for_the_chosen_tool(project: Path) -> None:
    import io
    import zipfile

    at = open_page(project, "report")
    at.selectbox(key="report.qdpx-for").set_value("nvivo-win")
    at.button(key="report.qdpx-build").click().run()
    assert not at.exception
    name, data = at.session_state["report.qdpx-file"]
    assert name.endswith(".qdpx")
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        texts = [archive.read(n) for n in archive.namelist() if n.startswith("sources/")]
    assert len(texts) == 2 and all(b"\r\n" in t for t in texts)  # NVivo: CR+LF line endings
    assert any("NVivo for Windows" in c.value for c in at.caption)
    assert any(".qdpx" in b.label for b in at.get("download_button"))


def test_report_page_imports_a_qdpx_and_shows_the_summary_as_plain_text(project: Path, tmp_path: Path) -> None:
    at = open_page(project, "report")
    at.file_uploader(key="report.qdpx-upload").upload("other.qdpx", _other_project_qdpx(tmp_path),
                                                      "application/zip")
    at.run()
    at.button(key="report.qdpx-import").click().run()
    assert not at.exception
    summary = "\n".join(t.value for t in at.text)
    assert "sources: 1 added" in summary and "codings: 1 added" in summary
    assert "[click](http://evil.example) :red[ray]" in summary  # shown as typed, never as a link
    assert not any("evil.example" in m.value for m in at.markdown)
    assert str(tmp_path) not in summary
    names = [s.name for s in store_of(project).list_sources()]
    assert "[click](http://evil.example) :red[ray]" in names


def test_report_page_names_a_bad_qdpx_and_changes_nothing(project: Path) -> None:
    before = store_of(project).counts()
    at = open_page(project, "report")
    at.file_uploader(key="report.qdpx-upload").upload("bad.qdpx", b"this is not a zip", "application/zip")
    at.run()
    at.button(key="report.qdpx-import").click().run()
    assert not at.exception
    errors = [e.value.replace("\\", "") for e in at.error]
    assert any("bad.qdpx: not a ZIP archive" in e for e in errors)
    assert not any("/tmp" in e or "workbench-" in e for e in errors)
    after = store_of(project).counts()
    assert {k: v for k, v in after.items() if k != "events"} == {k: v for k, v in before.items() if k != "events"}
