"""Pseudonymisation: a roster of real names → pseudonyms, applied to exports and, on request, to texts.

Names come from the roster the researcher keeps. The workbench proposes entries from what it
knows (speakers and authors, and the participant ID of their source); when the user has a trained
spaCy pipeline installed (e.g. en_core_web_sm) it also proposes PERSON names found in the texts.
People mentioned inside the texts are found without one by ``workbench.sources.name_candidates``.
"""
from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import spacy
from spacy.language import Language

from workbench.sources.editing import edit_source_text
from workbench.store import Store

NOT_PEOPLE = re.compile(r"^(interviewer|facilitator|moderator|automation|unknown|speaker\s*\d+|s\d+|p\d+|r\d+)$",
                        re.IGNORECASE)


@dataclass
class Replacement:
    """One occurrence of a real name in a text."""

    start: int
    end: int
    real: str
    pseudonym: str


class Roster:
    """Real name → pseudonym, matched as whole words, case-insensitively, longest names first."""

    def __init__(self, entries: Mapping[str, str]) -> None:
        self.entries = {k.strip(): v.strip() for k, v in entries.items() if k.strip() and v.strip()}
        self._lookup = {k.lower(): v for k, v in self.entries.items()}
        names = sorted(self.entries, key=len, reverse=True)
        self._pattern = re.compile(r"(?<!\w)(" + "|".join(map(re.escape, names)) + r")(?!\w)",
                                   re.IGNORECASE) if names else None

    def __bool__(self) -> bool:
        return bool(self.entries)

    def pseudonym(self, name: str | None) -> str | None:
        """The pseudonym of a name (or the name unchanged when it is not on the roster)."""
        if name is None:
            return None
        return self._lookup.get(name.strip().lower(), name)

    def find(self, text: str) -> list[Replacement]:
        """Every roster name in ``text``."""
        if self._pattern is None:
            return []
        return [Replacement(m.start(), m.end(), m.group(), self._lookup[m.group().lower()])
                for m in self._pattern.finditer(text)]

    def apply(self, text: str) -> str:
        """``text`` with every roster name replaced by its pseudonym."""
        if self._pattern is None:
            return text
        return self._pattern.sub(lambda m: self._lookup[m.group().lower()], text)


def project_roster(store: Store) -> Roster:
    """The project's roster."""
    return Roster(store.roster())


def propose_roster(store: Store, nlp: Language | None = None) -> dict[str, str]:
    """Names not yet on the roster, with a proposed pseudonym.

    A speaker of a source that belongs to a participant gets the participant ID (NG-R01); other
    speakers and authors, and PERSON names found by a trained pipeline, get "Person N".
    """
    known = {k.lower() for k in store.roster()}
    proposals: dict[str, str] = {}
    cases = store.case_names()
    for _source_id, speaker, case_id in store.speakers_by_source():
        name = speaker.strip()
        if not name or NOT_PEOPLE.match(name) or name.lower() in known or name in proposals:
            continue
        proposals[name] = cases[case_id] if case_id is not None else ""
    found = find_person_names(store, nlp) if nlp is not None else Counter()
    for name, _count in found.most_common():
        if name.lower() not in known and name not in proposals and not NOT_PEOPLE.match(name):
            proposals[name] = ""
    counter = 1
    for name in proposals:
        if not proposals[name]:
            proposals[name] = f"Person {counter}"
            counter += 1
    return proposals


def trained_pipeline() -> Language | None:
    """A trained English spaCy pipeline if the user installed one (we never download one)."""
    for model in ("en_core_web_trf", "en_core_web_lg", "en_core_web_md", "en_core_web_sm"):
        if spacy.util.is_package(model):
            return spacy.load(model, exclude=["lemmatizer", "parser", "tagger", "attribute_ruler"])
    return None


def find_person_names(store: Store, nlp: Language) -> Counter[str]:
    """PERSON entities in every source, counted (needs a pipeline with an entity recogniser)."""
    if "ner" not in nlp.pipe_names and "entity_ruler" not in nlp.pipe_names:
        raise ValueError("this spaCy pipeline cannot find names: it has no 'ner' or 'entity_ruler' component")
    counts: Counter[str] = Counter()
    texts = (store.get_source(i).text for i in store.source_ids())
    for doc in nlp.pipe(texts, batch_size=8):
        counts.update(ent.text.strip() for ent in doc.ents if ent.label_ == "PERSON")
    return counts


@dataclass
class PseudonymisationReport:
    """What was replaced where."""

    replaced: dict[str, Counter] = field(default_factory=dict)  # source name → real name → count
    codings_moved: int = 0
    codings_lost: int = 0

    @property
    def total(self) -> int:
        """Replacements made."""
        return sum(sum(c.values()) for c in self.replaced.values())


def pseudonymise_sources(store: Store, actor: str, source_ids: Iterable[int] | None = None) -> PseudonymisationReport:
    """Replace roster names in the stored texts (and speaker labels); codings stay on their words."""
    roster = project_roster(store)
    report = PseudonymisationReport()
    if not roster:
        return report
    for source_id in list(source_ids) if source_ids is not None else store.source_ids():
        source = store.get_source(source_id)
        hits = roster.find(source.text)
        for _sid, speaker, _case in [s for s in store.speakers_by_source() if s[0] == source_id]:
            if roster.pseudonym(speaker) != speaker:
                store.rename_speaker(source_id, speaker, roster.pseudonym(speaker), actor)
        if not hits:
            continue
        edit = edit_source_text(store, source_id, roster.apply(source.text), actor)
        report.replaced[source.name] = Counter(h.real for h in hits)
        report.codings_moved += len(edit.moved)
        report.codings_lost += len(edit.lost)
    return report
