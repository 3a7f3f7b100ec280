"""The order of the review queue: which pending suggestions a person should decide first."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from workbench.errors import WorkbenchError


def learning_order(suggestions: Sequence, codings_per_code: dict[int, int]) -> list:
    """Order pending suggestions so that deciding them teaches the engine fastest.

    Codes with the fewest people's codings come first (their models learn most from each decision);
    the codes take turns, so every code gets early decisions; within a code, the most uncertain
    suggestion (score nearest 0.5) comes first. Each suggestion needs ``code_id`` and ``score``.
    """
    by_code: dict[int, list] = defaultdict(list)
    for s in suggestions:
        by_code[s.code_id].append(s)
    queues = [sorted(items, key=lambda s: (abs(s.score - 0.5), -s.score))
              for _code, items in sorted(by_code.items(), key=lambda kv: (codings_per_code.get(kv[0], 0), kv[0]))]
    ordered = []
    for turn in range(max((len(q) for q in queues), default=0)):
        ordered += [q[turn] for q in queues if turn < len(q)]
    return ordered


def adjusted_span(text: str, start: int, end: int, words: str, *, reach: int = 400) -> tuple[int, int]:
    """Where ``words`` (the suggestion's words, trimmed or extended by a person) stand in ``text`` near
    ``[start, end)``: the occurrence closest to the suggestion within ``reach`` characters of it."""
    wanted = words.strip()
    if not wanted:
        raise WorkbenchError("type the words to code")
    lo = max(0, start - reach)
    window = text[lo:min(len(text), end + reach)]
    found, at = [], window.find(wanted)
    while at >= 0:
        found.append(lo + at)
        at = window.find(wanted, at + 1)
    if not found:
        raise WorkbenchError(f"“{wanted[:60]}” is not in the text near the suggestion; copy the words exactly")
    best = min(found, key=lambda position: abs(position - start))
    return best, best + len(wanted)
