"""Encode a few texts with a BERT sentence-transformers model in numpy, without importing torch.

A new process that needs only a handful of new vectors (an edited definition, before re-suggesting
from cached vectors) would otherwise spend most of its time importing sentence-transformers, transformers
and torch (measured at load averages of 3-5 on this 2-core machine: torch 2.3 s, sentence-transformers 7.0 s,
loading the model and a first encode 1.1 s, in a fresh re-suggest of 11.9 s; bench/suggest_project.py). This runs
the same computation on the model folder's own files: WordPiece ids from its ``tokenizer.json`` (the
``tokenizers`` library), BERT's encoder on the ``model.safetensors`` weights, mean pooling, L2 norm.

Only folders made of exactly Transformer (a BERT with absolute positions and exact GELU) -> mean Pooling
[-> Normalize] are taken: all-MiniLM-L6-v2 and the models ``coding.tuning`` saves. For anything else, or a
text longer than the model's sequence limit (no truncation here), ``load_numpy_encoder``/``encode`` give
None and the caller uses sentence-transformers. tests/test_embedding.py compares the two.
"""
from __future__ import annotations

import json
import math
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

MAX_TEXTS = 64  # more texts than this: sentence-transformers' batched torch encoder is worth its start-up

_ENCODERS: dict[str, NumpyEncoder | None] = {}
_LOCK = threading.Lock()


class NumpyEncoder:
    """A loaded BERT sentence encoder (weights as numpy arrays, the fast tokenizer)."""

    def __init__(self, tokenizer, weights: dict[str, np.ndarray], config: dict, max_tokens: int,
                 threadpool_limits) -> None:
        self.tokenizer = tokenizer
        self.threadpool_limits = threadpool_limits  # threadpoolctl's
        self.w = weights
        self.layers = int(config["num_hidden_layers"])
        self.heads = int(config["num_attention_heads"])
        self.eps = float(config.get("layer_norm_eps", 1e-12))
        self.max_tokens = max_tokens

    def encode(self, texts: Sequence[str]) -> np.ndarray | None:
        """Unit vectors of the texts (float32, in order), or None if one is too long to encode without truncating."""
        ids = [e.ids for e in self.tokenizer.encode_batch(list(texts))]
        if any(len(i) > self.max_tokens for i in ids):
            return None
        with self.threadpool_limits(1, user_api="blas"):  # small products: BLAS threads only wait on each other
            return self._encode_ids(ids)

    def _encode_ids(self, ids: list[list[int]]) -> np.ndarray:
        out = np.empty((len(ids), self.w["embeddings.word_embeddings.weight"].shape[1]), dtype=np.float32)
        for row, token_ids in enumerate(ids):
            pooled = self._hidden(np.asarray(token_ids, dtype=np.int64)).mean(axis=0)
            out[row] = pooled / max(float(np.linalg.norm(pooled)), 1e-12)
        return out

    def _hidden(self, ids: np.ndarray) -> np.ndarray:
        """The last hidden states of one text (tokens x hidden); no padding, so no attention mask."""
        w, n = self.w, len(ids)
        x = (w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][:n]
             + w["embeddings.token_type_embeddings.weight"][0])
        x = self._norm(x, "embeddings.LayerNorm")
        for i in range(self.layers):
            p = f"encoder.layer.{i}."
            q, k, v = (self._linear(x, f"{p}attention.self.{m}") for m in ("query", "key", "value"))
            d = q.shape[1] // self.heads
            q, k, v = (m.reshape(n, self.heads, d).transpose(1, 0, 2) for m in (q, k, v))
            scores = q @ k.transpose(0, 2, 1) / math.sqrt(d)
            scores = np.exp(scores - scores.max(axis=-1, keepdims=True))
            context = (scores / scores.sum(axis=-1, keepdims=True)) @ v
            x = self._norm(self._linear(context.transpose(1, 0, 2).reshape(n, -1), f"{p}attention.output.dense") + x,
                           f"{p}attention.output.LayerNorm")
            inner = _gelu(self._linear(x, f"{p}intermediate.dense"))
            x = self._norm(self._linear(inner, f"{p}output.dense") + x, f"{p}output.LayerNorm")
        return x

    def _linear(self, x: np.ndarray, name: str) -> np.ndarray:
        return x @ self.w[f"{name}.weight"].T + self.w[f"{name}.bias"]

    def _norm(self, x: np.ndarray, name: str) -> np.ndarray:
        mean = x.mean(axis=-1, keepdims=True)
        var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
        return (x - mean) / np.sqrt(var + self.eps) * self.w[f"{name}.weight"] + self.w[f"{name}.bias"]


