"""Possible names not in the roster: found without a trained pipeline, reviewed, and kept out of the report."""
from __future__ import annotations

import hashlib
import re
from pathlib import Path

import docx
import pytest
from click.testing import CliRunner

from workbench.errors import InvalidNameReview
from workbench.export.report import ReportOptions, build_report, gather_report
from workbench.sources.demo import build_demo
from workbench.sources.name_candidates import accept_name, dismiss_name, find_name_candidates, next_pseudonym
from workbench.store import NewSegment, NewSource, Store


@pytest.fixture(scope="module")
def demo_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo project, built once; tests that change it work on a copy."""
    path = Path(tmp_path_factory.mktemp("demo")) / "demo.wbproj"
    build_demo(path).close()
    return path


@pytest.fixture
def demo(demo_path: Path, tmp_path: Path) -> Store:
    copy = tmp_path / "demo.wbproj"
    source = Store.open(demo_path)
    source.database.backup(copy)
    source.close()
    return Store.open(copy)


def _text_source(store: Store, name: str, text: str, **extra) -> int:
    paragraphs, start = [], 0
    for block in text.split("\n\n"):
        paragraphs.append(NewSegment(start=start, end=start + len(block), kind="paragraph",
                                     sentences=[(start, start + len(block))]))
        start += len(block) + 2
    return store.add_source(NewSource(name=name, kind=extra.pop("kind", "fieldnote"), text=text, format="txt",
                                      segments=paragraphs, content_hash=hashlib.sha256(text.encode()).hexdigest(),
                                      **extra), "amira")


def _document_text(path: Path) -> str:
    document = docx.Document(str(path))
    parts = [p.text for p in document.paragraphs]
    parts += [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    parts += [p.text for s in document.sections for p in s.footer.paragraphs + s.first_page_footer.paragraphs]
    return "\n".join(parts)


def test_candidates_found_in_the_demo_include_the_people_mentioned_in_texts(demo: Store) -> None:
    found = {c.name: c for c in find_name_candidates(demo)}
    assert {"Val", "Dennis", "Zuzia"} <= set(found)
    assert "AV-R03_shirley.txt" in found["Val"].sources and "Val" in found["Val"].example
    assert not set(found) & {name for name in demo.roster()}  # the roster's names are not proposed again


@pytest.mark.parametrize("word", ["I", "Monday", "March", "Council", "Christmas", "English", "Co-op", "Hub",
                                  "Northgate", "Ashby", "Vale", "Seacombe", "Interviewer"])
def test_common_capitalised_words_are_not_candidates(demo: Store, word: str) -> None:
    assert word not in {c.name for c in find_name_candidates(demo)}


def test_words_at_sentence_start_acronyms_codes_and_sites_are_not_candidates(store: Store) -> None:
    store.add_code("Foodbank", "amira")
    _text_source(store, "notes.txt", "Zorbo came early. We met at the Foodbank in Brackwell with the TA and I'm "
                 "glad: Quenby was there.\n\nOn Monday the Council said no.", attributes={"site": "Brackwell"})
    assert [c.name for c in find_name_candidates(store)] == []


def test_name_patterns_find_names_that_are_also_english_words(store: Store) -> None:
    _text_source(store, "notes.txt", "We sat with my neighbour, Grace, and Mrs Bishop from the chapel. "
                 "Her dog is called Biscuit. The grace of it all; a rose by the door.")
    found = {c.name: c for c in find_name_candidates(store)}
    assert set(found) == {"Grace", "Bishop", "Biscuit"}
    assert "neighbour" in found["Grace"].reason and "Mrs" in found["Bishop"].reason
    assert found["Grace"].mentions == 1  # "The grace of it all" is not the name


def test_accepting_joins_the_roster_dismissing_is_remembered(store: Store) -> None:
    _text_source(store, "notes.txt", "She sits with Dennis while Val goes out, and Blenkin Court is loud.")
    assert {c.name for c in find_name_candidates(store)} == {"Dennis", "Val", "Blenkin"}
    accept_name(store, "Dennis", "Person A", "amira")
    dismiss_name(store, "Blenkin", "amira")
    store.close()
    reopened = Store.open(store.path)
    assert reopened.roster() == {"Dennis": "Person A"}
    assert [c.name for c in find_name_candidates(reopened)] == ["Val"]
    reviewed = {c.name: c.decision for c in find_name_candidates(reopened, include_reviewed=True)}
    assert reviewed == {"Dennis": "accepted", "Blenkin": "dismissed", "Val": None}
    assert [e.action for e in reopened.events()][-2:] == ["name.accept", "name.dismiss"]
    with pytest.raises(InvalidNameReview, match="needs a pseudonym"):
        accept_name(reopened, "Val", " ", "amira")
    dismiss_name(reopened, "Dennis", "amira")  # accepted by mistake: dismissing takes it off the roster
    assert reopened.roster() == {} and reopened.name_reviews()["Dennis"] == ("dismissed", None)


def test_pseudonymised_demo_report_contains_no_roster_name_and_no_accepted_candidate(demo: Store,
                                                                                       tmp_path: Path) -> None:
    accept_name(demo, "Val", "Person V", "amira")
    accept_name(demo, "Dennis", "Person D", "amira")
    path = tmp_path / "demo.docx"
    build_report(demo, path, ReportOptions(max_quotes_per_code=None))
    text = _document_text(path)
    assert "Person V" in text and "Person D" in text  # "My neighbour, Val." is quoted in the demo
    for name in demo.roster():
        assert not re.search(rf"(?<!\w){re.escape(name)}(?!\w)", text), name


def test_report_states_what_was_replaced_and_warns_of_unreviewed_names(demo: Store, tmp_path: Path) -> None:
    options = ReportOptions(max_quotes_per_code=None)
    before = gather_report(demo, options).names_review
    assert {"Val", "Dennis"} <= set(before.unreviewed)
    path = tmp_path / "before.docx"
    build_report(demo, path, options)
    text = _document_text(path)
    assert before.quotes_with_unreviewed >= 1 and "nobody has reviewed; " in before.statement()
    assert before.statement() in text.splitlines()
    assert "Some quotes contain possible names that nobody has reviewed (see Method)." in text
    assert "Val" not in before.statement() and "Dennis" not in before.statement()
    for name in find_name_candidates(demo):
        dismiss_name(demo, name.name, "amira") if name.name not in ("Val", "Dennis") else \
            accept_name(demo, name.name, f"Person {name.name[0]}", "amira")
    after = gather_report(demo, options).names_review
    assert after.unreviewed == [] and after.quotes_with_unreviewed == 0 and after.accepted == 2
    assert after.roster_entries == len(demo.roster())
    statement = after.statement()
    assert "2 of them accepted from the review of possible names" in statement
    assert "nobody has reviewed" not in statement and "Every possible name" in statement


def test_cli_roster_propose_lists_possible_names_and_records_decisions(demo: Store) -> None:
    from workbench.cli import cli

    runner = CliRunner()
    listed = runner.invoke(cli, ["roster", "propose", "--project", str(demo.path)])
    assert listed.exit_code == 0, listed.output
    assert "Possible names not in the roster" in listed.output
    assert re.search(r"^  Val\b", listed.output, re.MULTILINE)
    accepted = runner.invoke(cli, ["roster", "accept", "Val", "--pseudonym", "Person V", "--project",
                                   str(demo.path), "--as", "amira"])
    assert accepted.exit_code == 0, accepted.output
    dismissed = runner.invoke(cli, ["roster", "dismiss", "Dennis", "--project", str(demo.path), "--as", "amira"])
    assert dismissed.exit_code == 0, dismissed.output
    assert demo.roster()["Val"] == "Person V" and demo.name_reviews()["Dennis"] == ("dismissed", None)
    again = runner.invoke(cli, ["roster", "propose", "--project", str(demo.path)])
    assert not re.search(r"^  (Val|Dennis)\b", again.output, re.MULTILINE)
    bad = runner.invoke(cli, ["roster", "accept", "Zuzia", "--pseudonym", "", "--project", str(demo.path)])
    assert bad.exit_code == 1 and "needs a pseudonym" in bad.output


def test_cli_export_report_warns_of_unreviewed_names(demo: Store, tmp_path: Path) -> None:
    from workbench.cli import cli

    result = CliRunner().invoke(cli, ["export", "report", "--project", str(demo.path), "--out",
                                      str(tmp_path / "r.docx"), "--max-quotes", "0"])
    assert result.exit_code == 0, result.output
    assert re.search(r"Warning: \d+ quotes contain possible names that nobody has reviewed \(.*Val", result.output)


def test_report_page_reviews_possible_names(demo: Store) -> None:
    from streamlit.testing.v1 import AppTest

    page = Path(__file__).resolve().parents[1] / "workbench" / "ui" / "pages" / "report.py"
    app = AppTest.from_file(str(page), default_timeout=60)
    app.session_state["project_path"] = str(demo.path)
    app.session_state["coder"] = "amira"
    app.run()
    assert not app.exception
    names = app.selectbox(key="names.chosen")
    assert "Val (×1)" in names.options
    names.set_value("Val").run()
    assert app.text_input(key="names.pseudonym.Val").value == next_pseudonym(demo)
    app.text_input(key="names.pseudonym.Val").set_value("Person V").run()
    app.button(key="names.accept").click().run()
    assert not app.exception
    assert demo.roster()["Val"] == "Person V"
    app.selectbox(key="names.chosen").set_value("Dennis").run()
    assert app.text_input(key="names.pseudonym.Dennis").value == next_pseudonym(demo) != "Person V"
    app.button(key="names.dismiss").click().run()
    assert not app.exception
    assert demo.name_reviews()["Dennis"] == ("dismissed", None)
