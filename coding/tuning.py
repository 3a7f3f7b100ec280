"""Fine-tune a copy of the sentence-embedding model end to end on a project's codings.

Each training passage (a coded span, or an uncoded sentence as background) is scored against every
code's text ``"name: definition"``:

    logit(passage, code) = s * cos(passage, code text) + b          (s, b learned with the encoder)

and the loss is binary cross-entropy over all codes at once: 1 for the passage's codes, 0 for every
other code, with extra weight on hard negatives (suggestions a person rejected), plus (``pair_weight``)
SetFit's contrastive term on the passages of each batch: their cosine pulled toward 1 when two share a
code and toward 0 when they do not. ``s`` and ``b`` make
``sigmoid(logit)`` a probability, so the tuned model scores a unit without any further model.

A model is saved in ``out_dir/<fingerprint>/`` where the fingerprint hashes the base model, the code
texts, the passages and the parameters: the same data gives the same folder, and an existing folder
is reused rather than retrained. Nothing is downloaded (the base model is a local folder).

Safety: training writes only inside ``out_dir/.<fingerprint>.partial/``; after every epoch a
checkpoint (weights, optimiser, s, b) is written to a temporary folder and renamed into place, so a
kill loses at most one epoch and the next call with the same data resumes from the checkpoint. The
finished model is renamed to ``out_dir/<fingerprint>`` in one step, so that folder is either absent
or complete. Cancelling (a ``threading.Event``) stops between steps and keeps the checkpoint.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from coding.embedding import DEFAULT_MODEL, EXPORT_FILE, ModelUnavailable, default_model_path, load_model_copy
from coding.onnx_encoder import ExportError, export

META_FILE = "tuning.json"
CHECKPOINT = "checkpoint"
FORMAT = 1


def _save_errors() -> tuple[type[BaseException], ...]:
    """What saving a model raises on a full or read-only disk: OSError, safetensors' own error (it does not
    derive from OSError), and the RuntimeError of torch's file writer (torch.save of the optimiser)."""
    from safetensors import SafetensorError

    return (OSError, SafetensorError, RuntimeError)


SAVE_ERRORS = _save_errors()

TuningProgress = Callable[[int, int, float], None]  # (steps done, total steps, last batch loss)


class TuningError(RuntimeError):
    """The model cannot be tuned: no passages, no codes, an unwritable folder, a broken model folder."""


class TuningCancelled(TuningError):
    """Tuning was cancelled; the last epoch's checkpoint is kept and the next run resumes from it."""


@dataclass(frozen=True)
class TuningParams:
    """How to tune. Changing any of these changes the fingerprint (and so the model folder)."""

    epochs: int = 4
    batch_size: int = 16
    learning_rate: float = 3e-5
    head_learning_rate: float = 0.05  # for s and b
    scale: float = 20.0  # initial s
    bias: float = -8.0  # initial b
    hard_negative_weight: float = 3.0
    max_seq_length: int = 128
    seed: int = 0
    pair_weight: float = 1.0  # weight of the loss pulling passages that share a code together (0: BCE only)


NEUTRAL = {"pair_weight": 0.0}  # parameters added later: at these values the fingerprint is as before they existed


@dataclass(frozen=True)
class Passage:
    """A training text: the codes a person gave it, and the codes a person rejected for it."""

    text: str
    positives: frozenset[str] = frozenset()
    rejected: frozenset[str] = frozenset()


@dataclass(frozen=True)
class TunedModel:
    """A tuned model on disk: its id (the fingerprint), folder, head (s, b) and what it was trained on."""

    id: str
    path: Path
    scale: float
    bias: float
    base: str
    codes: int
    passages: int
    params: dict = field(default_factory=dict)
    threshold: float = 0.5  # probability cut-off for suggesting
    seconds: float = 0.0

    def logits(self, passages: np.ndarray, codes: np.ndarray) -> np.ndarray:
        """Units x codes logits from unit vectors of passages and code texts (both L2-normalised)."""
        return (self.scale * (passages @ codes.T) + self.bias).astype(np.float32)

    def probabilities(self, passages: np.ndarray, codes: np.ndarray) -> np.ndarray:
        """Units x codes probabilities."""
        return (1.0 / (1.0 + np.exp(-self.logits(passages, codes)))).astype(np.float32)


