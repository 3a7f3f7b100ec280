"""Possible personal names in the texts that the roster does not list, found without a trained pipeline.

A word is a possible name when it is capitalised, does not start a sentence, is not an English word
(spaCy's English lookup tables from spacy-lookups-data: WordNet's lemmas and their inflected forms)
and is not a word the project already knows (code names, sites, speaker roles). Name patterns find
names that are also English words: a title (``Mrs Bishop``), a relation (``my neighbour, Grace``) or
naming (``called Biscuit``). A person reviews each one: accepted names join the roster with a
pseudonym (so every export replaces them), dismissed ones are not proposed again.

Names that only ever start a sentence are not found; that is the price of having no trained model.
"""
from __future__ import annotations

import gzip
import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

from spacy.lang.en.stop_words import STOP_WORDS

from workbench.store import Store

# A capitalised word: a letter, then letters, digits, apostrophes or hyphens inside it.
_WORD = re.compile(r"[^\W\d_](?:[\w'’-]*\w)?")
_CLITIC = re.compile(r"['’](?:s|S|ll|re|ve|d|m|t)$")
_SENTENCE_END = frozenset(".!?:;\n—–•*#>|])")
_QUOTES = "\"“‘"  # an opening quote starts reported speech: a sentence of its own
_OPENERS = "\"'“‘([{ \t*_"
_TITLES = r"Mr|Mrs|Ms|Miss|Mx|Dr|Prof|Rev|Cllr|Councillor|Father|Sister|Auntie|Aunty|Uncle|Nan|Nana|Grandad"
_RELATIONS = (r"neighbou?rs?|husband|wife|partner|son|daughter|friend|mate|sister|brother|mum|mother|dad|father|"
              r"nan|gran|grandson|granddaughter|niece|nephew|cousin|boss|colleague|carer|lodger|boyfriend|girlfriend")
_PATTERNS = [
    (re.compile(rf"\b(?P<cue>{_TITLES})\.?[ \t]+(?P<name>[^\W\d_][\w'’-]*)"), "after the title “{cue}”"),
    (re.compile(rf"\b(?P<cue>(?:my|our|his|her|their|your) (?:{_RELATIONS}))\b,?[ \t]+(?P<name>[^\W\d_][\w'’-]*)",
                re.IGNORECASE), "after “{cue}”"),
    (re.compile(r"\b(?P<cue>called|named|name's|name is)[ \t]+(?P<name>[^\W\d_][\w'’-]*)", re.IGNORECASE),
     "after “{cue}”"),
]
_NEVER_NAMES = frozenset({
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "january", "february", "march",
    "april", "may", "june", "july", "august", "september", "october", "november", "december", "i", "ok", "okay",
    "interviewer", "facilitator", "moderator", "researcher", "participant", "respondent", "speaker", "mr", "mrs",
    "ms", "dr", "miss", "god", "christmas", "easter", "eid", "ramadan", "diwali"})
EXAMPLE_CHARS = 40
NOT_A_WORD = "a capitalised word that is not in the English word list"


@dataclass
class NameCandidate:
    """A possible name: where it occurs, why it was found, and its review (None while unreviewed)."""

    name: str
    mentions: int = 0
    sources: list[str] = field(default_factory=list)
    example: str = ""  # a few words either side of the first mention
    reason: str = NOT_A_WORD
    decision: str | None = None  # "accepted", "dismissed" or None
    pseudonym: str | None = None


@lru_cache(maxsize=1)
def english_words() -> frozenset[str]:
    """Lower-case English words and their inflected forms (spacy-lookups-data's English lemma tables)."""
    data = resources.files("spacy_lookups_data") / "data"
    words: set[str] = set()
    for table in ("en_lemma_index.json.gz", "en_lemma_exc.json.gz"):
        with gzip.open(data / table, "rt", encoding="utf-8") as handle:
            for entries in json.load(handle).values():
                words.update(entries)
    with gzip.open(data / "en_lemma_lookup.json.gz", "rt", encoding="utf-8") as handle:
        lookup = json.load(handle)
    words.update(lookup)
    words.update(lookup.values())
    words.update(STOP_WORDS)  # pronouns and other function words, which WordNet leaves out
    return frozenset(w.lower() for w in words)


def project_words(store: Store) -> set[str]:
    """Lower-case words the project already knows are not people: code names, sites and other places."""
    words: set[str] = set()
    phrases = [c.name for c in store.codes()]
    for attributes in (*store.all_attributes("source").values(), *store.all_attributes("case").values()):
        phrases += [value for key, value in attributes.items() if key in ("site", "place", "location", "area")]
    for phrase in phrases:
        words.update(w.lower() for w in _WORD.findall(phrase))
    return words


