"""How the Suggestions page holds up on a big queue: page load, time per accept, server memory.

    python bench/suggestions_page.py [--sources 1000] [--suggestions 100000] [--accepts 50] [--apptest]

Builds a project of ``--sources`` generated interviews (turns, sentences, a site attribute each) with
``--suggestions`` pending suggestions (bulk inserts through the Store), starts the real app with
`streamlit run` and drives the Suggestions page in Debian's Chromium (/usr/bin/chromium, Playwright):

- the page load (a first session on a just-started server, then a new session on the warm server);
- a baseline in the same run: a rerun that changes no data (the order switched back and forth), and the
  server's resident memory before the accepts;
- ``--accepts`` accepts of the first suggestion shown, each timed from the click until the page shows
  the new pending count (target ≤ 1 s), and the server's memory growth over them (target ≤ 50 MiB in all).

``--apptest`` times the same page with AppTest instead (no browser; memory is this process's).
"""
from __future__ import annotations

import argparse
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from coding.codebook import load_codebook  # noqa: E402
from workbench.sources.importer import content_hash  # noqa: E402
from workbench.store import NewSegment, NewSource, NewSuggestion, Store  # noqa: E402

WORDS = ("the garden pantry bus council neighbour volunteer hub queue money lonely proud week Saturday "
         "meeting church school kids tenants repair cafe shed walk group nurse flat damp rent heating "
         "friend family job course youth club beach clean library warm space trust help together").split()
SITES = ["Northgate", "Seacombe", "Ashby Vale"]
ACCEPT_TARGET, MEMORY_TARGET_MIB = 1.0, 50


def interview(rng: random.Random, turns: int) -> NewSource:
    """A generated interview: alternating short questions and answers of a few sentences each."""
    parts, segments, at = [], [], 0
    for t in range(turns):
        speaker = "Interviewer" if t % 2 == 0 else "Resident"
        sentences = []
        body_start = at + len(speaker) + 2
        cursor = body_start
        words = []
        for _ in range(1 if t % 2 == 0 else rng.randint(3, 6)):
            sentence = " ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 16))).capitalize() + "."
            if words:
                cursor += 1
            sentences.append((cursor, cursor + len(sentence)))
            cursor += len(sentence)
            words.append(sentence)
        line = f"{speaker}: {' '.join(words)}"
        segments.append(NewSegment(start=at, end=at + len(line), kind="turn", speaker=speaker, sentences=sentences))
        parts.append(line)
        at += len(line) + 2
    text = "\n\n".join(parts) + "\n"
    return NewSource(name="", kind="interview", text=text, content_hash=content_hash(text), format="txt",
                     segments=segments)


def build(folder: Path, n_sources: int, n_suggestions: int, seed: int = 13) -> Path:
    """The project: the resilience codebook, ``n_sources`` interviews, ``n_suggestions`` pending suggestions."""
    rng = random.Random(seed)
    path = folder / "bench.wbproj"
    store = Store.create(path, name="Suggestions page bench")
    store.import_codebook(load_codebook(ROOT / "codebooks" / "resilience.yaml"), "bench")
    codes = [c.id for c in store.codes() if c.codable]
    per_source = -(-n_suggestions // n_sources)
    proposals: list[NewSuggestion] = []
    with store.database.transaction():  # one transaction: the sources' own ones become savepoints
        for i in range(n_sources):
            new = interview(rng, turns=60)
            new.name = f"{SITES[i % 3][:2].upper()}-R{i:04d}.txt"
            new.attributes = {"site": SITES[i % 3]}
            source_id = store.add_source(new, "bench")
            spans = [s for seg in new.segments if seg.speaker != "Interviewer" for s in seg.sentences]
            for start, end in rng.sample(spans, min(len(spans), per_source)):
                proposals.append(NewSuggestion(source_id, start, end, rng.choice(codes),
                                               round(rng.uniform(0.2, 0.99), 3),
                                               f"mentions {new.text[start:end].split()[0].lower()}", "lexical"))
    rng.shuffle(proposals)
    stored = store.replace_suggestions(proposals[:n_suggestions], "engine")
    assert stored == min(len(proposals), n_suggestions), stored
    store.close()
    return path


def rss_mib(pid: int) -> float:
    """Resident memory of a process and its children (streamlit runs in one process), in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def pending_here(page) -> int:
    """The page's own count of pending suggestions in the project."""
    text = page.get_by_text(re.compile(r"pending in the project")).first.inner_text()
    return int(re.search(r"([\d,]+) pending in the project", text).group(1).replace(",", ""))


FIRST_ROW_JS = ("(document.querySelector('[class*=\"st-key-suggestions-accept-\"]') || {className: ''})"
                ".className.match(/st-key-suggestions-accept-\\d+/)?.[0]")


def first_row(page) -> str:
    """The key of the first suggestion's Accept button (which suggestion the page shows first)."""
    return page.evaluate(f"() => {FIRST_ROW_JS}")


def idle(page) -> None:
    """Wait until the app has finished its run (Streamlit shows a status widget while a script runs)."""
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')"
                           " && !document.querySelector('[data-stale=\"true\"]')", timeout=120_000)
    page.get_by_role("button", name="Accept", exact=True).first.wait_for(timeout=120_000)


