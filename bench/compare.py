"""Benchmark the analysis modules on a synthetic project of 1,000 sources and 100,000 codings.

Run: ``.venv/bin/python bench/compare.py`` (``--quick`` for a tenth of the size). The project is a real
project file: sources (interviews of speaker turns with sentences, a few surveys whose answers belong
to their own respondents) are stored with ``Store.add_source``; the codings of two coders (B copies
~70% of A's codings with jittered bounds) are inserted with ``executemany`` in one transaction (a bench
shortcut, not product code). Sources carry site / role / wave; respondents carry their own site.

Times, best of three:
- ``compare`` for every attribute × measure (target < 1 s each), against a baseline: a bare
  ``pandas.pivot_table`` of codings × site over a DataFrame already in memory (no store reads, no
  attribute precedence, no rollup);
- ``coder_reliability`` over the two coders at segment, sentence and character level (target < 5 s),
  against ``workbench.analysis.reliability.reliability`` on the same spans already in memory;
- ``cooccurrence`` (both modes) and ``run_query`` for information.
"""
from __future__ import annotations

import argparse
import hashlib
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from workbench.analysis.compare import MEASURES, compare  # noqa: E402
from workbench.analysis.cooccurrence import cooccurrence  # noqa: E402
from workbench.analysis.icr import coder_reliability  # noqa: E402
from workbench.analysis.query import run_query  # noqa: E402
from workbench.analysis.reliability import CodedSpan, Unit, reliability  # noqa: E402
from workbench.store import NewSegment, NewSource, Store, new_uid, now  # noqa: E402

COMPARE_TARGET = 1.0
RELIABILITY_TARGET = 5.0
SITES = ("Northgate", "Ashby Vale", "Seacombe")
ROLES = ("resident", "volunteer", "professional")
WORDS = ("garden pantry neighbour bus council money heating winter library volunteer group school damp flat "
         "rent job shift kids church mosque walk talk help lonely proud history pit strike beach cafe shed "
         "repair food bank warm space tenants petition trust voice young older carer health doctor").split()


def _text(rng: np.random.Generator, n_turns: int) -> tuple[str, list[NewSegment]]:
    """An interview-like text: turns of three sentences of 12-20 words, one segment per turn."""
    parts, segments, pos = [], [], 0
    for t in range(n_turns):
        spans = []
        for _ in range(3):
            words = rng.choice(WORDS, rng.integers(12, 21))
            sentence = " ".join(words).capitalize() + "."
            spans.append(sentence)
        label = "Interviewer: " if t % 2 == 0 else "Participant: "
        body = " ".join(spans)
        start = pos + len(label)
        bounds, cursor = [], start
        for sentence in spans:
            bounds.append((cursor, cursor + len(sentence)))
            cursor += len(sentence) + 1
        segments.append(NewSegment(start=start, end=start + len(body), kind="turn",
                                   speaker=label[:-2], sentences=bounds))
        parts.append(label + body)
        pos += len(label) + len(body) + 2
    return "\n\n".join(parts), segments