def code_text(name: str, definition: str = "") -> str:
    """The text a code is represented by: ``"name: definition"`` (just the name without a definition)."""
    name, definition = name.strip(), " ".join(definition.split())
    return f"{name}: {definition}" if definition else name


def fingerprint(base: str, codes: Mapping[str, str], passages: Sequence[Passage], params: TuningParams) -> str:
    """``tuned-`` + 16 hex digits of SHA-256 over the base model id, code texts, passages and parameters."""
    digest = hashlib.sha256()
    payload = {
        "format": FORMAT,
        "base": base,
        "codes": sorted(codes.items()),
        "params": {k: v for k, v in asdict(params).items() if NEUTRAL.get(k, object()) != v},
    }
    digest.update(json.dumps(payload, sort_keys=True).encode())
    for p in sorted(passages, key=lambda p: (p.text, sorted(p.positives), sorted(p.rejected))):
        digest.update(json.dumps([p.text, sorted(p.positives), sorted(p.rejected)]).encode())
    return "tuned-" + digest.hexdigest()[:16]


def load_tuned(path: str | Path) -> TunedModel:
    """Read a tuned model's description (``tuning.json``) from its folder, or raise TuningError."""
    path = Path(path)
    try:
        meta = json.loads((path / META_FILE).read_text(encoding="utf-8"))
        return TunedModel(meta["id"], path, float(meta["scale"]), float(meta["bias"]), meta["base"],
                          int(meta["codes"]), int(meta["passages"]), meta.get("params", {}),
                          float(meta.get("threshold", 0.5)), float(meta.get("seconds", 0.0)))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise TuningError(f"{path}: not a tuned model folder ({exc})") from exc


def with_threshold(model: TunedModel, threshold: float) -> TunedModel:
    """Record a new suggestion threshold in the model's ``tuning.json`` (atomic replace); return the model."""
    meta_path = model.path / META_FILE
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    meta["threshold"] = float(threshold)
    _write_json_atomic(meta_path, meta)
    return load_tuned(model.path)


def tune(
    base_path: str | Path,
    codes: Mapping[str, str],
    passages: Sequence[Passage],
    out_dir: str | Path,
    params: TuningParams = TuningParams(),
    *,
    base_id: str | None = None,
    on_progress: TuningProgress | None = None,
    cancel: threading.Event | None = None,
) -> TunedModel:
    """Fine-tune the model in ``base_path`` (the packaged base model or a previous tuned one: a warm
    start) on passages x codes (``codes``: uid -> code text); save and return it.

    ``base_id`` names the starting model in the fingerprint (default: the folder's tuned id, or its name).
    """
    passages = [p for p in passages if p.text.strip()]
    if not codes:
        raise TuningError("there are no codes to tune on")
    if not any(p.positives for p in passages):
        raise TuningError("there are no coded passages to tune on")
    base_path, out_dir = Path(base_path), Path(out_dir)
    base_id = base_id or _model_id(base_path)
    fp = fingerprint(base_id, codes, passages, params)
    final = out_dir / fp
    if (final / META_FILE).is_file():
        return load_tuned(final)
    partial = out_dir / f".{fp}.partial"
    try:
        partial.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise TuningError(f"cannot write the tuned model in {out_dir}: {exc}") from exc
    trainer = _Trainer(base_path, codes, passages, params, partial)
    began = time.perf_counter()
    trainer.run(on_progress, cancel)
    try:
        model_dir = partial / "model"
        if model_dir.exists():
            shutil.rmtree(model_dir)
        trainer.model.save(str(model_dir))
        try:  # the ONNX export suggestions encode with (no torch); without it they encode with torch
            export(trainer.model, model_dir / EXPORT_FILE)
        except ExportError:
            pass
        meta = {"id": fp, "format": FORMAT, "scale": trainer.scale, "bias": trainer.bias, "base": base_id,
                "codes": len(codes), "passages": len(passages), "params": asdict(params), "threshold": 0.5,
                "seconds": round(time.perf_counter() - began, 1)}
        _write_json_atomic(model_dir / META_FILE, meta)
        try:
            os.rename(model_dir, final)  # atomic: the final folder is absent or complete
        except OSError:
            if not (final / META_FILE).is_file():  # not someone else's identical model finished first
                raise
        shutil.rmtree(partial, ignore_errors=True)
    except SAVE_ERRORS as exc:
        raise TuningError(f"cannot write the tuned model in {out_dir}: {exc}") from exc
    return load_tuned(final)


