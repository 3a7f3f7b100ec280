"""How well do suggestions (or another coder) agree with a person? Unit-level evaluation on a project.

The reference coder's codings are the truth. Each sentence of the sources the reference coded is a
unit; a unit is positive for a code when a span with the code overlaps it (``coding.evaluation``).

* Candidate a coder: both coders' decisions on the sources both coded.
* Candidate a suggester: the sources are split 60/40 (seeded); suggesters run zero-shot (codebook
  only) and, for the learning ones, given k of the reference's codings per code from the training
  sources; all are scored on the held-out sources only, so nothing is tuned on what is measured.

The keyword-only baseline (``lexical.v1``, zero-shot) is always scored on the same units in the
same run.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from coding.crossval import CrossValidation
from coding.decisions import DecisionCurve
from coding.devset import AlignmentReport, DevSet, load_devset
from coding.embedding import Embedder
from coding.evaluation import EvaluationReport, LearningCurve, evaluate, learning_curve, text_units
from coding.suggesters import available_suggesters, make_suggester
from coding.units import Unit
from ingest import LoadedSegment, LoadedSource

from workbench.assist.trust import record_agreement
from workbench.sources.codebooks import project_codebook
from workbench.errors import NotFound, WorkbenchError
from workbench.sources.importer import to_new_source
from workbench.store import NewSource, Store
from workbench.store.cache import StoreEmbeddingCache

BASELINE = "lexical.v1"
DEFAULT_SIZES = (5, 10, 20, 40)


class EvaluationError(WorkbenchError):
    """The evaluation cannot run: unknown coder, nothing coded, unknown suggester."""


@dataclass
class CoderEvaluation:
    """A coder against the reference, with the keyword baseline on the same units."""

    reference: str
    candidate: str
    sources: int
    units: int
    report: EvaluationReport
    baseline: EvaluationReport
    names: dict[str, str] = field(default_factory=dict)

    def text(self) -> str:
        """The per-code table of the candidate, then both overall rows."""
        head = (f"{self.candidate} against {self.reference} on {self.sources} sources both coded "
                f"({self.units:,} sentences x {len(self.report.code_uids)} codes)")
        return "\n".join([self.report.table(self.names, title=head), "",
                          _overall([(self.candidate, self.report), (f"{BASELINE} (keyword baseline)", self.baseline)])])


@dataclass
class SuggesterEvaluation:
    """Suggesters against the reference on held-out sources: zero-shot and the learning curve."""

    reference: str
    candidate: str
    train_sources: int
    test_sources: int
    curve: LearningCurve
    names: dict[str, str] = field(default_factory=dict)

    def rows(self, suggester: str) -> list:
        """The curve rows of one suggester (k = 0 first)."""
        return [r for r in self.curve.rows if r.suggester == suggester]

    def text(self) -> str:
        """Per-code tables of the candidate (zero-shot and with the most codings), then the overall curve."""
        parts = [f"{self.candidate} against {self.reference}: trained on {self.train_sources} sources, "
                 f"tested on the other {self.test_sources} ({self.curve.n_test_units:,} sentences x "
                 f"{len(self.names)} codes)"]
        rows = self.rows(self.candidate)
        for row in ([rows[0], rows[-1]] if len(rows) > 1 else rows):
            label = "zero-shot (codebook only)" if row.k == 0 else f"given {row.k} codings per code"
            parts += ["", row.report.table(self.names, title=f"{self.candidate}, {label}, per code")]
        parts += ["", "Overall (k = the reference's codings per code given from the training sources; "
                      f"{BASELINE} at k = 0 is the keyword baseline)", self.curve.table()]
        return "\n".join(parts)


def _overall(rows: Sequence[tuple[str, EvaluationReport]]) -> str:
    lines = [f"{'overall':<34} {'P':>6} {'R':>6} {'F1':>6} {'kappa':>6} {'alpha':>6}"]
    for label, report in rows:
        m = report.micro
        lines.append(f"{label[:34]:<34} {m.precision:>6.3f} {m.recall:>6.3f} {m.f1:>6.3f} {m.kappa:>6.3f} "
                     f"{m.alpha:>6.3f}")
    return "\n".join(lines)


def project_devset(store: Store, reference: str, source_ids: Sequence[int] | None = None) -> tuple[DevSet, list[int]]:
    """The reference coder's codings as a development set: (texts, spans by text index), and the source ids."""
    rows = store.coding_rows(coders=[reference])
    if not rows:
        coders = ", ".join(store.coders()) or "none yet"
        raise EvaluationError(f"{reference!r} has coded nothing in this project (coders: {coders})")
    sources = sorted({r[2] for r in rows} & (set(source_ids) if source_ids is not None else {r[2] for r in rows}))
    texts = store.texts(sources)
    uid = {c.id: c.uid for c in store.codes()}
    index = {sid: i for i, sid in enumerate(sources)}
    spans = [(index[sid], start, end, uid[code]) for _id, code, sid, start, end, _c, _o in rows if sid in index]
    return DevSet(project_codebook(store), [texts[s] for s in sources], spans, AlignmentReport()), sources


