"""Roles in the core: in team mode every change is checked against the signed-in account's role on the project,
a refusal leaves the project as it was, and the single-user workbench (no team) checks nothing."""
from __future__ import annotations

from pathlib import Path

import pytest

from helpers import interview_source
from workbench.errors import Forbidden, NotFound, ProjectError
from workbench.export.refi.qdpx_export import export_qdpx
from workbench.export.spreadsheets import quote_sheet
from workbench.model import Access, Account, Role
from workbench.sources.history import undo
from workbench.store import Store
from workbench.team.members import Team, add_member, members, my_projects, open_project, remove_member

HASH = "$argon2id$v=19$m=65536,t=3,p=4$not-a-real-salt$not-a-real-hash"  # roles never check passwords


@pytest.fixture
def team(tmp_path: Path) -> Team:
    """A projects directory with one project (a source, a code, one coding by the lead) and three members."""
    store = Store.create(tmp_path / "garden.wbproj", name="Garden")
    source_id = store.add_source(interview_source(), "lena")
    code_id = store.add_code("Belonging", "lena")
    store.add_coding(source_id, 0, 11, code_id, "lena")
    store.close()
    Store.create(tmp_path / "pantry.wbproj").close()
    team = Team.at(tmp_path)
    for name in ("lena", "cody", "vic", "nora"):
        team.server.add_account(Account(name, "", HASH, "2026-12-06T09:00:00.000+00:00"), "admin")
    add_member(team, "garden", "lena", Role.LEAD)
    add_member(team, "garden", "cody", Role.CODER)
    add_member(team, "garden", "vic", Role.VIEWER)
    add_member(team, "pantry", "nora", Role.LEAD)
    return team


def _state(path: Path) -> tuple:
    store = Store.open(path)
    try:
        return (len(store.codings()), [c.name for c in store.codes()], len(store.events()),
                len(store.list_sources()))
    finally:
        store.close()


def test_a_coder_codes_as_the_signed_in_account(team: Team) -> None:
    store = open_project(team, "cody", "garden")
    [source] = store.list_sources()
    [code] = store.codes()
    coding_id = store.add_coding(source.id, 13, 20, code.id, "cody")
    assert store.get_coding(coding_id).coder == "cody"
    assert store.events()[-1].actor == "cody"
    assert undo(store, "cody").startswith("add coding")


def test_a_coder_undoes_a_coding_that_resolved_a_suggestion_and_a_candidate_merge(team: Team) -> None:
    """Undo puts the resolved suggestion back (`suggestions.restore`) and the merged candidates (`candidates.swap`):
    parts of a coder's own undo, so a coder's, as the Undo button the pages show a coder says."""
    from workbench.analysis.themes import merge_candidates
    from workbench.store import NewSuggestion
    from workbench.store.themes import NewCandidate

    lead = Store.open(team.project_path("garden"))
    [source] = lead.list_sources()
    [code] = lead.codes()
    lead.replace_suggestions([NewSuggestion(source.id, 13, 20, code.id, 0.9, "mentions it", "lexical")], "engine")
    [coding] = lead.codings()
    lead.replace_candidates([NewCandidate("neighbours", ["neighbour"], [coding.id], [code.id]),
                             NewCandidate("garden", ["garden"], [coding.id], [code.id])], "engine")
    store = open_project(team, "cody", "garden")
    store.add_coding(source.id, 13, 20, code.id, "cody")  # resolves the pending suggestion
    assert not store.suggestions()
    assert undo(store, "cody").startswith("add coding")
    assert [s.status for s in store.suggestions()] == ["pending"]
    first, second = store.candidate_themes()
    merge_candidates(store, [first.id, second.id], "cody")
    undo(store, "cody")
    assert [c.id for c in store.candidate_themes()] == [first.id, second.id]


def test_a_viewer_calling_a_coder_action_is_refused_and_nothing_changes(team: Team) -> None:
    before = _state(team.project_path("garden"))
    store = open_project(team, "vic", "garden")
    [source] = store.list_sources()
    [code] = store.codes()
    with pytest.raises(Forbidden, match="vic is a viewer of garden: only a coder or lead may do 'coding.add'"):
        store.add_coding(source.id, 13, 20, code.id, "vic")
    with pytest.raises(Forbidden, match="viewer"):
        store.add_memo("my thoughts", "vic")
    with pytest.raises(Forbidden, match="viewer"):
        store.remove_coding(store.codings()[0].id, "vic")
    assert _state(team.project_path("garden")) == before


@pytest.mark.parametrize("action", ["add_code", "delete_source", "set_setting", "delete_code"])
def test_a_coder_calling_a_lead_action_is_refused_and_nothing_changes(team: Team, action: str) -> None:
    before = _state(team.project_path("garden"))
    store = open_project(team, "cody", "garden")
    calls = {
        "add_code": lambda: store.add_code("Isolation", "cody"),
        "delete_source": lambda: store.delete_source(store.list_sources()[0].id, "cody"),
        "set_setting": lambda: store.set_setting("name", "Mine now"),
        "delete_code": lambda: store.delete_code(store.codes()[0].id, "cody"),
    }
    with pytest.raises(Forbidden, match="only a lead may"):
        calls[action]()
    assert _state(team.project_path("garden")) == before
    assert Store.open(team.project_path("garden")).setting("name") == "Garden"


