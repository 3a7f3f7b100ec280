"""The Memos page (all memos, filters, writing and editing), the document-memo expander on the Code page and
the code-memo field in the Codebook editor, driven with AppTest on a real small project."""
from __future__ import annotations

import re
from pathlib import Path

from workbench.sources.memos import add_memo
from workbench.ui.document_view import code_lookup
from workbench.store import Store

from test_app_pages import project, template  # noqa: F401  (fixtures)
from test_app_pages import HOSTILE, html_blocks, open_page




def memo_labels(at) -> list[str]:
    """The listed memos' expander labels, without the Markdown escapes and the "Write a memo" form."""
    return [e.label.replace("\\", "") for e in at.expander if e.label != "Write a memo"]


def test_the_memos_page_is_in_the_menu_and_says_where_to_start(project: Path) -> None:
    at = open_page(project, "memos")
    assert "Memos" in [t.value for t in at.title]
    assert any("No memos yet" in i.value for i in at.info)


def test_write_a_document_memo_then_edit_and_remove_it(project: Path) -> None:
    store = Store.open(project)
    at = open_page(project, "memos")
    at.selectbox(key="memos.new.kind").set_value("source").run()
    at.selectbox(key="memos.new.target").set_value(store.source_by_name("NG-R01_maureen.txt").id)
    at.text_input(key="memos.new.title").set_value("Setting")
    at.text_area(key="memos.new.text").set_value("Recorded in the garden shed.")
    at.button(key="memos.add").click().run()
    assert not at.exception
    [memo] = store.memos()
    assert (memo.target_type, memo.text, memo.author, memo.title) == ("source", "Recorded in the garden shed.",
                                                                     "zoe", "Setting")
    at.text_area(key=f"memos.text.m{memo.id}").set_value("Recorded in the shed.")
    at.button(key=f"memos.save.m{memo.id}").click().run()
    assert store.get_memo(memo.id).text == "Recorded in the shed."
    at.button(key=f"memos.remove.m{memo.id}").click().run()
    assert store.memos() == []
    assert at.button(key="memos.undo").help.replace("\\", "") == "Undo: remove memo 'Setting'"
    at.button(key="memos.undo").click().run()
    assert store.get_memo(memo.id).text == "Recorded in the shed."
    assert not at.exception


def test_filters_list_coding_memos_too_and_text_stays_plain(project: Path) -> None:
    store = Store.open(project)
    source = store.source_by_name("NG-R01_maureen.txt")
    code = store.find_code("Bonding ties")
    coding = store.add_coding(source.id, 13, 20, code.id, "amira", memo="Is this bonding?")
    add_memo(store, HOSTILE, "ben", about="code", target=str(code.uid), title="**bold** [link](http://x)")
    add_memo(store, "Saturation after ten?", "zoe")
    at = open_page(project, "memos")
    labels = memo_labels(at)
    assert len(labels) == 3
    assert any(label.startswith("Coding · ") and code.name in label for label in labels)
    assert at.text_area(key=f"memos.text.c{coding}").value == "Is this bonding?"
    assert "<script>" not in html_blocks(at)
    at.multiselect(key="memos.kinds").set_value(["code"]).run()
    assert len(memo_labels(at)) == 1 and at.text_area(key="memos.text.m1").value == HOSTILE
    at.multiselect(key="memos.kinds").set_value([]).run()
    at.text_input(key="memos.contains").set_value("saturation").run()
    assert [label.split(" · ")[0] for label in memo_labels(at)] == ["Project"]
    at.text_input(key="memos.contains").set_value("").run()
    at.text_area(key=f"memos.text.c{coding}").set_value("Bridging, rather.")
    at.button(key=f"memos.save.c{coding}").click().run()
    assert store.get_coding(coding).memo == "Bridging, rather."


def test_code_page_has_a_document_memo_expander(project: Path) -> None:
    store = Store.open(project)
    source = store.source_by_name("NG-R01_maureen.txt")
    add_memo(store, "First visit.", "amira", about="source", target=source.name)
    at = open_page(project, "code", state={"code.source": source.id})
    assert any(e.label.startswith("Document memos (1)") for e in at.expander)
    at.text_area(key="code.doc_memo.new").set_value("Second visit: calmer.")
    at.button(key="code.doc_memo.add").click().run()
    assert not at.exception
    assert [m.text for m in store.memos(target_type="source", target_id=source.id)] == ["First visit.",
                                                                                        "Second visit: calmer."]


