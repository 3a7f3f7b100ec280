"""The thematic map: weights counted by hand on the small project, DOT that Graphviz reads, the CLI."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from test_compare import SmallProject, build_small_project
from workbench.analysis.thememap import thematic_map, to_dot
from workbench.cli import cli
from workbench.export.thememap import MapError, render_dot, write_map

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")


@pytest.fixture
def small(tmp_path: Path) -> SmallProject:
    """The small project (see test_compare) with a theme, a sub-theme and a discarded theme."""
    project = build_small_project(tmp_path / "small.wbproj")
    store, codes = project.store, project.codes
    top = store.add_theme('Belonging "at home"', "amira", code_ids=[codes["Social"]], status="final")
    store.add_theme("Cold homes", "amira", code_ids=[codes["Housing"], codes["Bonding"]], parent_id=top)
    store.add_theme("Dropped", "amira", code_ids=[codes["Wellbeing"]], status="discarded")
    return project


def _passages(small: SmallProject, *codes: str) -> int:
    """Distinct coded passages of these codes, counted from the codings themselves."""
    spans = {(c.source_id, c.start, c.end) for c in small.store.codings()
             if c.code_id in {small.codes[name] for name in codes}}
    return len(spans)


def test_map_nodes_and_edges_are_weighted_by_distinct_passages(small: SmallProject) -> None:
    themap = thematic_map(small.store)
    top, child = small.store.find_theme('Belonging "at home"'), small.store.find_theme("Cold homes")
    assert [n.label for n in themap.nodes] == ['Belonging "at home"', "Cold homes", "Social", "Bonding", "Housing"]
    bonding, housing = small.codes["Bonding"], small.codes["Housing"]
    assert themap.edge_weight(f"t{top.id}", f"c{small.codes['Social']}") == _passages(small, "Bonding", "Bridging")
    assert themap.edge_weight(f"t{top.id}", f"t{child.id}") == _passages(small, "Housing", "Bonding")
    assert themap.edge_weight(f"t{child.id}", f"c{housing}") == _passages(small, "Housing")
    assert themap.edge_weight(f"t{child.id}", f"c{bonding}") == _passages(small, "Bonding")
    assert not any(n.label == "Dropped" for n in themap.nodes)


def test_sites_are_linked_to_codes(small: SmallProject) -> None:
    themap = thematic_map(small.store, sites=True)
    housing = small.codes["Housing"]
    # Housing: Anna's flat (amira) and its first words (tom) are two passages; Cara's house; the field note
    assert {(t, w) for s, t, w in themap.edges if s == f"c{housing}"} == {
        ("s:Northgate", 2), ("s:Seacombe", 1), ("s:Site not recorded", 1)}
    assert {n.label for n in themap.nodes if n.kind == "site"} >= {"Northgate", "Seacombe", "Ashby Vale"}


def test_dot_escapes_names(small: SmallProject) -> None:
    dot = to_dot(thematic_map(small.store))
    assert 'label="Belonging \\"at home\\" (' in dot and dot.startswith('digraph "Thematic map" {')


@needs_dot
def test_dot_renders_svg_and_png(small: SmallProject, tmp_path: Path) -> None:
    dot = to_dot(thematic_map(small.store, sites=True))
    svg = write_map(dot, tmp_path / "map.svg").read_text(encoding="utf-8")
    assert "<svg" in svg and "Cold homes" in svg and "Belonging &quot;at home&quot;" in svg
    assert render_dot(dot, "png")[:8] == b"\x89PNG\r\n\x1a\n"


def test_unknown_format_is_refused_and_nothing_written(small: SmallProject, tmp_path: Path) -> None:
    with pytest.raises(MapError, match="map.pdf: unknown map format '.pdf'"):
        write_map("digraph {}", tmp_path / "map.pdf")
    assert not (tmp_path / "map.pdf").exists()


@needs_dot
def test_cli_theme_map(small: SmallProject, tmp_path: Path) -> None:
    out = tmp_path / "map.png"
    result = CliRunner().invoke(cli, ["theme", "map", "--out", str(out), "--sites", "--project",
                                      str(small.store.path)])
    assert result.exit_code == 0, result.output
    assert "2 themes, 3 codes" in result.output and out.read_bytes()[:4] == b"\x89PNG"
    dot = tmp_path / "map.dot"
    assert CliRunner().invoke(cli, ["theme", "map", "--out", str(dot), "--project", str(small.store.path)]).exit_code == 0
    assert dot.read_text(encoding="utf-8").startswith("digraph")
