"""How quickly the Code page works on a big document.

    python bench/code_page.py [--words 20000] [--codings 500] [--suggestions 500] [--repeat 5]

Builds a project with one generated interview transcript of ``--words`` words (turns with speakers and
times, a few emoji), ``--codings`` codings by two coders and ``--suggestions`` pending suggestions, then
times (medians of ``--repeat`` runs):

(a) ``document_view``: load the render data from the store, build the HTML;
(b) an AppTest run of the Code page (first run, and a rerun as after a click; target < 1.5 s);
(c) ``store.add_coding`` alone, and applying a code on the page: the rerun that stores the coding and
    redraws the document (target < 300 ms);
(d) with ``--browser`` (needs /usr/bin/chromium): the same in a real browser against `streamlit run`:
    opening the Code page until the document is drawn, and Apply until the new highlight is drawn.
"""
from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from streamlit.testing.v1 import AppTest  # noqa: E402

from coding.codebook import load_codebook  # noqa: E402
from workbench.ui import document_view as dv  # noqa: E402
from workbench.sources.importer import ingest_paths  # noqa: E402
from workbench.store import NewSuggestion, Store  # noqa: E402

WORDS = ("the garden pantry bus council neighbour volunteer hub queue money lonely proud week Saturday "
         "meeting church school kids tenants repair cafe shed walk group nurse flat damp rent heating "
         "friend family job course youth club beach clean library warm space trust help together").split()
EXTRAS = ["😀", "👩🏽‍🌾", "café", "naïve"]
CODE_PAGE_TARGET, APPLY_TARGET = 1.5, 0.3


def transcript(words: int, rng: random.Random) -> str:
    """An interview of about ``words`` words: short questions, long answers, an emoji now and then."""
    turns, count, seconds = [], 0, 0
    while count < words:
        question = count // 120 % 2 == 0 and rng.random() < 0.5
        n = rng.randint(8, 20) if question else rng.randint(60, 180)
        said = []
        for i in range(n):
            word = rng.choice(WORDS)
            if rng.random() < 0.01:
                word = rng.choice(EXTRAS)
            said.append(word.capitalize() if i == 0 or said[-1].endswith(".") else word)
            if rng.random() < 0.08:
                said[-1] += "."
        text = " ".join(said).rstrip(".") + ("?" if question else ".")
        seconds += n // 2
        turns.append(f"[{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}] "
                     f"{'Interviewer' if question else 'Maureen'}: {text}")
        count += n
    return "\n\n".join(turns) + "\n"


def build(folder: Path, words: int, n_codings: int, n_suggestions: int, seed: int = 7) -> tuple[Path, int]:
    """The project: codebook, one big transcript, codings and pending suggestions."""
    rng = random.Random(seed)
    path = folder / "bench.wbproj"
    store = Store.create(path, name="Code page bench")
    store.import_codebook(load_codebook(ROOT / "codebooks" / "resilience.yaml"), "bench")
    (folder / "files").mkdir()
    (folder / "files" / "BIG-R01_maureen.txt").write_text(transcript(words, rng), encoding="utf-8")
    report = ingest_paths(store, [folder / "files"], actor="bench")
    assert report.added and not report.skipped, report
    source_id = report.added[0][0]
    text = store.get_source(source_id).text
    sentences = [(s.start, s.end) for s in store.segments(source_id, kinds=["sentence"])]
    codes = [c.id for c in store.codes() if c.codable]
    added = 0
    with store.database.transaction():
        while added < n_codings:
            i = rng.randrange(len(sentences))
            start, end = sentences[i][0], sentences[min(len(sentences) - 1, i + rng.randint(0, 2))][1]
            try:
                store.add_coding(source_id, start, end, rng.choice(codes), rng.choice(["amira", "tom"]))
                added += 1
            except Exception:  # the same span, code and coder twice: draw again
                continue
    proposals = []
    for _ in range(n_suggestions * 2):
        start, end = rng.choice(sentences)
        proposals.append(NewSuggestion(source_id, start, end, rng.choice(codes), round(rng.uniform(0.3, 0.99), 3),
                                       f"mentions {text[start:end].split()[0]}", "lexical"))
    stored = store.replace_suggestions(proposals, "engine")
    extra = store.suggestions(source_id=source_id)[n_suggestions:]
    for s in extra:  # keep exactly n_suggestions pending
        store.reject_suggestion(s.id, "bench")
    assert len(store.suggestions(source_id=source_id)) == min(n_suggestions, stored)
    store.close()
    return path, source_id


