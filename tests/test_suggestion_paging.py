"""The review queue paged in SQL: both orders, every filter, no suggestion twice or missing across pages."""
from __future__ import annotations

import random
import sqlite3
from collections import Counter

import pytest

from workbench.assist.review import learning_order, plan_bulk_accept, review_page
from workbench.store import NewSuggestion, Store
from workbench.store.suggestions import WINDOW_FROM

from helpers import interview_source

SITES = ["Northgate", "Seacombe", "Northgate"]


@pytest.fixture
def queue(store: Store) -> Store:
    """Three interviews at two sites, five codes (two with codings), 240 suggestions by two suggesters with
    many tied scores (0.5 ± the same distance too), some decided."""
    rng = random.Random(4)
    sources = []
    for i, site in enumerate(SITES):
        sources.append(store.add_source(interview_source(name=f"r{i}.txt", attributes={"site": site}), "lead"))
    length = len(store.get_source(sources[0]).text)
    codes = [store.add_code(name, "lead") for name in ("Housing", "Housing insecurity", "Wellbeing", "Trust", "Food")]
    store.add_coding(sources[0], 0, 10, codes[2], "amira")
    store.add_coding(sources[0], 20, 30, codes[2], "amira")
    store.add_coding(sources[1], 0, 10, codes[4], "tom")
    proposals = []
    for n in range(240):
        start = rng.randrange(length - 20)
        proposals.append(NewSuggestion(rng.choice(sources), start, start + rng.randint(3, 20), rng.choice(codes),
                                       rng.choice([0.3, 0.4, 0.5, 0.6, 0.7, 0.9, 0.95, 0.55, 0.45]),
                                       "because", "lexical.v1" if n % 3 else "ensemble.v1"))
    store.replace_suggestions(proposals, "engine")
    pending = store.suggestions()
    store.accept_suggestion(pending[0].id, "amira")
    store.reject_suggestion(pending[5].id, "amira")
    return store


def expected(store: Store, order: str, **filters) -> list[int]:
    """The queue worked out in Python from every pending suggestion (what the page did before paging)."""
    suggester = filters.pop("suggester", None)
    rows = [s for s in store.suggestions(**filters) if suggester is None or s.suggester == suggester]
    if order == "score":
        return [s.id for s in sorted(rows, key=lambda s: (-s.score, s.source_id, s.start, s.id))]
    rows.sort(key=lambda s: (-s.score, s.source_id, s.start, s.id))
    coded = Counter(row[1] for row in store.coding_rows())
    coded.update(s.code_id for s in store.suggestions(status="rejected"))  # the engine knows rejections too
    assert dict(coded) == store.known_per_code()
    return [s.id for s in learning_order(rows, coded)]


def all_pages(store: Store, order: str, size: int, **filters) -> list[int]:
    seen, offset = [], 0
    while True:
        page = store.pending_page(order=order, limit=size, offset=offset, **filters)
        assert len(page) <= size
        seen += [s.id for s in page]
        if len(page) < size:
            return seen
        offset += size


@pytest.mark.parametrize("order", ["score", "learn"])
@pytest.mark.parametrize("size", [1, 7, 15, 500])
def test_pages_in_order_with_no_suggestion_twice_or_missing(queue: Store, order: str, size: int) -> None:
    seen = all_pages(queue, order, size)
    assert len(seen) == len(set(seen)) == queue.count_pending() == queue.suggestion_counts()["pending"]
    assert seen == expected(queue, order)


def _filters(store: Store) -> list[dict]:
    codes = {c.name: c.id for c in store.codes()}
    first = store.source_ids()[0]
    return [{"code_ids": [codes["Housing"]]}, {"code_ids": [codes["Housing"], codes["Food"]]},
            {"source_id": first}, {"min_score": 0.55}, {"attributes": {"site": "Northgate"}},
            {"suggester": "ensemble.v1"},
            {"code_ids": [codes["Wellbeing"]], "attributes": {"site": "Seacombe"}, "min_score": 0.5}]


@pytest.mark.parametrize("order", ["score", "learn"])
@pytest.mark.parametrize("which", range(7))
def test_every_filter_pages_like_the_whole_queue_filtered(queue: Store, order: str, which: int) -> None:
    filters = _filters(queue)[which]
    want = expected(queue, order, **dict(filters))
    assert want, "the filter should leave some suggestions"
    assert all_pages(queue, order, 6, **filters) == want
    assert queue.count_pending(**filters) == len(want)
    assert sum(queue.pending_per_code(**filters).values()) == len(want)


