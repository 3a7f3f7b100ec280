"""Speed and memory of the suggestion engine on generated community-life segments.

    python bench/suggest.py [--quick] [--first N] [--cached N]

(a) ``--first`` segments (default 20,000): a bare encode of the texts with the encoder the engine uses
    (the model's ONNX export, else ``SentenceTransformer.encode``) vs.
    a first ``ensemble.v1`` run with empty caches (fit + suggest) over the same texts with a
    30-code codebook; prints both and the ratio (target <= 1.15). Other processes share the two
    cores, so the texts go in 10 blocks, bare and ensemble alternating (ABBA) on each block, and
    the time the engine spends outside ``model.encode`` is reported on its own.
(b) ``--cached`` segments (default 100,000) whose embeddings and lemmas are already cached
    (random unit vectors put straight into an in-memory DictCache; real lemmas): time
    re-suggesting after editing one code's definition (refit that code + suggest that code;
    target <= 2 s) with the model already loaded, as in a running app; print peak memory.

With ``--tuned DIR`` (a model made by ``workbench train``) or ``--tune-tiny`` (tune one here first: one
epoch on a few hundred generated passages), both runs use the ensemble with that tuned model, and (a)'s
bare encode uses the same tuned model.
"""
from __future__ import annotations

import argparse
import os
import random
import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import numpy as np  # noqa: E402

from coding.codebook import Codebook, CodeDef  # noqa: E402
from coding.embedding import DictCache, Embedder, default_model_path  # noqa: E402
from coding.lemmas import lemmatise, text_hash  # noqa: E402
from coding.suggesters import make_suggester  # noqa: E402
from coding.tuning import Passage, TunedModel, TuningParams, code_text, load_tuned, tune  # noqa: E402
from coding.units import Example, Unit  # noqa: E402

PEOPLE = ["my neighbour", "the old man next door", "our youth worker", "my sister", "a volunteer from church",
          "the woman who runs the food bank", "my son's teacher", "the parish nurse", "a local farmer",
          "the shop owner", "my husband", "our landlord", "the council officer", "a friend from the allotment",
          "the mosque committee", "my grandmother", "the bus driver", "a lad from the estate", "the new family",
          "the fire brigade", "the GP", "a refugee family", "the community police officer", "my colleague"]
ACTIONS = ["brought us sandbags", "checked on the elderly residents", "organised a meeting in the hall",
           "cooked meals for everyone", "lent us a generator", "drove people to the hospital",
           "set up a WhatsApp group", "cleared the fallen trees", "applied for the recovery grant",
           "kept the shop open", "collected donations", "looked after the children",
           "talked me through the worst nights", "fixed the roof for free", "shared information about the shelters",
           "complained to the council", "refused to leave the house", "lost their job",
           "moved away after the flood", "started a repair cafe", "ran the phone tree", "painted the mural",
           "translated the leaflets", "patrolled the river bank"]
PLACES = ["in the village hall", "at the food bank", "down by the river", "on our street", "at the school gates",
          "in the community garden", "outside the chemist", "at the leisure centre", "in the library",
          "on the estate", "at the church", "in the pub", "at the bus stop", "near the bridge", "online"]
TIMES = ["during the flood", "after the storm", "in the first week", "when the power went out",
         "before the evacuation", "last winter", "during lockdown", "when the factory closed",
         "every Sunday", "for months afterwards", "that night", "the following spring", "years ago"]
FEELINGS = ["I felt really lonely", "it gave me hope", "we were all exhausted", "I was angry with the council",
            "people felt safer", "it made me proud of this place", "I couldn't sleep for weeks",
            "we laughed a lot", "everyone was scared", "I felt I belonged here", "nobody trusted the officials",
            "it was overwhelming", "we felt forgotten", "I was grateful", "the stress was unbearable"]
OPENERS = ["Honestly,", "I remember that", "You know,", "To be fair,", "What struck me was that", "Well,",
           "The thing is,", "I think", "Looking back,", "It's funny, but", "", "", ""]
TAILS = ["", "", "", " and that meant a lot", " but it didn't last", " which surprised me",
         " and nobody asked for anything back", " though some people were left out", " as far as I know"]


