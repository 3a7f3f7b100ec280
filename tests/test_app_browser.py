"""The Code page in a real browser: select words with the mouse, apply a code, reload, accept a suggestion.

Runs `streamlit run app.py` on a free localhost port against a small project and drives Debian's Chromium
with Playwright. Skips when /usr/bin/chromium or Playwright is missing.
"""
from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

import pytest

from coding.codebook import load_codebook
from workbench.sources.importer import ingest_paths
from workbench.store import NewSuggestion, Store

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[1]
ARTEFACTS = ROOT / "artefacts"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update"]
TRANSCRIPT = ("Interviewer: How did you get involved with the garden?\n\n"
              "Maureen: My neighbour 👩🏽‍🌾 dragged me along 😀 one Saturday. <script>alert('x')</script> "
              "Now I go every week. It keeps me sane.\n\n"
              "Interviewer: And the food pantry?\n\n"
              "Maureen: The pantry is a lifeline when money is tight.\n")

pytestmark = pytest.mark.timeout(240)

# The character positions (code points) of a text's characters, found in the page independently of the
# component: the run whose data-s is at or before the offset, then UTF-16 units counted by hand.
CHAR_RECT_JS = """([offset]) => {
  const runs = Array.from(document.querySelectorAll('.wb-doc .wb-tx > span[data-s]'));
  const run = runs.filter(r => Number(r.dataset.s) <= offset).pop();
  const text = run.firstChild.data;
  let unit = 0;
  for (let cp = 0; cp < offset - Number(run.dataset.s); cp++) unit += text.codePointAt(unit) > 0xffff ? 2 : 1;
  const width = text.codePointAt(unit) > 0xffff ? 2 : 1;
  run.scrollIntoView({block: 'center'});
  const range = document.createRange();
  range.setStart(run.firstChild, unit);
  range.setEnd(run.firstChild, unit + width);
  const r = range.getClientRects()[0];
  return {left: r.left, right: r.right, top: r.top, bottom: r.bottom};
}"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(check, timeout: float = 20.0, every: float = 0.2):
    """Poll ``check`` until it returns something truthy (and return it), or fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout}s waiting for {check.__doc__ or check}")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    path = tmp_path / "browser.wbproj"
    store = Store.create(path, name="Browser test")
    store.import_codebook(load_codebook(ROOT / "codebooks" / "resilience.yaml"), "tester")
    files = tmp_path / "files"
    files.mkdir()
    (files / "NG-R01_maureen.txt").write_text(TRANSCRIPT, encoding="utf-8")
    assert ingest_paths(store, [files], actor="tester").added
    source = store.source_by_name("NG-R01_maureen.txt")
    start = source.text.index("The pantry is a lifeline")
    poverty = store.find_code("Poverty and cost of living").id
    store.replace_suggestions([NewSuggestion(source.id, start, start + 24, poverty, 0.87, "mentions money",
                                             "lexical")], "engine")
    store.close()
    return path


@pytest.fixture
def server(project: Path, tmp_path: Path):
    """`streamlit run app.py` on a free port, bound to localhost; killed at the end."""
    yield from serve(project, tmp_path)


def serve(project: Path, tmp_path: Path):
    """Run the app on ``project`` until the generator is closed; yields its URL."""
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed at /usr/bin/chromium")
    pytest.importorskip("playwright.sync_api")
    port = free_port()
    env = {**os.environ, "WORKBENCH_PROJECT": str(project), "WORKBENCH_USER": "zoe",
           "WORKBENCH_RECENT_FILE": str(tmp_path / "recent.json")}
    yield from run_server(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false",
         "--server.fileWatcherType", "none"], port, cwd=ROOT, env=env, log_path=tmp_path / "server.log")


def run_server(command: list[str], port: int, *, cwd: Path, env: dict[str, str], log_path: Path,
               timeout: float = 60):
    """Start a Streamlit server with ``command``, yield its URL once it answers, stop it when closed."""
    log = log_path.open("w")
    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"

    def healthy() -> bool:
        """the server to answer"""
        if process.poll() is not None:
            raise AssertionError("the server exited: " + log_path.read_text())
        try:
            return urllib.request.urlopen(f"{url}/_stcore/health", timeout=1).status == 200
        except OSError:
            return False

    try:
        wait_until(healthy, timeout=timeout)
        yield url
    finally:
        stop(process)
        log.close()


