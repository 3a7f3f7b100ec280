"""Benchmark: ingest ≥1,000 generated transcripts (≥5 million words) and compare with bare spaCy.

Prints words per second of the whole ingest (loaders, sentences, store, full-text index) beside the
bare spaCy sentencizer's words per second on the same texts, measured in the same run, and peak memory.
Target (issue 2): ingest at least half the bare sentencizer's rate.

    python bench/ingest.py            # 1,000 transcripts, ~5 million words
    python bench/ingest.py --quick    # 100 transcripts, for a smoke run
"""
from __future__ import annotations

import argparse
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from workbench.sources.importer import ingest_paths  # noqa: E402
from workbench.sources.sentences import sentencizer  # noqa: E402
from workbench.store import Store  # noqa: E402

SPEAKERS = ["Interviewer", "Maureen", "Tariq", "Dorota", "Colin", "Jean", "Priya", "Omar", "Bev"]
OPENERS = ["Well", "I mean", "Honestly", "To be fair", "You know", "So", "Right", "The thing is", "Mind you"]
SUBJECTS = ["the garden", "the food pantry", "the youth club", "my neighbour", "the council", "the bus service",
            "the community centre", "the repair café", "our street", "the warm space", "the connector",
            "the tenants' association", "my daughter", "the GP", "the walking group", "the men's shed"]
VERBS = ["helped", "changed", "brought together", "let down", "kept going", "opened up", "supported",
         "ignored", "surprised", "looked after", "stretched", "worried"]
OBJECTS = ["people on the estate", "the older ones", "families like ours", "everybody", "the young lads",
           "folk who live alone", "newcomers", "volunteers", "the whole village", "me and my husband"]
TAILS = ["when money was tight", "after the pit closed", "during the winter", "once the funding started",
         "before anyone asked", "without making a fuss", "every Saturday morning", "over the last year",
         "in ways I didn't expect", "when I was at my lowest"]


def sentence(rng: random.Random) -> str:
    """One varied spoken sentence."""
    return (f"{rng.choice(OPENERS)}, {rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.choice(OBJECTS)} "
            f"{rng.choice(TAILS)}{rng.choice(['.', '.', '.', '?', '!'])}")


def transcript(rng: random.Random, words: int) -> str:
    """A colon-style transcript of about ``words`` words."""
    turns, count = [], 0
    while count < words:
        speaker = "Interviewer" if len(turns) % 2 == 0 else rng.choice(SPEAKERS[1:])
        said = " ".join(sentence(rng) for _ in range(rng.randint(1, 3) if speaker == "Interviewer" else
                                                     rng.randint(3, 12)))
        turns.append(f"{speaker}: {said}")
        count += len(said.split())
    return "\n\n".join(turns) + "\n"


def generate(folder: Path, n: int, words: int, seed: int = 7) -> list[str]:
    """Write ``n`` transcripts to ``folder``; return their texts."""
    rng = random.Random(seed)
    texts = []
    for i in range(n):
        text = transcript(rng, words)
        (folder / f"interview-{i:05d}.txt").write_text(text, encoding="utf-8")
        texts.append(text)
    return texts


def peak_mib() -> float:
    """Peak resident memory of this process so far."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--words", type=int, default=5200, help="words per transcript")
    parser.add_argument("--quick", action="store_true", help="100 files, for a smoke run")
    args = parser.parse_args()
    if args.quick:
        args.files = 100
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "corpus"
        folder.mkdir()
        texts = generate(folder, args.files, args.words)
        total_words = sum(len(t.split()) for t in texts)
        print(f"corpus: {args.files:,} transcripts, {total_words:,} words")

        nlp = sentencizer()
        start = time.perf_counter()
        sentences = sum(len(list(doc.sents)) for doc in nlp.pipe(texts, batch_size=64))
        bare = time.perf_counter() - start
        print(f"bare spaCy sentencizer: {bare:7.2f} s  {total_words / bare:12,.0f} words/s  ({sentences:,} sentences)")
        memory_before = peak_mib()

        store = Store.create(Path(tmp) / "bench.wbproj")
        start = time.perf_counter()
        report = ingest_paths(store, [folder], actor="bench")
        full = time.perf_counter() - start
        assert not report.skipped, report.skipped[:3]
        print(f"workbench ingest:       {full:7.2f} s  {total_words / full:12,.0f} words/s  "
              f"({report.segments:,} turns, {report.sentences:,} sentences, {len(report.added):,} sources)")
        ratio = (total_words / full) / (total_words / bare)
        print(f"ratio ingest / bare sentencizer: {ratio:.2f}  (target >= 0.50: {'met' if ratio >= 0.5 else 'NOT met'})")
        child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(f"peak memory: {peak_mib():,.0f} MiB in the main process (after generating and the bare run: "
              f"{memory_before:,.0f} MiB), {child:,.0f} MiB in the reader process")
        print(f"project file: {(Path(tmp) / 'bench.wbproj').stat().st_size / 2**20:,.0f} MiB")


if __name__ == "__main__":
    main()