def generate(n: int, seed: int = 0) -> list[str]:
    """n varied first-person sentences about community life in hard times."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        kind, pick = rng.random(), rng.choice
        if kind < 0.55:
            s = f"{pick(OPENERS)} {pick(PEOPLE)} {pick(ACTIONS)} {pick(PLACES)} {pick(TIMES)}{pick(TAILS)}."
        elif kind < 0.8:
            s = f"{pick(OPENERS)} {pick(FEELINGS)} {pick(TIMES)}, because {pick(PEOPLE)} {pick(ACTIONS)}."
        elif kind < 0.92:
            s = f"{pick(FEELINGS).capitalize()} {pick(PLACES)}."
        else:
            s = f"{pick(PEOPLE).capitalize()} {pick(ACTIONS)} {pick(TIMES)} and {pick(PEOPLE)} {pick(ACTIONS)} {pick(PLACES)}."
        s = " ".join(s.split())
        out.append(s[0].upper() + s[1:] + (f" ({i % 97})" if rng.random() < 0.3 else ""))
    return out


CODES = [  # (name, definition, keywords)
    ("Social support", "Practical or emotional help given by family, friends or neighbours.", ["helped", "support"]),
    ("Loneliness", "Feeling isolated, alone or cut off from others.", ["lonely", "on my own", "isolated"]),
    ("Trust in institutions", "Confidence or distrust in the council, police, government or officials.",
     ["council", "officials"]),
    ("Volunteering", "People giving their time without pay to help the community.", ["volunteer", "volunteering"]),
    ("Mutual aid", "Residents organising to meet each other's needs directly.", ["mutual aid", "phone tree"]),
    ("Place attachment", "Emotional bonds with the local area, pride or belonging.", ["belong", "proud"]),
    ("Displacement", "Having to leave one's home, evacuation or moving away.", ["evacuation", "moved away"]),
    ("Economic hardship", "Loss of income, jobs, debt or struggling to pay for essentials.",
     ["lost their job", "money"]),
    ("Infrastructure damage", "Damage to roads, power, water, bridges or buildings.", ["power went out", "bridge"]),
    ("Health and wellbeing", "Physical or mental health, stress, sleep and wellbeing.", ["stress", "sleep", "GP"]),
    ("Children and young people", "Experiences of children, teenagers and schools.", ["children", "school"]),
    ("Older people", "Experiences and needs of elderly residents.", ["elderly", "grandmother"]),
    ("Faith communities", "Churches, mosques and faith groups and their role.", ["church", "mosque"]),
    ("Information sharing", "How news, warnings and information spread.", ["WhatsApp", "information", "leaflets"]),
    ("Emergency response", "Actions of emergency services during the crisis.", ["fire brigade", "police", "sandbags"]),
    ("Recovery funding", "Grants, insurance and money for recovery.", ["grant", "insurance"]),
    ("Local businesses", "Shops, pubs and firms and how they coped.", ["shop", "pub", "factory"]),
    ("Exclusion", "People or groups left out, ignored or marginalised.", ["left out", "forgotten"]),
    ("Hope", "Optimism, hope for the future, positive outlook.", ["hope", "optimistic"]),
    ("Anger and frustration", "Anger, complaints and frustration with how things were handled.",
     ["angry", "complained"]),
    ("Fear", "Fear, anxiety and feeling unsafe.", ["scared", "afraid", "fear"]),
    ("Gratitude", "Thankfulness towards people who helped.", ["grateful", "thank"]),
    ("Humour", "Laughter and joking as a way of coping.", ["laughed", "joke"]),
    ("Food security", "Access to food, food banks and meals.", ["food bank", "meals", "cooked"]),
    ("Housing", "Homes, landlords, repairs and housing conditions.", ["landlord", "roof", "house"]),
    ("Transport", "Buses, driving and getting around.", ["bus", "drove"]),
    ("Community spaces", "Halls, gardens, libraries and places where people meet.",
     ["village hall", "library", "garden"]),
    ("Newcomers and migrants", "Refugees, new families and migrants in the community.", ["refugee", "new family"]),
    ("Creative responses", "Art, murals, music and creative projects.", ["mural", "painted"]),
    ("Preparedness", "Planning, training and preparing for future crises.", ["prepared", "plan", "patrolled"]),
]


def codebook() -> Codebook:
    """A 30-code community-resilience codebook with definitions and keywords."""
    codes = [
        CodeDef(uid=f"00000000-0000-4000-8000-{i:012d}", name=n, definition=d, keywords=k,
                use_when=f"The speaker talks about {n.lower()}.")
        for i, (n, d, k) in enumerate(CODES)
    ]
    return Codebook(name="Community resilience (bench)", codes=codes)


def units_of(texts: list[str], per_source: int = 25) -> list[Unit]:
    """One unit per text, grouped into sources of ``per_source`` consecutive sentences."""
    units, offsets = [], {}
    for i, t in enumerate(texts):
        sid = i // per_source
        start = offsets.get(sid, 0)
        units.append(Unit(sid, start, start + len(t), t))
        offsets[sid] = start + len(t) + 1
    return units


def examples_for(book: Codebook, texts: list[str], per_code: int = 8, n_codes: int = 10) -> list[Example]:
    """Fake human codings: ``per_code`` texts for each of the first ``n_codes`` codes."""
    rng = random.Random(1)
    return [Example(rng.choice(texts), c.uid, True) for c in book.codes[:n_codes] for _ in range(per_code)]


def make_embedder(tuned: TunedModel | None, cache: DictCache) -> Embedder:
    """The base model's embedder, or the tuned model's (its vectors cached under its id)."""
    if tuned is None:
        return Embedder(cache=cache)
    return Embedder(model_name=tuned.id, model_path=str(tuned.path), cache=cache)


def tiny_tuned(folder: Path, n: int = 300) -> TunedModel:
    """Tune the base model for one epoch on n generated passages, coded by the codebook's keywords."""
    book = codebook()
    codes = {c.uid: code_text(c.name, c.definition) for c in book.codes}
    passages = []
    for text in generate(n, seed=5):
        hits = frozenset(c.uid for c in book.codes if any(k.lower() in text.lower() for k in c.keywords))
        passages.append(Passage(text, hits))
    t0 = time.perf_counter()
    model = tune(default_model_path(), codes, passages, folder, TuningParams(epochs=1))
    print(f"tuned {model.id} on {n} passages in {time.perf_counter() - t0:.0f} s")
    return model


