"""Themes built from codes, and candidate themes proposed by clustering the coded passages.

Candidate themes: every coded passage (a distinct ``[start, end)`` of a source, whoever coded it) is
embedded with the local sentence model, clustered with k-means on the unit vectors (k chosen by the
cosine silhouette over a small range, fixed seed), and each cluster is labelled by its most distinctive
words (class-based TF-IDF: a term's frequency in the cluster × log(1 + average words per cluster / the
term's frequency over all clusters)) and scored by its stability over resampled runs (``cluster_stability``). A cluster whose codings mostly match a candidate the researcher
already discarded or promoted is not proposed again.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from workbench.analysis.compare import Lookups, coding_frame, locate, quotes_for_codings, segment_frame
from workbench.errors import WorkbenchError
from workbench.analysis.quotes import Quote, build_quotes
from workbench.store import Store
from workbench.store.cache import StoreEmbeddingCache
from workbench.store.themes import CandidateTheme, NewCandidate, Theme

MIN_PASSAGES = 6
STABILITY_RUNS = 10
NO_VALUE = "(none)"
TEXT_SOURCES = ("quote", "sentence")
_WORD_PATTERN = r"(?u)\b[^\W\d_]{3,}\b"
# Conversational words that say nothing about a theme (sklearn's English stop words miss them).
TALK_WORDS = frozenset("""
    actually aren ask asked asking bit came can come comes couldn did didn does doesn don erm going gonna got
    get gets getting good hasn haven isn just kind know let like lot lots look make made maybe mean need oh
    okay people pretty probably quite really right said say saying says shouldn sort stuff sure tell telling
    thing things think told used want wasn way went weren won wouldn yeah yes
""".split())


class CandidateError(WorkbenchError):
    """Candidate themes cannot be computed (too few coded passages, unknown option)."""


@dataclass
class ThemeSummary:
    """A theme with its codes' names and how much evidence stands behind it."""

    theme: Theme
    code_names: list[str]
    codings: int
    sources: int


def theme_code_ids(store: Store, theme: Theme) -> list[int]:
    """The codes a theme draws on: its codes and everything under them."""
    return sorted({d for code_id in theme.code_ids for d in store.descendants(code_id)})


def theme_tree(themes: Sequence[Theme]) -> list[tuple[Theme, int]]:
    """Themes in reading order, each sub-theme after its parent, with its depth (1 = top level)."""
    ids = {t.id for t in themes}
    children: dict[int | None, list[Theme]] = {}
    for theme in themes:
        children.setdefault(theme.parent_id if theme.parent_id in ids else None, []).append(theme)
    ordered: list[tuple[Theme, int]] = []

    def walk(parent: int | None, depth: int) -> None:
        for theme in children.get(parent, []):
            ordered.append((theme, depth))
            walk(theme.id, depth + 1)

    walk(None, 1)
    return ordered


def theme_overview(store: Store, *, include_discarded: bool = True) -> list[ThemeSummary]:
    """Every theme (each sub-theme after its parent) with its codes and the codings and sources supporting it."""
    names = {c.id: c.name for c in store.codes()}
    rows = pd.DataFrame(store.coding_rows(), columns=["id", "code_id", "source_id", "start", "end", "coder", "o"])
    result = []
    for theme, _depth in theme_tree(store.themes(include_discarded=include_discarded)):
        hit = rows[rows["code_id"].isin(theme_code_ids(store, theme))]
        result.append(ThemeSummary(theme, [names[c] for c in theme.code_ids], len(hit),
                                   int(hit["source_id"].nunique())))
    return result


@dataclass
class ThemeEvidence:
    """How much stands behind a theme: distinct passages, participants and sites, and passages by site × wave."""

    passages: int
    participants: int
    sites: int
    by_site_wave: pd.DataFrame  # site, wave, passages (a row per pair that has any)


