"""Suggestions in the store: replacing runs, accepting, rejecting, never suggesting a rejected span again."""
from __future__ import annotations

import numpy as np
import pytest

from workbench.errors import Conflict
from workbench.store import NewSuggestion, Store

from helpers import interview_source


def _setup(store: Store) -> tuple[int, int, int]:
    source = store.add_source(interview_source(attributes={"site": "Northgate"}), "amira")
    wellbeing = store.add_code("Wellbeing", "amira")
    bonding = store.add_code("Bonding ties", "amira")
    return source, wellbeing, bonding


def _new(source: int, code: int, start: int, end: int, score: float = 0.8) -> NewSuggestion:
    return NewSuggestion(source, start, end, code, score, 'matched "sane"', "lexical.v1")


def test_accept_makes_a_coding_with_provenance(store: Store) -> None:
    source, wellbeing, _ = _setup(store)
    assert store.replace_suggestions([_new(source, wellbeing, 100, 120, 0.9)], "engine") == 1
    suggestion = store.suggestions()[0]
    coding_id = store.accept_suggestion(suggestion.id, "amira")
    coding = store.get_coding(coding_id)
    assert (coding.origin, coding.suggester, coding.score, coding.reason, coding.accepted_by, coding.coder) == (
        "suggestion", "lexical.v1", 0.9, 'matched "sane"', "amira", "amira")
    assert store.get_suggestion(suggestion.id).status == "accepted"
    with pytest.raises(Conflict, match="already accepted"):
        store.reject_suggestion(suggestion.id, "tom")
    assert [e.action for e in store.events()][-2:] == ["coding.add", "suggestion.accept"]


def test_accept_with_an_adjusted_span_and_code(store: Store) -> None:
    source, wellbeing, bonding = _setup(store)
    store.replace_suggestions([_new(source, wellbeing, 100, 120)], "engine")
    coding = store.get_coding(store.accept_suggestion(store.suggestions()[0].id, "amira", start=98, code_id=bonding))
    assert (coding.start, coding.end, coding.code_id) == (98, 120, bonding)


def test_rejected_spans_are_never_suggested_again(store: Store) -> None:
    source, wellbeing, bonding = _setup(store)
    store.replace_suggestions([_new(source, wellbeing, 100, 120), _new(source, bonding, 100, 120)], "engine")
    rejected = next(s for s in store.suggestions() if s.code_id == wellbeing)
    store.reject_suggestion(rejected.id, "amira")
    stored = store.replace_suggestions([_new(source, wellbeing, 100, 120), _new(source, bonding, 100, 120),
                                        _new(source, wellbeing, 130, 150)], "engine")
    assert stored == 2
    pending = {(s.code_id, s.start) for s in store.suggestions()}
    assert pending == {(bonding, 100), (wellbeing, 130)}
    assert store.suggestion_counts() == {"pending": 2, "accepted": 0, "rejected": 1}


def test_already_coded_spans_are_not_suggested(store: Store) -> None:
    source, wellbeing, _ = _setup(store)
    store.add_coding(source, 95, 125, wellbeing, "amira")
    assert store.replace_suggestions([_new(source, wellbeing, 100, 120)], "engine") == 0


def test_replace_only_touches_its_scope(store: Store) -> None:
    source, wellbeing, bonding = _setup(store)
    store.replace_suggestions([_new(source, wellbeing, 10, 20), _new(source, bonding, 10, 20)], "engine")
    store.replace_suggestions([_new(source, wellbeing, 30, 40)], "engine", code_ids=[wellbeing])
    assert sorted((s.code_id, s.start) for s in store.suggestions()) == [(wellbeing, 30), (bonding, 10)]
    assert [s.code_id for s in store.suggestions(min_score=0.5, attributes={"site": "Northgate"},
                                                 code_ids=[bonding])] == [bonding]
    assert store.suggestions(attributes={"site": "Seacombe"}) == []


def test_embedding_cache_round_trips_float32(store: Store) -> None:
    vectors = {"a": np.arange(4, dtype=np.float32), "b": np.ones(4, dtype=np.float32)}
    store.cache_vectors("m", vectors)
    got = store.cached_vectors("m", ["a", "b", "c"])
    assert set(got) == {"a", "b"} and np.array_equal(got["a"], vectors["a"])
    assert store.cached_vectors("other-model", ["a"]) == {}


@pytest.mark.parametrize("n", [50, 6_000])  # an index probe per key, and one scan of the table
def test_cached_vectors_come_back_as_one_matrix_in_the_asked_order(store: Store, n: int) -> None:
    rng = np.random.default_rng(0)
    vectors = {f"h{i}": rng.standard_normal(384).astype(np.float32) for i in range(n)}
    store.cache_vectors("m", vectors)
    store.cache_vectors("other-model", {"h0": np.ones(384, dtype=np.float32)})
    asked = ["missing", *reversed(list(vectors)), "also-missing"]
    matrix, found = store.cached_vector_matrix("m", asked)
    assert matrix.shape == (n + 2, 384) and matrix.dtype == np.float32
    assert found.tolist() == [False, *([True] * n), False]
    assert not matrix[0].any() and not matrix[-1].any()
    assert all(np.array_equal(matrix[k + 1], vectors[h]) for k, h in enumerate(reversed(list(vectors))))


def test_the_embedder_reads_the_project_cache_as_a_matrix(store: Store) -> None:
    from coding.embedding import Embedder
    from workbench.store.cache import StoreEmbeddingCache, forget_cached_values

    texts = ["The pantry is a lifeline.", "We sat in the garden.", "The pantry is a lifeline."]
    first = Embedder(cache=StoreEmbeddingCache(store)).encode(texts)
    assert store.database.scalar("SELECT count(*) FROM embeddings") == 2  # the repeated text once
    forget_cached_values()
    again = Embedder(cache=StoreEmbeddingCache(store)).encode(texts)  # from the file, in the asked order
    assert np.allclose(first, again) and np.array_equal(again[0], again[2])
    more = Embedder(cache=StoreEmbeddingCache(store)).encode(["A new sentence.", *texts])
    assert np.allclose(more[1:], first) and store.database.scalar("SELECT count(*) FROM embeddings") == 3


def test_vectors_known_from_one_project_are_still_written_to_another(tmp_path) -> None:
    from coding.embedding import Embedder
    from workbench.store.cache import StoreEmbeddingCache

    first, second = Store.create(tmp_path / "a.wbproj"), Store.create(tmp_path / "b.wbproj")
    texts = ["The pantry is a lifeline.", "We sat in the garden."]
    Embedder(cache=StoreEmbeddingCache(first)).encode(texts)
    Embedder(cache=StoreEmbeddingCache(second)).encode(texts)  # same process, same texts, another project
    assert second.database.scalar("SELECT count(*) FROM embeddings") == 2
