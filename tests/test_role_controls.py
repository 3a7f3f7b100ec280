"""Team mode: each page shows a member only the controls their role may use (the store refuses the rest anyway,
`workbench/store/access.py`). A viewer sees no enabled control that changes the project and a caption saying so;
a coder sees the coding controls but not the lead's; a lead sees them all. Driven with AppTest, signed in as
`workbench serve` signs in (test_team_app's accounts: lena lead, cody coder, vic viewer)."""
from __future__ import annotations

import json
from fnmatch import fnmatch
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from test_app_pages import build_project
from test_team_app import open_garden, sign_in, team_from
from workbench.model import Role
from workbench.sources.memos import add_memo
from workbench.store import Store
from workbench.team.accounts import add_user
from workbench.team.members import Team, add_member

PASSWORD = "correct horse battery"
ACCOUNT = {Role.VIEWER: "vic", Role.CODER: "cody", Role.LEAD: "lena"}
WIDGETS = ("button", "text_area", "text_input", "multiselect", "selectbox", "toggle", "checkbox", "number_input",
           "slider", "color_picker", "radio")


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    """'garden': the app tests' small project plus a coding by cody, a theme on its code and a project memo."""
    folder = tmp_path_factory.mktemp("roles")
    projects = folder / "projects"
    projects.mkdir()
    path = build_project(folder).rename(projects / "garden.wbproj")
    store = Store.open(path)
    maureen = store.source_by_name("NG-R01_maureen.txt")
    start = maureen.text.index("My neighbour")
    bonding = store.find_code("Bonding ties").id
    store.add_coding(maureen.id, start, start + 12, bonding, "cody")
    store.add_theme("Neighbours carry people", "cody", code_ids=[bonding])
    add_memo(store, "The garden matters more than the pantry here.", "cody", title="First read")
    store.close()
    team = Team.at(projects)
    for account in ACCOUNT.values():
        add_user(team.server, account, PASSWORD)
    for role, account in ACCOUNT.items():
        add_member(team, "garden", account, role)
    team.server.close()
    return projects


@pytest.fixture
def team(template: Path, tmp_path: Path, monkeypatch) -> Team:
    return team_from(template, tmp_path, monkeypatch)


def page(role: Role, name: str, state: dict | None = None) -> AppTest:
    """The page ``name`` of garden, signed in as the member with ``role``."""
    at = open_garden(sign_in(ACCOUNT[role]))
    at.switch_page(f"workbench/ui/pages/{name}.py")
    for key, value in (state or {}).items():
        at.session_state[key] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def controls(at: AppTest, *patterns: str) -> dict[str, bool]:
    """The widgets whose key (or label, for those without one of their own) matches a pattern: name → enabled."""
    found = {}
    for kind in WIDGETS:
        for widget in getattr(at, kind):
            name = widget.label if not widget.key or widget.key.startswith("FormSubmitter:") else widget.key
            if any(fnmatch(name, p) for p in patterns):
                found[name] = not widget.disabled
    return found


def enabled(at: AppTest, *patterns: str) -> set[str]:
    return {name for name, on in controls(at, *patterns).items() if on}


def captions(at: AppTest) -> list[str]:
    return [c.value for c in at.caption]


def role_caption(at: AppTest, role: Role) -> list[str]:
    return [c for c in captions(at) if c.startswith(f"You are a {role.label} of this project")]


def ids(team: Team) -> dict:
    store = Store.open(team.project_path("garden"))
    [coding] = store.codings()
    maureen = store.source_by_name("NG-R01_maureen.txt")
    best, _ = store.suggestions()
    return {"store": store, "coding": coding, "maureen": maureen, "suggestion": best,
            "theme": store.themes()[0], "code": store.find_code("Bonding ties")}


# -- Code ---------------------------------------------------------------------------------------------------
CODE_WRITES = ("code.undo", "code.redo", "code.apply", "code.quick.*", "code.memo.*", "code.save_memo.*",
               "code.remove.*", "code.f_accept.*", "code.f_reject.*", "code.accept.*", "code.reject.*",
               "code.doc_memo.*")


def code_page(team: Team, role: Role) -> AppTest:
    found = ids(team)
    coding, maureen = found["coding"], found["maureen"]
    return page(role, "code", {"code.source": maureen.id, "code.recent_codes": [coding.code_id],
                               "code.selection": {"source_id": maureen.id, "start": 0, "end": 11},
                               "code.focus": {"source_id": maureen.id, "offset": coding.start, "kind": "coding",
                                              "id": coding.id}})


def document_panel(at: AppTest) -> tuple[dict, str]:
    [element] = at.get("bidi_component")
    data = json.loads(element.proto.json)
    return json.loads(data["panel"]), data["html"]


