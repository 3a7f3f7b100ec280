"""How people are named in exports: pseudonyms by default, through one small seam.

Every export (Word report, quote spreadsheet, presence matrix) asks :func:`export_names` for a
:class:`ReportNames` and passes each participant label, quote text and file name through it.
The researcher's roster (``workbench.sources.pseudonyms.project_roster``) decides the pseudonyms of the
names it lists; every other named person gets a fallback pseudonym worked out from the project: a speaker whose name
appears in a source's file name (``NG-R01_maureen.vtt``) becomes that source's case ID
(``NG-R01``), any other named speaker or post author becomes ``Participant 01``, ``Participant 02``
and so on, in alphabetical order so the same project always gives the same pseudonyms. In running
text the fallback replaces those names with ``[name]``.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Protocol

from workbench.model import Role
from workbench.store import Store

# Speaker labels that name a role, not a person: kept as they are.
ROLE_LABELS = frozenset({"interviewer", "facilitator", "moderator", "researcher", "evaluator", "note taker",
                         "notetaker", "chair", "host", "q", "a", "question", "answer", "unknown", "speaker",
                         "participant", "respondent", "interviewee", "group", "all", "several"})
_FILE_WORDS = frozenset({"journal", "diary", "interview", "transcript", "notes", "fieldnote", "fieldnotes",
                         "final", "clean", "draft", "copy", "wave", "audio", "video", "recording"})
_CASE_ID = re.compile(r"^[A-Za-z]{1,6}[-_]?[A-Za-z]*\d+[A-Za-z]?$")


class Roster(Protocol):
    """What exports need from a roster of real names and pseudonyms."""

    def pseudonym(self, name: str) -> str:
        """The pseudonym of a real name (the name itself when it is not a real name)."""

    def apply(self, text: str) -> str:
        """``text`` with every real name replaced by its pseudonym."""


def is_role_label(speaker: str | None) -> bool:
    """Whether a speaker label names a role (Interviewer, Speaker 2) rather than a person."""
    if not speaker:
        return False
    base = re.sub(r"[\s\d.:#()-]+$", "", speaker.strip()).lower()
    return base in ROLE_LABELS


@dataclass
class FallbackRoster:
    """Pseudonyms worked out from the project's speakers, post authors and file names."""

    mapping: dict[str, str] = field(default_factory=dict)
    placeholder: str = "[name]"

    def pseudonym(self, name: str) -> str:
        """The pseudonym of ``name`` (unchanged when it is not a known real name)."""
        return self.mapping.get(name.strip(), name) if name else name

    def apply(self, text: str) -> str:
        """Replace whole-word occurrences of known real names (longest first) with ``[name]``.

        A first name in running text may belong to someone other than the participant of that name
        (a husband called Ken is not the diarist Ken), so the fallback never puts a case ID there.
        """
        if not self.mapping or not text:
            return text
        return self._pattern.sub(self.placeholder, text)

    @cached_property
    def _pattern(self) -> re.Pattern[str]:
        names = sorted(self.mapping, key=len, reverse=True)
        return re.compile(r"(?<!\w)(" + "|".join(re.escape(n) for n in names) + r")(?!\w)")


@dataclass
class ReportNames:
    """Names as an export shows them; with ``pseudonymise=False`` everything passes unchanged."""

    pseudonymise: bool
    roster: Roster
    real_names: frozenset[str] = frozenset()

    def who(self, name: str | None) -> str:
        """A participant label as shown (pseudonym, or the case ID when it already is one)."""
        if not name:
            return ""
        if not self.pseudonymise or is_role_label(name):
            return name
        return self.roster.pseudonym(name)

    def text(self, text: str) -> str:
        """Quote or memo text as shown (real names replaced when pseudonymising)."""
        return self.roster.apply(text) if self.pseudonymise else text

    def source(self, name: str) -> str:
        """A file name as shown; pseudonymising drops person names (``NG-R01_maureen.vtt`` → ``NG-R01.vtt``)."""
        if not self.pseudonymise:
            return name
        stem, dot, suffix = name.rpartition(".")
        if not dot:
            stem, suffix = name, ""
        parts = [p for p in re.split(r"([_\s]+)", stem)]
        kept = [p for p in parts if p.strip("_ ").lower() not in self.real_names]
        cleaned = re.sub(r"[_\s]{2,}", "_", "".join(kept)).strip("_ ") or "source"
        return self.roster.apply(cleaned) + (f".{suffix}" if suffix else "")