def evaluate_coder(store: Store, reference: str, candidate: str) -> CoderEvaluation:
    """Compare two coders on the sources both coded, beside the keyword baseline."""
    theirs = store.coding_rows(coders=[candidate])
    if not theirs:
        raise EvaluationError(f"{candidate!r} has coded nothing in this project")
    shared = sorted({r[2] for r in theirs} & {r[2] for r in store.coding_rows(coders=[reference])})
    if not shared:
        raise EvaluationError(f"{reference} and {candidate} have no coded source in common")
    devset, sources = project_devset(store, reference, shared)
    units = [Unit(sources[u.source_id], u.start, u.end, u.text) for u in text_units(devset.texts, range(len(sources)))]
    uid = {c.id: c.uid for c in store.codes()}
    reference_spans = [(sources[t], a, b, c) for t, a, b, c in devset.spans]
    candidate_spans = [(sid, a, b, uid[code]) for _id, code, sid, a, b, _c, _o in theirs if sid in set(shared)]
    codes = [c.uid for c in devset.codebook.codes if c.codable]
    baseline = make_suggester(BASELINE).fit(devset.codebook).suggest(units)
    return CoderEvaluation(reference, candidate, len(shared), len(units),
                           evaluate(reference_spans, candidate_spans, units, codes),
                           evaluate(reference_spans, baseline, units, codes), devset.code_names())


def evaluate_suggester(store: Store, reference: str, candidate: str = "ensemble.v1", *,
                       sizes: Sequence[int] = DEFAULT_SIZES, seed: int = 0,
                       train_fraction: float = 0.6) -> SuggesterEvaluation:
    """Zero-shot and k-shot suggesters against the reference on held-out sources (embeddings cached)."""
    if candidate not in available_suggesters():
        raise EvaluationError(f"{candidate!r} is neither a coder of this project nor a suggester "
                              f"({', '.join(available_suggesters())})")
    devset, sources = project_devset(store, reference)
    if len(sources) < 2:
        raise EvaluationError(f"{reference} coded only one source: at least two are needed to train on one "
                              "and test on another")
    curve = learning_curve(devset, sizes=sizes, train_fraction=train_fraction, seed=seed,
                           embedder=Embedder(cache=StoreEmbeddingCache(store)))
    codable = {c.uid: c.name for c in devset.codebook.codes if c.codable}
    result = SuggesterEvaluation(reference, candidate, len(curve.train), len(curve.test), curve, codable)
    if rows := result.rows(candidate):  # the Suggestions page shows each code's agreement (workbench.assist.trust)
        record_agreement(store, rows[-1].report.per_code,
                         f"workbench evaluate ({candidate} given {rows[-1].k} codings per code, against {reference})")
    return result


def evaluate_project(store: Store, reference: str, candidate: str = "ensemble.v1", *,
                     sizes: Sequence[int] = DEFAULT_SIZES, seed: int = 0) -> CoderEvaluation | SuggesterEvaluation:
    """A coder or a suggester against the reference coder."""
    if candidate in store.coders():
        return evaluate_coder(store, reference, candidate)
    return evaluate_suggester(store, reference, candidate, sizes=sizes, seed=seed)


