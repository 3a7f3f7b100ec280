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


def _hashed_vectors(n: int, seed: int = 0) -> dict[str, np.ndarray]:
    from coding.lemmas import text_hash

    rng = np.random.default_rng(seed)
    return {text_hash(f"sentence {seed}-{i}"): rng.standard_normal(384).astype(np.float32) for i in range(n)}


def test_many_cached_vectors_are_read_from_the_packs_as_stored_one_by_one(store: Store) -> None:
    """Thousands of vectors read from the packs agree with the rows read one by one (the old path), also after
    many small writes (merged into one pack), a vector written again, and keys that are not text hashes."""
    from workbench.store.cache import _PACK, _SCAN_ABOVE, _SMALL_PACKS

    big = _hashed_vectors(_SCAN_ABOVE + 500)
    store.cache_vectors("m", big)
    small = [_hashed_vectors(3, seed) for seed in range(1, _SMALL_PACKS + 5)]  # edits: a few vectors each
    for vectors in small:
        store.cache_vectors("m", vectors)
    first = next(iter(big))
    store.cache_vectors("m", {first: np.ones(384, dtype=np.float32)})  # written again: the last one counts
    store.cache_vectors("m", {"odd-key": np.full(384, 2, dtype=np.float32)})
    store.cache_vectors("other", _hashed_vectors(10, 99))
    packs = store.database.conn.execute("SELECT length(hashes) / 40 FROM embedding_packs WHERE model = 'm'").fetchall()
    assert sum(n for (n,) in packs if n < _PACK) <= _SMALL_PACKS * 4 and len(packs) <= _SMALL_PACKS + 1
    wanted = ["missing" * 5 + "miss", *reversed(list(big)), *(h for v in small for h in v), "odd-key"]
    matrix, found = store.cached_vector_matrix("m", wanted)
    assert found.tolist() == [False] + [True] * (len(wanted) - 1)
    assert not matrix[0].any()
    one_by_one = {h: v for i in range(1, len(wanted), 900) for h, v in store.cached_vectors("m", wanted[i:i + 900]).items()}
    assert all(np.array_equal(matrix[k], one_by_one[h]) for k, h in enumerate(wanted) if k)
    assert np.array_equal(one_by_one[first], np.ones(384, dtype=np.float32))
    assert store.cached_vectors("m", wanted).keys() == one_by_one.keys()


def test_a_project_from_before_migration_13_has_its_cached_vectors_packed(store: Store) -> None:
    import sqlite3

    vectors = _hashed_vectors(6_000)
    store.cache_vectors("m", vectors)
    path = store.path
    store.close()
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("DROP TABLE embedding_packs")
    conn.execute("ALTER TABLE training_runs DROP COLUMN checked")  # migration 14's, which comes after
    conn.execute("PRAGMA user_version = 12")
    conn.close()
    again = Store.open(path)
    assert again.database.scalar("SELECT count(*) FROM embedding_packs") == 2  # 4,096 vectors a pack
    matrix, found = again.cached_vector_matrix("m", list(vectors))
    assert found.all() and np.array_equal(matrix, np.stack(list(vectors.values())))


def test_a_failed_cache_write_leaves_neither_rows_nor_a_pack(store: Store) -> None:
    """The rows and the pack are written in one transaction: when the pack cannot be written (here a trigger
    refuses it, as a full disk or a killed process would stop it), no row of it stays either."""
    import sqlite3

    store.cache_vectors("m", _hashed_vectors(5, 1))
    store.database.conn.execute("CREATE TEMP TRIGGER refuse BEFORE INSERT ON embedding_packs "
                                "BEGIN SELECT RAISE(ABORT, 'disk full'); END")
    with pytest.raises(sqlite3.DatabaseError):
        store.cache_vectors("m", _hashed_vectors(10, 2))
    assert store.database.scalar("SELECT count(*) FROM embeddings") == 5
    assert store.database.scalar("SELECT count(*) FROM embedding_packs") == 1