def test_a_member_cannot_act_under_another_name(team: Team) -> None:
    store = open_project(team, "cody", "garden")
    [source] = store.list_sources()
    with pytest.raises(Forbidden, match="you act as the signed-in account 'cody', not as 'lena'"):
        store.add_coding(source.id, 13, 20, store.codes()[0].id, "lena")
    assert len(store.codings()) == 1


def test_a_lead_may_change_the_codebook(team: Team) -> None:
    store = open_project(team, "lena", "garden")
    store.add_code("Isolation", "lena")
    store.set_setting("description", "Site A")
    assert [c.name for c in store.codes()] == ["Belonging", "Isolation"]


def test_a_coder_exporting_real_names_is_refused(team: Team, tmp_path: Path) -> None:
    store = open_project(team, "cody", "garden")
    with pytest.raises(Forbidden, match="only a lead may export with real names"):
        quote_sheet(store, pseudonymise=False)
    with pytest.raises(Forbidden, match="only a lead may export with real names"):
        export_qdpx(store, tmp_path / "out.qdpx")
    assert not (tmp_path / "out.qdpx").exists()
    assert quote_sheet(store, pseudonymise=True)  # pseudonymised: any member
    assert quote_sheet(open_project(team, "vic", "garden"), pseudonymise=True)
    assert quote_sheet(open_project(team, "lena", "garden"), pseudonymise=False)


def test_a_non_member_cannot_open_a_project_and_the_refusal_is_logged(team: Team) -> None:
    with pytest.raises(Forbidden, match="nora is no member of a project called 'garden'"):
        open_project(team, "nora", "garden", address="10.0.0.9")
    with pytest.raises(Forbidden, match="no member of a project called 'nowhere'"):  # same message: no probing
        open_project(team, "nora", "nowhere")
    assert [(e.actor, e.target, e.address) for e in team.server.audit_entries(action="project.refused")][0] == \
        ("nora", "garden", "10.0.0.9")


@pytest.mark.parametrize("name", ["../garden", "/etc/passwd", "garden/../pantry", "", ".hidden"])
def test_a_project_name_cannot_leave_the_projects_directory(team: Team, name: str) -> None:
    with pytest.raises(ProjectError, match="is not a project name"):
        open_project(team, "lena", name)


def test_a_user_sees_only_their_projects(team: Team) -> None:
    assert [(m.project, m.role) for m in my_projects(team, "cody")] == [("garden", Role.CODER)]
    assert [m.project for m in my_projects(team, "NORA")] == ["pantry"]
    assert my_projects(team, "stranger") == []


def test_role_changes_are_logged_and_take_effect_at_the_next_open(team: Team) -> None:
    assert add_member(team, "garden", "vic", Role.CODER) == Role.VIEWER
    store = open_project(team, "vic", "garden")
    store.add_memo("now I may", "vic")
    remove_member(team, "garden", "vic")
    with pytest.raises(Forbidden):
        open_project(team, "vic", "garden")
    log = [(e.action, e.detail.get("account"), e.detail.get("after"))
           for e in team.server.audit_entries(action="member")]
    assert log[-2:] == [("member.role", "vic", "coder"), ("member.remove", "vic", None)]


def test_only_a_lead_of_that_project_manages_its_members(team: Team) -> None:
    lena = Access("lena", Role.LEAD, "garden")
    add_member(team, "garden", "nora", Role.VIEWER, by=lena)
    assert team.server.audit_entries(action="member.add")[-1].actor == "lena"
    with pytest.raises(Forbidden, match="only its leads manage its members"):
        add_member(team, "garden", "vic", Role.LEAD, by=Access("cody", Role.CODER, "garden"))
    with pytest.raises(Forbidden, match="only its leads"):
        add_member(team, "pantry", "cody", Role.LEAD, by=lena)  # lead elsewhere is nobody here
    with pytest.raises(Forbidden, match="cannot step down"):
        add_member(team, "garden", "lena", Role.CODER, by=lena)
    assert team.server.role("garden", "vic") == Role.VIEWER


def test_members_need_an_account_or_an_email_and_an_existing_project(team: Team) -> None:
    add_member(team, "garden", "dana@uni.example", Role.CODER)
    assert ("garden", "dana@uni.example") in [(m.project, m.account) for m in members(team)]
    with pytest.raises(NotFound, match="no account called 'ghost'"):
        add_member(team, "garden", "ghost", Role.CODER)
    with pytest.raises(NotFound, match="no project 'nowhere'"):
        add_member(team, "nowhere", "cody", Role.CODER)


def test_without_a_team_nothing_is_checked(team: Team) -> None:
    store = Store.open(team.project_path("garden"))  # the single-user app and CLI
    assert store.access is None
    store.add_code("Isolation", "anyone at all")
    store.set_setting("name", "Renamed")
    assert quote_sheet(store, pseudonymise=False)


def test_only_a_lead_imports_sources_and_a_refusal_reads_no_file(team: Team, tmp_path: Path) -> None:
    from workbench.sources.importer import ingest_paths

    folder = tmp_path / "files"
    folder.mkdir()
    (folder / "new.txt").write_text("Interviewer: Hello?\n\nAmir: The mosque hall became the food bank.\n")
    before = _state(team.project_path("garden"))
    with pytest.raises(Forbidden, match="cody is a coder of garden: only a lead may import sources"):
        ingest_paths(open_project(team, "cody", "garden"), [folder], actor="cody")
    assert _state(team.project_path("garden")) == before
    assert ingest_paths(open_project(team, "lena", "garden"), [folder], actor="lena").added
