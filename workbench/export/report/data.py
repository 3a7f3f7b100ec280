"""What exports show of each coding: the quote with who said it, where and when, named as the export names people."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from workbench.errors import WorkbenchError
from workbench.analysis.quotes import KIND_LABELS, Context, Quote, build_quotes, format_time  # noqa: F401
from workbench.export.report.names import ReportNames, is_role_label
from workbench.store import Store

HUMAN_ORIGINS: tuple[str, ...] = ("manual", "import")
ALL_ORIGINS: tuple[str, ...] = ("manual", "import", "suggestion")
NO_SITE = "Site not recorded"



class ExportError(WorkbenchError):
    """An export cannot be made as asked (unknown code, theme or site, or nothing matches)."""


@dataclass
class Excerpt:
    """One coding as an export shows it: its quote, plus who, where and when in display form."""

    quote: Quote
    text: str  # the coded words, pseudonymised when asked
    who: str  # participant as shown: case ID, pseudonym, role label, or "" when nobody in particular
    role: str
    site: str
    source: str  # the source's file name as shown
    question: str | None  # the survey question of an answer
    segment_id: int | None

    @property
    def when(self) -> str:
        """Recording position (h:mm:ss), else the passage's date (ISO), as shown."""
        if self.quote.start_time is not None:
            return format_time(self.quote.start_time)
        return self.quote.date or ""


def participant_label(quote: Quote) -> str:
    """Who a quote is from before naming rules: a role label, the case, the participant attribute or speaker."""
    if quote.speaker and is_role_label(quote.speaker):
        return quote.speaker.strip()
    return quote.case or quote.attributes.get("participant") or quote.speaker or ""


def load_excerpts(store: Store, names: ReportNames, *, code_ids: Sequence[int] | None = None,
                  origins: Sequence[str] | None = None, sites: Sequence[str] | None = None,
                  coders: Sequence[str] | None = None) -> list[Excerpt]:
    """Codings (filtered by code, origin, coder and site) as excerpts in source-then-position order."""
    context = Context.load(store)
    facts = store.coding_facts(code_ids=code_ids, coders=coders, origins=origins)
    quotes = build_quotes(store, facts, context)
    labels = _segment_labels(store, {f.source_id for f in facts if f.segment_id is not None})
    wanted = {s.lower() for s in sites} if sites else None
    result = []
    for fact, quote in zip(facts, quotes):
        site = quote.attributes.get("site") or NO_SITE
        if wanted is not None and site.lower() not in wanted:
            continue
        result.append(Excerpt(
            quote=quote, text=names.text(quote.text), who=names.who(participant_label(quote)),
            role=quote.attributes.get("role", ""), site=site, source=names.source(quote.source_name),
            question=labels.get(fact.segment_id) if fact.segment_id is not None else None,
            segment_id=fact.segment_id))
    result.sort(key=lambda e: (e.quote.source_name, e.quote.start, e.quote.end, e.quote.code_path, e.quote.coder))
    return result


def _segment_labels(store: Store, source_ids: set[int]) -> dict[int, str]:
    """Segment id → the survey question of each answer in the given sources."""
    labels: dict[int, str] = {}
    for source_id in sorted(source_ids):
        for segment in store.segments(source_id, kinds=["answer"]):
            if segment.label:
                labels[segment.id] = segment.label
    return labels


def resolve_codes(store: Store, refs: Sequence[str]) -> list[int]:
    """Code ids (each with everything under it) for codes given by path, name or uid."""
    ids: list[int] = []
    for ref in refs:
        try:
            code = store.find_code(ref)
        except WorkbenchError as exc:
            raise ExportError(str(exc)) from exc
        ids += [i for i in store.descendants(code.id) if i not in ids]
    return ids


def check_sites(store: Store, sites: Sequence[str]) -> list[str]:
    """The sites as the project spells them; ExportError naming the known sites for an unknown one."""
    known = project_sites(store)
    by_lower = {s.lower(): s for s in known}
    unknown = [s for s in sites if s.lower() not in by_lower]
    if unknown:
        raise ExportError(f"no site called {', '.join(map(repr, unknown))}; "
                          f"the project's sites are {', '.join(known) or '(none recorded)'}")
    return [by_lower[s.lower()] for s in sites]


def project_sites(store: Store) -> list[str]:
    """Every value of the ``site`` attribute on sources and cases, sorted."""
    context = Context.load(store)
    values = {a["site"] for a in context.source_attributes.values() if a.get("site")}
    values |= {a["site"] for a in context.case_attributes.values() if a.get("site")}
    return sorted(values)

