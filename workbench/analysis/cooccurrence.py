"""Code co-occurrence: which codes are applied to the same words, or within the same structural segment.

Two modes:

- ``overlap``: a pair of codings of two different codes on the same source whose spans share at least
  one character. Counted per pair of codings (two coders each coding both codes on a passage give four
  pairs); ``same_coder=True`` keeps only pairs of codings by the same coder.
- ``segment``: a structural segment (turn, answer, entry, post, paragraph) touched by codings of both
  codes. Counted per segment.

Both are sort-and-sweep computations over sorted int64 keys (source id in the high bits, offset in
the low bits), with no Python loop over codings.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from workbench.analysis.compare import Lookups, coding_frame, segment_frame
from workbench.errors import WorkbenchError
from workbench.analysis.quotes import Context, Quote, build_quotes
from workbench.store import Store

MODES = ("overlap", "segment")


class CooccurrenceError(WorkbenchError):
    """Unknown mode, or a code that is not in the co-occurrence table."""


@dataclass
class CodePair:
    """Two codes and how often they co-occur."""

    code_a: int
    code_b: int
    label_a: str
    label_b: str
    count: int


@dataclass
class QuotePair:
    """An example of two codes co-occurring: one coding of each, and the words they share (or the segment)."""

    first: Quote
    second: Quote
    shared_text: str
    segment_id: int | None = None


@dataclass
class Cooccurrence:
    """Symmetric code × code counts; the diagonal holds each code's codings (overlap) or segments (segment)."""

    mode: str
    code_ids: list[int]
    labels: list[str]
    paths: list[str]
    counts: np.ndarray
    links: pd.DataFrame = field(repr=False)  # overlap: code_a, code_b, coding_a, coding_b; segment: + segment_id

    def index(self, code: int | str) -> int:
        """A code's position from its id, name or path."""
        if isinstance(code, (int, np.integer)) and int(code) in self.code_ids:
            return self.code_ids.index(int(code))
        for names in (self.paths, self.labels):
            found = [i for i, name in enumerate(names) if name.lower() == str(code).lower()]
            if len(found) == 1:
                return found[0]
        raise CooccurrenceError(f"code {code!r} has no codings in this co-occurrence table")

    def count(self, code_a: int | str, code_b: int | str) -> int:
        """How often two codes co-occur."""
        return int(self.counts[self.index(code_a), self.index(code_b)])

    def to_frame(self, *, labels: str = "name") -> pd.DataFrame:
        """The counts as a DataFrame with code names (or paths) on both axes."""
        names = self.labels if labels == "name" else self.paths
        return pd.DataFrame(self.counts, index=pd.Index(names, name="code"), columns=names)

    def top_pairs(self, limit: int | None = None) -> list[CodePair]:
        """Pairs of different codes by decreasing count."""
        upper = np.triu(self.counts, k=1)
        a, b = np.nonzero(upper)
        order = np.lexsort((b, a, -upper[a, b]))
        pairs = [CodePair(self.code_ids[i], self.code_ids[j], self.labels[i], self.labels[j], int(upper[i, j]))
                 for i, j in zip(a[order].tolist(), b[order].tolist())]
        return pairs[:limit] if limit is not None else pairs

    def pair_links(self, code_a: int | str, code_b: int | str) -> pd.DataFrame:
        """The links (coding pairs, with the segment in segment mode) behind one count."""
        a, b = sorted((self.code_ids[self.index(code_a)], self.code_ids[self.index(code_b)]))
        return self.links[(self.links["code_a"] == a) & (self.links["code_b"] == b)]


def cooccurrence(store: Store, mode: str = "overlap", *, coders: Sequence[str] | None = None,
                 origins: Sequence[str] | None = None, codes: Sequence[int] | None = None,
                 where: Mapping[str, str] | None = None, same_coder: bool = False) -> Cooccurrence:
    """Code × code co-occurrence counts of the codings in scope."""
    if mode not in MODES:
        raise CooccurrenceError(f"unknown co-occurrence mode {mode!r}; choose {' or '.join(MODES)}")
    lookups = Lookups.load(store)
    segments = segment_frame(store, lookups)
    frame = coding_frame(store, lookups, coders=coders, origins=origins, code_ids=codes, segments=segments)
    frame = frame[lookups.where_mask(frame, where)].sort_values(["source_id", "start", "coding_id"])
    frame = frame.reset_index(drop=True)
    if mode == "overlap":
        links, diagonal = _overlap_links(frame, same_coder), frame.groupby("code_id").size()
    else:
        touches = touching_segments(frame, segments)
        links = _segment_links(touches, same_coder)
        diagonal = touches.drop_duplicates(["segment_id", "code_id"]).groupby("code_id").size()
    return _table(store, mode, frame, links, diagonal)


def _overlap_links(frame: pd.DataFrame, same_coder: bool) -> pd.DataFrame:
    """Pairs of codings of different codes whose spans share a character (frame sorted by source, start)."""
    start_key = _key(frame["source_id"], frame["start"])
    end_key = _key(frame["source_id"], frame["end"])
    first, second = _expand(np.arange(len(frame)) + 1, np.searchsorted(start_key, end_key, side="left"))
    return _pairs_of(frame, first, second, same_coder)