def test_decided_suggestions_leave_the_pages(queue: Store) -> None:
    first = queue.pending_page(limit=3)
    queue.accept_suggestion(first[0].id, "amira")
    assert [s.id for s in queue.pending_page(limit=2)] == [s.id for s in first[1:]]
    assert first[0].id not in all_pages(queue, "learn", 9)


def test_the_learning_order_favours_codes_with_fewest_codings_and_uncertain_scores(queue: Store) -> None:
    codes = {c.id: c.name for c in queue.codes()}
    known = queue.known_per_code()
    first_turn, second_turn = queue.pending_page(order="learn", limit=5), queue.pending_page(order="learn", limit=5,
                                                                                              offset=5)
    # Wellbeing has two codings, Food one, the others none: they come last in each turn.
    assert [codes[s.code_id] for s in first_turn][-2:] == ["Food", "Wellbeing"]
    unknown = [s for s in first_turn if not known.get(s.code_id)]
    assert unknown, "some codes have no codings nor rejections"
    for s in first_turn:
        pending = queue.suggestions(code_ids=[s.code_id])
        if known.get(s.code_id):  # the most uncertain first
            assert abs(s.score - 0.5) == min(abs(g.score - 0.5) for g in pending)
        else:  # a code known not at all: its lowest score first (nearest the cut-off), then the most uncertain
            assert s.score == min(g.score for g in pending) < 0.5
            after = next(g for g in second_turn if g.code_id == s.code_id)
            assert abs(after.score - 0.5) == min(abs(g.score - 0.5) for g in pending if g.id != s.id)


def test_deep_pages_of_a_long_queue_keep_the_same_order(store: Store) -> None:
    """Past WINDOW_FROM rows the learning order is sorted in one query; the pages still match."""
    source = store.add_source(interview_source(), "lead")
    length = len(store.get_source(source).text)
    codes = [store.add_code(f"Code {i}", "lead") for i in range(4)]
    rng = random.Random(1)
    every = [(start, n, code) for code in codes for start in range(length - 40) for n in range(2, 40)]
    spans = rng.sample(every, WINDOW_FROM + 3000)
    store.replace_suggestions([NewSuggestion(source, start, start + n, code, round(rng.random(), 2), "r", "lexical.v1")
                               for start, n, code in spans], "engine")
    want = expected(store, "learn")
    assert len(want) > WINDOW_FROM
    for offset in (0, 15, WINDOW_FROM - 10, len(want) - 7):
        assert [s.id for s in store.pending_page(order="learn", limit=15, offset=offset)] == want[offset:offset + 15]


def test_an_unknown_order_is_refused(queue: Store) -> None:
    with pytest.raises(ValueError, match="unknown order 'newest'"):
        queue.pending_page(order="newest", limit=5)


# -- the review API over the pages --------------------------------------------------------------------------
def statements(store: Store) -> list[str]:
    """Every SQL statement this thread's connection runs from now on (SQLite's own trace hook)."""
    seen: list[str] = []
    store.database.conn.set_trace_callback(seen.append)
    return seen


def test_a_bulk_accept_plan_reads_no_text_until_a_preview_is_asked_for(queue: Store) -> None:
    seen = statements(queue)
    plan = plan_bulk_accept(queue, 0.6)
    assert len(plan) == queue.count_pending(min_score=0.6) > 20
    assert "scoring 0.60 or more" in plan.question()
    assert not [s for s in seen if "FROM sources" in s], seen  # no source text was read, no quote built
    seen.clear()
    rows = plan.preview(5)
    assert [r.id for r in rows] == plan.ids[:5] and all(r.quote for r in rows)
    assert len([s for s in seen if "text FROM sources" in s]) == 1  # the shown rows' texts, in one query
    assert "accepted in bulk" not in plan.counts()


def test_a_confirmed_plan_is_recognised_only_while_the_queue_is_the_same(queue: Store) -> None:
    plan = plan_bulk_accept(queue, 0.6)
    assert plan_bulk_accept(queue, 0.6).fingerprint() == plan.fingerprint()
    assert plan_bulk_accept(queue, 0.61).fingerprint() != plan.fingerprint()
    queue.reject_suggestion(plan.ids[3], "tom")
    assert plan_bulk_accept(queue, 0.6).fingerprint() != plan.fingerprint()


