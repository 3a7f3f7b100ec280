"""The themes a report is organised by: the project's themes, or, while it has none, its codebook's top-level
categories, which the report, the page and the command then call categories (one meaning of "theme")."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from workbench.model import Code
from workbench.export.report.data import ExportError
from workbench.store import Store


@dataclass
class ReportTheme:
    """A theme as the report shows it: a name, a description, and its codable codes in codebook order."""

    name: str
    description: str
    code_ids: list[int]
    memo: str = ""
    from_codebook: bool = False  # True when the theme is a top-level codebook category


def report_themes(store: Store) -> list[ReportTheme]:
    """The project's themes (not discarded) when it has any, else its top-level categories."""
    codes = store.codes()
    stored = _stored_themes(store, codes)
    return stored if stored else _codebook_themes(store, codes)


def report_grouping(store: Store) -> str:
    """``theme`` when the project has themes (not discarded), else ``category``: what the report's groups are."""
    return grouping_of(report_themes(store))


def grouping_of(themes: Sequence[ReportTheme]) -> str:
    """``category`` when the groups are the codebook's top-level categories, else ``theme``."""
    return "category" if themes and all(t.from_codebook for t in themes) else "theme"


def _codable_under(store: Store, codes: Sequence[Code], roots: Sequence[int]) -> list[int]:
    """Codable codes at or under ``roots``, in codebook order."""
    wanted: set[int] = set()
    for root in roots:
        wanted.update(store.descendants(root))
    return [c.id for c in codes if c.id in wanted and c.codable]


def _codebook_themes(store: Store, codes: Sequence[Code]) -> list[ReportTheme]:
    return [ReportTheme(name=c.name, description=c.definition, code_ids=_codable_under(store, codes, [c.id]),
                        from_codebook=True)
            for c in codes if c.parent_id is None]


def _stored_themes(store: Store, codes: Sequence[Code]) -> list[ReportTheme]:
    """The project's themes that are not discarded (``Store.themes``), each with its codes and those under them."""
    reader = getattr(store, "themes", None)  # the theme store; absent in projects opened by older code
    if reader is None:
        return []
    return [ReportTheme(name=theme.name, description=theme.description or "",
                        code_ids=_codable_under(store, codes, theme.code_ids), memo=theme.memo or "")
            for theme in reader(include_discarded=False)]


def select_themes(themes: Sequence[ReportTheme], names: Sequence[str]) -> list[ReportTheme]:
    """The themes called ``names`` (case-insensitive), in report order; ExportError for an unknown one."""
    if not names:
        return list(themes)
    by_lower = {t.name.lower(): t for t in themes}
    unknown = [n for n in names if n.lower() not in by_lower]
    if unknown:
        listed = ", ".join(t.name for t in themes if not t.from_codebook)
        if grouping_of(themes) == "category":
            raise ExportError(f"no theme called {', '.join(map(repr, unknown))}: the project has no themes yet, so "
                              f"the report is organised by the codebook's top-level categories: "
                              f"{', '.join(t.name for t in themes)}")
        raise ExportError(f"no theme called {', '.join(map(repr, unknown))}; the themes are {listed or '(none)'}")
    chosen = {n.lower() for n in names}
    return [t for t in themes if t.name.lower() in chosen]
