"""Helpers shared by tests: realistic small records."""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys

from workbench.store import NewSegment, NewSource

INTERVIEW = ("Interviewer: How did you get involved with the garden?\n\n"
             "Maureen: My neighbour dragged me along. Now I go every Saturday. It keeps me sane.\n\n"
             "Interviewer: And the food pantry?\n\n"
             "Maureen: The pantry is a lifeline when money is tight.")


def interview_source(text: str = INTERVIEW, name: str = "maureen.txt", **extra) -> NewSource:
    """A realistic small interview as the importer would hand it to the store."""
    segments = []
    pos = 0
    for para in text.split("\n\n"):
        speaker, _, said = para.partition(": ")
        start = text.index(said, pos)
        segments.append(NewSegment(start=start, end=start + len(said), kind="turn", speaker=speaker,
                                   sentences=[(start, start + len(said))]))
        pos = start + len(said)
    return NewSource(name=name, kind="interview", text=text, format="txt",
                     content_hash=hashlib.sha256(text.encode()).hexdigest(), segments=segments, **extra)


CODED_TOPICS = {
    "Weather": ("Talk about rain, wind, storms and the weather.",
                ["The storm flooded the road again", "It rained all week and the wind took the fence",
                 "The snow kept us indoors for days", "Hail smashed the greenhouse roof"]),
    "Food": ("Talk about cooking, eating and meals.",
             ["We cooked a big pot of soup for everyone", "Dinner was rice and beans again",
              "The pantry gave us bread and fruit", "My son learned to bake scones"]),
    "Work": ("Talk about jobs, shifts and pay.",
             ["My shift at the warehouse ends at six", "They cut our hours and the pay is worse",
              "I found a cleaning job through the centre", "The factory is hiring again"]),
}


def write_coded_answers(folder, n_texts: int = 12) -> None:
    """A tiny development set in the Bopp/LLMCode format: each answer has one sentence per topic, coded
    inline, and one uncoded sentence."""
    import csv
    from pathlib import Path

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    names = list(CODED_TOPICS)
    with (folder / "bopp_test_code_descriptions.csv").open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["code", "description"])
        writer.writerows([name, CODED_TOPICS[name][0]] for name in names)
    with (folder / "bopp_test_coded_texts.csv").open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["text", "coded_text"])
        for i in range(n_texts):
            plain, coded = [], []
            for j, name in enumerate(names):
                sentence = CODED_TOPICS[name][1][(i + j) % 4] + f" (answer {i})."
                plain.append(sentence)
                coded.append(f"**{sentence}**<sup>{name}</sup>")
            plain.append("I walked to the library after that.")
            coded.append("I walked to the library after that.")
            writer.writerow([" ".join(plain), " ".join(coded)])


def workbench_cli(project, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    """``python -m workbench ARGS`` in a new process on the project file, output captured as text."""
    env = {**os.environ, "WORKBENCH_PROJECT": str(project)}
    return subprocess.run([sys.executable, "-m", "workbench", *args], env=env, capture_output=True, text=True,
                          timeout=timeout)
