"""The thematic map in the .qdpx export as a REFI-QDA Graph, and what the importer says of Graphs."""
from __future__ import annotations

import zipfile
from pathlib import Path

import defusedxml.ElementTree as DefusedET
import pytest
import xmlschema

from conftest import fixtures_dir
from test_compare import SmallProject, build_small_project
from workbench.analysis.thememap import thematic_map
from workbench.export.refi import export_qdpx, import_qdpx
from workbench.store import Store

Q = "{urn:QDA-XML:project:1.0}"


@pytest.fixture
def small(tmp_path: Path) -> SmallProject:
    """The small project (see test_compare) with a theme, a sub-theme and a discarded theme."""
    project = build_small_project(tmp_path / "small.wbproj")
    store, codes = project.store, project.codes
    top = store.add_theme('Belonging "at home"', "amira", code_ids=[codes["Social"]], status="final")
    store.add_theme("Cold homes", "amira", code_ids=[codes["Housing"], codes["Bonding"]], parent_id=top)
    store.add_theme("Dropped", "amira", code_ids=[codes["Wellbeing"]], status="discarded")
    return project


def _document(path: Path) -> bytes:
    with zipfile.ZipFile(path) as archive:
        return archive.read("project.qde")


def _schema() -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(str(fixtures_dir("refi", "schemas") / "Project.xsd"))


def test_the_thematic_map_is_one_valid_graph_matching_the_map(small: SmallProject, tmp_path: Path) -> None:
    store = small.store
    document = _document(export_qdpx(store, tmp_path / "map.qdpx", actor="amira"))
    _schema().validate(document.decode("utf-8"))
    root = DefusedET.fromstring(document)
    graphs = root.findall(f"{Q}Graphs/{Q}Graph")
    assert [g.get("name") for g in graphs] == ["Thematic map"]
    vertices = {v.get("guid"): v for v in graphs[0].findall(f"{Q}Vertex")}
    themap = thematic_map(store)
    # every theme and code of the map is a vertex named after it; a code's vertex represents the code
    assert sorted(v.get("name") for v in vertices.values()) == sorted(n.label for n in themap.nodes)
    code_guids = {c.get("guid"): c.get("name") for c in root.iter(f"{Q}Code")}
    for vertex in vertices.values():
        represented = vertex.get("representedGUID")
        if represented is None:  # a theme: no REFI element, a shape with its name
            assert vertex.get("name") in {t.name for t in store.themes()}
        else:
            assert code_guids[represented] == vertex.get("name")
    # the edges are the map's links, between the vertices of the same names, with their passages
    by_key = {n.key: n.label for n in themap.nodes}
    edges = {(vertices[e.get("sourceVertex")].get("name"), vertices[e.get("targetVertex")].get("name"), e.get("name"))
             for e in graphs[0].findall(f"{Q}Edge")}
    assert edges == {(by_key[s], by_key[t], f"{w} passages" if w != 1 else "1 passage") for s, t, w in themap.edges}
    assert len(graphs[0].findall(f"{Q}Edge")) == len(themap.edges)
    assert "Dropped" not in {v.get("name") for v in vertices.values()}


def test_a_project_without_themes_writes_no_graph(tmp_path: Path) -> None:
    project = build_small_project(tmp_path / "small.wbproj")
    document = _document(export_qdpx(project.store, tmp_path / "none.qdpx"))
    _schema().validate(document.decode("utf-8"))
    assert DefusedET.fromstring(document).find(f"{Q}Graphs") is None


def test_the_graph_is_reported_not_imported(small: SmallProject, tmp_path: Path) -> None:
    path = export_qdpx(small.store, tmp_path / "map.qdpx", actor="amira")
    report = import_qdpx(Store.create(tmp_path / "other.wbproj"), path, actor="amira")
    assert [(s.what, s.name, s.reason) for s in report.skipped if s.what == "graphs"] == [
        ("graphs", "1 graph", "not imported: maps (REFI-QDA Graphs) are not supported")]
    assert "  skipped graphs '1 graph': not imported: maps (REFI-QDA Graphs) are not supported" in report.summary()
