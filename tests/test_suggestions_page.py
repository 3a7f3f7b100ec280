"""The Suggestions page on a real project with AppTest: the exact-match code filter and its readable chips,
whole code paths on hover, paging through the queue, accepting on a later page, the bulk preview on demand."""
from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from workbench.store import NewSuggestion, Store

from helpers import interview_source

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "app.py"
PARENT = "System conditions and the wider determinants of health in the neighbourhood"
HOUSING_LIKE = ["Housing insecurity", "Social housing", "Housing repairs", "Housing costs", "Overcrowded housing",
                "Housing association", "Temporary housing", "Housing advice"]
TEXT = "\n\n".join(f"Resident: Sentence number {n} about the flat, the rent and the damp." for n in range(40))


@pytest.fixture
def project(tmp_path: Path, monkeypatch) -> Path:
    """One interview; Housing under a long parent path, eight other codes with "housing" in their names, and
    Wellbeing; 40 pending suggestions (Housing 10, Wellbeing 10, the others 20) with distinct scores."""
    monkeypatch.setenv("WORKBENCH_RECENT_FILE", str(tmp_path / "recent.json"))
    monkeypatch.delenv("WORKBENCH_PROJECT", raising=False)
    monkeypatch.delenv("WORKBENCH_USER", raising=False)
    path = tmp_path / "p.wbproj"
    store = Store.create(path, name="paging")
    parent = store.add_code(PARENT, "lead", codable=False)
    housing = store.add_code("Housing", "lead", parent_id=parent)
    others = [store.add_code(name, "lead", parent_id=parent) for name in HOUSING_LIKE]
    wellbeing = store.add_code("Wellbeing", "lead")
    source = store.add_source(interview_source(TEXT, name="r01.txt", attributes={"site": "Northgate"}), "lead")
    spans = [(s.start, s.end) for s in store.segments(source) if s.kind == "turn"]
    codes = [housing] * 10 + [wellbeing] * 10 + others * 3
    store.replace_suggestions([NewSuggestion(source, start, end, code, round(0.99 - n * 0.01, 2), f"reason {n}",
                                             "lexical.v1")
                               for n, ((start, end), code) in enumerate(zip(spans, codes[:40]))], "engine")
    store.close()
    return path