def stop(process: subprocess.Popen) -> None:
    """Terminate a server process, killing it if it has not ended within 10 s."""
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def drag_select(page, first: int, last: int) -> None:
    """Press the mouse on the left half of character ``first``, drag, release on the right half of ``last``."""
    a = page.evaluate(CHAR_RECT_JS, [first])
    b = page.evaluate(CHAR_RECT_JS, [last])
    page.mouse.move(a["left"] + 1, (a["top"] + a["bottom"]) / 2)
    page.mouse.down()
    page.mouse.move((a["right"] + b["left"]) / 2, (b["top"] + b["bottom"]) / 2, steps=8)
    page.mouse.move(b["right"] - 1, (b["top"] + b["bottom"]) / 2, steps=4)
    page.mouse.up()


def apply_code(page, name: str) -> None:
    """Type part of a code's name in "Codes to apply", pick it, and press Apply."""
    chooser = page.locator('[data-testid="stMultiSelect"]').filter(has_text="Codes to apply")
    chooser.locator("input").click()
    page.keyboard.type(name[:9])
    page.get_by_role("option", name=re.compile("^" + re.escape(name))).click()
    # Straight to Apply with the list still open, as a person would: the first click must count.
    page.locator("button").filter(has_text=re.compile(r"^Apply$")).click()


def test_workbench_app_opens_a_page_from_its_address_with_the_project_and_the_menu(project: Path,
                                                                                 tmp_path: Path) -> None:
    """A bookmark or a reload on /codebook: the router runs (project open, the menu), not the page file alone."""
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed at /usr/bin/chromium")
    port = free_port()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
           "WORKBENCH_RECENT_FILE": str(tmp_path / "recent.json")}
    command = [sys.executable, "-m", "workbench", "app", "--project", str(project), "--port", str(port), "--as", "zoe"]
    for url in run_server(command, port, cwd=tmp_path, env=env, log_path=tmp_path / "server.log"):
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            try:
                page = browser.new_page(viewport={"width": 1280, "height": 900})
                page.goto(f"{url}/codebook")
                page.get_by_text("click one to edit it").wait_for(timeout=30_000)
                sidebar = page.locator('[data-testid="stSidebar"]')
                assert sidebar.get_by_text("Codebook", exact=True).count() == 1
                assert sidebar.get_by_text("members", exact=True).count() == 0  # not the folder's file list
                assert page.get_by_text("No project is open yet").count() == 0
                page.reload()
                page.get_by_text("click one to edit it").wait_for(timeout=30_000)
            finally:
                browser.close()


