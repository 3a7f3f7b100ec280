"""Suggestions for a project: run a suggester over the project's sentences and store what it proposes.

The machine suggests; a person decides. A run reads the codebook, learns from the people's codings
(positives) and the suggestions they rejected (negatives), scores every sentence of the sources in
scope, merges neighbouring sentences of one turn/entry/answer that share a code, and swaps the
pending suggestions in scope for the new ones in one transaction (a run killed half-way leaves the
previous suggestions in place). Embeddings and lemmas are cached in the project, so a second run
only encodes what changed (a new source, an edited definition).
"""
from __future__ import annotations

import inspect
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from coding.embedding import Embedder, ModelUnavailable
from coding.lemmas import LemmatiserUnavailable
from coding.suggesters import DEFAULT_SUGGESTER, SuggesterError, available_suggesters, make_suggester
from coding.suggesters.base import EmptyCodebookError, Suggester, registered
from coding.units import Example, Unit

from workbench.assist.train import TrainError, current_model
from workbench.sources.codebooks import project_codebook
from workbench.sources.speakers import DEFAULT_SKIP_SPEAKERS, set_skipped_speakers, skipped_speakers  # noqa: F401
from workbench.errors import WorkbenchError
from workbench.model import Code
from workbench.store import NewSuggestion, Store
from workbench.store.cache import StoreCodeModelCache, StoreEmbeddingCache, StoreLemmaCache

ProgressCallback = Callable[[int, int, str], None]  # (done, total, what)
SUGGESTERS = [DEFAULT_SUGGESTER, *(n for n in available_suggesters() if n != DEFAULT_SUGGESTER)]
CALIBRATION_SETTING = "suggest.calibrated"  # "on": score with the project's calibration (assist/calibrate.py)
DEFAULT_MIN_SCORE = 0.5  # store proposals a person would more likely than not code (the score is calibrated)


class SuggestError(WorkbenchError):
    """Suggestions cannot be made: no codebook, nothing to code, no model, an unknown suggester..."""


@dataclass
class SuggestRun:
    """What a run did: how many units and codes it looked at, what it proposed and stored."""

    suggester: str
    model: str | None
    units: int
    sources: int
    codes: int
    proposed: int
    stored: int
    examples: int  # people's codings learned from
    negatives: int  # rejected suggestions learned from
    learned_codes: int  # codes with a model learned from this project's codings
    skipped_codes: dict[str, str] = field(default_factory=dict)  # code name -> why it gets no suggestions
    seconds: float = 0.0
    skipped_speakers: list[str] = field(default_factory=list)  # whose turns were left out

    def summary(self) -> list[str]:
        """Lines for a person."""
        lines = [f"{self.suggester}: {self.stored:,} suggestions stored ({self.proposed:,} proposed) for "
                 f"{self.codes} codes over {self.units:,} sentences of {self.sources} sources in {self.seconds:.1f} s.",
                 f"Learned from {self.examples:,} codings and {self.negatives:,} rejected suggestions"
                 + (f"; {self.learned_codes} codes have a model of their own." if self.learned_codes else ".")]
        if self.model and self.model.startswith("tuned-"):
            lines.append(f"Scored with this project's tuned model {self.model} (see `workbench train`).")
        if self.skipped_speakers:
            lines.append(f"Turns by {', '.join(self.skipped_speakers)} get no suggestions.")
        lines += [f"  no suggestions for {name!r}: {why}" for name, why in sorted(self.skipped_codes.items())]
        return lines


def project_units(store: Store, source_ids: Sequence[int] | None = None, *,
                  skip_speakers: Sequence[str] = ()) -> list[Unit]:
    """Every sentence of the sources in scope as a unit, grouped by the turn/entry/answer holding it;
    sentences of turns by ``skip_speakers`` (case-insensitive) are left out."""
    rows = store.sentence_units(source_ids, with_parent=True)
    texts = store.texts(sorted({r[1] for r in rows}))
    quiet = store.turns_by_speakers(skip_speakers, source_ids)
    units = [Unit(source_id, start, end, texts[source_id][start:end], "sentence", parent_id)
             for _id, source_id, start, end, parent_id in rows if parent_id not in quiet]
    return [u for u in units if not u.text.isspace()]


def training_examples(store: Store, code_uid: dict[int, str]) -> tuple[list[Example], int]:
    """People's codings as positives and rejected suggestions as negatives; returns (examples, negatives)."""
    rows = store.coding_rows()  # every coding is a person's: made by hand, imported, or a suggestion accepted
    rejected = store.suggestions(status="rejected")
    texts = store.texts(sorted({r[2] for r in rows} | {s.source_id for s in rejected}))
    examples = [Example(texts[source_id][start:end], code_uid[code_id], True, source_id)
                for _id, code_id, source_id, start, end, _coder, _origin in rows
                if code_id in code_uid and texts[source_id][start:end].strip()]
    negatives = [Example(texts[s.source_id][s.start:s.end], code_uid[s.code_id], False, s.source_id)
                 for s in rejected if s.code_id in code_uid]
    return examples + negatives, len(negatives)


