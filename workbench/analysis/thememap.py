"""The thematic map: themes ↔ sub-themes ↔ codes (and, optionally, sites), each edge weighted by coded passages.

A passage is a distinct ``[start, end)`` of a source (coded by both coders, it counts once). A theme's
passages are those of its codes and of the codes under them; the theme → sub-theme edge carries the
sub-theme's passages, theme → code the code's, code → site the code's passages in that site. The map is
written as Graphviz DOT (rendered by Streamlit's ``graphviz_chart`` or by the ``dot`` program).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from workbench.analysis.compare import Lookups, coding_frame
from workbench.analysis.themes import theme_code_ids
from workbench.store import Store

NO_SITE = "Site not recorded"
STATUS_FILL = {"final": "#1F4E79", "reviewed": "#5B8DB8", "candidate": "#DCE6F0"}


@dataclass(frozen=True)
class MapNode:
    """A theme, code or site on the map."""

    key: str  # "t12", "c7", "s:Northgate"
    label: str
    kind: str  # theme | code | site
    passages: int
    status: str = ""


@dataclass
class ThemeMap:
    """Nodes and weighted edges (source key, target key, passages)."""

    nodes: list[MapNode] = field(default_factory=list)
    edges: list[tuple[str, str, int]] = field(default_factory=list)

    def edge_weight(self, source: str, target: str) -> int | None:
        """The passages on an edge, or None when there is no such edge."""
        return next((w for s, t, w in self.edges if (s, t) == (source, target)), None)


def thematic_map(store: Store, *, sites: bool = False, include_discarded: bool = False) -> ThemeMap:
    """The map of the project's themes (not discarded), their sub-themes and codes, with sites when asked."""
    themes = store.themes(include_discarded=include_discarded)
    lookups = Lookups.load(store)
    frame = coding_frame(store, lookups)
    frame["site"] = lookups.column(frame, "site").astype(object).fillna(NO_SITE)
    passages = frame.drop_duplicates(["code_id", "source_id", "start", "end"])
    codes = {c.id: c for c in store.codes()}
    shown = {t.id for t in themes}
    result = ThemeMap()
    code_keys: set[int] = set()
    for theme in themes:
        under = theme_code_ids(store, theme)
        result.nodes.append(MapNode(f"t{theme.id}", theme.name, "theme", _count(passages, under), theme.status))
        if theme.parent_id in shown:
            result.edges.append((f"t{theme.parent_id}", f"t{theme.id}", _count(passages, under)))
        for code_id in theme.code_ids:
            weight = _count(passages, store.descendants(code_id))
            result.edges.append((f"t{theme.id}", f"c{code_id}", weight))
            code_keys.add(code_id)
    for code_id in sorted(code_keys, key=lambda c: (codes[c].sort_order, c)):
        below = store.descendants(code_id)
        result.nodes.append(MapNode(f"c{code_id}", codes[code_id].name, "code", _count(passages, below)))
        if sites:
            mine = _distinct(passages[passages["code_id"].isin(below)])
            for site, n in mine.groupby("site").size().items():
                result.edges.append((f"c{code_id}", f"s:{site}", int(n)))
    if sites:
        used = {t[2:] for _s, t, _w in result.edges if t.startswith("s:")}
        per_site = _distinct(passages).groupby("site").size()
        result.nodes += [MapNode(f"s:{s}", s, "site", int(per_site.get(s, 0))) for s in sorted(used)]
    return result


def _distinct(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per passage, whatever codes it carries."""
    return frame.drop_duplicates(["source_id", "start", "end"])


def _count(passages: pd.DataFrame, code_ids) -> int:
    return len(_distinct(passages[passages["code_id"].isin(list(code_ids))]))


def _quoted(text: str) -> str:
    """A DOT string: backslashes and quotes escaped, line breaks as spaces (names come from the researcher)."""
    return '"' + " ".join(text.split()).replace("\\", "\\\\").replace('"', '\\"') + '"'


def to_dot(themap: ThemeMap, *, title: str = "Thematic map") -> str:
    """The map as Graphviz DOT: themes as boxes shaded by status, codes as ellipses, sites as folders;
    an edge's width and label follow its passages."""
    heaviest = max([w for _s, _t, w in themap.edges] + [1])
    lines = [f"digraph {_quoted(title)} {{", '  graph [rankdir=LR, fontname="Helvetica", nodesep=0.25];',
             '  node [fontname="Helvetica", fontsize=11];', '  edge [fontname="Helvetica", fontsize=9, color="#7F7F7F"];']
    for node in themap.nodes:
        label = _quoted(f"{node.label} ({node.passages})")
        if node.kind == "theme":
            fill = STATUS_FILL.get(node.status, "#FFFFFF")
            font = "white" if node.status in ("final", "reviewed") else "black"
            style = '"filled,dashed"' if node.status == "candidate" else "filled"
            lines.append(f"  {_quoted(node.key)} [label={label}, shape=box, style={style}, fillcolor=\"{fill}\", "
                         f"fontcolor={font}];")
        elif node.kind == "code":
            lines.append(f"  {_quoted(node.key)} [label={label}, shape=ellipse];")
        else:
            lines.append(f"  {_quoted(node.key)} [label={label}, shape=folder, color=\"#A5A5A5\"];")
    for source, target, weight in themap.edges:
        width = 0.5 + 4.5 * weight / heaviest
        lines.append(f"  {_quoted(source)} -> {_quoted(target)} [label=\"{weight}\", penwidth={width:.2f}];")
    lines.append("}")
    return "\n".join(lines) + "\n"