def test_adding_codes_one_after_another_stays_on_the_add_tab(server: str, project: Path) -> None:
    """The message of a change ("Added …") used to appear above the tabs and put the first tab (Edit) back."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1440, "height": 1000})
            page.goto(f"{server}/codebook")
            tab = page.get_by_role("tab", name="Add", exact=True)
            tab.wait_for(timeout=60_000)
            tab.click()
            for name in ("Waiting lists", "Queues at the pantry"):
                page.get_by_label("Name of the new code").fill(name)
                page.get_by_role("button", name="Add code").click()
                page.get_by_text(f"Added {name}.").wait_for(timeout=30_000)
                assert tab.get_attribute("aria-selected") == "true"
        finally:
            browser.close()
    assert {"Waiting lists", "Queues at the pantry"} <= {c.name for c in Store.open(project).codes()}


def test_select_with_the_mouse_apply_reload_and_accept(server: str, project: Path) -> None:
    from playwright.sync_api import sync_playwright

    store = Store.open(project)
    source = store.source_by_name("NG-R01_maureen.txt")
    text = source.text
    # From the middle of "neighbour" across an emoji (2 code points, 4 UTF-16 units here: 👩🏽 plus a ZWJ
    # sequence) to the middle of "dragged": the offsets the page reports must be code points.
    first = text.index("bour 👩🏽")
    last = text.index("dragged") + 4  # ...the "g" of "dragg"
    outside: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1440, "height": 1000})
            page.on("request", lambda r: urlparse(r.url).hostname not in ("127.0.0.1", None)
                    and not r.url.startswith("data:") and outside.append(r.url))
            page.goto(f"{server}/code")
            page.wait_for_selector(".wb-doc .wb-tx > span[data-s]", timeout=30_000)
            assert page.locator(".wb-doc script, .wb-doc img").count() == 0  # the hostile line is inert text
            assert "<script>alert('x')</script>" in page.locator(".wb-doc").inner_text()

            drag_select(page, first, last)
            assert page.evaluate("window.getSelection().toString()") == text[first:last + 1]
            reported = wait_until(lambda: page.locator(".wb-doc").get_attribute("data-selection"), timeout=10)
            assert reported == f"{first},{last + 1}", "the component must report code points, not UTF-16 units"

            panel = page.get_by_text("Code the selected words")
            panel.wait_for(timeout=15_000)
            snapped_start, snapped_end = text.index("neighbour"), text.index("dragged") + len("dragged")
            page.get_by_text(text[snapped_start:snapped_end]).first.wait_for(timeout=10_000)

            apply_code(page, "Bonding ties")

            def coded():
                """the coding to be stored"""
                return Store.open(project).codings(coders=["zoe"])

            [coding] = wait_until(coded)
            assert (coding.start, coding.end) == (snapped_start, snapped_end)
            assert text[coding.start:coding.end] == "neighbour 👩🏽‍🌾 dragged"
            assert coding.code_id == store.find_code("Bonding ties").id

            page.reload()
            highlight = page.locator(f'.wb-doc span[data-s="{snapped_start}"][data-c="{coding.id}"]')
            highlight.wait_for(timeout=30_000)
            assert page.locator(f'.wb-doc .wb-chip[data-k="c"][data-id="{coding.id}"]').count() == 1
            highlight.click()  # a click on coded words shows their codings beside the text
            page.get_by_text("At this place").wait_for(timeout=15_000)
            page.locator('[data-testid="stTextArea"]').filter(has_text="Memo").wait_for(timeout=15_000)
            assert page.get_by_role("button", name="Remove").count() == 1

            [pending] = store.suggestions(source_id=source.id)
            page.locator(f'.wb-doc .wb-chip[data-k="g"][data-id="{pending.id}"] button[data-act="accept"]').click()

            def accepted():
                """the suggestion to become a coding"""
                return [c for c in Store.open(project).codings(coders=["zoe"]) if c.origin == "suggestion"]

            [from_suggestion] = wait_until(accepted)
            assert (from_suggestion.start, from_suggestion.end) == (pending.start, pending.end)
            page.wait_for_selector(f'.wb-doc .wb-chip[data-k="c"][data-id="{from_suggestion.id}"]', timeout=15_000)
            assert page.locator('.wb-doc .wb-chip[data-k="g"]').count() == 0

            ARTEFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTEFACTS / "code_page.png"))
        finally:
            browser.close()
    assert outside == [], f"the app fetched from outside this computer: {outside}"


@pytest.fixture
def demo_server(tmp_path: Path):
    """The demo project, with the suggestion engine's real suggestions for one interview, served."""
    from workbench.sources.demo import build_demo
    from workbench.assist.suggest import run_suggestions

    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed at /usr/bin/chromium")
    store = build_demo(tmp_path / "demo.wbproj")
    run_suggestions(store, "engine", source_ids=[store.source_by_name("SC-R01_lisa.vtt").id])
    store.close()
    yield from serve(store.path, tmp_path)


def pick_source(page, name: str) -> None:
    """Choose a source in the Code page's Source box, typing part of its name as a person would."""
    page.locator('[data-testid="stSelectbox"]').filter(has_text="Source").click()
    page.keyboard.type(name.split(".")[0])
    page.get_by_role("option", name=re.compile("^" + re.escape(name))).click()


