"""The embedding model run by ONNX Runtime and the ``tokenizers`` library, without torch.

The transformer of a sentence-transformers model is exported once with ``torch.onnx.export`` into one
``.onnx`` file that also carries, as metadata, what encoding needs besides the graph: the tokenizer (its
``tokenizer.json``), the maximum sequence length and the padding token, and the vectors the torch model
gave for a few probe texts. Encoding is then: tokenize (truncate to the maximum length, pad to the
batch's longest), run the graph, mean-pool the token vectors over the attention mask, L2-normalise, as
the model's modules (Transformer, mean Pooling, Normalize) do. An export is kept only when its vectors
for the probe texts match the torch model's (cosine >= ``MIN_COSINE``); a file that does not load or no
longer gives its probe vectors is not used. The file is written to a temporary name and renamed.
"""
from __future__ import annotations

import json
import os
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np

MIN_COSINE = 0.9999  # an export must give the torch model's vectors to within this cosine
FORMAT = "workbench-onnx-1"
PROBES = [  # varied texts: short, long (past 256 tokens), blank, accented and non-Latin, punctuation
    "I felt so alone after the flood, nobody came to check on us.",
    " ".join(["The neighbours organised food deliveries and shared transport to the clinic."] * 40),
    "",
    "   ",
    "Café, naïve, 東京, Ärger, emoji 🙂 — and “quotes”.",
    "x",
]


class ExportError(RuntimeError):
    """An ONNX export cannot be made or does not give the model's vectors."""


