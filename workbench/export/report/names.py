"""How people are named in exports: pseudonyms by default, through one small seam.

Every export (Word report, quote spreadsheet, presence matrix) asks :func:`export_names` for a
:class:`ReportNames` and passes each participant label, quote text and file name through it.
The researcher's roster (``workbench.sources.pseudonyms.project_roster``) decides the pseudonyms of the
names it lists; every other named person gets a fallback pseudonym worked out from the project: a speaker whose name
appears in a source's file name (``NG-R01_maureen.vtt``) becomes that source's case ID
(``NG-R01``), any other named speaker or post author becomes ``Participant 01``, ``Participant 02``
and so on, in alphabetical order so the same project always gives the same pseudonyms. In running
text the fallback replaces those names with ``[name]``. :class:`NamesReview` records what was replaced in
the quotes shown and which possible names nobody has reviewed are left there, so the report says exactly that.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Protocol

from workbench.analysis.quotes import ROLE_LABELS, is_role_label  # noqa: F401  (names' one home)
from workbench.model import Role
from workbench.store import Store

_FILE_WORDS = frozenset({"journal", "diary", "interview", "transcript", "notes", "fieldnote", "fieldnotes",
                         "final", "clean", "draft", "copy", "wave", "audio", "video", "recording"})
_CASE_ID = re.compile(r"^[A-Za-z]{1,6}[-_]?[A-Za-z]*\d+[A-Za-z]?$")


class Roster(Protocol):
    """What exports need from a roster of real names and pseudonyms."""

    def pseudonym(self, name: str) -> str:
        """The pseudonym of a real name (the name itself when it is not a real name)."""

    def apply(self, text: str) -> str:
        """``text`` with every real name replaced by its pseudonym."""


@dataclass
class FallbackRoster:
    """Pseudonyms worked out from the project's speakers, post authors and file names."""

    mapping: dict[str, str] = field(default_factory=dict)
    placeholder: str = "[name]"

    def pseudonym(self, name: str) -> str:
        """The pseudonym of ``name`` (unchanged when it is not a known real name)."""
        return self.mapping.get(name.strip(), name) if name else name

    def count(self, text: str) -> int:
        """How many known real names :meth:`apply` replaces in ``text``."""
        return len(self._pattern.findall(text)) if self.mapping and text else 0

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

    def replacements(self, text: str) -> int:
        """How many names :meth:`text` replaces in ``text`` (0 when not pseudonymising)."""
        count = getattr(self.roster, "count", None)
        return count(text) if self.pseudonymise and count is not None else 0

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

    def count(self, text: str) -> int:
        """How many names :meth:`apply` replaces in ``text``."""
        found = getattr(self.project, "find", None)
        listed = len(found(text)) if found is not None else 0
        return listed + self.fallback.count(self.project.apply(text) if self.project is not None else text)

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


@dataclass
class NamesReview:
    """What pseudonymisation did to the quotes shown, so that the report says exactly that."""

    pseudonymise: bool
    roster_entries: int = 0  # names on the project's roster
    accepted: int = 0  # of them, possible names found in the texts and accepted on review
    replaced: int = 0  # mentions of names replaced in the quotes shown
    unreviewed: list[str] = field(default_factory=list)  # possible names nobody reviewed, left in the quotes
    quotes_with_unreviewed: int = 0

    def statement(self) -> str:
        """The method section's sentence on names: what was replaced, and a warning for what was not reviewed."""
        if not self.pseudonymise:
            return "This version shows participants’ real names and must stay within the research team."
        text = ("Participants are identified by their case ID (such as a participant number) or a pseudonym, never "
                "by name. Within quotes, the names of speakers and post authors")
        if self.roster_entries:
            text += (f" and the {_count(self.roster_entries, 'name')} on the project’s roster"
                     + (f" ({self.accepted} of them accepted from the review of possible names in the texts)"
                        if self.accepted else ""))
        text += f" are replaced by pseudonyms: {_count(self.replaced, 'mention')} in the quotes shown."
        if self.quotes_with_unreviewed:
            text += " " + self.warning()
        else:
            text += " Every possible name found in the quotes shown has been reviewed."
        return text

    def warning(self) -> str:
        """The warning for quotes that contain unreviewed possible names (empty when there are none)."""
        n = self.quotes_with_unreviewed
        if not n:
            return ""
        return (f"{n} {'quote contains' if n == 1 else 'quotes contain'} possible names that nobody has reviewed; "
                f"{'it is' if n == 1 else 'they are'} shown as written.")

    def privacy_line(self) -> str:
        """The title page's note on names."""
        if not self.pseudonymise:
            return "This version shows participants' real names. Keep it within the research team."
        line = ("Participants are identified by case IDs or pseudonyms; names of speakers, post authors and names on "
                "the project's roster are replaced within quotes.")
        if self.quotes_with_unreviewed:
            line += " Some quotes contain possible names that nobody has reviewed (see Method)."
        return line


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def review_names(store: Store, names: ReportNames, quoted: Iterable[tuple[str, str]]) -> NamesReview:
    """How names were handled in the quotes shown; ``quoted`` holds (text as stored, text as shown) pairs."""
    if not names.pseudonymise:
        return NamesReview(pseudonymise=False)
    from workbench.sources.name_candidates import find_name_candidates

    roster = store.roster()
    on_roster = {n.lower() for n in roster}
    accepted = sum(1 for name, (decision, _p) in store.name_reviews().items()
                   if decision == "accepted" and name.lower() in on_roster)
    candidates = [c.name for c in find_name_candidates(store)]
    pattern = re.compile(r"(?<!\w)(" + "|".join(map(re.escape, candidates)) + r")(?!\w)") if candidates else None
    review = NamesReview(pseudonymise=True, roster_entries=len(roster), accepted=accepted)
    left: set[str] = set()
    for stored, shown in quoted:
        review.replaced += names.replacements(stored)
        found = set(pattern.findall(shown)) if pattern is not None else set()
        if found:
            review.quotes_with_unreviewed += 1
            left |= found
    review.unreviewed = sorted(left)
    return review
