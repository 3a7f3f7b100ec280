"""Editing a coded source: codings stay on their words, or are reported when their words are gone."""
from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workbench.sources.anchoring import OffsetMap
from workbench.sources.editing import edit_source_text
from workbench.store import Store

from helpers import INTERVIEW, interview_source


def _code(store: Store, source_id: int, words: str, code_id: int, coder: str = "amira") -> int:
    text = store.get_source(source_id).text
    start = text.index(words)
    return store.add_coding(source_id, start, start + len(words), code_id, coder)


def test_fixing_a_typo_keeps_codings_on_their_words(store: Store) -> None:
    source = store.add_source(interview_source(), "amira")
    code = store.add_code("Wellbeing", "amira")
    kept = _code(store, source, "It keeps me sane.", code)
    pantry = _code(store, source, "The pantry is a lifeline", code)
    new_text = INTERVIEW.replace("dragged me along", "dragged me along, bless her,").replace("Saturday", "Sat")
    report = edit_source_text(store, source, new_text, "amira")
    text = store.get_source(source).text
    assert text == new_text
    assert text[store.get_coding(kept).start:store.get_coding(kept).end] == "It keeps me sane."
    assert text[store.get_coding(pantry).start:store.get_coding(pantry).end] == "The pantry is a lifeline"
    assert report.kept == 2 and report.lost == [] and report.moved == []
    turns = store.segments(source, kinds=["turn"])
    assert text[turns[1].start:turns[1].end].startswith("My neighbour dragged me along, bless her,")
    assert store.search_segments("bless") and not store.search_segments("Saturday")
    assert store.events()[-1].action == "source.edit"


def test_codings_whose_words_were_deleted_are_listed_not_moved(store: Store) -> None:
    source = store.add_source(interview_source(), "amira")
    code = store.add_code("Wellbeing", "amira")
    doomed = _code(store, source, "It keeps me sane.", code)
    report = edit_source_text(store, source, INTERVIEW.replace(" It keeps me sane.", ""), "amira")
    assert [m.coding_id for m in report.lost] == [doomed]
    assert report.lost[0].old_text == "It keeps me sane."
    assert store.codings() == []
    assert store.events()[-2].payload["reason"].startswith("its words were deleted")


def test_partly_changed_codings_are_reported_as_moved(store: Store) -> None:
    source = store.add_source(interview_source(), "amira")
    code = store.add_code("Wellbeing", "amira")
    coding = _code(store, source, "Now I go every Saturday.", code)
    report = edit_source_text(store, source, INTERVIEW.replace("every Saturday", "every single Sunday"), "amira")
    assert [m.coding_id for m in report.moved] == [coding]
    assert report.moved[0].new_text == "Now I go every single Sunday."


words = st.sampled_from(["we", "garden", "food", "bank", "neighbour", "Saturday", "sane", "é", "😀", "the"])
seps = st.sampled_from([" ", "  ", "\n", ", ", ". ", "\n\n"])
texts = st.lists(st.tuples(words, seps), min_size=1, max_size=40).map(lambda p: "".join(a + b for a, b in p))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(old=texts, new=texts, data=st.data())
def test_any_edit_keeps_surviving_words_under_their_coding(old: str, new: str, data: st.DataObject) -> None:
    """Property: a span mapped through an edit either is reported lost, or every character of it
    that survived (lies in a matching block) is inside the new span, in order."""
    mapping = OffsetMap(old, new)
    start = data.draw(st.integers(0, len(old) - 1))
    end = data.draw(st.integers(start + 1, len(old)))
    anchored = mapping.anchor(start, end)
    assert 0 <= anchored.start <= anchored.end <= len(new)
    if anchored.lost:
        assert mapping.surviving(start, end) == 0
        return
    for block in mapping.blocks:
        lo, hi = max(start, block.a), min(end, block.a + block.size)
        if lo < hi:  # these characters survived: they must sit inside the new span, unchanged
            new_lo = block.b + lo - block.a
            assert anchored.start <= new_lo and new_lo + (hi - lo) <= anchored.end
            assert new[new_lo:new_lo + (hi - lo)] == old[lo:hi]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                   HealthCheck.too_slow])
@given(old=texts, new=texts)
def test_any_edit_of_a_stored_source_keeps_every_coding_or_reports_it(tmp_path_factory, old: str,
                                                                       new: str) -> None:
    if not old.strip() or not new.strip():
        return
    store = Store.create(Path(tmp_path_factory.mktemp("p")) / "p.wbproj")
    from workbench.sources.importer import to_new_source
    from ingest.records import LoadedSource, LoadedSegment

    loaded = LoadedSource("s.txt", "document", old, "txt", [LoadedSegment(0, len(old), "paragraph")])
    source = store.add_source(to_new_source(loaded, Path("s.txt"), {}), "amira")
    code = store.add_code("Wellbeing", "amira")
    spans = {(i, min(len(old), i + 7)) for i in range(0, len(old), 5) if i < len(old)}
    for s, e in spans:
        store.add_coding(source, s, e, code, "amira")
    before = {c.id: old[c.start:c.end] for c in store.codings()}
    report = edit_source_text(store, source, new, "amira")
    after = {c.id: store.get_source(source).text[c.start:c.end] for c in store.codings()}
    lost = {m.coding_id for m in report.lost + report.merged}
    moved = {m.coding_id: m.new_text for m in report.moved}
    assert set(before) == set(after) | lost and not (set(after) & lost)
    for coding_id, words in after.items():
        assert words == before[coding_id] or moved[coding_id] == words
    assert report.kept + len(report.moved) + len(report.lost) + len(report.merged) == len(before)