def test_on_the_code_page_a_viewer_finds_nothing_to_code_with_and_a_coder_everything(team: Team) -> None:
    at = code_page(team, Role.VIEWER)
    assert not enabled(at, *CODE_WRITES)
    assert role_caption(at, Role.VIEWER) == ["You are a viewer of this project: you can read and search, not code."]
    [undo] = [b for b in at.button if b.key == "code.undo"]
    assert undo.disabled and undo.help == "Only a coder or lead may undo and redo."
    panel, html = document_panel(at)
    assert panel["codes"] == [] and panel["readonly"] is True  # no quick codes, no keys that code
    assert 'data-act="accept"' not in html and "wb-chip" in html  # suggestions shown, without ✓ ✗
    assert enabled(at, "code.show.*")  # reading aids stay
    found = ids(team)
    for role in (Role.CODER, Role.LEAD):
        at = code_page(team, role)
        assert {"code.apply", f"code.quick.{found['coding'].code_id}", f"code.memo.{found['coding'].id}",
                f"code.save_memo.{found['coding'].id}", f"code.remove.{found['coding'].id}",
                f"code.accept.{found['suggestion'].id}", "code.doc_memo.new", "code.doc_memo.add"} <= enabled(at, "*")
        assert not role_caption(at, role)
        panel, html = document_panel(at)
        assert panel["codes"] and panel["readonly"] is False and 'data-act="accept"' in html


# -- Codebook -----------------------------------------------------------------------------------------------
CODEBOOK_LEAD = ("codebook.save.*", "codebook.name.*", "codebook.add_code", "codebook.new_name", "codebook.move",
                 "codebook.move_to.*", "codebook.merge", "codebook.merge_to.*", "codebook.delete", "Definition",
                 "Colour")
CODEBOOK_CODER = ("codebook.memo.*",)


def test_a_viewer_reads_the_codebook_without_edit_controls(team: Team) -> None:
    at = page(Role.VIEWER, "codebook")
    assert not enabled(at, *CODEBOOK_LEAD, *CODEBOOK_CODER)
    assert role_caption(at, Role.VIEWER)
    assert enabled(at, "codebook.tree.*") and enabled(at, "codebook.code")  # browsing stays
    assert [t.label for t in at.tabs] == ["Memos", "Quotes"]


def test_a_coder_writes_code_memos_and_only_a_lead_edits_the_codebook(team: Team) -> None:
    at = page(Role.CODER, "codebook")
    assert not enabled(at, *CODEBOOK_LEAD)
    assert enabled(at, *CODEBOOK_CODER)
    assert role_caption(at, Role.CODER) == ["You are a coder of this project: you can write code memos; only its "
                                            "leads change the codebook."]
    at = page(Role.LEAD, "codebook")
    assert {"codebook.add_code", "codebook.new_name", "codebook.merge", "codebook.delete"} <= enabled(at, *CODEBOOK_LEAD)
    assert enabled(at, "codebook.save.*") and enabled(at, *CODEBOOK_CODER)
    assert not role_caption(at, Role.LEAD)
    assert [t.label for t in at.tabs] == ["Edit", "Add", "Move · merge · delete", "Quotes"]


# -- Sources ------------------------------------------------------------------------------------------------
SOURCES_LEAD = ("sources.import", "sources.kind", "sources.save", "sources.new_key", "sources.add_key",
                "sources.attach", "sources.delete")


def editable_columns(at: AppTest) -> bool:
    """Whether the attribute table lets anyone type into its attribute columns (site, participant, role)."""
    [table] = [t for t in at.dataframe if t.proto.editing_mode]
    config = json.loads(table.proto.columns or "{}")
    return not table.proto.disabled and not all(config.get(key, {}).get("disabled")
                                                for key in ("site", "participant", "role"))


def test_only_a_lead_imports_describes_and_removes_sources(team: Team) -> None:
    for role in (Role.VIEWER, Role.CODER):
        at = page(role, "sources")
        assert not enabled(at, *SOURCES_LEAD)
        assert not editable_columns(at)
        assert role_caption(at, role)
        assert enabled(at, "sources.open", "sources.chosen", "sources.name_filter")  # finding and opening stay
    at = page(Role.LEAD, "sources")
    assert {"sources.delete", "sources.kind", "sources.new_key"} <= enabled(at, *SOURCES_LEAD)
    assert editable_columns(at)
    assert not role_caption(at, Role.LEAD)


# -- Suggestions --------------------------------------------------------------------------------------------
SUGGESTIONS_CODER = ("suggestions.accept.*", "suggestions.reject.*", "suggestions.adjust.*", "suggestions.words.*",
                     "suggestions.bulk", "suggestions.threshold", "suggestions.run", "suggestions.run_min")
SUGGESTIONS_LEAD = ("suggestions.skip_speakers", "teach.*")


def test_a_viewer_reads_the_queue_without_deciding(team: Team) -> None:
    at = page(Role.VIEWER, "suggestions")
    assert not enabled(at, *SUGGESTIONS_CODER, *SUGGESTIONS_LEAD)
    assert role_caption(at, Role.VIEWER)
    assert enabled(at, "suggestions.open.*") and enabled(at, "suggestions.order")


