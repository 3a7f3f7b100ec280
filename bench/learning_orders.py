"""Candidate learn-fastest orders for the review queue, each against random order on the decision curve.

    python bench/learning_orders.py [--seed 0] [--folds 5] [--only NAME ...]

Runs `coding.decisions.decision_curve` (the curve `workbench evaluate --learning-curve` prints) on the
development set, folds by text (``--seed`` picks them), once with the queue's order
(`workbench.assist.review.learning_order`) and once with each candidate below, and prints kappa and the lead
over random order (paired by fold) after 25, 50, 100 and 200 decisions. Choose a candidate on one seed and
confirm it on others before it becomes the queue's order.

The ``prop_`` candidates give each code decisions in proportion to its suggestions: a suggestion's key is
(known + rank + 0.5) / (known + pending) for its code (known: the code's codings plus rejections, so the key
of the rest does not move when the top one is decided), the codes interleaved by that key. The ``rr_``
candidates take the queue's turns (fewest known first). They differ in the order within a code.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
import zlib
from collections import defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import numpy as np  # noqa: E402

from coding.crossval import group_folds  # noqa: E402
from coding.decisions import decision_curve  # noqa: E402
from coding.devset import DEVSET_DIR, load_devset  # noqa: E402
from coding.embedding import DictCache  # noqa: E402
from workbench.assist.review import learning_order  # noqa: E402


def proportional(within: Callable[[list, int], list]) -> Callable[[Sequence, dict], list]:
    """An order that interleaves the codes in proportion to their suggestions, ``within(items, known)`` ordering
    each code's (``known``: its decisions so far, since the queue is worked out afresh after each one)."""
    def order(suggestions: Sequence, known: dict) -> list:
        by_code: dict = defaultdict(list)
        for s in suggestions:
            by_code[s.code_id].append(s)
        keyed = []
        for code, items in by_code.items():
            k, n = known.get(code, 0), len(items)
            keyed += [((2 * (k + r) + 1) / (2 * (k + n)), code, s) for r, s in enumerate(within(items, k))]
        keyed.sort(key=lambda t: t[:2])
        return [t[2] for t in keyed]
    return order


def by_key(key: Callable) -> Callable[[list, int], list]:
    """A within-code order that sorts by ``key`` whatever was decided before."""
    return lambda items, _known: sorted(items, key=key)


def _ends(items: list, k: int) -> list:
    """The lowest and highest scores in turn, carrying on from the ``k`` decided before."""
    low = sorted(items, key=lambda s: (s.score, s.unit))
    out, i, j = [], 0, len(low) - 1
    while i <= j:
        if (k + len(out)) % 2 == 0:
            out.append(low[i])
            i += 1
        else:
            out.append(low[j])
            j -= 1
    return out


def round_robin(within: Callable[[list, int], list]) -> Callable[[Sequence, dict], list]:
    """The queue's turns between codes (fewest known first), ``within(items, known)`` ordering each code's."""
    def order(suggestions: Sequence, known: dict) -> list:
        by_code: dict = defaultdict(list)
        for s in suggestions:
            by_code[s.code_id].append(s)
        queues = [within(items, known.get(code, 0))
                  for code, items in sorted(by_code.items(), key=lambda kv: (known.get(kv[0], 0), kv[0]))]
        out = []
        for turn in range(max((len(q) for q in queues), default=0)):
            out += [q[turn] for q in queues if turn < len(q)]
        return out
    return order


def _uncertain(items: list) -> list:
    return sorted(items, key=lambda s: (abs(s.score - 0.5), -s.score))


def _low_first(n: int) -> Callable[[list, int], list]:
    """A code's first ``n`` decisions on its lowest scores, then the most uncertain."""
    def within(items: list, k: int) -> list:
        if k >= n:
            return _uncertain(items)
        low = sorted(items, key=lambda s: (s.score, s.unit))
        return low[: n - k] + _uncertain(low[n - k:])
    return within


CANDIDATES = {
    "queue": learning_order,
    # the queue's own within-code rule (score nearest 0.5 first): only the share per code changes
    "prop_uncertain": proportional(by_key(lambda s: (abs(s.score - 0.5), -s.score, s.unit))),
    # lowest score first: nearest the ensemble's threshold (about 0.18), where a decision flips a suggestion
    "prop_lowest": proportional(by_key(lambda s: (s.score, s.unit))),
    # a fixed pseudo-random order: spread over the code's whole range of scores
    "prop_spread": proportional(by_key(lambda s: (zlib.crc32(f"{s.unit}:{s.code_id}".encode()), s.unit))),
    # highest score first: likeliest accepted, so codes reach the codings a learned model needs sooner
    "prop_highest": proportional(by_key(lambda s: (-s.score, s.unit))),
    # the two ends in turn: lowest, highest, next lowest, next highest...
    "prop_ends": proportional(_ends),
    # the queue's turns with other rules within a code: nearest 0.5 only (the queue's order until
    # 2026-12-07), and a code's first two decisions on its lowest scores (the queue takes one)
    "rr_uncertain": round_robin(lambda items, _known: _uncertain(items)),
    "rr_low2": round_robin(_low_first(2)),
}


def main(argv: list[str] | None = None) -> int:
    """Print each candidate's curve and lead over random order."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0, help="seed of the folds")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--only", nargs="+", choices=list(CANDIDATES), default=list(CANDIDATES))
    args = parser.parse_args(argv)
    if not DEVSET_DIR.is_dir():
        print(f"development set not found at {DEVSET_DIR}")
        return 1
    began, devset, cache = time.perf_counter(), load_devset(), DictCache()
    split = group_folds(list(range(len(devset.texts))), args.folds, args.seed)
    print(f"{args.folds} folds by text, seed {args.seed}; kappa after 0/25/50/100/200 decisions; "
          "lead over random: mean ± sd over folds (folds ahead)")
    for name in args.only:
        curve = decision_curve(devset, split, CANDIDATES[name], cache=cache)
        f, r = np.array(curve.fastest), np.array(curve.random)
        lead = " ".join(f"{m:+.3f}±{s:.3f}({int(a)}/{len(d)})" for m, s, a, d in
                        zip((f - r).mean(0), (f - r).std(0, ddof=1), ((f - r) > 0).sum(0), (f - r).T))
        print(f"{name:>14}  {' '.join(f'{v:.3f}' for v in f.mean(0))}   lead {lead}", flush=True)
    print(f"{'random':>14}  {' '.join(f'{v:.3f}' for v in r.mean(0))}")
    print(f"total {time.perf_counter() - began:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
