"""The embedding model's ONNX export: the same vectors as sentence-transformers, made once, kept atomically, and
torch when an export is damaged or cannot be made."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from coding.embedding import (DEFAULT_MODEL, EXPORT_FILE, TUNED_MARKER, Embedder, default_model_path, export_path,
                              forget_exports, load_model, onnx_encoder)
from coding.onnx_encoder import MIN_COSINE, PROBES, ExportError, OnnxEncoder, export

TEXTS = [
    "I felt so alone after the flood.",
    "We rent a flat above the shop; the landlord never fixes anything.",
    " ".join(["The food bank volunteers came every Tuesday with bread and milk for the older residents."] * 20),  # past 256 tokens
    " ".join(["word"] * 140),  # past the tokenizer file's own 128 tokens, under the model's 256
    "",
    "   ",
    "\n\t",
    ".",
    "Café naïve façade, Ärger über Öl, 東京の雨, ¿qué pasó?, emoji 🙂🌊",
    "ÀÉÎÕÜ ß ﬁ ﬂ — “quoted” ‘text’ … ½",
    "x",
    "OK",
]


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The packaged model exported once for this module."""
    target = tmp_path_factory.mktemp("onnx") / "model.onnx"
    export(load_model(default_model_path()), target)
    return target


@pytest.fixture
def fresh_exports():
    """Each test finds no export loaded in the process."""
    forget_exports()
    yield
    forget_exports()


def _torch_vectors(texts: list[str]) -> np.ndarray:
    return load_model(default_model_path()).encode(texts, convert_to_numpy=True, normalize_embeddings=True,
                                                   show_progress_bar=False)


@pytest.mark.parametrize("batch_size", [1, 4, 64])
def test_onnx_vectors_match_sentence_transformers(exported: Path, batch_size: int) -> None:
    onnx = OnnxEncoder(exported).encode(TEXTS, batch_size=batch_size)
    torch = _torch_vectors(TEXTS)
    assert onnx.shape == torch.shape == (len(TEXTS), 384) and onnx.dtype == np.float32
    assert np.allclose(np.linalg.norm(onnx, axis=1), 1.0, atol=1e-5)
    assert (onnx * torch).sum(axis=1).min() >= MIN_COSINE


def test_the_export_carries_its_tokenizer_length_and_probe_vectors(exported: Path) -> None:
    encoder = OnnxEncoder(exported)
    assert encoder.dimension == 384 and encoder.tokenizer.truncation["max_length"] == 256
    assert encoder.tokenizer.padding is None  # each batch is padded to its own longest text, not to the longest of all
    assert encoder.probes.shape == (len(PROBES), 384)
    encoder.check()
    assert not list(exported.parent.glob(".*.tmp"))  # written under a temporary name, renamed into place


def test_the_embedder_exports_once_into_the_user_cache_and_then_needs_no_torch_model(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_exports) -> None:
    monkeypatch.setenv("WORKBENCH_CACHE_DIR", str(tmp_path / "cache"))
    first = Embedder().encode(TEXTS)
    target = export_path(DEFAULT_MODEL, default_model_path())
    assert target.parent == tmp_path / "cache" / "onnx" and target.is_file()
    assert (first * _torch_vectors(TEXTS)).sum(axis=1).min() >= MIN_COSINE
    written = target.stat().st_mtime_ns
    forget_exports()  # as a new process: the export is read, not made again
    again = Embedder().encode(TEXTS)
    assert target.stat().st_mtime_ns == written and np.allclose(first, again, atol=1e-6)
    assert not Path(default_model_path()).joinpath(EXPORT_FILE).exists()  # never inside the installed package


@pytest.mark.parametrize("damage", ["garbage", "truncated", "empty"])
def test_a_damaged_export_is_made_again_without_an_error(
        exported: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_exports, damage: str) -> None:
    monkeypatch.setenv("WORKBENCH_CACHE_DIR", str(tmp_path / "cache"))
    target = export_path(DEFAULT_MODEL, default_model_path())
    target.parent.mkdir(parents=True)
    if damage == "garbage":
        target.write_bytes(b"not a model at all" * 100)
    elif damage == "truncated":
        target.write_bytes(exported.read_bytes()[:5_000_000])
    else:
        target.write_bytes(b"")
    vectors = Embedder().encode(TEXTS[:3])
    assert (vectors * _torch_vectors(TEXTS[:3])).sum(axis=1).min() >= MIN_COSINE
    OnnxEncoder(target).check()  # replaced by a good export


def test_an_export_whose_vectors_are_wrong_is_not_used(exported: Path, tmp_path: Path) -> None:
    import onnx

    proto = onnx.load(str(exported))
    for prop in proto.metadata_props:
        if prop.key == "workbench.probes":  # the recorded vectors no longer agree with the graph's
            prop.value = json.dumps((-np.array(json.loads(prop.value))).tolist())
    wrong = tmp_path / "wrong.onnx"
    onnx.save(proto, str(wrong))
    with pytest.raises(ExportError):
        OnnxEncoder(wrong).check(probes=1)


def test_without_an_export_the_torch_model_encodes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                   fresh_exports) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("the cache folder cannot be made here")
    monkeypatch.setenv("WORKBENCH_CACHE_DIR", str(blocked))
    assert onnx_encoder(DEFAULT_MODEL, default_model_path()) is None
    vectors = Embedder().encode(TEXTS)
    assert np.allclose(vectors, _torch_vectors(TEXTS), atol=1e-6)


def test_a_tuned_models_export_goes_inside_its_folder(tmp_path: Path) -> None:
    folder = tmp_path / "tuned-abc"
    folder.mkdir()
    assert export_path("tuned-abc", str(folder)).parent != folder  # not a tuned model's folder (no tuning.json)
    (folder / TUNED_MARKER).write_text("{}")
    assert export_path("tuned-abc", str(folder)) == folder / EXPORT_FILE


def test_a_missing_model_folder_is_still_reported(tmp_path: Path, fresh_exports) -> None:
    from coding.embedding import ModelUnavailable

    with pytest.raises(ModelUnavailable):
        Embedder(model_name="custom", model_path=str(tmp_path / "nope")).encode(["text"])


def test_export_into_an_unwritable_place_raises_export_error(tmp_path: Path) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("")
    with pytest.raises(ExportError):
        export(load_model(default_model_path()), blocked / "model.onnx")