def first_run(n: int, blocks: int = 10, tuned: TunedModel | None = None) -> None:
    """(a) bare encode vs. a first ensemble run with empty caches, interleaved block by block."""
    texts = generate(n, seed=1)
    book = codebook()
    embedder = make_embedder(tuned, DictCache())
    # the encoder the engine calls: the model's ONNX export (coding.embedding.onnx_encoder), else torch's
    onnx = embedder.onnx()
    model = onnx if onnx is not None else embedder.model
    extra = {} if onnx is not None else {"normalize_embeddings": True}
    model.encode(texts[::8], batch_size=embedder.batch_size)  # warm-up over all lengths, not timed
    inside, bare_encode = _time_calls(model)  # seconds spent inside the encoder's encode by the engine
    t0 = time.perf_counter()
    ensemble = make_suggester("ensemble.v1", embedder=embedder, lemma_cache=DictCache(), tuned=tuned).fit(book)
    t_fit = time.perf_counter() - t0
    units = units_of(texts)
    size = -(-n // blocks)
    bare, ours, count = np.zeros(2), np.zeros(2), 0
    for b in range(blocks):
        block = units[b * size : (b + 1) * size]
        first_bare = b % 2 == 0  # ABBA order so that drift and other load hit both sides alike
        for side in ("bare", "ours") if first_bare else ("ours", "bare"):
            w, c = time.perf_counter(), time.process_time()
            if side == "bare":
                bare_encode([u.text for u in block], batch_size=embedder.batch_size, **extra)
                bare += (time.perf_counter() - w, time.process_time() - c)
            else:
                count += len(ensemble.suggest(block))
                ours += (time.perf_counter() - w, time.process_time() - c)
    ours[0] += t_fit
    overhead = ours[0] - inside[0]
    print(f"(a) {n} segments ({len(set(texts))} distinct), 30 codes, batch size {embedder.batch_size}, "
          f"{blocks} blocks alternating bare / ensemble; model {embedder.model_name}")
    name = "ONNX export" if onnx is not None else "SentenceTransformer"
    print(f"    bare encode ({name + '):':20}  {bare[0]:7.2f} s wall, {bare[1]:6.1f} s CPU "
          f"({n / bare[0]:.0f} segments/s)")
    print(f"    ensemble.v1 fit + suggest, empty caches:  {ours[0]:7.2f} s wall, {ours[1]:6.1f} s CPU "
          f"(fit {t_fit:.2f} s) -> {count} suggestions")
    print(f"      of which inside the encoder {inside[0]:.2f} s; engine overhead {overhead:.2f} s")
    print(f"    ratio ensemble / bare: wall {ours[0] / bare[0]:.3f}, CPU {ours[1] / bare[1]:.3f}; "
          f"(bare + engine overhead) / bare {(bare[0] + overhead) / bare[0]:.3f}  (target <= 1.15)")


def _time_calls(model):
    """Wrap this model object's encode to sum its wall time; return (the one-item sum, the original)."""
    spent = [0.0]
    original = model.encode

    def encode(*args, **kwargs):
        t0 = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            spent[0] += time.perf_counter() - t0

    model.encode = encode
    return spent, original


def cached_run(n: int, tuned: TunedModel | None = None) -> None:
    """(b) re-suggest one edited code over n cached segments."""
    texts = generate(n, seed=2)
    book = codebook()
    t0 = time.perf_counter()
    vec_cache, lemma_cache = DictCache(), DictCache()
    embedder = make_embedder(tuned, vec_cache)
    vectors = np.random.default_rng(0).standard_normal((n, embedder.dimension)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    vec_cache.put_many(embedder.model_name, dict(zip((text_hash(t) for t in texts), vectors)))
    lemmatise(texts, cache=lemma_cache)
    print(f"(b) {n} segments ({len(set(texts))} distinct); caches built in {time.perf_counter() - t0:.1f} s; "
          f"model {embedder.model_name}")
    examples = examples_for(book, texts)
    ensemble = make_suggester("ensemble.v1", embedder=embedder, lemma_cache=lemma_cache,
                              tuned=tuned).fit(book, examples)
    embedder.model.encode(["warm up"])  # the app has the model loaded already
    units = units_of(texts)
    t0 = time.perf_counter()
    first = ensemble.suggest(units)
    print(f"    suggest all 30 codes (all cached):   {time.perf_counter() - t0:7.2f} s  -> {len(first)} suggestions")
    uid = book.codes[3].uid
    times = []
    for i, definition in enumerate(EDITS):
        t0 = time.perf_counter()
        ensemble.fit(edit_definition(book, 3, definition), examples, codes=[uid])
        t_fit = time.perf_counter() - t0
        again = ensemble.suggest(units, codes=[uid])
        times.append(time.perf_counter() - t0)
        print(f"    edit {i + 1} of one definition: refit {t_fit:.2f} s + suggest that code {times[-1] - t_fit:.2f} s"
              f" = {times[-1]:.2f} s -> {len(again)} suggestions")
    print(f"    re-suggest after an edit: median {np.median(times):.2f} s, best {min(times):.2f} s (target <= 2 s)")
    tracemalloc.start()
    ensemble.fit(edit_definition(book, 3, "Unpaid help given freely."), examples, codes=[uid])
    ensemble.suggest(units, codes=[uid])
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"    peak Python/NumPy allocations during one re-suggest (tracemalloc): {peak / 2**20:.0f} MiB")
    print(f"    peak resident memory of the whole process (ru_maxrss):           {max_rss_mib():.0f} MiB")


EDITS = [
    "People giving their time and skills for free to help neighbours in need.",
    "Unpaid help by residents for the community.",
    "Volunteers: people who give time, skills or goods without being paid.",
]


def edit_definition(book: Codebook, index: int, definition: str) -> Codebook:
    """A copy of the codebook with one code's definition changed."""
    codes = list(book.codes)
    old = codes[index]
    codes[index] = CodeDef(old.uid, old.name, old.parent_uid, definition, old.use_when, old.dont_use_when,
                           list(old.examples), list(old.keywords), old.color, old.codable)
    return Codebook(book.name, codes, book.description, book.version, book.origin)


def max_rss_mib() -> float:
    """Peak resident set size of this process in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: list[str] | None = None) -> int:
    """Run both benches."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small run: 2,000 and 10,000 segments")
    parser.add_argument("--first", type=int, default=None)
    parser.add_argument("--cached", type=int, default=None)
    parser.add_argument("--tuned", type=Path, default=None, help="a tuned model's folder (from workbench train)")
    parser.add_argument("--tune-tiny", action="store_true", help="tune a small model first and use it")
    args = parser.parse_args(argv)
    tuned = load_tuned(args.tuned) if args.tuned else None
    if args.tune_tiny:
        tuned = tiny_tuned(Path(tempfile.mkdtemp(prefix="wb-bench-tuned-")))
    first_run(args.first or (2000 if args.quick else 20000), tuned=tuned)
    print(f"    peak resident memory so far: {max_rss_mib():.0f} MiB")
    cached_run(args.cached or (10000 if args.quick else 100000), tuned=tuned)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