def _model_id(path: Path) -> str:
    """A tuned model's id from its tuning.json; the packaged model's name; else the folder's name."""
    try:
        return load_tuned(path).id
    except TuningError:
        pass
    try:
        if path.resolve() == Path(default_model_path()).resolve():
            return DEFAULT_MODEL
    except ModelUnavailable:
        pass
    return path.name


def _write_json_atomic(path: Path, data: dict) -> None:
    """Write JSON to a temporary file beside ``path`` and rename it over ``path``."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=1), encoding="utf-8")
    os.replace(tmp, path)


class _Trainer:
    """The torch loop: a fresh copy of the encoder, the head (s, b), AdamW, per-epoch checkpoints."""

    def __init__(self, base_path: Path, codes: Mapping[str, str], passages: Sequence[Passage],
                 params: TuningParams, partial: Path) -> None:
        import torch

        self.torch = torch
        self.params = params
        self.partial = partial
        self.code_uids = list(codes)
        self.code_texts = [codes[u] for u in self.code_uids]
        self.passages = list(passages)
        column = {u: j for j, u in enumerate(self.code_uids)}
        n, k = len(self.passages), len(self.code_uids)
        self.labels = np.zeros((n, k), np.float32)
        self.weights = np.ones((n, k), np.float32)
        for i, p in enumerate(self.passages):
            for u in p.positives:
                if u in column:
                    self.labels[i, column[u]] = 1.0
            for u in p.rejected:
                if u in column and u not in p.positives:
                    self.weights[i, column[u]] = params.hard_negative_weight
        checkpoint = partial / CHECKPOINT
        state = _read_state(checkpoint)
        if state is None:  # killed between the two renames of _checkpoint: the previous one is complete
            checkpoint = partial / (CHECKPOINT + ".old")
            state = _read_state(checkpoint)
        start_from = checkpoint if state is not None else base_path
        try:
            self.model = load_model_copy(str(start_from))
        except (OSError, ValueError) as exc:
            raise TuningError(f"cannot load the model to tune from {start_from}: {exc}") from exc
        self.model.max_seq_length = params.max_seq_length
        torch.manual_seed(params.seed)
        self.s = torch.nn.Parameter(torch.tensor(float(state["scale"] if state else params.scale)))
        self.b = torch.nn.Parameter(torch.tensor(float(state["bias"] if state else params.bias)))
        self.optimizer = torch.optim.AdamW([
            {"params": list(self.model.parameters()), "lr": params.learning_rate},
            {"params": [self.s, self.b], "lr": params.head_learning_rate, "weight_decay": 0.0},
        ])
        self.epochs_done = int(state["epochs_done"]) if state else 0
        if state is not None and (checkpoint / "optimizer.pt").is_file():
            self.optimizer.load_state_dict(torch.load(checkpoint / "optimizer.pt"))

    @property
    def scale(self) -> float:
        return float(self.s.detach())

    @property
    def bias(self) -> float:
        return float(self.b.detach())

    def steps_per_epoch(self) -> int:
        return -(-len(self.passages) // self.params.batch_size)

    def _embed(self, texts: list[str]):
        """L2-normalised embeddings with gradients."""
        prepare = getattr(self.model, "preprocess", None) or self.model.tokenize  # tokenize: before 6.x
        features = prepare(texts)
        out = self.model(features)["sentence_embedding"]
        return self.torch.nn.functional.normalize(out, dim=-1)

    def run(self, on_progress: TuningProgress | None, cancel: threading.Event | None) -> None:
        """Train the remaining epochs, checkpointing after each; raise TuningCancelled when asked to stop."""
        torch, p = self.torch, self.params
        per_epoch = self.steps_per_epoch()
        total = per_epoch * p.epochs
        self.model.train()
        loss_value = float("nan")
        for epoch in range(self.epochs_done, p.epochs):
            order = np.random.default_rng(p.seed + epoch).permutation(len(self.passages))
            for step, first in enumerate(range(0, len(order), p.batch_size)):
                if cancel is not None and cancel.is_set():
                    raise TuningCancelled(f"tuning cancelled after {self.epochs_done} of {p.epochs} epochs; "
                                          "run it again to resume from there")
                idx = order[first:first + p.batch_size]
                passages = self._embed([self.passages[i].text for i in idx])
                codes = self._embed(self.code_texts)
                logits = self.s * passages @ codes.T + self.b
                labels = torch.from_numpy(self.labels[idx])
                loss = torch.nn.functional.binary_cross_entropy_with_logits(
                    logits, labels, weight=torch.from_numpy(self.weights[idx]))
                if p.pair_weight > 0:
                    loss = loss + p.pair_weight * _pair_loss(passages, labels)
                self.optimizer.zero_grad()
                loss.backward()
                self.optimizer.step()
                loss_value = float(loss.detach())
                if on_progress is not None:
                    on_progress(epoch * per_epoch + step + 1, total, loss_value)
            self.epochs_done = epoch + 1
            self._checkpoint()
        self.model.eval()

    def _checkpoint(self) -> None:
        """Write weights, optimiser state and head to a temporary folder, then rename it into place."""
        tmp, final = self.partial / (CHECKPOINT + ".tmp"), self.partial / CHECKPOINT
        try:
            if tmp.exists():
                shutil.rmtree(tmp)
            self.model.save(str(tmp))
            self.torch.save(self.optimizer.state_dict(), tmp / "optimizer.pt")
            _write_json_atomic(tmp / "state.json", {"epochs_done": self.epochs_done, "scale": self.scale,
                                                   "bias": self.bias})
            old = self.partial / (CHECKPOINT + ".old")
            if final.exists():
                os.rename(final, old)
            os.rename(tmp, final)
            shutil.rmtree(old, ignore_errors=True)
        except SAVE_ERRORS as exc:
            raise TuningError(f"cannot write a training checkpoint in {self.partial}: {exc}") from exc


def _pair_loss(passages, labels):
    """Squared error between the cosine of two passages of a batch and 1 when they share a code, 0 when
    they do not (pairs of two passages with no code are left out), as SetFit's contrastive step."""
    import torch

    shared = (labels @ labels.T > 0).float()
    coded = labels.sum(dim=1) > 0
    counted = (coded[:, None] | coded[None, :]) & ~torch.eye(len(labels), dtype=torch.bool)
    if not bool(counted.any()):
        return passages.sum() * 0.0
    cos = passages @ passages.T
    return ((cos - shared) ** 2)[counted].mean()


def _read_state(checkpoint: Path) -> dict | None:
    """The checkpoint's state, or None when there is no complete checkpoint."""
    try:
        return json.loads((checkpoint / "state.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def passages_from_spans(spans: Iterable[tuple[str, str, bool]]) -> list[Passage]:
    """Group ``(text, code uid, positive)`` triples by text into passages (rejections as hard negatives)."""
    pos: dict[str, set[str]] = {}
    neg: dict[str, set[str]] = {}
    for text, uid, positive in spans:
        (pos if positive else neg).setdefault(text, set()).add(uid)
        pos.setdefault(text, set())
    return [Passage(t, frozenset(pos[t]), frozenset(neg.get(t, set()) - pos[t])) for t in pos]
