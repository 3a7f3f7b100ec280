"""Several processes coding one project at once, and processes killed mid-work (SIGKILL)."""
from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from collections import Counter
from pathlib import Path

import pytest

from workbench.store import Store

from helpers import interview_source

WORKER = textwrap.dedent("""
    import sys
    from workbench.store import Store
    path, coder, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    store = Store.open(path)
    code = store.find_code("Wellbeing").id
    ids = []
    for i in range(n):
        ids.append(store.add_coding(1, i, i + 5, code, coder))
        if i % 5 == 0:
            store.update_coding(ids[-1], coder, memo=f"memo {i}")
        if i % 10 == 9:
            store.remove_coding(ids[-2], coder)
""")


@pytest.mark.parametrize("workers,codings", [(4, 60)])
def test_concurrent_coders_lose_nothing(tmp_path: Path, workers: int, codings: int) -> None:
    store = Store.create(tmp_path / "p.wbproj")
    store.add_source(interview_source(), "lead")
    store.add_code("Wellbeing", "lead")
    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    procs = [subprocess.Popen([sys.executable, str(script), str(store.path), f"coder{w}", str(codings)])
             for w in range(workers)]
    assert [p.wait(timeout=120) for p in procs] == [0] * workers
    removed_per_coder = codings // 10
    rows = Counter((c.coder, c.start) for c in store.codings())
    assert all(n == 1 for n in rows.values())  # every coding exactly once
    for w in range(workers):
        mine = sorted(start for coder, start in rows if coder == f"coder{w}")
        expected = sorted(set(range(codings)) - {i - 1 for i in range(codings) if i % 10 == 9})
        assert mine == expected
        actions = Counter(e.action for e in store.events(actor=f"coder{w}"))
        assert actions["coding.add"] == codings
        assert actions["coding.remove"] == removed_per_coder
        assert actions["coding.update"] == len(range(0, codings, 5))
    assert store.check() == []


def _kill_when(proc: subprocess.Popen, ready, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ready():
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
            return
        if proc.poll() is not None:
            pytest.fail(f"the process ended before it could be killed (exit {proc.returncode})")
        time.sleep(0.02)
    proc.kill()
    pytest.fail("the process never reached the point where it should be killed")


def _sources_done(path: Path) -> int:
    try:
        return Store.open(path).counts()["sources"]
    except Exception:  # the file may not exist yet or be mid-migration while we poll
        return 0


def _processes_mentioning(path: Path) -> list[int]:
    """Live processes whose command line names ``path``."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and str(path).encode() in (proc / "cmdline").read_bytes() \
                    and (proc / "stat").read_text().split()[2] != "Z":
                found.append(int(proc.name))
        except OSError:
            continue
    return found


def test_killing_an_ingest_leaves_only_complete_sources(tmp_path: Path) -> None:
    folder = tmp_path / "corpus"
    folder.mkdir()
    for i in range(60):
        turns = "\n\n".join(f"{'Interviewer' if t % 2 == 0 else 'Jean'}: " + f"Sentence {i} {t}. " * 40
                            for t in range(40))
        (folder / f"interview-{i:03d}.txt").write_text(turns)
    path = tmp_path / "p.wbproj"
    Store.create(path).close()
    proc = subprocess.Popen([sys.executable, "-m", "workbench", "ingest", str(folder), "--project", str(path)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _kill_when(proc, lambda: _sources_done(path) >= 5)
    # the reader process it had forked ends with it, rather than waiting for work forever
    deadline = time.monotonic() + 10
    while _processes_mentioning(path) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _processes_mentioning(path) == []
    store = Store.open(path)
    assert store.check() == []
    sources = store.list_sources()
    assert 5 <= len(sources) < 60
    for source in sources:  # each stored source is whole: all its turns, sentences and index entries
        assert source.segments == 40
        assert len(store.segments(source.id, kinds=["sentence"])) == 40 * 40
    assert len([e for e in store.events() if e.action == "source.add"]) == len(sources)
    # and the rest can be imported afterwards
    proc = subprocess.run([sys.executable, "-m", "workbench", "ingest", str(folder), "--project", str(path)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert Store.open(path).counts()["sources"] == 60


def _scalar(path: Path, sql: str) -> int:
    try:
        return Store.open(path).database.scalar(sql) or 0
    except Exception:  # mid-write while we poll
        return 0


def _writing(path: Path) -> bool:
    """True while another process holds the project's write lock (is inside a write transaction)."""
    probe = sqlite3.connect(path, timeout=0)
    try:
        probe.execute("BEGIN IMMEDIATE")
        probe.rollback()
        return False
    except sqlite3.OperationalError:
        return True
    finally:
        probe.close()


def test_killing_a_suggestion_run_keeps_the_previous_suggestions(tmp_path: Path) -> None:
    from workbench.sources.demo import build_demo
    from workbench.assist.suggest import run_suggestions

    store = build_demo(tmp_path / "demo.wbproj")
    source = store.source_by_name("NG-R01_maureen.vtt").id
    run_suggestions(store, "engine", source_ids=[source])  # earlier suggestions, for one source
    before = sorted((s.id, s.code_id, s.start, s.end) for s in store.suggestions())
    assert before
    store.close()
    proc = subprocess.Popen([sys.executable, "-m", "workbench", "suggest", "--project", str(store.path)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    # the run caches embeddings chunk by chunk as it goes: kill it once some are in and before it ends
    cached = _scalar(store.path, "SELECT count(*) FROM embeddings")
    _kill_when(proc, lambda: _scalar(store.path, "SELECT count(*) FROM embeddings") > cached)
    store = Store.open(store.path)
    assert store.check() == []
    assert sorted((s.id, s.code_id, s.start, s.end) for s in store.suggestions()) == before
    dim = store.database.scalar("SELECT min(length(vector)) FROM embeddings")
    assert dim == store.database.scalar("SELECT max(length(vector)) FROM embeddings") == 384 * 4
    # and the next run completes, reusing what the killed one cached
    run = run_suggestions(store, "engine")
    assert run.stored > len(before)


def test_killing_a_qdpx_import_imports_nothing(tmp_path: Path) -> None:
    from workbench.sources.demo import build_demo
    from workbench.export.refi import export_qdpx

    demo = build_demo(tmp_path / "demo.wbproj")
    archive = tmp_path / "demo.qdpx"
    export_qdpx(demo, archive)
    path = tmp_path / "target.wbproj"
    target = Store.create(path)
    target.add_source(interview_source(), "amira")  # work already in the project
    target.close()
    proc = subprocess.Popen([sys.executable, "-m", "workbench", "import", "qdpx", str(archive), "--project",
                             str(path)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    # the import writes in one transaction: kill it while it holds the write lock
    _kill_when(proc, lambda: _writing(path))
    store = Store.open(path)
    assert store.check() == []
    assert [s.name for s in store.list_sources()] == ["maureen.txt"]
    assert store.counts()["codings"] == 0 and store.codes() == []
    proc = subprocess.run([sys.executable, "-m", "workbench", "import", "qdpx", str(archive), "--project",
                           str(path)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert Store.open(path).counts()["codings"] == 592