def cross_validate_project(store: Store, reference: str, *, folds: int = 5, by: str = "case",
                           sizes: Sequence[int] = (0, 20), seed: int = 0, tune: bool = False,
                           epochs: int = 4, calibrated: bool = False) -> CrossValidation:
    """K-fold cross-validation of the suggesters against the reference coder; no case (``by="case"``, a
    source without a case counting as its own) or source (``by="source"``) is on both sides of a split.
    With ``tune``, also the ensemble with a model tuned on each fold's training cases (slow: one tuning
    per fold and size; models go to a temporary folder)."""
    import tempfile

    from coding.crossval import CrossValidationError, cross_validate
    from coding.tuning import TuningError, TuningParams

    devset, groups = _devset_and_groups(store, reference, by)
    cache = StoreEmbeddingCache(store)
    try:
        if not tune:
            return cross_validate(devset, folds, groups, by, sizes, seed, cache, calibrated=calibrated)
        with tempfile.TemporaryDirectory(prefix="workbench-cv-") as folder:
            return cross_validate(devset, folds, groups, by, sizes, seed, cache, tune_dir=folder,
                                  params=TuningParams(epochs=epochs, seed=seed), calibrated=calibrated)
    except CrossValidationError as exc:
        raise EvaluationError(f"{reference}'s codings: {exc}") from exc
    except TuningError as exc:
        raise EvaluationError(str(exc)) from exc


def decision_curve_project(store: Store, reference: str, *, folds: int = 5, by: str = "case", seed: int = 0,
                           steps: Sequence[int] | None = None) -> "DecisionCurve":
    """The learning curve by review decisions (``coding.decisions``): kappa on each fold's test cases after
    N accept/reject decisions (the reference's answers) taken in the review queue's learn-fastest order
    and in random orders; folds by case or source as in ``cross_validate_project``."""
    from coding.crossval import CrossValidationError, group_folds
    from coding.decisions import DECISION_STEPS, decision_curve
    from workbench.assist.review import learning_order

    devset, groups = _devset_and_groups(store, reference, by)
    try:
        split = group_folds(groups, folds, seed)
    except CrossValidationError as exc:
        raise EvaluationError(f"{reference}'s codings: {exc}") from exc
    return decision_curve(devset, split, learning_order, steps=tuple(steps or DECISION_STEPS),
                          cache=StoreEmbeddingCache(store))


def _devset_and_groups(store: Store, reference: str, by: str) -> tuple[DevSet, list]:
    """The reference's codings as a development set and a group per text (its case or its source)."""
    if by not in ("case", "source"):
        raise EvaluationError(f"--by must be case or source, not {by!r}")
    devset, sources = project_devset(store, reference)
    if by == "case":
        groups = [("case", c) if (c := store.get_source(s).case_id) is not None else ("source", s) for s in sources]
    else:
        groups = list(sources)
    return devset, groups


def import_devset(store: Store, coder: str, folder: str | Path | None = None) -> tuple[int, int]:
    """Load the span-coded development set as sources coded by ``coder``; returns (sources, codings) added.

    Each answer becomes a survey source, the code descriptions the codebook; already imported answers
    and codings are not added twice. All or nothing.
    """
    try:
        devset = load_devset(folder) if folder is not None else load_devset()
    except (OSError, ValueError) as exc:
        raise EvaluationError(f"cannot read the development set: {exc}") from exc
    added = codings = 0
    with store.database.transaction():
        store.import_codebook(devset.codebook, coder)
        if not store.setting("codebook_name"):
            store.set_setting("codebook_name", devset.codebook.name)
        code_id = {c.uid: c.id for c in store.codes()}
        ids = []
        for i, text in enumerate(devset.texts):
            answer = _answer_source(i, text)
            existing = store.find_same_source(answer.name, answer.content_hash)
            if existing is None:
                existing = store.add_source(answer, coder)
                added += 1
            ids.append(existing)
        have = {(r[2], r[3], r[4], r[1]) for r in store.coding_rows(coders=[coder], source_ids=ids)}
        for t, start, end, uid in devset.spans:
            if (ids[t], start, end, code_id[uid]) not in have:
                store.add_coding(ids[t], start, end, code_id[uid], coder, origin="import")
                have.add((ids[t], start, end, code_id[uid]))
                codings += 1
    return added, codings


def _answer_source(index: int, text: str) -> NewSource:
    loaded = LoadedSource(name=f"games-as-art-{index + 1:03d}", kind="survey", text=text, format="csv",
                          segments=[LoadedSegment(0, len(text), "answer")],
                          metadata={"dataset": "Bopp et al., games as art (LLMCode development set)"})
    return to_new_source(loaded, Path("bopp_test_coded_texts.csv"), {})


__all__ = ["CoderEvaluation", "SuggesterEvaluation", "EvaluationError", "evaluate_project", "evaluate_coder",
           "evaluate_suggester", "import_devset", "cross_validate_project", "decision_curve_project", "project_devset", "NotFound"]
