"""Re-suggesting on a real project file after editing one code's definition (caches in SQLite).

    python bench/suggest_project.py [--sentences 100000] [--keep DIR] [--tuned DIR] [--fresh] [--before REV]

Builds a project of generated interview sentences (1,000 sources), the 30-code bench codebook and
some codings, fills the project's embedding cache with random unit vectors for every sentence (as a
first run would have left it; encoding 100,000 sentences for real takes ~6 minutes here) and its
lemma cache with real lemmas, and runs the engine once (model loaded, as in a running app). Then it
edits one code's definition and times ``run_suggestions(code_ids=[that code])`` end to end: reading
the sentences, the cached vectors and lemmas from SQLite, refitting, scoring, storing.

Baseline in the same run: the bare work any re-suggest must do, i.e. reading the 100,000 cached
vectors from the project file and one matrix product with the code's prototypes.
Target: re-suggest <= 2 s. Prints peak memory (ru_maxrss) of this process.

With ``--tuned DIR`` (a model folder made by ``workbench train``, or ``bench/suggest.py --tune-tiny``'s) the
model is copied into the project's models folder and made current, the caches hold vectors under its id,
and every run scores with it. With ``--fresh`` the re-suggest is also timed in new processes: one edits the
definition as the Codebook page does (``--edit PROJECT``: ``edit_code``, which caches the new definition's
vector and lemmas), then a new one re-suggests (``--resuggest PROJECT``: open the project, ``run_suggestions`` for that
code); it prints the engine's time and the whole re-suggest process's (which adds Python's start-up), the
engine's time over the same-run baseline, which of torch, sentence-transformers, spaCy and scikit-learn the
re-suggest process imported, and the edit process's time. The embedding model's ONNX export is made
beforehand by the warm-up run (in the user's cache folder, or $WORKBENCH_CACHE_DIR). ``--before REV`` (with or without ``--fresh``) also times the code of git revision REV the same
way, alternating with this code, on a copy of the project set back to that code's schema, and prints now / then.
"""
from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # first: bench/ingest.py is not the ingest package
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import numpy as np  # noqa: E402

from coding.lemmas import lemmatise, text_hash  # noqa: E402
from workbench.store import NewSegment, NewSource, Store  # noqa: E402
from workbench.assist.suggest import project_units, run_suggestions  # noqa: E402
from workbench.store.cache import StoreLemmaCache, forget_cached_values  # noqa: E402

PER_SOURCE = 100


def build(path: Path, n: int) -> Store:
    """A project of n generated sentences in sources of PER_SOURCE one-sentence turns."""
    from suggest import codebook, generate  # bench/suggest.py: generated sentences, 30 codes
    from workbench.sources.importer import content_hash  # imports spaCy: not in the timed --resuggest process

    store = Store.create(path, name="bench")
    store.import_codebook(codebook(), "bench")
    texts = generate(n, seed=3)
    with store.database.transaction():
        for s in range(0, n, PER_SOURCE):
            turns = texts[s:s + PER_SOURCE]
            text = "\n".join(turns)
            segments, pos = [], 0
            for t in turns:
                segments.append(NewSegment(start=pos, end=pos + len(t), kind="turn", speaker="P",
                                           sentences=[(pos, pos + len(t))]))
                pos += len(t) + 1
            store.add_source(NewSource(name=f"interview-{s // PER_SOURCE:04d}.txt", kind="interview", text=text,
                                       content_hash=content_hash(text), format="txt", segments=segments), "bench")
    codes = [c for c in store.codes()][:10]
    rng = np.random.default_rng(0)
    with store.database.transaction():
        for k, code in enumerate(codes):  # 8 codings for each of 10 codes: learned models for them
            for source_id in rng.choice(store.source_ids(), 8, replace=False):
                store.add_coding(int(source_id), 0, 40 + k, code.id, "amira")
    return store