def test_a_coder_decides_and_runs_suggestions_but_a_lead_trains_and_sets_the_speakers(team: Team) -> None:
    at = page(Role.CODER, "suggestions")
    best = ids(team)["suggestion"]
    assert {f"suggestions.accept.{best.id}", f"suggestions.reject.{best.id}", "suggestions.run",
            "suggestions.bulk"} <= enabled(at, *SUGGESTIONS_CODER)
    assert not enabled(at, *SUGGESTIONS_LEAD)
    [train] = [b for b in at.button if b.key == "teach.train"]
    assert train.help == "Only a lead may train the assistant."
    assert role_caption(at, Role.CODER)
    at.selectbox(key="suggestions.suggester").set_value("lexical.v1")
    at.button(key="suggestions.run").click().run()  # the speakers setting, a lead's, is left as it is
    assert not at.exception and not [e.value for e in at.error]
    assert any("suggestion" in s.value for s in at.success)
    at = page(Role.LEAD, "suggestions")
    assert {"suggestions.skip_speakers", "teach.epochs"} <= enabled(at, *SUGGESTIONS_LEAD)
    assert not role_caption(at, Role.LEAD)


# -- Themes -------------------------------------------------------------------------------------------------
THEMES_CODER = ("Create theme", "Save theme", "themes.new.*", "themes.undo", "themes.redo", "themes.delete.*",
                "themes.insert.*", "themes.narrative.*", "themes.cite.*", "themes.cand.*", "themes.codes.*")


def test_a_viewer_reads_themes_and_their_narratives_without_editing(team: Team) -> None:
    at = page(Role.VIEWER, "themes")
    assert not enabled(at, *THEMES_CODER)
    assert not at.get("bidi_component")  # the drag-and-drop board changes themes
    assert role_caption(at, Role.VIEWER)
    assert enabled(at, "themes.selected", "themes.map.sites")  # choosing a theme and the map stay


def test_coders_and_leads_build_themes(team: Team) -> None:
    theme = ids(team)["theme"]
    for role in (Role.CODER, Role.LEAD):  # a coder sees the theme's quotes too, with pseudonyms
        at = page(role, "themes")
        assert {"Create theme", "Save theme", f"themes.delete.{theme.id}", f"themes.narrative.save.{theme.id}",
                "themes.cand.run"} <= enabled(at, *THEMES_CODER)
        assert at.get("bidi_component")
        assert not role_caption(at, role)


# -- Memos --------------------------------------------------------------------------------------------------
MEMOS_CODER = ("memos.undo", "memos.redo", "memos.add", "memos.new.*", "memos.save.*", "memos.remove.*",
               "memos.text.*", "memos.title.*")


def test_a_viewer_reads_memos_as_plain_text_and_coders_write_them(team: Team) -> None:
    at = page(Role.VIEWER, "memos")
    assert not enabled(at, *MEMOS_CODER)
    assert role_caption(at, Role.VIEWER)
    assert "The garden matters more than the pantry here." in [t.value for t in at.text]
    assert enabled(at, "memos.kinds", "memos.contains")  # filtering stays
    for role in (Role.CODER, Role.LEAD):
        at = page(role, "memos")
        assert {"memos.add", "memos.new.text"} <= enabled(at, *MEMOS_CODER)
        assert enabled(at, "memos.save.*") and enabled(at, "memos.text.*")
        assert not role_caption(at, role)


# -- Framework and Report -----------------------------------------------------------------------------------
def test_a_viewer_reads_the_framework_matrix_without_saving(team: Team) -> None:
    at = page(Role.VIEWER, "framework")
    assert not enabled(at, "framework.save", "framework.cite", "framework.cited.*", "framework.token.*")
    assert all(t.proto.disabled for t in at.dataframe if t.proto.editing_mode)  # the summaries table
    assert role_caption(at, Role.VIEWER)
    at = page(Role.CODER, "framework")
    assert {"framework.save", "framework.cite"} <= enabled(at, "framework.*")
    assert not any(t.proto.disabled for t in at.dataframe if t.proto.editing_mode)


def test_only_a_lead_imports_a_qdpx_but_everyone_exports_pseudonymised(team: Team) -> None:
    for role in (Role.VIEWER, Role.CODER):
        at = page(role, "report")
        assert not enabled(at, "report.qdpx-import", "names.*")
        assert {"report.qdpx-build", "Build spreadsheet"} <= enabled(at, "report.qdpx-build", "Build spreadsheet")
        assert role_caption(at, role)
    at = page(Role.LEAD, "report")
    assert "report.qdpx-import" in controls(at, "report.qdpx-import")  # (disabled until a file is chosen)
    assert not role_caption(at, Role.LEAD)
