"""Teach the assistant: tune the embedding model on this project's codings (``workbench train``).

People's codings (every coder's) are the positives, rejected suggestions the hard negatives. A slice of
the coded cases (participants; a source without a case counts as its own) is held out; the model is
tuned on the rest, starting from the project's current tuned model if there is one (else the packaged
base model), and kept only if the ensemble with it agrees better (kappa) with the people on the
held-out slice than the current model does. Models live beside the project file, in
``<project>.models/<fingerprint>/``; the current one is the project setting ``suggest.model``, changed
with a ``model.train`` event. Training is resumable: a killed run leaves a checkpoint that the next
run on the same data continues from, and the current model is only switched once the new one is
complete on disk.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from coding.crossval import holdout_split
from coding.devset import AlignmentReport, DevSet
from coding.embedding import DEFAULT_MODEL, ModelUnavailable
from coding.evaluation import Scores
from coding.teaching import CheckProgress, code_texts, teach
from coding.tuning import TunedModel, TuningCancelled, TuningError, TuningParams, load_tuned

from workbench.assist.trust import record_agreement
from workbench.errors import WorkbenchError
from workbench.sources.codebooks import project_codebook
from workbench.store import Store

MODEL_SETTING = "suggest.model"
MIN_CODINGS = 30  # fewer cannot both train a model and check it on held-out cases
MIN_GROUPS = 3  # coded cases (or sources): at least one held out, two to learn from

TrainProgress = Callable[[int, int, float], None]  # (steps done, total steps, loss)


class TrainError(WorkbenchError):
    """The model cannot be tuned: too few codings, no codebook, an unwritable folder, cancelled..."""


@dataclass
class TrainRun:
    """What one ``workbench train`` did."""

    model: str  # the new model's id
    kept: bool
    previous: str  # the model it started from and was compared with
    before: Scores
    after: Scores
    codings: int
    passages: int
    holdout_groups: int
    holdout_units: int
    seconds: float
    note: str = ""
    per_code: dict[str, Scores] = field(default_factory=dict)  # the model now in use, per code, on the held-out slice

    def summary(self) -> list[str]:
        """Lines for a person."""
        b, a = self.before, self.after
        lines = [f"Tuned {self.model} on {self.passages:,} passages ({self.codings:,} codings) in {self.seconds:.0f} s.",
                 f"Held out {self.holdout_groups} cases ({self.holdout_units:,} sentences): kappa {b.kappa:.3f} -> "
                 f"{a.kappa:.3f}, F1 {b.f1:.3f} -> {a.f1:.3f}, precision {b.precision:.3f} -> {a.precision:.3f} "
                 f"({self.previous} -> new model)."]
        if self.kept:
            lines.append(f"Kept: suggestions now use {self.model}.")
        else:
            lines.append(f"Not kept (not better on the held-out cases): suggestions keep using {self.previous}.")
        if self.note:
            lines.append(self.note)
        return lines


def models_folder(store: Store) -> Path:
    """Where the project's tuned models live: ``<project file>.models/`` beside it."""
    return store.path.with_name(store.path.name + ".models")


def current_model(store: Store) -> TunedModel | None:
    """The project's current tuned model, or None (then the base model is used)."""
    model_id = store.setting(MODEL_SETTING)
    if not model_id:
        return None
    try:
        return load_tuned(models_folder(store) / model_id)
    except TuningError as exc:
        raise TrainError(f"the project's tuned model {model_id} is missing or damaged ({exc}); "
                         "run `workbench train` again, or `workbench train --reset` to use the base model") from exc


def reset_model(store: Store, actor: str) -> None:
    """Go back to the base model (the tuned models stay on disk)."""
    store.record_training(actor, {"reset": True, "model": DEFAULT_MODEL}, "")