def build_project(path: Path, n_sources: int, codings_per_coder: int, n_codes: int, seed: int) -> Store:
    """Store sources and codes with the store's API, then two coders' codings with executemany."""
    rng = np.random.default_rng(seed)
    store = Store.create(path, name="bench")
    categories = [store.add_code(f"Category {c}", "bench", codable=False) for c in range(5)]
    codes = [store.add_code(f"Code {k:02d}", "bench", parent_id=categories[k % 5]) for k in range(n_codes)]
    for i in range(n_sources):
        text, segments = _text(rng, 16)
        survey = i % 20 == 0
        if survey:
            for n, seg in enumerate(segments):
                seg.kind, seg.speaker, seg.case = "answer", None, f"R{i:04d}-{n:02d}"
        new = NewSource(name=f"source-{i:04d}.txt", kind="survey" if survey else "interview", text=text,
                        content_hash=hashlib.sha256(text.encode()).hexdigest(), format="txt", segments=segments,
                        case=None if survey else f"P{i:04d}",
                        attributes={"site": SITES[i % 3], "role": ROLES[(i // 3) % 3], "wave": str(1 + i % 2)},
                        case_attributes={s.case: {"site": SITES[(i + n) % 3]} for n, s in enumerate(segments)}
                        if survey else {})
        store.add_source(new, "bench")
    _insert_codings(store, rng, codes, codings_per_coder)
    return store


def _insert_codings(store: Store, rng: np.random.Generator, codes: list[int], per_coder: int) -> None:
    """Coder A at random; coder B copies 70% of A (bounds jittered by up to 20 characters), the rest random."""
    lengths = store.source_lengths()
    ids = np.array(sorted(lengths))
    size = np.array([lengths[i] for i in ids])
    pick = rng.integers(0, ids.size, per_coder)
    span = rng.integers(20, 301, per_coder)
    start = (rng.random(per_coder) * (size[pick] - span)).astype(np.int64)
    code = rng.choice(codes, per_coder)
    copied = rng.random(per_coder) < 0.7
    jitter = rng.integers(-20, 21, (2, per_coder))
    b_start = np.where(copied, np.clip(start + jitter[0], 0, size[pick] - 2),
                       (rng.random(per_coder) * (size[pick] - span)).astype(np.int64))
    b_end = np.where(copied, np.clip(start + span + jitter[1], b_start + 1, size[pick]), b_start + span)
    b_code = np.where(copied, code, rng.choice(codes, per_coder))
    stamp = now()
    rows = [(new_uid(), int(s), int(a), int(b), int(c), coder, stamp)
            for coder, starts, ends, cs in (("A", start, start + span, code), ("B", b_start, b_end, b_code))
            for s, a, b, c in zip(ids[pick], starts, ends, cs)]
    with store.database.transaction() as conn:
        conn.executemany('INSERT OR IGNORE INTO codings (uid, source_id, start, "end", code_id, coder, created_at) '
                         "VALUES (?,?,?,?,?,?,?)", rows)


def timed(run: Callable[[], object], repeat: int = 3) -> tuple[object, float]:
    """Best-of-``repeat`` wall time of ``run``; returns its last result and the seconds."""
    best, result = float("inf"), None
    for _ in range(repeat):
        began = time.perf_counter()
        result = run()
        best = min(best, time.perf_counter() - began)
    return result, best


def line(label: str, seconds: float, target: float | None = None, baseline: float | None = None) -> None:
    """One aligned line of figures."""
    extra = f"  ({seconds / baseline:5.1f}x baseline)" if baseline else ""
    verdict = "" if target is None else ("  OK" if seconds < target else "  SLOWER THAN TARGET")
    print(f"  {label:<46} {seconds:8.3f} s{extra}{verdict}")


def bench_compare(store: Store) -> None:
    """compare() for each attribute and measure, next to a bare pivot_table baseline."""
    frame = pd.DataFrame(store.coding_rows(), columns=["id", "code_id", "source_id", "start", "end", "coder", "o"])
    site = {i: a.get("site") for i, a in store.all_attributes("source").items()}
    frame["site"] = frame["source_id"].map(site)
    _, base = timed(lambda: frame.pivot_table(index="code_id", columns="site", values="id", aggfunc="size"))
    print("compare (codes x attribute values):")
    line("baseline: pandas pivot_table, frame in memory", base)
    for by in ("site", "role", "wave", "kind", "coder", "speaker"):
        for measure in MEASURES:
            _, seconds = timed(lambda: compare(store, by, measure))
            line(f"compare by={by} measure={measure}", seconds, COMPARE_TARGET, base)
    _, seconds = timed(lambda: compare(store, "site", "per_1000_words", where={"role": "resident"}, coders=["A"]))
    line("compare by=site per_1000_words, where + coder", seconds, COMPARE_TARGET, base)


def bench_reliability(store: Store) -> None:
    """coder_reliability at each unit, next to reliability() on spans already in memory."""
    rows = store.coding_rows(coders=["A", "B"])
    spans = [CodedSpan(s, a, b, str(c), coder) for _i, c, s, a, b, coder, _o in rows]
    sentences = [Unit(s, a, b) for _i, s, a, b in store.sentence_units()]
    segments = [Unit(r[1], r[3], r[4]) for r in store.segment_rows()]
    lengths = store.source_lengths()
    baselines = {
        "segment": lambda: reliability(spans, ["A", "B"], segments),
        "sentence": lambda: reliability(spans, ["A", "B"], sentences),
        "character": lambda: reliability(spans, ["A", "B"], unit="character", source_lengths=lengths),
    }
    print(f"coder_reliability (A vs B, {len(rows):,} codings):")
    for unit, baseline in baselines.items():
        _, base = timed(baseline, repeat=1)
        line(f"baseline: reliability() on in-memory spans, {unit}", base)
        result, seconds = timed(lambda: coder_reliability(store, ["A", "B"], unit), repeat=1)
        line(f"coder_reliability unit={unit}", seconds, RELIABILITY_TARGET, base)
        print(f"    overall: {100 * result.overall.percent_agreement:.1f}% agreement, kappa "
              f"{result.overall.cohen_kappa:.3f}, alpha {result.overall.krippendorff_alpha:.3f}, "
              f"{len(result.report.all_disagreements):,} disagreements")
        _, seconds = timed(lambda: result.disagreements(limit=200), repeat=1)
        line("  first 200 disagreements with their words", seconds)


def bench_other(store: Store) -> None:
    """Co-occurrence and boolean queries, for information."""
    print("co-occurrence and queries:")
    for mode in ("overlap", "segment"):
        table, seconds = timed(lambda: cooccurrence(store, mode), repeat=1)
        line(f"cooccurrence mode={mode} ({int(np.triu(table.counts, 1).sum()):,} links)", seconds)
    hits, seconds = timed(lambda: run_query(store, '"Code 01" AND (Code 02 OR Code 03) AND NOT Code 04'), repeat=1)
    line(f"run_query, 4 codes ({len(hits):,} segments)", seconds)


def main() -> None:
    """Build the project, then print every figure."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sources", type=int, default=1_000)
    parser.add_argument("--codings", type=int, default=50_000, help="codings per coder (two coders)")
    parser.add_argument("--codes", type=int, default=30)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--quick", action="store_true", help="a tenth of the sources and codings")
    args = parser.parse_args()
    if args.quick:
        args.sources, args.codings = args.sources // 10, args.codings // 10
    with tempfile.TemporaryDirectory() as tmp:
        began = time.perf_counter()
        store = build_project(Path(tmp) / "bench.wbproj", args.sources, args.codings, args.codes, args.seed)
        counts = store.counts()
        print(f"project: {counts['sources']:,} sources, {counts['words']:,} words, {counts['segments']:,} segments, "
              f"{counts['sentences']:,} sentences, {counts['cases']:,} cases, {counts['codings']:,} codings "
              f"(built in {time.perf_counter() - began:.1f} s)")
        bench_compare(store)
        bench_reliability(store)
        bench_other(store)
        store.close()


if __name__ == "__main__":
    main()
