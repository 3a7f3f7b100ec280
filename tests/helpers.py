"""Helpers shared by tests: realistic small records."""
from __future__ import annotations

import hashlib

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