def theme_evidence(store: Store, theme: Theme, *, lookups: Lookups | None = None,
                   frame: pd.DataFrame | None = None) -> ThemeEvidence:
    """A theme's evidence from the codings of its codes (and of the codes under them); a passage coded twice
    counts once. ``lookups`` and ``frame`` (``compare.coding_frame``) may be shared across themes."""
    lookups = lookups or Lookups.load(store)
    frame = coding_frame(store, lookups) if frame is None else frame
    mine = frame[frame["code_id"].isin(theme_code_ids(store, theme))].copy()
    mine["site"] = lookups.column(mine, "site").astype(object).fillna(NO_VALUE)  # all missing: float64
    mine["wave"] = lookups.column(mine, "wave").astype(object).fillna(NO_VALUE)
    passages = mine.drop_duplicates(["source_id", "start", "end"])
    table = passages.groupby(["site", "wave"]).size().rename("passages").reset_index()
    sites = passages.loc[passages["site"] != NO_VALUE, "site"].nunique()
    return ThemeEvidence(len(passages), int(mine["case_id"].nunique()), int(sites), table)


def theme_quotes(store: Store, theme_id: int, *, coders: Sequence[str] | None = None) -> list[Quote]:
    """A theme's supporting quotes: the codings of its codes (and of the codes under them)."""
    code_ids = theme_code_ids(store, store.get_theme(theme_id))
    if not code_ids:
        return []
    return build_quotes(store, store.coding_facts(code_ids=code_ids, coders=coders))


# -- candidate themes ---------------------------------------------------------------------------
@dataclass
class CandidateRun:
    """What a clustering run proposed, and how it chose the number of clusters."""

    run_id: str
    candidates: list[CandidateTheme]
    passages: int
    k: int
    silhouette: float
    skipped: list[str] = field(default_factory=list)  # labels not proposed again (discarded or promoted before)


@dataclass
class _Passages:
    """Distinct coded passages: their text, and the codings (and codes) on each."""

    texts: list[str]
    coding_ids: list[list[int]]
    code_ids: list[list[int]]


def find_candidates(store: Store, actor: str, *, embedder=None, coders: Sequence[str] | None = None,
                    code_ids: Sequence[int] | None = None, text: str = "quote", k_range: tuple[int, int] | None = None,
                    min_size: int = 3, n_terms: int = 6, seed: int = 0) -> CandidateRun:
    """Cluster the coded passages into candidate themes and store them (replacing the open ones)."""
    if text not in TEXT_SOURCES:
        raise CandidateError(f"unknown text source {text!r}; choose {' or '.join(TEXT_SOURCES)}")
    passages = _passages(store, coders, code_ids, text)
    if len(passages.texts) < MIN_PASSAGES:
        raise CandidateError(f"only {len(passages.texts)} coded passages in scope; candidate themes need at least "
                             f"{MIN_PASSAGES}")
    if embedder is None:
        from coding.embedding import Embedder

        embedder = Embedder(cache=StoreEmbeddingCache(store))
    vectors = np.asarray(embedder.encode(passages.texts), dtype=np.float64)
    labels, k, score = cluster(vectors, k_range or default_k_range(len(passages.texts)), seed)
    terms = distinctive_terms(passages.texts, labels, n_terms)
    stability = cluster_stability(vectors, labels, k, seed=seed)
    previous = store.candidate_themes(status=None)
    new, skipped = [], []
    for cluster_id in range(k):
        members = np.flatnonzero(labels == cluster_id)
        if members.size < min_size:
            continue
        candidate = _candidate(passages, members, terms[cluster_id])
        candidate.stability = stability.get(cluster_id)
        if _seen_before(candidate, previous):
            skipped.append(candidate.label)
        else:
            new.append(candidate)
    new.sort(key=lambda c: -len(c.coding_ids))
    settings = {"passages": len(passages.texts), "k": k, "silhouette": round(score, 4), "text": text,
                "coders": list(coders or []), "seed": seed, "model": getattr(embedder, "model_name", "?")}
    run_id = store.replace_candidates(new, actor, settings=settings)
    return CandidateRun(run_id, store.candidate_themes("open"), len(passages.texts), k, score, skipped)


