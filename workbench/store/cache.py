"""The suggestion engine's caches in the project: sentence embeddings per model and lemma lists, keyed by a
hash of the text, so a second run only encodes what it has not seen; and an in-process memo in front of
them, shaped as the embedder's and lemmatiser's cache protocols (`coding.embedding`, `coding.lemmas`)."""
from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from coding.lemmas import LEMMA_MODEL

from workbench.store.db import Database

if TYPE_CHECKING:
    import numpy as np

    from workbench.store import Store

_SCAN_ABOVE = 5000  # cache lookups of more keys than this read the whole table once
_HASH = 40  # characters of a text hash (SHA-1, hex): the packs' hashes are these, one after the other
_PACK = 4096  # vectors: packs smaller than this are merged once there are more than _SMALL_PACKS of them
_SMALL_PACKS = 16


def _lemma_text(lemmas: list[str]) -> str:
    """Lemmas as stored: space-separated when none holds a space (fast to read back), else JSON."""
    return json.dumps(lemmas) if any(" " in x or not x for x in lemmas) or (lemmas and lemmas[0].startswith("[")) \
        else " ".join(lemmas)


def _lemma_list(value: str) -> list[str]:
    return json.loads(value) if value.startswith("[") else value.split(" ") if value else []


class CacheStore:
    """Embeddings and lemmas cached by text hash (numpy is imported only when vectors are read or written)."""

    database: Database

    def _by_hash(self, table: str, column: str, hashes: list[str], where: str = "",
                 params: tuple = (), *, key: str = "text_hash", rows: bool = False) -> Iterator[tuple[str, Any]]:
        """(text hash, value) of the cached rows among ``hashes``: index probes for a few keys, one pass over the
        table for many (which beats thousands of probes). ``rows``: the value is the tuple of several columns."""
        conn = self.database.conn
        sql = f"SELECT {key}, {column} FROM {table} WHERE 1{where}"
        pairs = (lambda found: ((r[0], r[1:]) for r in found)) if rows else (lambda found: found)
        if len(hashes) > _SCAN_ABOVE:
            wanted = set(hashes)
            yield from ((h, value) for h, value in pairs(conn.execute(sql, params)) if h in wanted)
            return
        for i in range(0, len(hashes), 900):
            chunk = hashes[i:i + 900]
            yield from pairs(conn.execute(f"{sql} AND {key} IN ({','.join('?' * len(chunk))})", [*params, *chunk]))

    def cached_vectors(self, model: str, hashes: list[str]) -> dict[str, np.ndarray]:
        """Cached embeddings of texts by hash."""
        import numpy as np

        if len(hashes) > _SCAN_ABOVE:
            matrix, found = self.cached_vector_matrix(model, hashes)
            return {h: matrix[i] for i, h in enumerate(hashes) if found[i]}
        return {h: np.frombuffer(blob, dtype=np.float32)
                for h, blob in self._by_hash("embeddings", "vector", hashes, " AND model = ?", (model,))}

    def cached_vector_matrix(self, model: str, hashes: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """Cached embeddings of ``hashes`` as one float32 matrix in their order (zero rows where not cached)
        and a mask of the rows found. Reads many vectors much faster than ``cached_vectors``: from the packs,
        in which every vector cached under a text hash is (written with its row, or by migration 13)."""
        import numpy as np

        if len(hashes) > _SCAN_ABOVE:  # the packs' hashes first, then each pack's vectors straight into the matrix
            packs = self.database.conn.execute("SELECT id, hashes FROM embedding_packs WHERE model = ? ORDER BY id",
                                               (model,)).fetchall()
            pieces = [[text[i:i + _HASH] for i in range(0, len(text), _HASH)] for _id, text in packs]
            vectors = (lambda p: self.database.scalar("SELECT vectors FROM embedding_packs WHERE id = ?",
                                                      (packs[p][0],)))
        else:
            rows = list(self._by_hash("embeddings", "vector", hashes, " AND model = ?", (model,)))
            pieces = [[h for h, _blob in rows]]
            vectors = (lambda p: b"".join([blob for _h, blob in rows]))
        out, mask = self._gather(pieces, vectors, hashes, model)
        unpacked: dict[str, list[int]] = {}  # keys that are not text hashes are in `embeddings` only
        for i in np.flatnonzero(~mask):
            if len(hashes[i]) != _HASH:
                unpacked.setdefault(hashes[i], []).append(int(i))
        if len(hashes) > _SCAN_ABOVE:
            for h, blob in self._by_hash("embeddings", "vector", list(unpacked), " AND model = ?", (model,)):
                out[unpacked[h]] = np.frombuffer(blob, dtype=np.float32)
                mask[unpacked[h]] = True
        return out, mask

    def _gather(self, pieces: list[list[str]], vectors: Callable[[int], bytes], hashes: list[str],
                model: str) -> tuple[np.ndarray, np.ndarray]:
        """The matrix of ``hashes`` from pieces (lists of keys) whose vectors ``vectors(piece)`` reads (float32,
        one after the other), each read only if needed and copied once into the matrix; and the mask of rows found.
        A key in two pieces: its vector in the later one (written last, as in `embeddings`)."""
        import numpy as np

        starts = np.cumsum([0, *map(len, pieces)])
        row_of = {h: i for keys, start in zip(pieces, starts.tolist()) for i, h in enumerate(keys, start)}
        index = np.fromiter((row_of.get(h, -1) for h in hashes), dtype=np.int64, count=len(hashes))
        mask = index >= 0
        piece_of = np.searchsorted(starts, index, side="right") - 1
        out = None
        for p, keys in enumerate(pieces):
            mine = np.flatnonzero(mask & (piece_of == p))
            if mine.size:
                flat = np.frombuffer(vectors(p), dtype=np.float32)
                width = flat.size // len(keys)
                if out is None:
                    out = np.zeros((len(hashes), width), dtype=np.float32)
                out[mine] = flat.reshape(len(keys), width)[index[mine] - starts[p]]
        if out is None:
            out = np.zeros((len(hashes), self._vector_width(model)), dtype=np.float32)
        return out, mask

    def _vector_width(self, model: str) -> int:
        size = self.database.scalar("SELECT length(vector) FROM embeddings WHERE model = ? LIMIT 1", (model,))
        return (size or 384 * 4) // 4

    def cache_vectors(self, model: str, vectors: dict[str, np.ndarray]) -> None:
        """Cache embeddings by text hash: a row each, and one pack of them all (small packs are merged later)."""
        import numpy as np

        blobs = {h: np.asarray(v, dtype=np.float32).tobytes() for h, v in vectors.items()}
        packed = {h: b for h, b in blobs.items() if len(h) == _HASH}
        with self.database.transaction() as conn:
            conn.executemany("INSERT OR REPLACE INTO embeddings (model, text_hash, vector) VALUES (?, ?, ?)",
                             [(model, h, b) for h, b in blobs.items()])
            if packed:
                conn.execute("INSERT INTO embedding_packs (model, hashes, vectors) VALUES (?, ?, ?)",
                             (model, "".join(packed), b"".join(packed.values())))
                self._merge_small_packs(conn, model)

    def _merge_small_packs(self, conn, model: str) -> None:
        """Once a model has more than ``_SMALL_PACKS`` packs of fewer than ``_PACK`` vectors (each re-suggest after
        an edit writes one of a few vectors), rewrite them as one (in the caller's transaction). The merged pack
        comes after larger ones written since: harmless, as a text's vector under one model is the same each time
        it is encoded (to float rounding)."""
        small = [pack_id for pack_id, n in conn.execute(
            "SELECT id, length(hashes) / ? FROM embedding_packs WHERE model = ? ORDER BY id", (_HASH, model))
            if n < _PACK]
        if len(small) <= _SMALL_PACKS:
            return
        marks = ",".join("?" * len(small))
        rows = conn.execute(f"SELECT hashes, vectors FROM embedding_packs WHERE id IN ({marks}) ORDER BY id",
                            small).fetchall()
        conn.execute(f"DELETE FROM embedding_packs WHERE id IN ({marks})", small)
        conn.execute("INSERT INTO embedding_packs (model, hashes, vectors) VALUES (?, ?, ?)",
                     (model, "".join(h for h, _v in rows), b"".join(v for _h, v in rows)))

    def cached_code_models(self, fingerprints: list[str]) -> dict[str, tuple[np.ndarray, float, float, int, int]]:
        """Fitted learned.v1 code models by fingerprint: (coefficients, intercept, threshold, positives, negatives)."""
        import numpy as np

        return {fp: (np.frombuffer(coef, dtype=np.float32), intercept, threshold, n_pos, n_neg)
                for fp, (coef, intercept, threshold, n_pos, n_neg) in
                self._by_hash("learned_models", "coef, intercept, threshold, n_positive, n_negative", fingerprints,
                              key="fingerprint", rows=True)}

    def cache_code_models(self, models: list[tuple[str, np.ndarray, float, float, int, int]]) -> None:
        """Keep fitted code models: (fingerprint, coefficients, intercept, threshold, positives, negatives)."""
        import numpy as np

        with self.database.transaction() as conn:
            conn.executemany("INSERT OR REPLACE INTO learned_models (fingerprint, coef, intercept, threshold, "
                             "n_positive, n_negative) VALUES (?, ?, ?, ?, ?, ?)",
                             [(fp, np.asarray(coef, dtype=np.float32).tobytes(), float(b), float(t), int(p), int(n))
                              for fp, coef, b, t, p, n in models])

    def cached_lemmas(self, hashes: list[str]) -> dict[str, list[str]]:
        """Cached lemma lists of texts by hash."""
        return {h: _lemma_list(value) for h, value in self._by_hash("lemmas", "lemmas", hashes)}

    def cached_lemmas_containing(self, hashes: list[str],
                                 words: frozenset[str]) -> tuple[dict[str, list[str]], set[str]]:
        """Cached lemma lists of the texts among ``hashes`` that hold one of ``words``, and the hashes of the other
        cached texts, whose lists are not built (splitting 100,000 stored lists costs more than reading them)."""
        if len(hashes) <= _SCAN_ABOVE:
            return self.cached_lemmas(hashes), set()
        # one of the words between spaces of the list padded with a space each side: a regex the engine scans for
        # fast (measured: 0.06 s over 100,000 lists, against 0.17 s for "(?:^| )(?:...)(?: |$)" on the bare list)
        word = re.compile(" (?:" + "|".join(map(re.escape, sorted(words))) + ") ") if words else None
        wanted = set(hashes)
        holding, others = {}, set()
        for h, value in self.database.conn.execute("SELECT text_hash, lemmas FROM lemmas"):
            if h not in wanted:
                continue
            if value.startswith("[") or (word is not None and word.search(f" {value} ")):  # JSON lists: always read
                holding[h] = _lemma_list(value)
            else:
                others.add(h)
        return holding, others

    def cache_lemmas(self, lemmas: dict[str, list[str]]) -> None:
        """Cache lemma lists by text hash."""
        with self.database.transaction() as conn:
            conn.executemany("INSERT OR REPLACE INTO lemmas (text_hash, lemmas) VALUES (?, ?)",
                             [(h, _lemma_text(v)) for h, v in lemmas.items()])


class _Memo:
    """Values by (project file, model, text hash) kept in this process in front of the project's cache tables.

    A text's hash fixes its vector and lemmas, so entries never go stale; a running app re-suggests
    without reading 100,000 vectors from the file again. Entries are per project file: what is in the
    memo for a project is in that project's tables too. Bounded: emptied when it grows past ``limit``.
    """

    def __init__(self, limit: int = 400_000) -> None:
        self.limit = limit
        self.values: dict[str, dict[str, object]] = {}  # project file + model -> text hash -> value
        self.lock = threading.Lock()

    def get_many(self, model: str, hashes: list[str], backing: Callable[[list[str]], dict]) -> dict:
        with self.lock:
            known = self.values.get(model, {})
            found = {h: known[h] for h in hashes if h in known}
        if len(found) < len(hashes):
            loaded = backing([h for h in hashes if h not in found])
            self.remember(model, loaded)
            found.update(loaded)
        return found

    def remember(self, model: str, values: dict) -> None:
        with self.lock:
            if sum(map(len, self.values.values())) + len(values) > self.limit:
                self.values.clear()
            self.values.setdefault(model, {}).update(values)


_VECTORS, _LEMMAS = _Memo(), _Memo()


def _project_key(store: Store) -> str:
    """The project file (path and inode, so a file rebuilt at the same path is another project)."""
    path = store.path.resolve()
    try:
        return f"{path}:{path.stat().st_ino}"
    except OSError:
        return str(path)


class StoreEmbeddingCache:
    """The project's embedding cache (with the in-process memo) in the shape the embedder asks for."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.project = _project_key(store)

    def get_many(self, model: str, hashes: list[str]) -> dict[str, np.ndarray]:
        return _VECTORS.get_many(f"{self.project}|{model}", hashes,
                                 lambda missing: self.store.cached_vectors(model, missing))

    def get_matrix(self, model: str, hashes: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """One matrix of the cached vectors (from memory when this process has them all, else from the file)."""
        key = f"{self.project}|{model}"
        import numpy as np

        with _VECTORS.lock:
            known = _VECTORS.values.get(key, {})
            if all(h in known for h in hashes):
                return np.stack([known[h] for h in hashes]), np.ones(len(hashes), dtype=bool)
        matrix, found = self.store.cached_vector_matrix(model, hashes)
        _VECTORS.remember(key, {h: matrix[i] for i, h in enumerate(hashes) if found[i]})
        return matrix, found

    def put_many(self, model: str, vectors: dict[str, np.ndarray]) -> None:
        self.store.cache_vectors(model, vectors)
        _VECTORS.remember(f"{self.project}|{model}", vectors)


class StoreLemmaCache:
    """The project's lemma cache (with the in-process memo) in the shape the lemmatiser asks for."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.key = f"{_project_key(store)}|{LEMMA_MODEL}"

    def get_many(self, model: str, hashes: list[str]) -> dict[str, list[str]]:
        if model != LEMMA_MODEL:
            return {}
        return _LEMMAS.get_many(self.key, hashes, self.store.cached_lemmas)

    def get_containing(self, model: str, hashes: list[str], words: frozenset[str]) -> dict[str, list[str]]:
        """Like ``get_many``, but in a process that has read none of them yet (a new process), the cached texts
        holding none of ``words`` come back as ``[]``, their lists not built (nor remembered). Once this process
        remembers some, all are read and remembered, so the next runs of a running app read none."""
        if model != LEMMA_MODEL:
            return {}
        with _LEMMAS.lock:
            known = _LEMMAS.values.get(self.key, {})
            first = not any(h in known for h in hashes)
        if not first:
            return self.get_many(model, hashes)
        holding, others = self.store.cached_lemmas_containing(hashes, words)
        _LEMMAS.remember(self.key, holding)
        return {**holding, **{h: [] for h in others}}

    def put_many(self, model: str, vectors: dict[str, list[str]]) -> None:
        if model == LEMMA_MODEL:
            self.store.cache_lemmas(vectors)
            _LEMMAS.remember(self.key, vectors)


class StoreCodeModelCache:
    """The project's fitted learned.v1 code models in the shape ``coding.suggesters.learned`` asks for."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def get_models(self, fingerprints: list[str]) -> dict:
        from coding.suggesters.learned import CodeModel

        stored = self.store.cached_code_models(fingerprints)
        return {fp: CodeModel(coef, intercept, threshold, n_pos, n_neg, fp)
                for fp, (coef, intercept, threshold, n_pos, n_neg) in stored.items()}

    def put_models(self, models: list) -> None:
        self.store.cache_code_models([(m.fingerprint, m.coef, m.intercept, m.threshold, m.n_positive, m.n_negative)
                                      for m in models])


def forget_cached_values() -> None:
    """Empty the in-process memo and learned.v1's fitted code models (the project's cache tables stay): the next
    run reads them from the file, as a new process does."""
    from coding.suggesters.learned import forget_fitted

    for memo in (_VECTORS, _LEMMAS):
        with memo.lock:
            memo.values.clear()
    forget_fitted()