def fill_caches(store: Store, model: str = "all-MiniLM-L6-v2") -> int:
    """Random unit vectors for every sentence (the embedding cache) and real lemmas (the lemma cache)."""
    units = project_units(store)
    hashes = list(dict.fromkeys(text_hash(u.text) for u in units))
    rng = np.random.default_rng(1)
    for i in range(0, len(hashes), 20_000):
        chunk = hashes[i:i + 20_000]
        vectors = rng.standard_normal((len(chunk), 384)).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        store.cache_vectors(model, dict(zip(chunk, vectors)))
    lemmatise([u.text for u in units], cache=StoreLemmaCache(store))
    return len(units)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sentences", type=int, default=100_000)
    parser.add_argument("--keep", type=Path, help="Build the project in this folder and keep it.")
    parser.add_argument("--tuned", type=Path, help="Make this tuned model (a folder) the project's current model.")
    parser.add_argument("--fresh", action="store_true", help="Also time the re-suggest in new processes.")
    parser.add_argument("--before", metavar="REV", help="With --fresh: also time the code of this git revision in new "
                        "processes, alternating with this code, on a copy of the project at that code's schema.")
    parser.add_argument("--resuggest", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--edit", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.edit:
        return edit(args.edit)
    if args.resuggest:
        return resuggest(args.resuggest)
    folder = args.keep or Path(tempfile.mkdtemp(prefix="wb-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "bench.wbproj"
    path.unlink(missing_ok=True)
    t0 = time.perf_counter()
    store = build(path, args.sentences)
    model = "all-MiniLM-L6-v2"
    if args.tuned:
        model = make_current(store, args.tuned)
    n = fill_caches(store, model)
    print(f"project: {n:,} sentences in {len(store.source_ids()):,} sources, 30 codes, 80 codings; "
          f"built with caches in {time.perf_counter() - t0:.1f} s ({path.stat().st_size / 2**20:.0f} MiB); "
          f"model {model}")

    t0 = time.perf_counter()
    first = run_suggestions(store, "bench")
    print(f"warm-up run (loads the model, embeds the codebook): {first.seconds:.2f} s, {first.stored:,} stored")

    from workbench.assist.suggest import edit_code  # as the Codebook page edits: caches the new vector and lemmas

    code = store.find_code("Loneliness")
    cold, times = [], []
    for i in range(3):
        forget_cached_values()  # as the first run in a new process: caches read from the project file
        edit_code(store, code.id, "bench", definition=code.definition + f" Edit {i}.")
        cold.append(run_suggestions(store, "bench", code_ids=[code.id]).seconds)
    for i in range(3):  # as in a running app: the vectors and lemmas of the last run are still in memory
        edit_code(store, code.id, "bench", definition=code.definition + f" Second edit {i}.")
        run = run_suggestions(store, "bench", code_ids=[code.id])
        times.append(run.seconds)
    print(f"re-suggest after editing one definition, {n:,} cached sentences (target <= 2 s):\n"
          f"  reading the caches from the project file: median {sorted(cold)[1]:.2f} s "
          f"(runs {', '.join(f'{t:.2f}' for t in cold)})\n"
          f"  in a running app (caches in memory):      median {sorted(times)[1]:.2f} s "
          f"(runs {', '.join(f'{t:.2f}' for t in times)}); {run.stored:,} suggestions for that code")

    t0 = time.perf_counter()
    hashes = [text_hash(u.text) for u in project_units(store)]
    vectors = store.cached_vectors(model, hashes)
    matrix = np.stack([vectors[h] for h in hashes])
    prototypes = np.random.default_rng(2).standard_normal((4, 384)).astype(np.float32)
    (matrix @ prototypes.T).max(axis=1)
    bare = time.perf_counter() - t0
    print(f"baseline (read the units and their cached vectors from the project, one matrix product): {bare:.2f} s; "
          f"engine (from the file) / baseline = {sorted(cold)[1] / bare:.2f}")
    print(f"peak memory of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
    if args.fresh or args.before:
        store.close()
        old = _old_code(args.before, path) if args.before else None
        fresh, before = [], []
        for i in range(5):  # alternating, so both see the same load
            fresh.append(_fresh_run(Path(__file__).resolve().parents[1], path))
            if old is not None:
                before.append(_fresh_run(*old, edit_first=_has_edit(old[0])))
        print("re-suggest in a fresh process (one process edits the definition as the Codebook page does, a new one "
              f"opens the project and runs run_suggestions for that code): engine median {_median(fresh, 0):.2f} s "
              f"(runs {', '.join(f'{f[0]:.2f}' for f in fresh)}); whole process with start-up {_median(fresh, 1):.1f} s; "
              f"engine / baseline = {_median(fresh, 0) / bare:.2f}; it imported {fresh[-1][3]}; "
              f"the edit's process {_median(fresh, 2):.1f} s")
        if before:
            print(f"  the code of {args.before} on the same project, same runs: engine median {_median(before, 0):.2f} s "
                  f"(runs {', '.join(f'{f[0]:.2f}' for f in before)}); whole process {_median(before, 1):.1f} s; "
                  f"engine / baseline = {_median(before, 0) / bare:.2f}; now / then = "
                  f"{_median(fresh, 0) / _median(before, 0):.2f} (engine), {_median(fresh, 1) / _median(before, 1):.2f} "
                  "(whole process)")
    return 0


def _has_edit(checkout: Path) -> bool:
    """Whether that code's bench has ``--edit`` (else its ``--resuggest`` edits the definition itself)."""
    return '"--edit"' in (checkout / "bench" / "suggest_project.py").read_text(encoding="utf-8")


def _median(runs: list[tuple], k: int) -> float:
    return sorted(r[k] for r in runs)[len(runs) // 2]


def _fresh_run(checkout: Path, path: Path, edit_first: bool = True) -> tuple[float, float, float, str]:
    """``--edit`` then ``--resuggest``, each in a new process with the code of ``checkout``: (engine seconds, whole
    re-suggest process seconds, whole edit process seconds, the heavy modules the re-suggest imported).
    ``edit_first=False``: code older than ``--edit``, whose ``--resuggest`` edits the definition itself."""
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    script = str(checkout / "bench" / "suggest_project.py")
    t0 = time.perf_counter()
    if edit_first:
        subprocess.run([sys.executable, script, "--edit", str(path)], capture_output=True, text=True, check=True,
                       env=env)
    t1 = time.perf_counter()
    out = subprocess.run([sys.executable, script, "--resuggest", str(path)],
                         capture_output=True, text=True, check=True, env=env)
    words = out.stdout.split()
    imported = words[2].split(":", 1)[1] if len(words) > 2 and words[2].startswith("imported:") else "?"
    return float(words[0]), time.perf_counter() - t1, t1 - t0, imported


def _old_code(revision: str, path: Path) -> tuple[Path, Path]:
    """The code of a git revision (exported beside the project) and a copy of the project as that code's schema
    left it: the tables added since dropped, the schema version set back (so the old code opens it)."""
    import importlib.util
    import io
    import sqlite3
    import tarfile

    folder = path.parent / f"code-{revision}"
    if not folder.exists():
        archive = subprocess.run(["git", "-C", str(Path(__file__).resolve().parents[1]), "archive", revision],
                                 capture_output=True, check=True).stdout
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(folder, filter="data")
    spec = importlib.util.spec_from_file_location("old_migrations", folder / "workbench" / "store" / "migrations.py")
    old_migrations = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(old_migrations)  # the old code's schema version (its migrations import no more of ours)
    version = old_migrations.MIGRATIONS[-1][0]
    copy = path.parent / f"before-{revision}.wbproj"
    shutil.copyfile(path, copy)
    conn = sqlite3.connect(copy)
    if version < 12:
        conn.execute("DROP TABLE IF EXISTS learned_models")  # migration 12
    if version < 13:
        conn.execute("DROP TABLE IF EXISTS embedding_packs")  # migration 13
    conn.execute(f"PRAGMA user_version = {version}")
    conn.commit()
    conn.close()
    return folder, copy


def make_current(store: Store, folder: Path) -> str:
    """Copy a tuned model into the project's models folder and make it the current model; its id."""
    from coding.tuning import load_tuned
    from workbench.assist.train import models_folder

    tuned = load_tuned(folder)
    target = models_folder(store) / tuned.id
    if not target.exists():
        shutil.copytree(folder, target)
    store.record_training("bench", {"model": tuned.id}, tuned.id)
    return tuned.id


def edit(path: Path) -> int:
    """In a fresh process: edit Loneliness' definition as the Codebook page does (``edit_code``, which fits the
    suggester: the new definition's vector and lemmas go into the project's caches; it loads spaCy and the encoder)."""
    from workbench.assist.suggest import edit_code

    store = Store.open(path)
    code = store.find_code("Loneliness")
    original = code.definition.split(" Fresh edit ")[0]  # one edit at a time, not one more after each run
    edit_code(store, code.id, "bench", definition=original + f" Fresh edit {os.getpid()}.")
    return 0


def resuggest(path: Path) -> int:
    """In a fresh process: re-suggest Loneliness (its definition just edited by ``edit``); print the engine's
    seconds and what the process imported of torch, sentence-transformers, spaCy and scikit-learn."""
    store = Store.open(path)
    code = store.find_code("Loneliness")
    run = run_suggestions(store, "bench", code_ids=[code.id])
    heavy = [m for m in ("torch", "sentence_transformers", "spacy", "sklearn") if m in sys.modules]
    print(f"{run.seconds:.3f} {run.model} imported:{','.join(heavy) or 'none'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