def _passages(store: Store, coders: Sequence[str] | None, code_ids: Sequence[int] | None, text: str) -> _Passages:
    """Group codings by identical span; the passage's text is the quote or the sentence it starts in."""
    lookups = Lookups.load(store)
    frame = coding_frame(store, lookups, coders=coders, code_ids=code_ids)
    if text == "sentence":
        sentences = segment_frame(store, lookups, sentences=True)
        at = locate(sentences["source_id"].to_numpy(), sentences["start"].to_numpy(),
                    frame["source_id"].to_numpy(), frame["start"].to_numpy())
        inside = (at >= 0) & (sentences["end"].to_numpy()[np.maximum(at, 0)] > frame["start"].to_numpy())
        frame["start"] = np.where(inside, sentences["start"].to_numpy()[np.maximum(at, 0)], frame["start"])
        frame["end"] = np.where(inside, sentences["end"].to_numpy()[np.maximum(at, 0)], frame["end"])
    texts = store.texts(sorted(set(frame["source_id"].tolist())))
    grouped = frame.groupby(["source_id", "start", "end"], sort=True).agg(
        coding_ids=("coding_id", lambda s: sorted(s.tolist())), code_ids=("code_id", lambda s: s.tolist()))
    words = [texts[s][a:b].strip()[:2000] for s, a, b in grouped.index]
    keep = [i for i, w in enumerate(words) if w]
    return _Passages([words[i] for i in keep], [grouped["coding_ids"].iloc[i] for i in keep],
                     [grouped["code_ids"].iloc[i] for i in keep])