def _gelu(x: np.ndarray) -> np.ndarray:
    """BERT's exact GELU, x * Phi(x), with erf from Abramowitz & Stegun 7.1.26 (error < 1.5e-7)."""
    z = np.abs(x) / math.sqrt(2.0)
    t = 1.0 / (1.0 + 0.3275911 * z)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
    erf = np.sign(x) * (1.0 - poly * np.exp(-z * z))
    return (0.5 * x * (1.0 + erf)).astype(np.float32)


def load_numpy_encoder(path: str) -> NumpyEncoder | None:
    """The numpy encoder of a sentence-transformers folder (once per process), or None if it is not a plain BERT
    with mean pooling, or ``tokenizers``/``safetensors`` are missing."""
    with _LOCK:
        if path not in _ENCODERS:
            _ENCODERS[path] = _load(Path(path))
        return _ENCODERS[path]


def _load(folder: Path) -> NumpyEncoder | None:
    try:
        modules = json.loads((folder / "modules.json").read_text(encoding="utf-8"))
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        kinds = [m["type"].rsplit(".", 1)[-1] for m in modules]
        if kinds not in (["Transformer", "Pooling"], ["Transformer", "Pooling", "Normalize"]):
            return None
        if modules[0].get("path", "") not in ("", "."):
            return None
        pooling = json.loads((folder / modules[1]["path"] / "config.json").read_text(encoding="utf-8"))
        if not _mean_pooling(pooling) or not _plain_bert(config):
            return None
        limit = _max_tokens(folder, config)
        from safetensors.numpy import load_file
        from threadpoolctl import threadpool_limits
        from tokenizers import Tokenizer
    except (OSError, ValueError, KeyError, TypeError, IndexError, ImportError):
        return None
    try:
        weights = load_file(str(folder / "model.safetensors"))
        tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
    except Exception:  # noqa: BLE001 both libraries raise plain exceptions; sentence-transformers then reports it
        return None
    weights = {k.removeprefix("bert."): v.astype(np.float32, copy=False) for k, v in weights.items()}
    if f"encoder.layer.{int(config['num_hidden_layers']) - 1}.output.LayerNorm.bias" not in weights:
        return None
    tokenizer.no_padding()
    tokenizer.no_truncation()
    return NumpyEncoder(tokenizer, weights, config, limit, threadpool_limits)


def _mean_pooling(config: dict) -> bool:
    """Mean pooling over every token and nothing else."""
    if "pooling_mode" in config:
        return config["pooling_mode"] == "mean"
    modes = {k: v for k, v in config.items() if k.startswith("pooling_mode_")}
    return modes.get("pooling_mode_mean_tokens") is True and not any(v for k, v in modes.items()
                                                                    if k != "pooling_mode_mean_tokens")


def _plain_bert(config: dict) -> bool:
    return (config.get("model_type") == "bert" and config.get("hidden_act") == "gelu"
            and config.get("position_embedding_type", "absolute") == "absolute")


def _max_tokens(folder: Path, config: dict) -> int:
    """The sequence limit sentence-transformers applies to this folder: ``max_seq_length`` of
    sentence_bert_config.json, else the tokenizer's ``model_max_length`` (texts longer than that are left to
    sentence-transformers, which truncates them)."""
    limit = int(config.get("max_position_embeddings", 512))
    for name, key in (("sentence_bert_config.json", "max_seq_length"), ("tokenizer_config.json", "model_max_length")):
        try:
            value = json.loads((folder / name).read_text(encoding="utf-8")).get(key)
        except (OSError, ValueError):
            continue
        if isinstance(value, int) and value > 0:
            return min(value, limit)
    return min(128, limit)  # unknown: the shortest limit these models are saved with