def project_training_set(store: Store) -> tuple[DevSet, list, list[tuple[int, int, int, str]], int]:
    """Every person's codings as (texts, spans), a group per text (its case, else the source), the rejected
    suggestions on those texts, and the number of codings."""
    rows = store.coding_rows()
    codes = {c.id: c for c in store.codes()}
    sources = sorted({r[2] for r in rows})
    texts = store.texts(sources)
    index = {sid: i for i, sid in enumerate(sources)}
    spans = [(index[sid], a, b, codes[cid].uid) for _id, cid, sid, a, b, _c, _o in rows
             if cid in codes and codes[cid].codable and texts[sid][a:b].strip()]
    rejected = [(index[s.source_id], s.start, s.end, codes[s.code_id].uid)
                for s in store.suggestions(status="rejected") if s.source_id in index and s.code_id in codes]
    groups = []
    for sid in sources:
        case = store.get_source(sid).case_id
        groups.append(("case", case) if case is not None else ("source", sid))
    devset = DevSet(project_codebook(store), [texts[s] for s in sources], spans, AlignmentReport())
    return devset, groups, rejected, len(spans)


def train_project(store: Store, actor: str, *, params: TuningParams = TuningParams(), holdout: float = 0.2,
                  seed: int = 0, on_progress: TrainProgress | None = None, on_check: CheckProgress | None = None,
                  cancel: threading.Event | None = None) -> TrainRun:
    """Tune on the project's codings, compare on held-out cases, keep the new model only if it is better
    (``on_check(scoring, done, total)``: called before the held-out check's scorings and between their encode
    chunks, e.g. to read a cancel request and show how far the check is; ``coding.teaching.teach``)."""
    began = time.perf_counter()
    if not store.codes():
        raise TrainError("the project has no codebook yet: import one first (workbench codebook import FILE)")
    devset, groups, rejected, n_codings = project_training_set(store)
    if n_codings < MIN_CODINGS:
        raise TrainError(f"too few codings to tune the model: it needs at least {MIN_CODINGS} codings by people "
                         f"(this project has {n_codings}); code {MIN_CODINGS - n_codings} more and try again")
    if len(set(groups)) < MIN_GROUPS:
        raise TrainError(f"the codings are in only {len(set(groups))} cases or sources: tuning needs codings in at "
                         f"least {MIN_GROUPS}, to learn from some and check the model on another")
    train, held = holdout_split(list(range(len(devset.texts))), groups, holdout, seed)
    current = current_model(store)
    texts_before = code_texts(devset.codebook)
    try:
        result = teach(devset, train, held, models_folder(store), current=current, params=params, rejected=rejected,
                       seed=seed, on_progress=on_progress, on_check=on_check, cancel=cancel)
    except TuningCancelled as exc:
        raise TrainError(str(exc)) from exc
    except (TuningError, ModelUnavailable) as exc:
        raise TrainError(str(exc)) from exc
    except OSError as exc:  # e.g. the disk filled up while the threshold was recorded
        raise TrainError(f"cannot write the tuned model in {models_folder(store)}: {exc}") from exc
    previous = current.id if current is not None else DEFAULT_MODEL
    note = ""
    kept = result.kept
    if code_texts(project_codebook(store)) != texts_before:
        kept, note = False, ("The codebook changed while the model was training, so it was not switched on; "
                             "run `workbench train` again to tune on the new codebook.")
    if kept and store.setting(MODEL_SETTING, "") != (current.id if current is not None else ""):
        kept, note = False, "Another training run switched the model meanwhile; this one was not switched on."
    run = TrainRun(result.model.id, kept, previous, result.before, result.after, n_codings, result.passages,
                   len({groups[i] for i in held}), result.holdout_units, time.perf_counter() - began, note,
                   result.after_per_code if kept else result.before_per_code)
    store.record_training(actor, {"model": run.model, "kept": kept, "previous": previous, "codings": n_codings,
                                  "before": {"kappa": run.before.kappa, "f1": run.before.f1},
                                  "after": {"kappa": run.after.kappa, "f1": run.after.f1}},
                          run.model if kept else None)
    record_agreement(store, run.per_code, f"training's held-out check ({run.model if kept else previous})")
    return run