def test_the_demo_project_in_the_browser(demo_server: str, tmp_path: Path) -> None:
    """Open the demo, pick an interview, code words with the mouse, reload, accept an engine suggestion."""
    from playwright.sync_api import sync_playwright

    store = Store.open(tmp_path / "demo.wbproj")
    source = store.source_by_name("SC-R01_lisa.vtt")
    pending = store.suggestions(source_id=source.id)
    assert pending and all(p.suggester == "ensemble.v1" for p in pending)
    coded = {(c.start, c.end) for c in store.codings(source_id=source.id)}
    # two whole words no one has coded yet, early in the interview
    words = [m for m in re.finditer(r"\w{4,} \w{4,}", source.text)
             if not any(a < m.end() and m.start() < b for a, b in coded | {(p.start, p.end) for p in pending})]
    first, last = words[2].start(), words[2].end() - 1
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1440, "height": 1000})
            page.goto(f"{demo_server}/code")
            page.wait_for_selector(".wb-doc .wb-tx > span[data-s]", timeout=30_000)
            pick_source(page, source.name)
            page.get_by_text(source.text[first:last + 1]).first.wait_for(timeout=30_000)

            drag_select(page, first, last)
            page.get_by_text("Code the selected words").wait_for(timeout=15_000)
            apply_code(page, "Voice and influence")

            def mine():
                """the coding to be stored"""
                return Store.open(tmp_path / "demo.wbproj").codings(coders=["zoe"])

            [coding] = wait_until(mine)
            assert (coding.start, coding.end) == (first, last + 1)
            page.reload()  # a new session: pick the interview again
            page.wait_for_selector(".wb-doc .wb-tx > span[data-s]", timeout=30_000)
            pick_source(page, source.name)
            page.wait_for_selector(f'.wb-doc span[data-c="{coding.id}"]', timeout=30_000)

            best = pending[0]
            page.locator(f'.wb-doc .wb-chip[data-k="g"][data-id="{best.id}"] button[data-act="accept"]').click()

            def accepted():
                """the engine's suggestion to become zoe's coding"""
                return [c for c in mine() if c.origin == "suggestion"]

            [taken] = wait_until(accepted)
            assert (taken.start, taken.end, taken.code_id, taken.reason) == (best.start, best.end, best.code_id,
                                                                             best.reason)
            ARTEFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTEFACTS / "demo_code_page.png"))
        finally:
            browser.close()


# -- coding all day: keys, cards beside their words, stripes, nothing moving under the pointer ------------------
LONG_TURN = " ".join(f"Sentence {n} is about the garden, the pantry and the bus that stops at the Hub on Fridays."
                     for n in range(1, 15))
DESK_TRANSCRIPT = (f"Interviewer: Tell me about the week.\n\nMaureen: {LONG_TURN}\n\n"
                   "Interviewer: And the food pantry?\n\nMaureen: The pantry is a lifeline when money is tight. "
                   "My neighbour drives me there.\n\n"
                   + "".join(f"Interviewer: And week {n}?\n\nMaureen: {LONG_TURN[:300]}\n\n" for n in range(3)))


@pytest.fixture
def desk_server(tmp_path: Path):
    """A project with a long turn coded in three far-apart places and two suggestions on the same words."""
    path = tmp_path / "desk.wbproj"
    store = Store.create(path, name="Desk test")
    store.import_codebook(load_codebook(ROOT / "codebooks" / "resilience.yaml"), "tester")
    files = tmp_path / "files"
    files.mkdir()
    (files / "NG-R02_maureen.txt").write_text(DESK_TRANSCRIPT, encoding="utf-8")
    assert ingest_paths(store, [files], actor="tester").added
    source = store.source_by_name("NG-R02_maureen.txt")
    for n, code, coder in [(1, "Bonding ties", "amira"), (7, "Community assets", "tom"), (13, "Wellbeing", "amira")]:
        start = source.text.index(f"Sentence {n} ")
        store.add_coding(source.id, start, source.text.index(".", start) + 1, store.find_code(code).id, coder)
    pantry = source.text.index("The pantry is a lifeline")
    neighbour = source.text.index("My neighbour drives")
    store.replace_suggestions([
        NewSuggestion(source.id, pantry, pantry + 24, store.find_code("Poverty and cost of living").id, 0.9,
                      "mentions money", "lexical"),
        NewSuggestion(source.id, pantry, pantry + 24, store.find_code("Community assets").id, 0.8,
                      "mentions pantry", "lexical"),
        NewSuggestion(source.id, neighbour, neighbour + 19, store.find_code("Bonding ties").id, 0.7,
                      "mentions neighbour", "lexical")], "engine")
    store.close()
    yield from serve(path, tmp_path)


def open_desk(browser, url: str):
    page = browser.new_page(viewport={"width": 1440, "height": 1000})
    page.goto(f"{url}/code")
    page.wait_for_selector(".wb-doc .wb-laid .wb-chip", timeout=30_000)
    return page


