"""Code suggesters, registered by versioned name like spaCy's registry (``"lexical.v1"``).

    >>> from coding.suggesters import make_suggester
    >>> suggester = make_suggester("ensemble.v1").fit(codebook, examples)
    >>> suggestions = suggester.suggest(units)
"""
from __future__ import annotations

from coding.suggesters.base import (
    EmptyCodebookError,
    NotFittedError,
    ScoreTable,
    Suggester,
    SuggesterError,
    UnitBatch,
    UnknownCodeError,
    UnknownSuggesterError,
    register,
    registered,
)
from coding.suggesters import ensemble, learned, lexical, semantic  # noqa: E402,F401  (register the built-ins)

DEFAULT_SUGGESTER = "ensemble.v1"


def available_suggesters() -> list[str]:
    """Registered suggester names, sorted."""
    return sorted(registered())


def make_suggester(name: str = DEFAULT_SUGGESTER, **params) -> Suggester:
    """Create an (unfitted) suggester by registered name with its parameters."""
    classes = registered()
    if name not in classes:
        raise UnknownSuggesterError(
            f"no suggester registered as {name!r}; available: {', '.join(available_suggesters())}"
        )
    return classes[name](**params)


__all__ = [
    "DEFAULT_SUGGESTER",
    "EmptyCodebookError",
    "NotFittedError",
    "ScoreTable",
    "Suggester",
    "SuggesterError",
    "UnitBatch",
    "UnknownCodeError",
    "UnknownSuggesterError",
    "available_suggesters",
    "make_suggester",
    "register",
]
