"""Empty states on the Analyse pages link to where the work is done; lists show a code's full path on hover."""
from __future__ import annotations

from pathlib import Path

from test_app_pages import project, template  # noqa: F401  (fixtures)
from test_app_pages import open_page




def links(at) -> dict[str, str]:
    """Each page link's label → the page it opens."""
    return {link.proto.label: link.proto.page for link in at.get("page_link")}


def test_framework_without_themes_links_to_themes(project: Path) -> None:
    at = open_page(project, "framework")
    assert "No themes yet" in at.info[0].value
    assert links(at) == {"Build themes": "themes"}


def test_compare_empty_states_link_to_themes_and_the_code_page(project: Path) -> None:
    at = open_page(project, "compare")
    assert any("No two codes co-occur yet" in i.value for i in at.info)
    assert links(at)["Code sources"] == "code"
    at.radio(key="compare.rows").set_value("themes").run()
    assert any("No themes yet" in i.value for i in at.info)
    assert links(at)["Build themes"] == "themes"


def test_reliability_with_fewer_than_two_coders_links_to_the_code_page(project: Path) -> None:
    at = open_page(project, "reliability")
    assert any("needs at least two coders" in i.value for i in at.info)
    assert links(at) == {"Code sources": "code"}


def test_themes_lists_codes_name_first_with_the_full_paths_on_hover(project: Path) -> None:
    from workbench.store import Store

    store = Store.open(project)
    bonding = store.find_code("Bonding ties")
    theme = store.add_theme("Ties", "zoe")
    store.add_theme_codes(theme, [bonding.id], "zoe")
    at = open_page(project, "themes")
    chooser = at.multiselect(key=f"themes.codes.{theme}")
    path = store.code_path(bonding.id)
    assert chooser.format_func(bonding.id) == "Bonding ties · " + path.rsplit("/", 1)[0]
    assert path in chooser.help.replace("\\", "")


def test_codebook_selectbox_shows_the_full_path_on_hover(project: Path) -> None:
    from workbench.store import Store

    store = Store.open(project)
    bonding = store.find_code("Bonding ties").id
    at = open_page(project, "codebook", state={"codebook.code": bonding})
    assert at.selectbox(key="codebook.code").help.replace("\\", "") == store.code_path(bonding)


def test_report_and_candidate_themes_before_anything_is_coded_link_to_the_code_page(project: Path) -> None:
    at = open_page(project, "report")
    assert any("Nothing is coded yet" in i.value for i in at.info)
    assert links(at) == {"Code sources": "code"}
    assert not [m for m in at.multiselect if m.key == "report.themes"]
    at = open_page(project, "themes")
    assert any("nothing is coded yet" in i.value for i in at.info)
    assert links(at)["Code sources"] == "code"