def test_a_selection_coded_with_the_keyboard(desk_server: str, tmp_path: Path) -> None:
    """/ finds a code and Enter applies it; 1 applies the first quick code (the one just used); Ctrl+Z undoes,
    Ctrl+Shift+Z redoes; a quick code dragged onto the selected words applies it."""
    from playwright.sync_api import sync_playwright

    store = Store.open(tmp_path / "desk.wbproj")
    text = store.source_by_name("NG-R02_maureen.txt").text
    bonding = store.find_code("Bonding ties").id
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = open_desk(browser, desk_server)
            page.keyboard.press("?")
            page.locator(".wb-keys").get_by_text("accept / reject the current suggestion").wait_for(timeout=5_000)
            page.keyboard.press("?")
            first = text.index("Tell me about")
            drag_select(page, first, first + len("Tell me about") - 1)
            page.get_by_text("Code the selected words").wait_for(timeout=15_000)
            page.keyboard.press("/")
            assert page.evaluate("document.activeElement.classList.contains('wb-find')")
            page.keyboard.type("bonding t")
            page.keyboard.press("Enter")  # applies the first match, empties the finder and leaves it

            def mine():
                """zoe's codings"""
                return Store.open(tmp_path / "desk.wbproj").codings(coders=["zoe"])

            [coded] = wait_until(mine)
            assert (coded.start, coded.end, coded.code_id) == (first, first + len("Tell me about"), bonding)
            page.wait_for_selector(f'.wb-doc .wb-chip[data-k="c"][data-id="{coded.id}"]', timeout=15_000)

            second = text.index("drives me there")
            drag_select(page, second, second + len("drives me there") - 1)
            page.get_by_text("Code the selected words").wait_for(timeout=15_000)
            assert page.locator(".wb-quick .wb-pill").first.get_attribute("data-code") == str(bonding)
            page.keyboard.press("1")
            wait_until(lambda: len(mine()) == 2)
            assert {(c.start, c.code_id) for c in mine()} == {(first, bonding), (second, bonding)}
            page.keyboard.press("Control+z")
            wait_until(lambda: len(mine()) == 1)
            page.keyboard.press("Control+Shift+z")
            wait_until(lambda: len(mine()) == 2)
            page.wait_for_function("() => document.querySelectorAll('.wb-doc .wb-chip[data-coder=\"zoe\"]').length == 2",
                                   timeout=15_000)  # the redo drawn

            # A quick code dragged onto the selected words applies it to them.
            third = text.index("Sentence 3 is about")
            drag_select(page, third, third + len("Sentence 3") - 1)
            page.get_by_text("Code the selected words").wait_for(timeout=15_000)
            wellbeing = store.find_code("Wellbeing").id
            page.locator(f'.wb-quick .wb-pill[data-code="{wellbeing}"]').drag_to(
                page.locator(".wb-doc .wb-maureen, .wb-doc .wb-turn .wb-tx").nth(1))
            wait_until(lambda: len(mine()) == 3)
            assert (third, third + len("Sentence 3"), wellbeing) in {(c.start, c.end, c.code_id) for c in mine()}
        finally:
            browser.close()


UNDER_POINTER_JS = """([x, y]) => {
  const under = document.elementFromPoint(x, y);
  const button = under && under.closest('button[data-act]');
  return button ? button.dataset.act + ' ' + button.closest('.wb-chip').dataset.id : null;
}"""
# Every visible control of the page (buttons, inputs, selects) that a toast could hide.
COVERED_JS = """() => {
  const toasts = [...document.querySelectorAll('[data-testid="stToast"]')].map(t => t.getBoundingClientRect())
    .filter(r => r.width && r.height);
  const controls = [...document.querySelectorAll('button, input, select, textarea, [role="combobox"], a')]
    .filter(c => !c.closest('[data-testid="stToast"]') && !c.closest('[data-testid="stToastContainer"]'))
    .map(c => [c, c.getBoundingClientRect()]).filter(([c, r]) => r.width && r.height
      && getComputedStyle(c).visibility !== 'hidden');
  const hits = [];
  for (const t of toasts) for (const [c, r] of controls)
    if (r.left < t.right && t.left < r.right && r.top < t.bottom && t.top < r.bottom)
      hits.push((c.innerText || c.getAttribute('aria-label') || c.tagName).slice(0, 40));
  return {toasts: toasts.length, hits};
}"""