def default_k_range(n: int) -> tuple[int, int]:
    """Numbers of clusters to try for ``n`` passages: clusters of roughly 20 to 60 passages, 2 to 12 of them.

    The silhouette of sentence embeddings is nearly flat across k (everything is "people talking"), so
    over a wide range it picks 2 by a hair; the range keeps the choice among useful sizes.
    """
    return max(2, min(n // 60, 10)), min(12, max(3, n // 20))


def cluster(vectors: np.ndarray, k_range: tuple[int, int], seed: int) -> tuple[np.ndarray, int, float]:
    """K-means labels for the k in ``k_range`` with the best cosine silhouette; returns (labels, k, score).

    The vectors are centred (the component every passage shares removed) and re-normalised first.
    """
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_score

    vectors = _centred(vectors)
    distinct = len(np.unique(np.round(vectors, 6), axis=0))
    low, high = max(2, k_range[0]), min(k_range[1], distinct - 1, len(vectors) - 1)
    if high < low:
        return np.zeros(len(vectors), dtype=int), 1, 0.0
    best: tuple[float, int, np.ndarray] | None = None
    for k in range(low, high + 1):
        labels = KMeans(n_clusters=k, n_init=10, random_state=seed).fit_predict(vectors)
        score = float(silhouette_score(vectors, labels, metric="cosine"))
        if best is None or score > best[0] + 1e-9:
            best = (score, k, labels)
    score, k, labels = best
    return labels, k, score


def _centred(vectors: np.ndarray) -> np.ndarray:
    """Unit vectors after removing the component every passage shares."""
    vectors = vectors - vectors.mean(axis=0)
    return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)


def cluster_stability(vectors: np.ndarray, labels: np.ndarray, k: int, *, runs: int = STABILITY_RUNS,
                      fraction: float = 0.8, seed: int = 0) -> dict[int, float]:
    """How well each cluster reappears when k-means runs again on random samples of the passages.

    Hennig's clusterwise bootstrap: cluster ``runs`` random ``fraction``-samples into ``k`` clusters; a cluster's
    score in one run is its best Jaccard overlap (within the sample) with a new cluster; its stability is the
    mean over runs. Around 0.85 and above a cluster is stable, below 0.6 it is likely noise.
    """
    from sklearn.cluster import KMeans

    if k < 2:
        return {0: 1.0}
    vectors = _centred(np.asarray(vectors, dtype=np.float64))
    rng = np.random.default_rng(seed)
    n = len(vectors)
    scores: dict[int, list[float]] = {c: [] for c in range(k)}
    for run in range(runs):
        sample = np.sort(rng.choice(n, size=max(k + 1, int(round(fraction * n))), replace=False))
        again = KMeans(n_clusters=k, n_init=3, random_state=seed + run + 1).fit_predict(vectors[sample])
        new_sets = [set(sample[again == j].tolist()) for j in range(k)]
        for c in range(k):
            mine = set(sample[labels[sample] == c].tolist())
            if mine:
                scores[c].append(max(len(mine & other) / len(mine | other) for other in new_sets))
    return {c: round(float(np.mean(v)), 3) if v else 0.0 for c, v in scores.items()}


def distinctive_terms(texts: Sequence[str], labels: np.ndarray, n_terms: int) -> dict[int, list[str]]:
    """Class-based TF-IDF: each cluster's most distinctive words (used in at least two of its passages)."""
    from sklearn.feature_extraction.text import CountVectorizer

    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    stop_words = sorted(ENGLISH_STOP_WORDS | TALK_WORDS)
    vectorizer = CountVectorizer(stop_words=stop_words, token_pattern=_WORD_PATTERN, lowercase=True)
    try:
        counts = vectorizer.fit_transform(texts)
    except ValueError:  # nothing but stop words
        return {int(c): [] for c in np.unique(labels)}
    vocabulary = np.array(vectorizer.get_feature_names_out())
    clusters = np.unique(labels)
    onehot = np.stack([(labels == c) for c in clusters]).astype(float)
    tf = np.asarray(onehot @ counts.toarray())
    passages_with = onehot @ (counts.toarray() > 0)
    average_words = tf.sum() / len(clusters)
    idf = np.log1p(average_words / np.maximum(tf.sum(axis=0), 1))
    scores = tf / np.maximum(tf.sum(axis=1, keepdims=True), 1) * idf
    scores[(passages_with < 2) & (onehot.sum(axis=1, keepdims=True) >= 4)] = 0.0
    result = {}
    for row, c in enumerate(clusters):
        order = np.lexsort((vocabulary, -scores[row]))
        result[int(c)] = [str(vocabulary[i]) for i in order[:n_terms] if scores[row, i] > 0]
    return result


def _candidate(passages: _Passages, members: np.ndarray, terms: list[str]) -> NewCandidate:
    """A stored-to-be candidate: label from the top terms, the codes on at least a quarter of its passages."""
    coding_ids = sorted(i for m in members for i in passages.coding_ids[m])
    per_code = pd.Series([c for m in members for c in set(passages.code_ids[m])]).value_counts()
    per_code = per_code.sort_index(kind="stable").sort_values(ascending=False, kind="stable")
    common = per_code[per_code >= max(1, 0.25 * members.size)].index.tolist()[:5] or per_code.index[:1].tolist()
    label = " / ".join(terms[:3]) if terms else f"cluster of {members.size} passages"
    return NewCandidate(label=label, terms=terms, coding_ids=coding_ids, code_ids=[int(c) for c in common])


def _seen_before(candidate: NewCandidate, previous: Sequence[CandidateTheme], overlap: float = 0.5) -> bool:
    """Whether the candidate's codings mostly match (Jaccard ≥ overlap) a discarded or promoted one."""
    mine = set(candidate.coding_ids)
    for old in previous:
        if old.status == "open":
            continue
        theirs = set(old.coding_ids)
        if mine and len(mine & theirs) / len(mine | theirs) >= overlap:
            return True
    return False


def promote_candidate(store: Store, candidate_id: int, actor: str, name: str | None = None) -> int:
    """Make a candidate a theme with its codes (named after its terms unless ``name``); returns the theme id."""
    candidate = store.get_candidate(candidate_id)
    chosen = (name or "").strip() or _free_name(store, candidate.label)
    description = (f"Proposed from {len(candidate.coding_ids)} coded passages that read alike; "
                   f"distinctive terms: {', '.join(candidate.terms) or 'none'}.")
    return store.promote_candidate_theme(candidate_id, chosen, description, actor)


def merge_candidates(store: Store, candidate_ids: Sequence[int], actor: str) -> int:
    """Merge open candidates into one (their passages, codes and terms together); returns its id."""
    parts = [store.get_candidate(i) for i in dict.fromkeys(candidate_ids)]
    if len(parts) < 2:
        raise CandidateError("choose at least two candidate themes to merge")
    terms = list(dict.fromkeys(t for c in parts for t in c.terms))[:8]
    merged = NewCandidate(label=" / ".join(terms[:3]) or "merged candidate", terms=terms,
                          coding_ids=sorted({i for c in parts for i in c.coding_ids}),
                          code_ids=list(dict.fromkeys(i for c in parts for i in c.code_ids)))
    return store.rework_candidates([c.id for c in parts], [merged], "candidate.merge", actor)[0]


def split_candidate(store: Store, candidate_id: int, actor: str, *, embedder=None, n_terms: int = 6,
                    seed: int = 0) -> list[int]:
    """Split an open candidate in two by k-means on its own passages; returns the two new candidates' ids."""
    candidate = store.get_candidate(candidate_id)
    mine = set(candidate.coding_ids)
    passages = _passages(store, None, None, "quote")
    keep = [i for i, ids in enumerate(passages.coding_ids) if mine & set(ids)]
    if len(keep) < 4:
        raise CandidateError(f"candidate {candidate_id} has {len(keep)} passages; splitting needs at least 4")
    own = _Passages([passages.texts[i] for i in keep], [[c for c in passages.coding_ids[i] if c in mine] for i in keep],
                    [passages.code_ids[i] for i in keep])
    if embedder is None:
        from coding.embedding import Embedder

        embedder = Embedder(cache=StoreEmbeddingCache(store))
    vectors = np.asarray(embedder.encode(own.texts), dtype=np.float64)
    from sklearn.cluster import KMeans

    centred, k = _centred(vectors), 2
    if len(np.unique(np.round(centred, 6), axis=0)) < 2:
        raise CandidateError(f"the passages of candidate {candidate_id} are too alike to split")
    labels = KMeans(n_clusters=k, n_init=10, random_state=seed).fit_predict(centred)
    terms = distinctive_terms(own.texts, labels, n_terms)
    stability = cluster_stability(vectors, labels, k, seed=seed)
    halves = []
    for part in range(2):
        half = _candidate(own, np.flatnonzero(labels == part), terms[part])
        half.stability = stability.get(part)
        halves.append(half)
    return store.rework_candidates([candidate_id], halves, "candidate.split", actor)


def _free_name(store: Store, label: str) -> str:
    """The label, or the label with a number when a theme already has that name."""
    taken = {t.name.lower() for t in store.themes()}
    name, n = label, 2
    while name.lower() in taken:
        name, n = f"{label} ({n})", n + 1
    return name


def discard_candidate(store: Store, candidate_id: int, actor: str) -> None:
    """Discard a candidate; similar clusters are not proposed again."""
    store.discard_candidate_theme(candidate_id, actor)


def candidate_quotes(store: Store, candidate_id: int, *, limit: int | None = None) -> list[Quote]:
    """The coded passages a candidate groups, as quotes."""
    candidate = store.get_candidate(candidate_id)
    return quotes_for_codings(store, candidate.coding_ids[:limit] if limit is not None else candidate.coding_ids)


def candidate_sites(store: Store, candidate_id: int) -> dict[str, int]:
    """The sites a candidate's passages come from, with how many distinct passages each (most first)."""
    counts: dict[str, set] = {}
    for q in candidate_quotes(store, candidate_id):
        counts.setdefault(q.attributes.get("site") or NO_VALUE, set()).add((q.source_id, q.start, q.end))
    return dict(sorted(((site, len(spans)) for site, spans in counts.items()), key=lambda p: (-p[1], p[0])))


def save_theme(store: Store, theme_id: int, actor: str, *, code_ids: Sequence[int] | None = None,
               **fields: str) -> Theme:
    """Store a theme's edited fields (name, description, memo, status) and make its codes exactly ``code_ids``;
    only what changed is written (and logged), in one transaction."""
    with store.database.transaction():
        theme = store.get_theme(theme_id)
        changed = {k: v for k, v in fields.items() if getattr(theme, k) != v}
        if changed:
            store.update_theme(theme_id, actor, **changed)
        if code_ids is not None:
            current, wanted = set(theme.code_ids), {int(c) for c in code_ids}
            if wanted - current:
                store.add_theme_codes(theme_id, sorted(wanted - current), actor)
            if current - wanted:
                store.remove_theme_codes(theme_id, sorted(current - wanted), actor)
        return store.get_theme(theme_id)