def _blocked(store: Store, units: Sequence[Unit], code_col: dict[int, int]) -> np.ndarray:
    """Units x codes: True where a person already coded (or rejected) the code on at least half of the unit."""
    out = np.zeros((len(units), len(code_col)), dtype=bool)
    by_source: dict[int, list[int]] = defaultdict(list)
    for i, u in enumerate(units):
        by_source[u.source_id].append(i)
    spans: dict[int, list[tuple[int, int, int]]] = defaultdict(list)
    for _id, code_id, source_id, start, end, _coder, _origin in store.coding_rows(
            code_ids=list(code_col), source_ids=list(by_source)):
        spans[source_id].append((start, end, code_col[code_id]))
    for s in store.suggestions(status="rejected", code_ids=list(code_col)):
        if s.source_id in by_source:
            spans[s.source_id].append((s.start, s.end, code_col[s.code_id]))
    for source_id, found in spans.items():
        idx = np.array(by_source[source_id])
        starts = np.array([units[i].start for i in idx])[np.newaxis, :]
        ends = np.array([units[i].end for i in idx])[np.newaxis, :]
        for first in range(0, len(found), 256):  # spans x units at a time, bounded in memory
            marks = np.array(found[first:first + 256])
            overlap = np.minimum(ends, marks[:, 1:2]) - np.maximum(starts, marks[:, 0:1])
            rows, cols = np.nonzero((overlap > 0) & (2 * overlap >= ends - starts))
            out[idx[cols], marks[rows, 2]] = True
    return out


def make_project_suggester(store: Store, name: str = DEFAULT_SUGGESTER,
                           on_progress: ProgressCallback | None = None) -> Suggester:
    """An unfitted suggester whose embeddings and lemmas are cached in the project."""
    if name not in available_suggesters():
        raise SuggestError(f"no suggester called {name!r}; choose one of {', '.join(available_suggesters())}")
    progress = (lambda done, total: on_progress(done, total, "embedding")) if on_progress else None
    accepts = inspect.signature(registered()[name].__init__).parameters
    params: dict = {}
    tuned = current_model(store) if "tuned" in accepts else None
    if tuned is not None:  # the project's tuned model (workbench train); its id goes into each suggestion
        params["tuned"] = tuned
        params["embedder"] = Embedder(model_name=tuned.id, model_path=str(tuned.path),
                                      cache=StoreEmbeddingCache(store), on_progress=progress)
    elif "embedder" in accepts:
        params["embedder"] = Embedder(cache=StoreEmbeddingCache(store), on_progress=progress)
        if "combiner" in accepts and store.setting(CALIBRATION_SETTING) == "on":  # opt-in: see calibrate.py
            from workbench.assist.calibrate import project_calibration

            params["combiner"] = project_calibration(store)
    if "lemma_cache" in accepts:
        params["lemma_cache"] = StoreLemmaCache(store)
    if "learned_cache" in accepts:  # the ensemble's learned part
        params["learned_cache"] = StoreCodeModelCache(store)
    if "model_cache" in accepts:  # learned.v1 itself
        params["model_cache"] = StoreCodeModelCache(store)
    return make_suggester(name, **params)


def edit_code(store: Store, code_id: int, actor: str, **changes) -> Code:
    """Change a code's fields (as ``Store.update_code``), then ``prepare_suggester``: the re-suggest that follows,
    in this process or a new one, finds the edited code's vectors and lemmas in the project's caches."""
    code = store.update_code(code_id, actor, **changes)
    prepare_suggester(store)
    return code


def prepare_suggester(store: Store, suggester: str = DEFAULT_SUGGESTER) -> None:
    """Fit the project's suggester on the codebook alone (without scoring any sentence or embedding any coding):
    what fitting embeds and lemmatises of the codes goes into the project's caches, so that a re-suggest in a new
    process needs neither spaCy nor the embedding model's encoder when the codings were cached by an earlier run.
    The codings are left to the run: embedding hundreds of them would hold up saving a code in a project that was
    never suggested. What cannot be done here (no codebook, no model, no spaCy) is left for the run, which says
    what is missing."""
    try:
        make_project_suggester(store, suggester).fit(project_codebook(store), [])
    except (SuggestError, TrainError, ModelUnavailable, LemmatiserUnavailable, SuggesterError):
        pass