@pytest.mark.parametrize("order", ["score", "learn"])
def test_review_pages_read_only_the_shown_rows_texts(queue: Store, order: str) -> None:
    seen = statements(queue)
    page = review_page(queue, page=2, page_size=10, order=order, min_score=0.4)
    assert page.total == queue.count_pending(min_score=0.4) and page.pages == -(-page.total // 10)
    assert [r.id for r in page.rows] == expected(queue, order, min_score=0.4)[20:30]
    texts = [s for s in seen if "text FROM sources" in s]
    shown = ",".join(str(i) for i in sorted({r.source_id for r in page.rows}))
    assert texts == [f"SELECT id, text FROM sources WHERE 1 AND id IN ({shown})"]  # one query, the shown ones
    for row in page.rows:
        assert row.quote == queue.get_source(row.source_id).text[row.start:row.end]
    last = review_page(queue, page=999, page_size=10, order=order, min_score=0.4)  # past the end: the last page
    assert last.page == page.pages - 1 and [r.id for r in last.rows] == expected(queue, order, min_score=0.4)[
        10 * last.page:]


def test_the_suggesters_listed_are_those_with_pending_suggestions(queue: Store) -> None:
    assert queue.pending_suggesters() == ["ensemble.v1", "lexical.v1"]
    for s in queue.suggestions():
        if s.suggester == "ensemble.v1":
            queue.reject_suggestion(s.id, "amira")
    assert queue.pending_suggesters() == ["lexical.v1"]
    assert queue.count_pending(suggester="ensemble.v1") == 0


def test_a_project_from_before_migration_10_gets_the_indexes_and_keeps_its_queue(queue: Store, tmp_path) -> None:
    before = [s.id for s in queue.pending_page(order="learn", limit=50)]
    path = queue.path
    queue.close()
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("DROP INDEX suggestions_uncertain")
    conn.execute("DROP INDEX suggestions_suggester")
    conn.execute("DROP TABLE training_runs")  # migration 11's, which comes after
    conn.execute("DROP TABLE code_agreement")
    conn.execute("DROP TABLE learned_models")  # migration 12's
    conn.execute("DROP TABLE embedding_packs")  # migration 13's
    conn.execute("PRAGMA user_version = 9")
    conn.close()
    store = Store.open(path)
    indexes = {r[0] for r in store.database.conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert {"suggestions_uncertain", "suggestions_suggester"} <= indexes
    assert [s.id for s in store.pending_page(order="learn", limit=50)] == before
    assert store.pending_suggesters() == ["ensemble.v1", "lexical.v1"]


def test_many_codes_in_the_filter_page_like_a_few(store: Store) -> None:
    """300 codes chosen at once: the per-code reads are split to stay within SQLite's limits (here the 999
    bound parameters of older SQLite builds)."""
    store.database.conn.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 999)
    source = store.add_source(interview_source(), "lead")
    codes = [store.add_code(f"Code {i}", "lead") for i in range(300)]
    store.replace_suggestions([NewSuggestion(source, i % 50, i % 50 + 5, code, (i % 10) / 10, "r", "lexical.v1")
                               for i, code in enumerate(codes)], "engine")
    assert all_pages(store, "learn", 40, code_ids=codes) == expected(store, "learn", code_ids=codes)


def test_deciding_the_learning_queue_from_its_top_follows_the_order_it_showed(store: Store) -> None:
    """A reviewer who rejects the top suggestion again and again goes round the codes in the order the queue
    showed, not through every suggestion of the first code (the engine already learnt from its rejections)."""
    source = store.add_source(interview_source(name="r.txt"), "lead")
    codes = [store.add_code(name, "lead") for name in ("Housing", "Trust", "Food")]
    store.replace_suggestions([NewSuggestion(source, 10 * i, 10 * i + 5, code, 0.5 + 0.01 * i, "because", "ensemble.v1")
                               for code in codes for i in range(4)], "engine")
    shown = [s.id for s in store.pending_page(order="learn", limit=12)]
    decided = []
    while store.count_pending():
        top = store.pending_page(order="learn", limit=1)[0]
        decided.append(top.id)
        store.reject_suggestion(top.id, "amira")
    assert decided == shown
    assert [store.get_suggestion(i).code_id for i in decided[:3]] == codes
