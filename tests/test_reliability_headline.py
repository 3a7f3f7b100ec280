"""Reliability headline (issue 12 item 5): agreement on units someone coded leads, the all-units figure is
secondary, each with a one-line explanation; kappa is undefined (None), not 1.000, when chance agreement is 1."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from streamlit.testing.v1 import AppTest

from coding.agreement import cohen_kappa, kappa_from_confusion
from test_compare import SmallProject, build_small_project
from workbench.analysis.icr import ALL_UNITS_NOTE, CODED_UNITS_NOTE, coder_reliability, kappa_text
from workbench.analysis.reliability import CodedSpan, Unit, reliability
from workbench.cli import cli

PAGES = Path(__file__).resolve().parents[1] / "workbench" / "ui" / "pages"


@pytest.fixture
def small(tmp_path: Path) -> SmallProject:
    return build_small_project(tmp_path / "small.wbproj")


def test_kappa_is_undefined_when_chance_agreement_is_one() -> None:
    assert np.isnan(kappa_from_confusion(np.array([[0.0, 0.0], [0.0, 5.0]])))
    assert np.isnan(cohen_kappa(["x", "x"], ["x", "x"]))
    both = [CodedSpan(1, 0, 10, "c", "a"), CodedSpan(1, 0, 10, "c", "b")]
    row = reliability(both, ["a", "b"], [Unit(1, 0, 10)]).code("c")
    assert (row.percent_agreement, row.cohen_kappa) == (1.0, None)
    assert kappa_text(row.cohen_kappa, 2) == "undefined" and kappa_text(None, 3) == "–"
    assert kappa_text(0.6, 2) == "0.600"


def test_the_headline_counts_only_units_someone_coded(small: SmallProject) -> None:
    # Units someone coded: Bonding 2 (1 agreed), Bridging 2 (0), Wellbeing 2 (0), Housing 1 (1) -> 2 / 7.
    result = coder_reliability(small.store, ["amira", "tom"], "segment")
    assert result.coded.n_units == 7 and result.coded.percent_agreement == pytest.approx(2 / 7)
    assert result.overall.n_units == 32 and result.overall.percent_agreement == pytest.approx(27 / 32)


def test_cli_leads_with_the_coded_units_and_explains_both(small: SmallProject) -> None:
    result = CliRunner().invoke(cli, ["reliability", "--project", str(small.store.path), "--coder", "amira",
                                      "--coder", "tom"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    headline = next(i for i, line in enumerate(lines) if line.startswith("agreement where someone coded: 28.6%"))
    overall = next(i for i, line in enumerate(lines) if line.startswith("overall: 84.4% agreement"))
    assert headline < overall
    assert lines[headline + 1].strip() == CODED_UNITS_NOTE and lines[overall + 1].strip() == ALL_UNITS_NOTE


def test_cli_and_page_say_undefined_for_kappa(tmp_path: Path) -> None:
    project = build_small_project(tmp_path / "p.wbproj")
    store = project.store
    # ann and bob both code the whole of the one field note with Hope: every unit agrees, chance agreement is 1.
    notes = project.sources["notes.txt"]
    length = len(project.texts["notes.txt"])
    hope = store.add_code("Hope", "lead")
    store.add_coding(notes, 0, length, hope, "ann")
    store.add_coding(notes, 0, length, hope, "bob")
    result = CliRunner().invoke(cli, ["reliability", "--project", str(store.path), "--coder", "ann",
                                      "--coder", "bob"])
    assert result.exit_code == 0, result.output
    assert "kappa undefined" in result.output and "kappa 1.000" not in result.output
    app = AppTest.from_file(str(PAGES / "reliability.py"), default_timeout=60)
    app.session_state["project_path"] = str(store.path)
    app.session_state["coder"] = "ann"
    app.run()
    app.multiselect(key="reliability.coders").set_value(["ann", "bob"]).run()
    assert not app.exception
    metrics = {m.label: m.value for m in app.metric}
    assert metrics["Cohen's kappa"] == "undefined"
    assert app.dataframe[0].value.set_index("code").loc["Hope", "kappa"] == "undefined"


def test_page_leads_with_the_coded_units_and_explains_both(small: SmallProject) -> None:
    app = AppTest.from_file(str(PAGES / "reliability.py"), default_timeout=60)
    app.session_state["project_path"] = str(small.store.path)
    app.session_state["coder"] = "amira"
    app.run()
    assert not app.exception
    labels = [m.label for m in app.metric]
    assert labels[0] == "% agreement where someone coded" and app.metric[0].value == "28.6%"
    assert {m.label: m.value for m in app.metric}["% agreement"] == "84.4%"
    captions = " ".join(c.value for c in app.caption)
    assert CODED_UNITS_NOTE in captions and ALL_UNITS_NOTE in captions


def test_the_report_method_section_leads_with_agreement_where_someone_coded(small: SmallProject,
                                                                          tmp_path: Path) -> None:
    import docx

    from workbench.export.report import build_report

    build_report(small.store, tmp_path / "report.docx")
    text = "\n".join(p.text for p in docx.Document(str(tmp_path / "report.docx")).paragraphs)
    import re

    result = coder_reliability(small.store, ["amira", "tom"], "segment")
    sentence = next(line for line in text.splitlines() if "both coded" in line)
    found = re.search(r"agreed on ([\d.]+)% of the decisions where at least one of them applied the code;.*"
                      r"the figure is ([\d.]+)%", sentence)
    assert found, sentence
    assert float(found[1]) == pytest.approx(result.coded.percent_agreement * 100, abs=0.05)
    assert float(found[2]) == pytest.approx(result.overall.percent_agreement * 100, abs=0.05)