def user_cache_dir() -> Path:
    """This user's cache folder for derived model files: $WORKBENCH_CACHE_DIR, else $XDG_CACHE_HOME or
    ~/.cache, under ``resilience-workbench``."""
    if os.environ.get("WORKBENCH_CACHE_DIR"):
        return Path(os.environ["WORKBENCH_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "resilience-workbench"


def base_export_path(model_name: str, model_path: str) -> Path:
    """Where the export of an installed (possibly read-only) model is kept: the user's cache folder, named by
    the model and its weights file's size and time, so a reinstalled model is exported again."""
    from coding.lemmas import text_hash

    stamps = []
    for name in sorted(os.listdir(model_path)):
        if name.endswith((".safetensors", ".bin")):
            info = os.stat(os.path.join(model_path, name))
            stamps.append(f"{name}:{info.st_size}:{info.st_mtime_ns}")
    return user_cache_dir() / "onnx" / f"{model_name}-{text_hash('|'.join([model_path, *stamps]))[:12]}.onnx"


class OnnxEncoder:
    """Encode texts with an exported model file: L2-normalised float32 vectors, as the torch model gives."""

    def __init__(self, path: Path) -> None:
        """Load an export; ExportError when the file is missing, damaged or not one of ours."""
        try:
            self._load(Path(path))
        except (ImportError, OSError, KeyError, ValueError, *_onnxruntime_errors()) as exc:
            raise ExportError(f"cannot load {path}: {exc}") from exc

    def _load(self, path: Path) -> None:
        import onnxruntime
        from tokenizers import Tokenizer

        self.path = path
        options = onnxruntime.SessionOptions()
        options.log_severity_level = 3  # errors only
        self.session = onnxruntime.InferenceSession(str(self.path), options, providers=["CPUExecutionProvider"])
        meta = self.session.get_modelmeta().custom_metadata_map
        if meta.get("workbench.format") != FORMAT:
            raise ExportError(f"{self.path} is not a workbench export")
        self.dimension = int(meta["workbench.dimension"])
        self.tokenizer = Tokenizer.from_str(meta["workbench.tokenizer"])
        self.tokenizer.no_padding()  # each batch is padded to its own longest text below
        self.tokenizer.enable_truncation(int(meta["workbench.max_seq_length"]))
        self.pad_id = int(meta["workbench.pad_id"])
        self.inputs = [i.name for i in self.session.get_inputs()]
        self.probes = np.array(json.loads(meta["workbench.probes"]), dtype=np.float32)

    def check(self, probes: int = len(PROBES)) -> None:
        """Raise ExportError unless the file gives the vectors the torch model gave for the first ``probes`` probe
        texts (one at a time: a batch would pad every probe to the longest one's length)."""
        vectors = np.vstack([self.encode([t], batch_size=1) for t in PROBES[:probes]])
        if _min_cosine(vectors, self.probes[:probes]) < MIN_COSINE:
            raise ExportError(f"{self.path} does not give the model's vectors")

    def encode(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        """A ``len(texts) x dimension`` float32 matrix of unit vectors, in input order."""
        out = np.empty((len(texts), self.dimension), dtype=np.float32)
        if not len(texts):
            return out
        encodings = self.tokenizer.encode_batch(list(texts), add_special_tokens=True)
        order = sorted(range(len(texts)), key=lambda i: -len(encodings[i].ids))  # batches of similar lengths
        for begin in range(0, len(order), batch_size):
            rows = order[begin:begin + batch_size]
            width = max(len(encodings[i].ids) for i in rows)
            feeds = {name: np.zeros((len(rows), width), dtype=np.int64) for name in self.inputs}
            for k, i in enumerate(rows):
                e = encodings[i]
                n = len(e.ids)
                feeds["input_ids"][k, :n] = e.ids
                feeds["attention_mask"][k, :n] = e.attention_mask
                if "token_type_ids" in feeds:
                    feeds["token_type_ids"][k, :n] = e.type_ids
            feeds["input_ids"][feeds["attention_mask"] == 0] = self.pad_id  # padding holds the padding token
            tokens = self.session.run(None, feeds)[0]
            mask = feeds["attention_mask"][..., np.newaxis].astype(np.float32)
            pooled = (tokens * mask).sum(axis=1) / np.maximum(mask.sum(axis=1), 1e-9)
            out[rows] = pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
        return out


def export(model, target: Path) -> None:
    """Export a loaded SentenceTransformer (Transformer, mean Pooling, Normalize) to ``target`` with torch, check
    it against the model on the probe texts and rename it into place; ExportError if it cannot be made."""
    try:
        import onnx
        import torch
    except ImportError as exc:
        raise ExportError(f"cannot export the embedding model: {exc}") from exc
    tokenizer = model.tokenizer
    transformer = model[0].auto_model
    probe_vectors = model.encode(PROBES, convert_to_numpy=True, normalize_embeddings=True, show_progress_bar=False)
    sample = tokenizer(["a longer sample text", "short"], padding=True, return_tensors="pt")
    names = [n for n in ("input_ids", "attention_mask", "token_type_ids") if n in sample]
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")  # the TorchScript exporter's deprecation and tracer notes
            torch.onnx.export(_token_vectors(transformer.eval(), names), tuple(sample[n] for n in names), str(tmp),
                              dynamo=False, input_names=names, output_names=["token_embeddings"],
                              dynamic_axes={n: {0: "batch", 1: "tokens"} for n in [*names, "token_embeddings"]},
                              opset_version=17)
        proto = onnx.load(str(tmp))
        meta = {"workbench.format": FORMAT, "workbench.dimension": str(probe_vectors.shape[1]),
                "workbench.tokenizer": tokenizer.backend_tokenizer.to_str(),
                "workbench.max_seq_length": str(int(model.max_seq_length)),
                "workbench.pad_id": str(int(tokenizer.pad_token_id)),
                "workbench.probes": json.dumps(probe_vectors.tolist())}
        for key, value in meta.items():
            proto.metadata_props.add(key=key, value=value)
        onnx.save(proto, str(tmp))
        OnnxEncoder(tmp).check()
        os.replace(tmp, target)
    except (RuntimeError, ValueError, TypeError, AttributeError, KeyError, OSError, *_onnxruntime_errors()) as exc:
        raise ExportError(f"cannot export the embedding model to {target}: {exc}") from exc
    finally:
        if tmp.is_file():
            tmp.unlink()


def _token_vectors(transformer, names: list[str]):
    """A torch module taking the transformer's inputs by position and returning its token vectors."""
    import torch

    class TokenVectors(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.transformer = transformer

        def forward(self, *inputs):
            return self.transformer(**dict(zip(names, inputs))).last_hidden_state

    return TokenVectors()


def _onnxruntime_errors() -> tuple[type[Exception], ...]:
    """The exception classes ONNX Runtime raises for a file it cannot load or run (they derive from Exception)."""
    try:
        from onnxruntime.capi import onnxruntime_pybind11_state as state
    except ImportError:
        return ()
    return tuple(v for v in vars(state).values() if isinstance(v, type) and issubclass(v, Exception))


def _min_cosine(a: np.ndarray, b: np.ndarray) -> float:
    """The smallest row-wise cosine between two matrices of unit vectors (-1 when their shapes differ)."""
    return float((a * b).sum(axis=1).min()) if a.shape == b.shape else -1.0
