"""Who asks and who tells: the speakers whose turns get no suggestions (interviewers, facilitators), a
project setting. Light on purpose: the Code page reads it on every run (to filter turns by role), the
suggestion engine (`workbench.assist.suggest`) when it runs."""
from __future__ import annotations

from collections.abc import Sequence

from workbench.store import Store

DEFAULT_SKIP_SPEAKERS = ("Interviewer", "Facilitator", "Moderator", "Researcher", "Int", "Q")


def skipped_speakers(store: Store) -> list[str]:
    """Speakers whose turns get no suggestions: the project's list (setting ``suggest.skip_speakers``,
    comma-separated) or, by default, interviewers and facilitators, who ask rather than tell."""
    value = store.setting("suggest.skip_speakers")
    names = DEFAULT_SKIP_SPEAKERS if value is None else [n for n in value.split(",") if n.strip()]
    return [n.strip() for n in names]


def set_skipped_speakers(store: Store, names: Sequence[str]) -> None:
    """Set the speakers whose turns get no suggestions (an empty list: suggest for everyone)."""
    store.set_setting("suggest.skip_speakers", ",".join(n.strip() for n in names if n.strip()))