def test_a_suggestion_decided_with_the_keys_leaves_no_button_under_the_pointer(desk_server: str,
                                                                               tmp_path: Path) -> None:
    """j picks a suggestion, r rejects it and a accepts the next; the next card moving up into the place of
    the first never puts its ✓ or ✗ under the still pointer, and the toast covers no control."""
    from playwright.sync_api import sync_playwright

    def pending():
        """the pending suggestions"""
        return Store.open(tmp_path / "desk.wbproj").suggestions(status="pending")

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = open_desk(browser, desk_server)
            page.keyboard.press("j")
            current = page.locator(".wb-doc").get_attribute("data-current")
            chip = page.locator(f'.wb-doc .wb-chip[data-k="g"][data-id="{current}"]')
            box = chip.locator('button[data-act="reject"]').bounding_box()
            x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
            page.mouse.move(x, y)
            assert page.evaluate(UNDER_POINTER_JS, [x, y]) == f"reject {current}"
            page.keyboard.press("r")
            wait_until(lambda: len(pending()) == 2)
            page.wait_for_selector(f'.wb-doc .wb-chip[data-k="g"][data-id="{current}"]', state="detached",
                                   timeout=15_000)
            page.wait_for_timeout(300)  # the redraw's layout is done in the next animation frame
            # The other suggestion on these words has moved up level with them, where the pointer rests.
            assert page.evaluate(UNDER_POINTER_JS, [x, y]) is None
            assert page.locator('[data-testid="stAlert"]').count() == 0, "an action done twice fails the second time"

            following = page.locator(".wb-doc").get_attribute("data-current")
            assert following and following != current
            page.keyboard.press("a")

            def accepted():
                """the current suggestion to become zoe's coding"""
                return [c for c in Store.open(tmp_path / "desk.wbproj").codings(coders=["zoe"])
                        if c.origin == "suggestion"]

            [coding] = wait_until(accepted)
            page.wait_for_selector(f'.wb-doc .wb-chip[data-k="c"][data-id="{coding.id}"]', timeout=15_000)
            page.wait_for_timeout(300)
            assert page.evaluate(UNDER_POINTER_JS, [x, y]) is None
            page.get_by_text("now your coding").first.wait_for(timeout=10_000)
            covered = page.evaluate(COVERED_JS)
            assert page.locator('[data-testid="stAlert"]').count() == 0
            assert covered["toasts"] and covered["hits"] == [], covered
        finally:
            browser.close()


# Each margin card's top against the top of the first line of its words, and each stripe against its words.
ALIGNMENT_JS = """() => {
  const doc = document.querySelector('.wb-doc');
  const lineHeight = parseFloat(getComputedStyle(doc.querySelector('.wb-tx')).lineHeight);
  const cards = [...doc.querySelectorAll('.wb-chip')].map(chip => {
    const run = [...chip.closest('.wb-block').querySelectorAll('.wb-tx > span[data-s]')]
      .find(r => r.dataset.s === chip.dataset.s);
    return {id: chip.dataset.k + chip.dataset.id, card: chip.getBoundingClientRect().top,
            words: run.getClientRects()[0].top};
  });
  const stripes = [...doc.querySelectorAll('.wb-stripe')].map(stripe => {
    const runs = [...doc.querySelectorAll(`.wb-tx > span[data-c~="${stripe.dataset.id}"]`)];
    const r = stripe.getBoundingClientRect();
    return {id: stripe.dataset.id, top: r.top, bottom: r.bottom, height: r.height,
            wordsTop: runs[0].getClientRects()[0].top,
            wordsBottom: [...runs.at(-1).getClientRects()].at(-1).bottom};
  });
  return {lineHeight, cards, stripes};
}"""


