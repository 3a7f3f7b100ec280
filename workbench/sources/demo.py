"""The bundled demo project: a fictional ABCD programme in three sites, coded by two researchers, with themes."""
from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml

from coding.codebook import load_codebook, shipped_codebook_path

from workbench.sources import importer
from workbench.errors import WorkbenchError
from workbench.sources.pseudonyms import propose_roster
from workbench.store import Store
from workbench.store.themes import citation

DEMO_DIR = Path(__file__).parent / "demo_data"
CORPUS_DIR = DEMO_DIR / "corpus"
CODINGS_DIR = DEMO_DIR / "codings"
THEMES_FILE = DEMO_DIR / "themes.yaml"
_DEMO_CITE = re.compile(r"\[\[cite:(\d+)\]\]")
CODEBOOK = shipped_codebook_path("resilience")
DEMO_USER = "demo-builder"


@dataclass
class DemoCoding:
    """One coding as the demo's YAML files give it: a quote to find in a source."""

    source: str
    coder: str
    code: str
    quote: str
    memo: str = ""


def demo_codings() -> list[DemoCoding]:
    """Every coding listed in the demo's YAML files."""
    result = []
    for path in sorted(CODINGS_DIR.glob("*.yaml")):
        for entry in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
            result.append(DemoCoding(**{k: entry[k] for k in ("source", "coder", "code", "quote") },
                                     memo=entry.get("memo") or ""))
    return result


def locate(text: str, quote: str) -> tuple[int, int] | None:
    """Where ``quote`` stands in ``text``: exactly, or allowing differences in white space."""
    at = text.find(quote)
    if at >= 0:
        return at, at + len(quote)
    words = quote.split()
    if not words:
        return None
    found = re.search(r"\s+".join(re.escape(w) for w in words), text)
    return (found.start(), found.end()) if found else None


def apply_codings(store: Store, codings: list[DemoCoding]) -> list[str]:
    """Store the demo codings; returns the ones that could not be placed, with the reason."""
    problems = []
    by_name = {s.name: s.id for s in store.list_sources()}
    texts: dict[int, str] = {}
    for item in codings:
        source_id = by_name.get(item.source)
        if source_id is None:
            problems.append(f"{item.source}: no such source")
            continue
        text = texts.setdefault(source_id, store.get_source(source_id).text)
        span = locate(text, item.quote)
        if span is None:
            problems.append(f"{item.source}: quote not found: {item.quote[:60]!r}")
            continue
        try:
            code = store.find_code(item.code)
            store.add_coding(source_id, span[0], span[1], code.id, item.coder, memo=item.memo)
        except WorkbenchError as exc:
            problems.append(f"{item.source}: {exc}")
    return problems


def demo_themes() -> list[dict]:
    """The demo's themes as its YAML file gives them (narratives cite quotes as [[cite:N]])."""
    return yaml.safe_load(THEMES_FILE.read_text(encoding="utf-8")) or []


def apply_themes(store: Store, themes: list[dict]) -> None:
    """Store the demo themes, parents first, with each [[cite:N]] made the [[q:UID]] of that quote's coding."""
    by_name = {s.name: s.id for s in store.list_sources()}
    made: dict[str, int] = {}
    for entry in themes:
        narrative = _DEMO_CITE.sub(lambda m: citation(_cited_uid(store, by_name, entry, int(m.group(1)))),
                                   entry.get("narrative", "").strip())
        made[entry["name"]] = store.add_theme(
            entry["name"], DEMO_USER, description=entry.get("description", ""), narrative=narrative,
            status=entry["status"], code_ids=[store.find_code(c).id for c in entry["codes"]],
            parent_id=made[entry["parent"]] if entry.get("parent") else None)


def _cited_uid(store: Store, sources: dict[str, int], entry: dict, number: int) -> str:
    """The uid of the (first) coding of the N-th quote a demo theme cites."""
    cite = entry["cites"][number - 1]
    source_id = sources[cite["source"]]
    span = locate(store.get_source(source_id).text, cite["quote"])
    found = [c for c in store.codings(source_id=source_id) if span and (c.start, c.end) == span]
    if not found:
        raise WorkbenchError(f"demo theme {entry['name']!r} cites a quote no coding holds: {cite['quote'][:60]!r}")
    return found[0].uid


def demo_roster(store: Store) -> dict[str, str]:
    """The demo's roster: speakers and authors as proposed, plus each diarist's first name from the file name
    (``NG-V03_fatima_diary.md`` → Fatima = NG-V03)."""
    roster = propose_roster(store)
    for source in store.list_sources():
        participant, _, rest = source.name.partition("_")
        if source.case == participant and rest:
            first = rest.split("_")[0].split(".")[0].capitalize()
            roster.setdefault(first, participant)
    return roster


def build_demo(path: str | Path, *, rebuild: bool = False,
               on_progress: Callable[[int, int, str], None] | None = None) -> Store:
    """Create the demo project at ``path`` (kept as it is if it exists, unless ``rebuild``)."""
    path = Path(path)
    if path.exists() and not rebuild:
        return Store.open(path)
    if path.exists():
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    work = path.with_name(path.name + ".building")
    for suffix in ("", "-wal", "-shm"):
        Path(f"{work}{suffix}").unlink(missing_ok=True)
    store = Store.create(work, name="Stronger Together (demo)")
    store.import_codebook(load_codebook(CODEBOOK), DEMO_USER)
    folders = [p for p in sorted(CORPUS_DIR.iterdir()) if p.is_dir()]
    sidecars = sorted(CORPUS_DIR.glob("attributes*.csv"))
    report = importer.ingest_paths(store, folders + sidecars, actor=DEMO_USER, on_progress=on_progress)
    if report.skipped:
        raise WorkbenchError("the demo corpus did not import cleanly: "
                             + "; ".join(f"{s.path}: {s.reason}" for s in report.skipped))
    store.set_roster(demo_roster(store), DEMO_USER)
    problems = apply_codings(store, demo_codings())
    if problems:
        raise WorkbenchError("demo codings could not be placed: " + "; ".join(problems[:10]))
    apply_themes(store, demo_themes())
    store.close()
    shutil.move(str(work), str(path))
    for suffix in ("-wal", "-shm"):
        Path(f"{work}{suffix}").unlink(missing_ok=True)
    return Store.open(path)