def median_time(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def code_page(path: Path, source_id: int) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.session_state["project_path"] = str(path)
    at.session_state["coder"] = "bench"
    at.run()
    at.switch_page("workbench/ui/pages/code.py")
    at.session_state["code.open"] = {"source_id": source_id, "offset": None, "end": None, "nonce": "b"}
    return at


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--words", type=int, default=20_000)
    parser.add_argument("--codings", type=int, default=500)
    parser.add_argument("--suggestions", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--browser", action="store_true", help="also time it in Chromium")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-code-page-") as folder:
        t = time.perf_counter()
        path, source_id = build(Path(folder), args.words, args.codings, args.suggestions)
        store = Store.open(path)
        source = store.get_source(source_id)
        print(f"project: {source.words:,} words, {len(store.segments(source_id, structural_only=True))} turns, "
              f"{len(store.codings(source_id=source_id))} codings, "
              f"{len(store.suggestions(source_id=source_id))} pending suggestions "
              f"(built in {time.perf_counter() - t:.1f} s)")

        view = dv.load_view(store, source_id)
        html = dv.render_html(view)
        load = median_time(lambda: dv.load_view(store, source_id), args.repeat)
        render = median_time(lambda: dv.render_html(view), args.repeat)
        print(f"(a) document_view: load {load * 1000:.0f} ms + HTML {render * 1000:.0f} ms "
              f"= {(load + render) * 1000:.0f} ms; {len(view.blocks)} blocks, "
              f"{sum(len(b.runs) for b in view.blocks):,} runs, {len(html) / 1024:.0f} KiB of HTML")

        at = code_page(path, source_id)
        t = time.perf_counter()
        at.run()
        first = time.perf_counter() - t
        assert not at.exception, at.exception
        rerun = median_time(at.run, args.repeat)
        verdict = "ok" if max(first, rerun) < CODE_PAGE_TARGET else "TOO SLOW"
        print(f"(b) Code page (AppTest): first run {first * 1000:.0f} ms, rerun {rerun * 1000:.0f} ms "
              f"(target < {CODE_PAGE_TARGET * 1000:.0f} ms: {verdict})")

        sentences = [(s.start, s.end) for s in store.segments(source_id, kinds=["sentence"])]
        codes = [c.id for c in store.codes() if c.codable]
        spans = iter(sentences[1::3])

        def add_one() -> None:
            start, end = next(spans)
            store.add_coding(source_id, start, end, codes[0], "bench-direct")

        add = median_time(add_one, max(args.repeat, 20))
        applies = []
        for _ in range(args.repeat):
            start, end = next(spans)
            at.session_state["code.selection"] = {"source_id": source_id, "start": start, "end": end}
            at.run()
            at.multiselect(key="code.apply_codes").set_value([codes[1]])  # in a form: sent with Apply
            button = at.button(key="code.apply")
            t = time.perf_counter()
            button.click().run()
            applies.append(time.perf_counter() - t)
            assert not at.exception and not at.error, (at.exception, at.error)
        apply_page = statistics.median(applies)
        assert len(store.codings(coders=["bench"])) == args.repeat
        verdict = "ok" if apply_page < APPLY_TARGET else "TOO SLOW"
        print(f"(c) add_coding {add * 1000:.1f} ms; apply on the page (store + redraw) {apply_page * 1000:.0f} ms "
              f"(target < {APPLY_TARGET * 1000:.0f} ms: {verdict})")
        if args.browser:
            in_browser(path, source_id, [next(spans) for _ in range(args.repeat)])


def in_browser(path: Path, source_id: int, spans: list[tuple[int, int]]) -> None:
    """(d): open the Code page and apply codes in Chromium, timing what the researcher waits for."""
    import os
    import socket
    import subprocess
    import urllib.request

    from playwright.sync_api import sync_playwright

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "WORKBENCH_PROJECT": str(path), "WORKBENCH_USER": "bench-browser",
           "WORKBENCH_RECENT_FILE": str(path.with_name("recent.json"))}
    server = subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.port",
                               str(port), "--server.address", "127.0.0.1", "--server.headless", "true",
                               "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
                              cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=[
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update"])
            page = browser.new_page(viewport={"width": 1440, "height": 1000})
            t = time.perf_counter()
            page.goto(f"http://127.0.0.1:{port}/code")
            page.wait_for_selector(".wb-doc .wb-tx > span[data-s]", timeout=60_000)
            opened = time.perf_counter() - t
            reopens = []
            for _ in range(3):  # a new session on the running server: what every later visit costs
                t = time.perf_counter()
                page.reload()
                page.wait_for_selector(".wb-doc .wb-tx > span[data-s]", timeout=60_000)
                reopens.append(time.perf_counter() - t)
            store = Store.open(path)
            codes = [c.id for c in store.codes() if c.codable]
            applies = []
            for start, end in spans:
                # Select by dispatching the component's own selection event (the mouse is tested elsewhere).
                page.evaluate("""([s, e]) => {
                  const runs = Array.from(document.querySelectorAll('.wb-doc .wb-tx > span[data-s]'));
                  const a = runs.filter(r => Number(r.dataset.s) <= s).pop();
                  const b = runs.filter(r => Number(r.dataset.s) < e).pop();
                  const range = document.createRange();
                  range.setStart(a.firstChild, s - Number(a.dataset.s));
                  range.setEnd(b.firstChild, e - Number(b.dataset.s));
                  window.getSelection().removeAllRanges();
                  window.getSelection().addRange(range);
                  a.closest('.wb-doc').dispatchEvent(new MouseEvent('mouseup', {bubbles: true}));
                }""", [start, end])
                page.locator('[data-testid="stMultiSelect"]').filter(has_text="Codes to apply").wait_for()
                page.locator('[data-testid="stMultiSelect"]').filter(has_text="Codes to apply").locator("input").click()
                page.keyboard.type(store.get_code(codes[2]).name)
                page.get_by_role("option").first.click()
                before = page.locator(".wb-doc").get_attribute("data-version")
                t = time.perf_counter()
                page.locator("button").filter(has_text="Apply").first.click()
                page.wait_for_function("v => document.querySelector('.wb-doc').dataset.version !== v", arg=before,
                                       timeout=30_000)
                applies.append(time.perf_counter() - t)
            browser.close()
        print(f"(d) in Chromium: Code page opened and drawn in {opened * 1000:.0f} ms on a just-started server "
              f"(first imports), {statistics.median(reopens) * 1000:.0f} ms when opened again (median of 3; "
              f"target < 1500 ms); Apply until the new "
              f"highlight is drawn {statistics.median(applies) * 1000:.0f} ms (median of {len(applies)})")
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