def _base(token: str) -> str:
    """``Dennis's`` → ``Dennis``; ``Co-op`` stays."""
    return _CLITIC.sub("", token).rstrip("'’-")


def _starts_sentence(text: str, at: int) -> bool:
    """Whether the word at ``at`` opens a sentence, a line or a speaker's turn."""
    i = at
    while i > 0 and text[i - 1] in _OPENERS:
        if text[i - 1] in _QUOTES:
            return True
        i -= 1
    return i == 0 or text[i - 1] in _SENTENCE_END


def _is_word(token: str, words: frozenset[str]) -> bool:
    lower = token.lower()
    return lower in words or (lower.endswith("s") and lower[:-1] in words)


def names_in_text(text: str, known: set[str]) -> dict[str, list[tuple[int, str]]]:
    """Possible names in one text: name → [(position, reason)], skipping the lower-case words in ``known``."""
    words = english_words()
    found: dict[str, dict[int, str]] = {}
    for match in _WORD.finditer(text):
        token = _base(match.group())
        if token[:1].isupper() and not _starts_sentence(text, match.start()) and not _is_word(token, words):
            found.setdefault(token, {})[match.start()] = NOT_A_WORD
    for pattern, reason in _PATTERNS:  # a pattern also finds names that are words, and says why
        for match in pattern.finditer(text):
            found.setdefault(_base(match["name"]), {})[match.start("name")] = reason.format(cue=match["cue"])
    return {name: sorted(hits.items()) for name, hits in found.items() if _may_be_name(name, known)}


def _may_be_name(name: str, known: set[str]) -> bool:
    lower = name.lower()
    return (len(name) > 1 and name[0].isupper() and not name.isupper() and lower not in _NEVER_NAMES
            and lower not in known)


def find_name_candidates(store: Store, *, include_reviewed: bool = False) -> list[NameCandidate]:
    """Possible names not on the roster, most mentioned first (reviewed ones too with ``include_reviewed``)."""
    reviews = {name.lower(): (name, decision, pseudonym) for name, (decision, pseudonym) in store.name_reviews().items()}
    on_roster = {name.lower() for name in store.roster()}
    known = project_words(store) | {name.lower() for name in store.roster() if name.lower() not in reviews}
    candidates: dict[str, NameCandidate] = {}
    for source_id in store.source_ids():
        source = store.get_source(source_id)
        for name, hits in names_in_text(source.text, known).items():
            candidate = candidates.setdefault(name.lower(), NameCandidate(name))
            at, reason = next((hit for hit in hits if hit[1] != NOT_A_WORD), hits[0])  # a pattern says more
            if not candidate.mentions or (candidate.reason == NOT_A_WORD and reason != NOT_A_WORD):
                candidate.reason, candidate.example = reason, _example(source.text, at, len(name))
            candidate.mentions += len(hits)
            candidate.sources.append(source.name)
    result = []
    for key, candidate in candidates.items():
        if key in reviews:
            candidate.decision, candidate.pseudonym = reviews[key][1], reviews[key][2]
            if candidate.decision == "accepted" and key not in on_roster:
                candidate.decision = None  # taken off the roster since: not replaced any more
        if include_reviewed or candidate.decision is None:
            result.append(candidate)
    return sorted(result, key=lambda c: (-c.mentions, c.name))


def _example(text: str, at: int, length: int) -> str:
    """The words around a mention, on one line."""
    before = text[max(0, at - EXAMPLE_CHARS):at].split("\n")[-1]
    after = text[at:at + length + EXAMPLE_CHARS].split("\n")[0]
    return " ".join(f"…{before}{after}…".split())


def accept_name(store: Store, name: str, pseudonym: str, actor: str) -> None:
    """Put a possible name on the roster with ``pseudonym``; every export replaces it from now on."""
    store.review_name(name, "accepted", actor, pseudonym)


def dismiss_name(store: Store, name: str, actor: str) -> None:
    """Record that a possible name is not a person's name; it is not proposed again."""
    store.review_name(name, "dismissed", actor)


def next_pseudonym(store: Store) -> str:
    """The first ``Person N`` not yet used on the roster."""
    used = set(store.roster().values())
    n = 1
    while f"Person {n}" in used:
        n += 1
    return f"Person {n}"