def touching_segments(frame: pd.DataFrame, segments: pd.DataFrame) -> pd.DataFrame:
    """(coding, code, coder, segment) for every segment a coding shares a character with; the segments sorted
    by source and start and not overlapping each other (structural segments, or sentences)."""
    seg_start = _key(segments["source_id"], segments["start"])
    seg_end = _key(segments["source_id"], segments["end"])
    lo = np.searchsorted(seg_end, _key(frame["source_id"], frame["start"]), side="right")
    hi = np.searchsorted(seg_start, _key(frame["source_id"], frame["end"]), side="left")
    rows, segs = _expand(lo, hi)
    touches = frame.iloc[rows][["coding_id", "code_id", "coder"]].reset_index(drop=True)
    touches["segment_id"] = segments["segment_id"].to_numpy()[segs]
    return touches


def _segment_links(touches: pd.DataFrame, same_coder: bool) -> pd.DataFrame:
    """Pairs of codings of different codes touching the same segment, one line per (segment, code pair)."""
    keys = ["segment_id", "coder"] if same_coder else ["segment_id"]
    joined = touches.merge(touches, on=keys, suffixes=("_a", "_b"))
    joined = joined[joined["code_id_a"] < joined["code_id_b"]]
    joined = joined.sort_values(["segment_id", "coding_id_a", "coding_id_b"])
    joined = joined.drop_duplicates(["segment_id", "code_id_a", "code_id_b"])
    return pd.DataFrame({"code_a": joined["code_id_a"].to_numpy(), "code_b": joined["code_id_b"].to_numpy(),
                         "coding_a": joined["coding_id_a"].to_numpy(), "coding_b": joined["coding_id_b"].to_numpy(),
                         "segment_id": joined["segment_id"].to_numpy()})


def _pairs_of(frame: pd.DataFrame, first: np.ndarray, second: np.ndarray, same_coder: bool) -> pd.DataFrame:
    """Coding pairs (positions into frame) as code-ordered links, different codes only."""
    code = frame["code_id"].to_numpy()
    keep = code[first] != code[second]
    if same_coder:
        coder = frame["coder"].to_numpy()
        keep &= coder[first] == coder[second]
    first, second = first[keep], second[keep]
    swap = code[first] > code[second]
    a, b = np.where(swap, second, first), np.where(swap, first, second)
    ids = frame["coding_id"].to_numpy()
    return pd.DataFrame({"code_a": code[a], "code_b": code[b], "coding_a": ids[a], "coding_b": ids[b]})


def _expand(lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(owner, position) for every position in each owner's half-open range [lo, hi)."""
    lo = np.asarray(lo, dtype=np.int64)
    sizes = np.maximum(np.asarray(hi, dtype=np.int64) - lo, 0)
    owner = np.repeat(np.arange(lo.size), sizes)
    offsets = np.arange(sizes.sum()) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    return owner, lo[owner] + offsets


def _key(source: pd.Series, offset: pd.Series) -> np.ndarray:
    return source.to_numpy(dtype=np.int64) * (1 << 32) + offset.to_numpy(dtype=np.int64)


def _table(store: Store, mode: str, frame: pd.DataFrame, links: pd.DataFrame, diagonal: pd.Series) -> Cooccurrence:
    """Dense counts over the codes present, in codebook order."""
    context = Context.load(store)
    present = set(frame["code_id"].tolist())
    ids = [c.id for c in store.codes() if c.id in present]
    position = {c: i for i, c in enumerate(ids)}
    counts = np.zeros((len(ids), len(ids)), dtype=np.int64)
    if len(links):
        per_pair = links.groupby(["code_a", "code_b"]).size()
        a = per_pair.index.get_level_values(0).map(position).to_numpy()
        b = per_pair.index.get_level_values(1).map(position).to_numpy()
        counts[a, b] = counts[b, a] = per_pair.to_numpy()
    for code_id, n in diagonal.items():
        counts[position[code_id], position[code_id]] = n
    return Cooccurrence(mode, ids, [context.code_names[i] for i in ids], [context.code_paths[i] for i in ids],
                        counts, links.reset_index(drop=True))


def pair_quotes(store: Store, table: Cooccurrence, code_a: int | str, code_b: int | str, *,
                limit: int | None = 50) -> list[QuotePair]:
    """Examples behind one co-occurrence count: the two codings, with their shared words or segment."""
    links = table.pair_links(code_a, code_b)
    if limit is not None:
        links = links.head(limit)
    if links.empty:
        return []
    wanted = set(links["coding_a"].tolist()) | set(links["coding_b"].tolist())
    codes = sorted(set(links["code_a"].tolist()) | set(links["code_b"].tolist()))
    quotes = {q.coding_id: q for q in build_quotes(
        store, [f for f in store.coding_facts(code_ids=codes) if f.coding_id in wanted])}
    segment_text = _segment_texts(store, links) if "segment_id" in links else {}
    result = []
    for row in links.itertuples(index=False):
        first, second = quotes[row.coding_a], quotes[row.coding_b]
        if table.mode == "overlap":
            shared = first.text[max(first.start, second.start) - first.start:min(first.end, second.end) - first.start]
            result.append(QuotePair(first, second, shared))
        else:
            result.append(QuotePair(first, second, segment_text[row.segment_id], int(row.segment_id)))
    return result


def _segment_texts(store: Store, links: pd.DataFrame) -> dict[int, str]:
    """The words of the segments named in ``links``."""
    wanted = set(links["segment_id"].tolist())
    rows = [r for r in store.segment_rows() if r[0] in wanted]
    texts = store.texts(sorted({r[1] for r in rows}))
    return {r[0]: texts[r[1]][r[3]:r[4]] for r in rows}
