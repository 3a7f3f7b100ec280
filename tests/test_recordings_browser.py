"""A recording in the Code page, in a real browser: clicking the second turn's time plays from there.

The interview is spoken by Debian's espeak-ng, each sentence padded by sox to start 4 s after the last,
with a WebVTT transcript whose cues start at the same times; both are imported together (same stem).
Skips when espeak-ng, sox, /usr/bin/chromium or Playwright is missing.
"""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from test_app_browser import CHROMIUM, CHROMIUM_ARGS, serve, wait_until
from workbench.sources.importer import ingest_paths
from workbench.store import Store

pytestmark = pytest.mark.timeout(240)

SLOT = 4.0  # seconds from one turn's start to the next
LEAD_IN = 0.2  # silence before each sentence
TURNS = [("Interviewer", "How did the flood change your street?"),
         ("Maureen", "We started a group chat for the whole row of houses."),
         ("Interviewer", "And who runs the food bank now?")]


def clock(seconds: float) -> str:
    return f"00:00:{seconds:06.3f}"


def speak(folder: Path) -> Path:
    """interview.wav: each turn's sentence at LEAD_IN + n * SLOT seconds; interview.vtt with those cue times."""
    for tool in ("espeak-ng", "sox"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed (scripts/install-system-deps.sh)")
    slots = []
    for n, (_speaker, sentence) in enumerate(TURNS):
        said, slot = folder / f"said{n}.wav", folder / f"slot{n}.wav"
        subprocess.run(["espeak-ng", "-s", "170", "-w", str(said), sentence], check=True, capture_output=True)
        # lead-in silence, the sentence, then silence; cut to exactly one slot
        subprocess.run(["sox", str(said), "-r", "22050", "-c", "1", str(slot), "pad", str(LEAD_IN), str(SLOT),
                        "trim", "0", str(SLOT)], check=True, capture_output=True)
        slots.append(str(slot))
    recording = folder / "interview.wav"
    subprocess.run(["sox", *slots, str(recording)], check=True, capture_output=True)
    for part in folder.glob("s[al]*[0-9].wav"):  # said0.wav, slot0.wav, ...: only the interview is imported
        part.unlink()
    cues = [f"{clock(n * SLOT + LEAD_IN)} --> {clock(n * SLOT + SLOT - 0.2)}\n<v {speaker}>{sentence}\n"
            for n, (speaker, sentence) in enumerate(TURNS)]
    (folder / "interview.vtt").write_text("WEBVTT\n\n" + "\n".join(cues), encoding="utf-8")
    return recording


@pytest.fixture
def project(tmp_path: Path) -> Path:
    files = tmp_path / "files"
    files.mkdir()
    speak(files)
    path = tmp_path / "recorded.wbproj"
    store = Store.create(path, name="Recording test")
    report = ingest_paths(store, [files], actor="tester")
    assert report.recordings == [("interview.vtt", "interview.wav")] and not report.skipped
    store.close()
    return path


@pytest.fixture
def server(project: Path, tmp_path: Path):
    yield from serve(project, tmp_path)


def test_clicking_a_turns_time_plays_the_recording_from_there(server: str, project: Path) -> None:
    from playwright.sync_api import sync_playwright

    second = SLOT + LEAD_IN
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM),
                                     args=[*CHROMIUM_ARGS, "--autoplay-policy=no-user-gesture-required"])
        try:
            page = browser.new_page(viewport={"width": 1440, "height": 1000})
            page.goto(f"{server}/code")
            page.wait_for_selector(".wb-doc .wb-block .wb-time", timeout=30_000)
            player = page.locator('.st-key-code-player audio')
            player.wait_for(timeout=30_000)
            assert page.locator("audio, video").count() == 1
            # the player sits above the document, in its own block
            assert player.bounding_box()["y"] < page.locator(".wb-doc").bounding_box()["y"]
            times = page.locator(".wb-doc .wb-time")
            assert times.count() == 3 and times.nth(1).inner_text() == "00:00:04"
            times.nth(1).click()

            def playing():
                """the recording to play past the clicked time"""
                return page.evaluate("() => { const a = document.querySelector('audio');"
                                     " return !a.paused && a.currentTime > 0 ? a.currentTime : null; }")

            at = wait_until(playing, timeout=20)
            assert abs(at - second) <= 1.0, f"playing at {at:.2f} s, the turn starts at {second} s"
            highlighted = page.locator(".wb-doc .wb-block.wb-playing")
            highlighted.wait_for(timeout=5_000)
            assert highlighted.count() == 1
            assert highlighted.get_attribute("data-start") == "4.2"
            assert "group chat for the whole row" in highlighted.inner_text()
            # later the next turn takes over the highlight
            page.wait_for_function("() => document.querySelector('audio').currentTime > 8.3", timeout=15_000)
            page.wait_for_selector('.wb-doc .wb-block.wb-playing[data-start="8.2"]', timeout=5_000)
            assert page.locator(".wb-doc .wb-block.wb-playing").count() == 1
        finally:
            browser.close()