def in_browser(path: Path, accepts: int) -> None:
    """Drive the real page in Chromium against `streamlit run`, measuring the server process."""
    from playwright.sync_api import sync_playwright

    port = free_port()
    env = {**os.environ, "WORKBENCH_PROJECT": str(path), "WORKBENCH_USER": "bench",
           "WORKBENCH_RECENT_FILE": str(path.with_name("recent.json")), "PYTHONPATH": str(ROOT)}
    log = open(path.with_name("server.log"), "w")
    server = subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.port",
                               str(port), "--server.address", "127.0.0.1", "--server.headless", "true",
                               "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
                              cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        for _ in range(150):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        started = rss_mib(server.pid)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=[
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update"])
            page = browser.new_page(viewport={"width": 1440, "height": 1000})
            accept_buttons = page.get_by_role("button", name="Accept", exact=True)
            t = time.perf_counter()
            page.goto(f"http://127.0.0.1:{port}/suggestions")
            accept_buttons.first.wait_for(timeout=120_000)
            first_load = time.perf_counter() - t
            t = time.perf_counter()
            page.reload()
            accept_buttons.first.wait_for(timeout=120_000)
            warm_load = time.perf_counter() - t
            page.wait_for_timeout(500)

            reruns = []  # the baseline: reruns that change no data
            for order in ["Highest score first", "Learn fastest", "Highest score first", "Learn fastest"]:
                t = time.perf_counter()
                first = first_row(page)
                page.get_by_text(order, exact=False).first.click()
                page.wait_for_function(f"k => ({FIRST_ROW_JS}) !== k", arg=first, timeout=120_000)
                idle(page)
                reruns.append(time.perf_counter() - t)
            page.wait_for_timeout(1000)
            before = rss_mib(server.pid)

            times = []
            for n in range(accepts):
                idle(page)
                count, clicked = pending_here(page), first_row(page)
                t = time.perf_counter()
                page.locator(f".{clicked} button").click()
                try:  # done: the count went down, the first card is another one, no element left from before
                    page.wait_for_function(
                        f"([n, k]) => {{ const m = document.body.innerText.match(/([\\d,]+) pending in the project/);"
                        f" return m && Number(m[1].replace(/,/g, '')) === n - 1 && ({FIRST_ROW_JS}) !== k"
                        f" && !document.querySelector('[data-stale=\"true\"]'); }}", arg=[count, clicked],
                        timeout=120_000)
                    idle(page)
                except Exception:
                    page.screenshot(path=str(path.with_name("failed.png")))
                    print(f"accept {n + 1} did not finish; server log:", path.with_name("server.log").read_text()[-3000:])
                    raise
                times.append(time.perf_counter() - t)
                print(f"  accept {n + 1}: {times[-1]:.2f} s, server {rss_mib(server.pid):.0f} MiB", flush=True)
            page.wait_for_timeout(1000)
            after = rss_mib(server.pid)
            browser.close()
        store = Store.open(path)
        assert store.suggestion_counts()["accepted"] == accepts, store.suggestion_counts()
        print(f"page load: {first_load:.2f} s on a just-started server, {warm_load:.2f} s in a new session")
        print(f"baseline: rerun without a data change {statistics.median(reruns):.2f} s (median of {len(reruns)}); "
              f"server memory {started:.0f} MiB started, {before:.0f} MiB before the accepts")
        verdict = "ok" if statistics.median(times) <= ACCEPT_TARGET else "TOO SLOW"
        print(f"accept: {statistics.median(times):.2f} s median, {max(times):.2f} s slowest, "
              f"{sum(times) / len(times):.2f} s mean over {len(times)} (target ≤ {ACCEPT_TARGET:.0f} s: {verdict})")
        growth = after - before
        verdict = "ok" if growth <= MEMORY_TARGET_MIB else "TOO MUCH"
        print(f"server memory: {before:.0f} → {after:.0f} MiB over {accepts} accepts, growth {growth:+.0f} MiB "
              f"(target ≤ {MEMORY_TARGET_MIB} MiB: {verdict})")
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:  # a server holding gigabytes can be slow to stop
            server.kill()
            server.wait()
        log.close()


def with_apptest(path: Path, accepts: int) -> None:
    """The same measurements through AppTest (no browser, no server; memory of this process)."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    at.session_state["project_path"] = str(path)
    at.session_state["coder"] = "bench"
    at.run()
    t = time.perf_counter()
    at.switch_page("workbench/ui/pages/suggestions.py").run()
    load = time.perf_counter() - t
    t = time.perf_counter()
    at.run()
    rerun = time.perf_counter() - t
    before = rss_mib(os.getpid())
    times = []
    for _ in range(accepts):
        key = next(b.key for b in at.button if b.key and b.key.startswith("suggestions.accept."))
        t = time.perf_counter()
        at.button(key=key).click().run()
        times.append(time.perf_counter() - t)
        assert not at.exception, at.exception
    after = rss_mib(os.getpid())
    print(f"AppTest: page load {load:.2f} s, rerun without a data change {rerun:.2f} s; accept "
          f"{statistics.median(times):.2f} s median, {max(times):.2f} s slowest; memory {before:.0f} → "
          f"{after:.0f} MiB ({after - before:+.0f} MiB over {accepts} accepts)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sources", type=int, default=1000)
    parser.add_argument("--suggestions", type=int, default=100_000)
    parser.add_argument("--accepts", type=int, default=50)
    parser.add_argument("--apptest", action="store_true", help="AppTest instead of a browser")
    parser.add_argument("--keep", type=Path, default=None, help="build the project in this folder and keep it")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-suggestions-") as folder:
        where = args.keep or Path(folder)
        where.mkdir(parents=True, exist_ok=True)
        t = time.perf_counter()
        path = build(where, args.sources, args.suggestions)
        store = Store.open(path)
        print(f"project: {len(store.source_ids()):,} sources, {store.suggestion_counts()['pending']:,} pending "
              f"suggestions (built in {time.perf_counter() - t:.1f} s)")
        store.close()
        (with_apptest if args.apptest else in_browser)(path, args.accepts)


if __name__ == "__main__":
    main()