def _name_parts(source_name: str) -> tuple[str | None, list[str]]:
    """(case-ID-like prefix, lower-case words that may be a person's name) of a file name."""
    stem = source_name.rsplit(".", 1)[0]
    parts = [p for p in re.split(r"[_\s]+", stem) if p]
    prefix = parts[0] if parts and _CASE_ID.match(parts[0]) else None
    words = [p.lower() for p in parts[1 if prefix else 0:] if p.isalpha() and p.lower() not in _FILE_WORDS]
    return prefix, words


def fallback_roster(store: Store) -> FallbackRoster:
    """Pseudonyms for the project's named speakers and authors, worked out from its sources."""
    mapping: dict[str, str] = {}
    others: set[str] = set()
    for summary in store.list_sources():
        prefix, words = _name_parts(summary.name)
        owner = summary.case or prefix
        speakers = {s.speaker.strip() for s in store.segments(summary.id, structural_only=True)
                    if s.speaker and s.speaker.strip() and not is_role_label(s.speaker)}
        speaker_firsts = {s.split()[0].lower() for s in speakers}
        for word in words:  # a name in the file name belongs to the file's participant
            is_name = summary.case is not None or word in speaker_firsts
            if owner and is_name and word.capitalize() not in mapping:
                mapping[word.capitalize()] = owner
        for speaker in sorted(speakers):
            first = speaker.split()[0].capitalize()
            if speaker in mapping:
                continue
            if owner and (first.lower() in words or len(speakers) == 1):
                mapping[speaker] = owner
            else:
                others.add(speaker)
    for n, speaker in enumerate(sorted(others - set(mapping)), start=1):
        mapping[speaker] = f"Participant {n:02d}"
    _add_first_names(mapping, sorted(others))
    return FallbackRoster(mapping)


def _add_first_names(mapping: dict[str, str], full_names: Iterable[str]) -> None:
    """Map the first name of ``Anne R.`` to Anne R.'s pseudonym too, unless that first name is taken."""
    firsts: dict[str, set[str]] = {}
    for name in full_names:
        parts = name.split()
        if len(parts) > 1 and len(parts[0]) > 2:
            firsts.setdefault(parts[0], set()).add(mapping[name])
    for first, pseudonyms in firsts.items():
        if first not in mapping and len(pseudonyms) == 1:
            mapping[first] = next(iter(pseudonyms))


@dataclass
class CombinedRoster:
    """The researcher's roster first (it always wins), then the fallback for names it does not list."""

    project: Roster | None
    fallback: FallbackRoster

    def pseudonym(self, name: str) -> str:
        """The roster's pseudonym of ``name``, else the fallback's."""
        if self.project is not None:
            chosen = self.project.pseudonym(name)
            if chosen and chosen != name:
                return chosen
        return self.fallback.pseudonym(name)

    def apply(self, text: str) -> str:
        """Replace roster names, then any remaining names the fallback knows."""
        if self.project is not None:
            text = self.project.apply(text)
        return self.fallback.apply(text)


def project_roster_or_none(store: Store) -> Roster | None:
    """The researcher's roster (``workbench.sources.pseudonyms.project_roster``), or None where there is none yet."""
    try:
        from workbench.sources.pseudonyms import project_roster
        return project_roster(store)
    except (ImportError, AttributeError):
        return None


def export_names(store: Store, pseudonymise: bool = True) -> ReportNames:
    """The naming policy of one export (pseudonyms on by default; real names only for a lead in team mode)."""
    if not pseudonymise:
        store.require(Role.LEAD, "export with real names (choose pseudonyms)")
    fallback = fallback_roster(store)
    project = project_roster_or_none(store) if pseudonymise else None
    listed = getattr(project, "entries", {}) or {}
    real = frozenset(n.lower() for n in [*fallback.mapping, *listed] if " " not in n)
    roster: Roster = CombinedRoster(project, fallback)
    return ReportNames(pseudonymise=pseudonymise, roster=roster, real_names=real)