def test_cards_beside_their_words_stripes_and_the_speaker_filter(desk_server: str, tmp_path: Path) -> None:
    """Every margin card starts within one line height of its words (three codings far apart in one long turn,
    two suggestions on the same words); each coding has a stripe beside its words; a stripe click shows
    its coding; the speaker filter hides the interviewer's turns."""
    from playwright.sync_api import sync_playwright

    store = Store.open(tmp_path / "desk.wbproj")
    codings = store.codings()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = open_desk(browser, desk_server)
            page.wait_for_timeout(300)
            laid = page.evaluate(ALIGNMENT_JS)
            line = laid["lineHeight"]
            assert len(laid["cards"]) == 6
            by_words: dict[float, list[float]] = {}
            for card in laid["cards"]:
                by_words.setdefault(card["words"], []).append(card["card"])
            assert sorted(len(tops) for tops in by_words.values()) == [1, 1, 1, 3]  # the pantry line: 3 suggestions
            for words, tops in by_words.items():
                first, *below = sorted(tops)
                assert abs(first - words) <= line, (words, tops)
                for k, top in enumerate(below, 1):  # more cards on the same line: right below the first
                    assert first < top <= words + (k + 1) * line, (words, tops)
            assert {s["id"] for s in laid["stripes"]} == {str(c.id) for c in codings}
            for stripe in laid["stripes"]:
                assert stripe["height"] >= line, stripe  # a whole sentence: at least a line
                assert abs(stripe["top"] - stripe["wordsTop"]) <= line and \
                    abs(stripe["bottom"] - stripe["wordsBottom"]) <= line, stripe
            ARTEFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTEFACTS / "code_page_cards_and_stripes.png"))

            # Hovering a card lights its words, and hovering the words lights the card.
            [first_pending, *_] = store.suggestions(source_id=codings[0].source_id)
            page.locator(f'.wb-doc .wb-chip[data-k="g"][data-id="{first_pending.id}"] .wb-name').hover()
            assert page.locator(f'.wb-doc .wb-tx > span.wb-hot[data-g~="{first_pending.id}"]').count() >= 1
            page.locator(f'.wb-doc .wb-tx > span[data-s="{codings[0].start}"]').hover()
            assert "wb-hot" in page.locator(f'.wb-doc .wb-chip[data-k="c"][data-id="{codings[0].id}"]'
                                            ).get_attribute("class")

            middle = next(c for c in codings if c.coder == "tom")
            page.locator(f'.wb-doc .wb-stripe[data-id="{middle.id}"]').click()
            page.get_by_text("At this place").wait_for(timeout=15_000)
            page.get_by_text("tom · manual").wait_for(timeout=15_000)

            page.locator(".wb-speaker").select_option(label="Maureen")
            shown = page.evaluate("[...document.querySelectorAll('.wb-doc .wb-block')]"
                                  ".filter(b => b.offsetParent !== null).map(b => b.dataset.speaker)")
            assert shown and set(shown) == {"Maureen"}
            page.locator(".wb-speaker").select_option(label="Interviewers (who ask)")
            shown = page.evaluate("[...document.querySelectorAll('.wb-doc .wb-block')]"
                                  ".filter(b => b.offsetParent !== null).map(b => b.dataset.speaker)")
            assert shown and set(shown) == {"Interviewer"}
            page.locator(".wb-speaker").select_option(label="Every speaker")
            page.locator(".wb-stripes-mode").select_option("coder")
            page.wait_for_timeout(300)
            titles = page.evaluate("[...document.querySelectorAll('.wb-doc .wb-stripe')].map(s => s.title)")
            assert sorted(titles) == sorted(f"{store.get_code(c.code_id).name} — {c.coder}" for c in codings)
            page.locator(".wb-stripes-mode").select_option("off")
            assert page.locator(".wb-doc .wb-stripe").count() == 0
            # Both choices outlast leaving the page and coming back.
            page.locator(".wb-speaker").select_option(label="Maureen")
            page.get_by_role("link", name="Sources", exact=True).click()
            page.get_by_role("heading", name="Sources", exact=True).wait_for(timeout=15_000)
            page.get_by_role("link", name="Code", exact=True).click()
            page.locator('.wb-doc .wb-block[data-speaker="Maureen"]').first.wait_for(timeout=15_000)
            page.wait_for_timeout(300)
            assert page.locator(".wb-speaker").input_value() == "speaker:Maureen"
            assert page.locator(".wb-stripes-mode").input_value() == "off"
            assert page.locator(".wb-doc .wb-stripe").count() == 0
            shown = page.evaluate("[...document.querySelectorAll('.wb-doc .wb-block')]"
                                  ".filter(b => b.offsetParent !== null).map(b => b.dataset.speaker)")
            assert shown and set(shown) == {"Maureen"}
        finally:
            browser.close()