def learn_from_decisions(store: Store, model: Suggester, codes: Sequence[str], scores: np.ndarray,
                         code_uid: dict[int, str]) -> np.ndarray:
    """Shift each code's scores by what people decided on its suggestions from this model
    (``coding.decisions.decision_offsets``): rejections lower a code's scores, acceptances raise them.
    Codes with a learned model of their own already learn from those decisions and are left as they are."""
    from coding.decisions import apply_offsets, decision_offsets

    learned = set(getattr(getattr(model, "parts_", {}).get("learned"), "code_uids_", ()))
    decided = [(code_uid[g.code_id], g.score, status == "accepted")
               for status in ("accepted", "rejected") for g in store.suggestions(status=status)
               if g.code_id in code_uid and g.model == model.model_name and code_uid[g.code_id] not in learned]
    return apply_offsets(scores, codes, decision_offsets(decided)) if decided else scores


def run_suggestions(store: Store, actor: str, *, suggester: str = DEFAULT_SUGGESTER,
                    code_ids: Sequence[int] | None = None, source_ids: Sequence[int] | None = None,
                    min_score: float = DEFAULT_MIN_SCORE, skip_speakers: Sequence[str] | None = None,
                    on_progress: ProgressCallback | None = None) -> SuggestRun:
    """Propose codes for the sentences of the sources in scope and store them as pending suggestions.

    A unit is proposed for a code when its score reaches the suggester's own threshold (tuned for F1 on
    the development set) and ``min_score``; the ensemble's score is a calibrated probability, so the
    default 0.5 keeps what a person would more likely than not code. Lower it to see more.
    Turns by ``skip_speakers`` (default: the project's list, see ``skipped_speakers``) get no suggestions.
    """
    began = time.perf_counter()
    codes = store.codes()
    if not codes:
        raise SuggestError("the project has no codebook yet: import one first (workbench codebook import FILE)")
    code_uid = {c.id: c.uid for c in codes}
    id_of = {c.uid: c.id for c in codes}
    name_of = {c.uid: c.name for c in codes}
    wanted_codes = [c.id for c in codes if c.codable and (code_ids is None or c.id in set(code_ids))]
    if not wanted_codes:
        raise SuggestError("none of the chosen codes can be coded (categories only)")
    skip = skipped_speakers(store) if skip_speakers is None else list(skip_speakers)
    units = project_units(store, source_ids, skip_speakers=skip)
    if not units:
        if not store.source_ids():
            raise SuggestError("there is no text to suggest codes for: import sources first (workbench ingest PATH)")
        raise SuggestError("the chosen sources have no sentences to suggest codes for"
                           + (f" outside turns by {', '.join(skip)}" if skip else ""))
    total = len(units)
    report = on_progress or (lambda done, total, what: None)
    report(0, total, "learning")
    examples, negatives = training_examples(store, code_uid)
    try:
        model = make_project_suggester(store, suggester,
                                       lambda done, of, what: report(round(total * done / max(of, 1)), total, what))
    except TrainError as exc:
        raise SuggestError(str(exc)) from exc
    try:
        model.fit(project_codebook(store), examples)
        active = model.active_codes([code_uid[i] for i in wanted_codes])
        skipped = {name_of[uid]: why for uid, why in getattr(model, "skipped_codes_", {}).items()
                   if id_of[uid] in wanted_codes and uid not in active}
        proposals = []
        if active:
            batch = model.prepare(units, active)
            report(total, total, "scoring")
            table = model.score(batch, active)
            table.scores = learn_from_decisions(store, model, table.code_uids, table.scores, code_uid)
            blocked = _blocked(store, units, {id_of[uid]: k for k, uid in enumerate(table.code_uids)})
            table.scores[blocked] = 0.0
            table.thresholds = np.maximum(table.thresholds, np.float32(min_score))
            proposals = model.to_suggestions(batch, table)
    except ModelUnavailable as exc:
        raise SuggestError(f"the embedding model is missing: {exc}") from exc
    except EmptyCodebookError as exc:
        raise SuggestError(f"nothing to suggest: {exc}") from exc
    except SuggesterError as exc:
        raise SuggestError(str(exc)) from exc
    new = [NewSuggestion(p.source_id, p.start, p.end, id_of[p.code_uid], round(float(p.score), 4), p.reason,
                         p.suggester, p.model) for p in proposals]
    stored = store.replace_suggestions(new, actor, code_ids=wanted_codes,
                                       source_ids=None if source_ids is None else list(source_ids))
    learned = getattr(model, "parts_", {}).get("learned", model if suggester.startswith("learned") else None)
    return SuggestRun(suggester, model.model_name, len(units), len({u.source_id for u in units}), len(active),
                      len(new), stored, len(examples) - negatives, negatives,
                      len(learned.code_uids_) if learned is not None else 0, skipped,
                      time.perf_counter() - began, skip)