def test_codebook_editor_has_a_code_memo_field(project: Path) -> None:
    store = Store.open(project)
    bonding = store.find_code("Bonding ties").id
    at = open_page(project, "codebook", state={"codebook.code": bonding})
    at.text_area(key=f"codebook.memo.{bonding}.new").set_value("Overlaps with bridging.")
    at.button(key=f"codebook.memo.{bonding}.add").click().run()
    assert not at.exception
    [memo] = store.memos(target_type="code", target_id=bonding)
    assert (memo.text, memo.author) == ("Overlaps with bridging.", "zoe")


def details(at) -> str:
    """The Codebook editor's heading and definition of the selected code (its HTML)."""
    return next(h.proto.body for h in at.get("html") if h.proto.body.startswith('<div style="font-size:0.9rem"><p>'))


def test_clicking_a_code_in_the_tree_opens_it_in_the_editor_with_sources_and_codings_counted(project: Path) -> None:
    store = Store.open(project)
    maureen, diary = (store.source_by_name(n) for n in ("NG-R01_maureen.txt", "NG-V03_fatima_diary.md"))
    bonding, bridging = store.find_code("Bonding ties"), store.find_code("Bridging and linking ties")
    store.add_coding(maureen.id, 13, 20, bonding.id, "zoe")
    store.add_coding(maureen.id, 30, 40, bonding.id, "zoe")
    store.add_coding(diary.id, 5, 15, bridging.id, "zoe")
    at = open_page(project, "codebook")
    tree = at.button(key=f"codebook.tree.{bonding.id}")
    assert tree.help.replace("\\", "") == store.code_path(bonding.id)  # the full path on hover
    tree.click().run()
    assert not at.exception
    assert at.session_state["codebook.code"] == bonding.id
    assert at.text_input(key=f"codebook.name.{bonding.id}").value == "Bonding ties"
    counts = {c.value for c in at.caption}
    assert "1 source · 2 codings" in counts and "1 source · 1 coding" in counts
    assert "2 sources · 3 codings" in counts  # Social connectivity: both codes under it
    parent = store.code_path(bonding.id).rpartition("/")[0]
    assert f"in {parent}" in details(at) and details(at).count("Bonding ties") == 1  # its name, then where it sits
    top = store.find_code(parent.split("/")[0])
    at.button(key=f"codebook.tree.{top.id}").click().run()
    assert details(at).count(top.name) == 1 and 'opacity:0.6">in ' not in details(at)  # a top-level code: its name
    colours = re.findall(r'class="wb-code-dot" style="[^"]*background:(#[0-9a-fA-F]{6})', html_blocks(at))
    lookup = code_lookup(store.codes())
    assert colours == [lookup[c.id][2] for c in store.codes()]  # a dot per code, in its document colour


def test_the_codebook_quotes_show_a_passage_two_coders_coded_once_with_both(project: Path) -> None:
    store = Store.open(project)
    maureen = store.source_by_name("NG-R01_maureen.txt")
    bonding = store.find_code("Bonding ties")
    store.add_coding(maureen.id, 13, 20, bonding.id, "zoe")
    store.add_coding(maureen.id, 13, 20, bonding.id, "tom")  # the same words, the same code, another coder
    store.add_coding(maureen.id, 30, 40, bonding.id, "zoe")
    at = open_page(project, "codebook", state={"codebook.code": bonding.id})
    words = maureen.text[13:20]
    quotes = [h.proto.body for h in at.get("html") if h.proto.body.startswith("<blockquote")]
    assert sum(words in q for q in quotes) == 1 and any("zoe, tom" in q for q in quotes)
    assert [c.value for c in at.caption if "passage" in c.value] == [
        "2 passages (3 codings) for Bonding ties and the codes under it"]


def test_a_long_list_is_shown_a_page_at_a_time(project: Path) -> None:
    store = Store.open(project)
    for n in range(30):
        add_memo(store, f"Thought {n:02d}.", "zoe", title=f"T{n:02d}")
    at = open_page(project, "memos")
    assert len(memo_labels(at)) == 25 and any("Memos 1–25 of 30" in c.value for c in at.caption)
    at.button(key="memos.next").click().run()
    assert len(memo_labels(at)) == 5 and at.button(key="memos.next").disabled
    at.button(key="memos.prev").click().run()
    assert len(memo_labels(at)) == 25
