"""Lower-cased lemmas of texts from one cached blank-English spaCy pipeline (lookup lemmatizer).

No trained spaCy pipeline is needed: ``spacy.blank("en")`` + ``sentencizer`` + ``lemmatizer``
in ``mode="lookup"`` with the tables of the ``spacy-lookups-data`` package (read from disk,
never downloaded). Texts are lower-cased before lemmatising because the lookup table is
keyed by lower-case forms ("Wolves" is not in it, "wolves" is).
"""
from __future__ import annotations

import hashlib
from collections.abc import Collection, Sequence
from functools import lru_cache
from typing import Protocol

LEMMA_MODEL = "spacy-lookup-en"  # cache key of these lemmas


class LemmatiserUnavailable(RuntimeError):
    """spaCy or its English lookup tables cannot be loaded."""


class LemmaCache(Protocol):
    """Storage of lemma lists keyed by model name and sha1 of the exact text."""

    def get_many(self, model: str, hashes: list[str]) -> dict[str, list[str]]:
        """Return the stored lemma lists of those hashes that are present."""

    def put_many(self, model: str, vectors: dict[str, list[str]]) -> None:
        """Store lemma lists by hash."""


@lru_cache(maxsize=1)
def get_nlp():
    """Return the shared blank-English pipeline with sentencizer and lookup lemmatizer."""
    try:
        import spacy

        nlp = spacy.blank("en")
        nlp.add_pipe("sentencizer")
        nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
        nlp.initialize()
    except (ImportError, ValueError, OSError) as exc:
        raise LemmatiserUnavailable(
            "cannot build the English lemmatiser; install it with "
            "`pip install 'spacy>=3.7,<4' spacy-lookups-data` "
            f"(cause: {exc})"
        ) from exc
    return nlp


def stop_words(cache: LemmaCache | None = None) -> frozenset[str]:
    """spaCy's English stop words (lower case), kept in the lemma cache too: a process that finds them there (and
    every lemma list it needs) does not import spaCy."""
    key = _stop_words_key()
    found = cache.get_many(LEMMA_MODEL, [key]) if cache is not None else {}
    if key in found:
        return frozenset(found[key])
    from spacy.lang.en.stop_words import STOP_WORDS

    words = sorted({w.lower() for w in STOP_WORDS})
    if cache is not None:
        cache.put_many(LEMMA_MODEL, {key: words})
    return frozenset(words)


def _stop_words_key() -> str:
    """The lemma cache's key of spaCy's stop words: a text no source holds (sources keep no NUL), with the
    installed spaCy's version (read from its metadata, not by importing it)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        release = version("spacy")
    except PackageNotFoundError:
        release = "unknown"
    return text_hash(f"\0stop words of spaCy {release}, English")


def text_hash(text: str) -> str:
    """Return the sha1 hex digest of the exact text (UTF-8)."""
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def lemmatise(
    texts: Sequence[str],
    cache: LemmaCache | None = None,
    batch_size: int = 1000,
    hashes: Sequence[str] | None = None,
    containing: Collection[str] | None = None,
) -> list[list[str]]:
    """Return lower-cased lemmas of the alphabetic tokens of each text, reusing cached ones.

    ``hashes`` (optional) are the texts' ``text_hash`` values, when the caller has them already.
    ``containing`` (optional): only lemma lists holding one of these lemmas are needed; a cache that can
    (``get_containing``) hands back ``[]`` for its other texts without reading their lemmas.
    """
    hashes = list(hashes) if hashes is not None else [text_hash(t) for t in texts]
    unique = list(dict.fromkeys(hashes))
    if cache is None:
        found = {}
    elif containing is not None and hasattr(cache, "get_containing"):
        found = cache.get_containing(LEMMA_MODEL, unique, frozenset(containing))
    else:
        found = cache.get_many(LEMMA_MODEL, unique)
    todo = {h: t for h, t in zip(hashes, texts) if h not in found}
    if todo:
        fresh = dict(zip(todo, _run_pipeline(list(todo.values()), batch_size)))
        if cache is not None:
            cache.put_many(LEMMA_MODEL, fresh)
        found = {**found, **fresh} if found else fresh
    return [found[h] for h in hashes]


def lemmatise_one(text: str) -> list[str]:
    """Return the lemmas of one text (no cache)."""
    return _run_pipeline([text], 1)[0]


def _run_pipeline(texts: list[str], batch_size: int) -> list[list[str]]:
    """Run tokenizer + lookup lemmatizer only (the sentencizer is not needed here)."""
    nlp = get_nlp()
    docs = nlp.pipe((t.lower() for t in texts), disable=["sentencizer"], batch_size=batch_size)
    return [[tok.lemma_.lower() for tok in doc if tok.is_alpha] for doc in docs]
