"""Tuning benchmark and cross-validation of the tuned ensemble on the development set.

    python bench/train.py [--codings 500] [--epochs 4]            time and peak memory of one tuning
    python bench/train.py --cv 5 [--sizes 0 20] [--json FILE]     K-fold CV by text: zero-shot, k-shot, tuned

The first form tunes all-MiniLM-L6-v2 on the first texts of the development set holding about
``--codings`` human codings (plus as many uncoded background sentences) and prints wall time and the
process's peak resident memory. The second runs ``coding.crossval.cross_validate`` with a tuned model
per fold and size (each tuned on the fold's training texts, checked on a held-out fifth of them).
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from coding.crossval import cross_validate  # noqa: E402
from coding.devset import DEVSET_DIR, load_devset  # noqa: E402
from coding.embedding import default_model_path  # noqa: E402
from coding.teaching import code_texts, training_passages  # noqa: E402
from coding.tuning import TuningParams, tune  # noqa: E402


def peak_mib() -> float:
    """Peak resident memory of this process so far, MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def time_tuning(codings: int, epochs: int) -> None:
    """Tune once on about ``codings`` codings and print the figures."""
    devset = load_devset()
    texts, count = [], 0
    for t in range(len(devset.texts)):
        if count >= codings:
            break
        texts.append(t)
        count += sum(1 for s in devset.spans if s[0] == t)
    passages = training_passages(devset, texts)
    print(f"{count} codings of {len(texts)} texts -> {len(passages)} passages "
          f"({sum(1 for p in passages if p.positives)} coded, the rest background), "
          f"{len(code_texts(devset.codebook))} codes, {epochs} epochs; torch threads: "
          f"{__import__('torch').get_num_threads()}")
    before = peak_mib()
    began = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        model = tune(default_model_path(), code_texts(devset.codebook), passages, folder,
                     TuningParams(epochs=epochs),
                     on_progress=lambda done, total, loss: print(f"  step {done}/{total} loss {loss:.4f} "
                                                                  f"{time.perf_counter() - began:.0f} s", flush=True)
                     if done % 20 == 0 or done == total else None)
    print(f"tuned {model.id} in {time.perf_counter() - began:.1f} s; peak memory {peak_mib():.0f} MiB "
          f"(before tuning {before:.0f} MiB); head s={model.scale:.2f} b={model.bias:.2f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--codings", type=int, default=500)
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--cv", type=int, default=0, metavar="K")
    parser.add_argument("--sizes", type=int, nargs="+", default=[0, 20])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", default=None)
    args = parser.parse_args(argv)
    if not DEVSET_DIR.is_dir():
        print(f"development set not found at {DEVSET_DIR}")
        return 1
    if not args.cv:
        time_tuning(args.codings, args.epochs)
        return 0
    began = time.perf_counter()
    devset = load_devset()
    with tempfile.TemporaryDirectory() as folder:
        result = cross_validate(devset, args.cv, sizes=args.sizes, seed=args.seed, tune_dir=folder,
                                params=TuningParams(epochs=args.epochs, seed=args.seed),
                                on_fold=lambda f, n: print(f"fold {f + 1}/{n} ({time.perf_counter() - began:.0f} s)",
                                                           flush=True))
    print(result.text())
    print(f"total {time.perf_counter() - began:.0f} s; peak memory {peak_mib():.0f} MiB")
    if args.json:
        Path(args.json).write_text(json.dumps(result.to_json(), indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