def open_page(project: Path) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.session_state["project_path"] = str(project)
    at.session_state["coder"] = "zoe"
    at.run()
    at.switch_page("workbench/ui/pages/suggestions.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def shown(at: AppTest) -> list[int]:
    """The ids of the suggestions on the page, top to bottom."""
    return [int(b.key.rsplit(".", 1)[1]) for b in at.button if b.key and b.key.startswith("suggestions.accept.")]


def test_typing_a_code_and_enter_filters_by_that_code_only(project: Path) -> None:
    store = Store.open(project)
    housing = store.find_code(f"{PARENT}/Housing").id
    at = open_page(project)
    at.text_input(key="suggestions.code_find").input("housing").run()  # any case; Enter sends it
    assert at.session_state["suggestions.codes"] == [housing]
    assert at.text_input(key="suggestions.code_find").value == ""
    on_page = shown(at)
    assert len(on_page) == 10 and {store.get_suggestion(i).code_id for i in on_page} == {housing}
    chip = at.button(key=f"suggestions.chip.{housing}")
    assert chip.label.replace("\\", "") == f"{PARENT}/Housing ✕"  # the whole path, readable
    assert "10 pending here" in " ".join(m.value for m in at.markdown)
    chip.click().run()
    assert at.session_state["suggestions.codes"] == [] and len(shown(at)) == 15


def test_a_name_no_code_has_offers_the_codes_containing_it(project: Path) -> None:
    store = Store.open(project)
    at = open_page(project)
    at.text_input(key="suggestions.code_find").input("Hous").run()
    assert "suggestions.codes" not in at.session_state  # nothing fuzzy is chosen for you
    offered = [b for b in at.button if b.key and b.key.startswith("suggestions.near.")]
    assert {b.label.replace("\\", "").removeprefix("+ ").rsplit("/", 1)[1] for b in offered} == {
        "Housing", *HOUSING_LIKE}
    repairs = store.find_code("Housing repairs").id
    at.button(key=f"suggestions.near.{repairs}").click().run()
    assert at.session_state["suggestions.codes"] == [repairs]
    assert {store.get_suggestion(i).code_id for i in shown(at)} == {repairs}
    at.text_input(key="suggestions.code_find").input("Wellbeing").run()
    assert at.session_state["suggestions.codes"] == [repairs, store.find_code("Wellbeing").id]
    at.text_input(key="suggestions.code_find").input("Nothing like it").run()
    assert any("No code is called “Nothing like it”" in e.value.replace("\\", "") for e in at.error)


def test_every_card_shows_its_whole_code_path_also_on_hover(project: Path) -> None:
    at = open_page(project)
    cards = [h.proto.body for h in at.get("html") if "score" in h.proto.body]
    assert cards and all(f'title="{PARENT}/' in c or 'title="Wellbeing"' in c for c in cards)


def test_paging_shows_every_suggestion_once_in_order(project: Path) -> None:
    store = Store.open(project)
    at = open_page(project)
    at.radio(key="suggestions.order").set_value("score").run()
    pages = [shown(at)]
    for number in (2, 3):
        at.number_input(key="suggestions.page_input").set_value(number).run()
        pages.append(shown(at))
    assert [len(p) for p in pages] == [15, 15, 10]
    assert sum(pages, []) == [s.id for s in store.suggestions()]  # best first, none twice, none missing
    at.radio(key="suggestions.order").set_value("learn").run()
    assert len(shown(at)) == 10 and set(shown(at)) != set(pages[2])  # still the third page, now learn order


def test_accepting_on_a_later_page_stays_on_that_page(project: Path) -> None:
    store = Store.open(project)
    at = open_page(project)
    at.radio(key="suggestions.order").set_value("score").run()
    at.number_input(key="suggestions.page_input").set_value(2).run()
    second = shown(at)
    at.button(key=f"suggestions.accept.{second[0]}").click().run()
    assert store.get_suggestion(second[0]).status == "accepted"
    assert shown(at) == [*second[1:], store.suggestions()[29].id]  # the next one moves up into the page
    assert "39 pending here" in " ".join(m.value for m in at.markdown)


def test_the_bulk_preview_is_built_only_when_asked_for(project: Path) -> None:
    at = open_page(project)
    at.slider(key="suggestions.threshold").set_value(0.9).run()
    assert not at.dataframe
    assert at.button(key="suggestions.bulk").label == "Accept these 10 suggestions…"
    at.toggle(key="suggestions.bulk_preview").set_value(True).run()
    assert len(at.dataframe[0].value) == 10


def test_a_bulk_accept_is_refused_when_the_queue_changed_after_the_question(project: Path) -> None:
    store = Store.open(project)
    at = open_page(project)
    at.slider(key="suggestions.threshold").set_value(0.9).run()
    at.button(key="suggestions.bulk").click().run()
    assert at.warning and "Accept 10 suggestions" in at.warning[0].value.replace("\\", "")
    store.reject_suggestion(store.suggestions()[0].id, "tom")  # someone else, meanwhile
    at.button(key="suggestions.bulk_confirm").click().run()
    assert any("nothing was accepted" in e.value for e in at.error)
    assert store.suggestion_counts() == {"pending": 39, "accepted": 0, "rejected": 1}


def test_open_shows_the_suggestion_on_the_code_page(project: Path) -> None:
    at = open_page(project)
    first = shown(at)[0]
    at.button(key=f"suggestions.open.{first}").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.get("bidi_component")  # the Code page's document is drawn
    assert not [b for b in at.button if b.key and b.key.startswith("suggestions.")]
