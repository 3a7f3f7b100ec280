"""Which suggestions to trust: each code's kappa and precision from the last evaluation, stored in the
project by `workbench evaluate` and by training's held-out check, and shown beside each code."""
from __future__ import annotations

import math
from pathlib import Path

from coding.evaluation import Scores
from helpers import write_coded_answers
from workbench.assist.evaluate import evaluate_suggester, import_devset
from workbench.assist.trust import NOT_MEASURED, code_trust, record_agreement, trust_text
from workbench.store import Store


def scores(kappa: float, precision: float, support: int = 4) -> Scores:
    return Scores(precision, 0.5, 0.5, kappa, kappa, support, 3, 40)


def test_agreement_is_stored_per_code_and_labelled(store: Store, tmp_path: Path) -> None:
    write_coded_answers(tmp_path / "answers", 3)
    import_devset(store, "amira", tmp_path / "answers")
    first, second, third = store.codes()[:3]
    assert code_trust(store) == {} and trust_text(code_trust(store), first.id) == NOT_MEASURED
    stored = record_agreement(store, {first.uid: scores(0.4219, 0.55), second.uid: scores(math.nan, math.nan, 0),
                                      "gone-uid": scores(0.9, 0.9)}, "a test")
    trust = code_trust(store)
    assert stored == 2 and set(trust) == {first.id, second.id}
    assert trust_text(trust, first.id) == "κ 0.42 · precision 0.55"
    assert trust_text(trust, second.id) == "κ – · precision –"  # undefined (nothing suggested) is a dash
    assert trust_text(trust, third.id) == NOT_MEASURED
    assert trust[first.id].measured_by == "a test" and trust[first.id].units == 40
    # a new measurement replaces the old one entirely
    record_agreement(store, {third.uid: scores(0.1, 0.2)}, "again")
    assert set(code_trust(store)) == {third.id}
    # a deleted code takes its agreement with it
    store.delete_code(third.id, "amira")
    assert code_trust(store) == {}


def test_evaluate_stores_the_suggesters_agreement_per_code(store: Store, tmp_path: Path) -> None:
    write_coded_answers(tmp_path / "answers", 10)
    import_devset(store, "amira", tmp_path / "answers")
    result = evaluate_suggester(store, "amira", "ensemble.v1", sizes=(5,))
    trust = code_trust(store)
    report = result.rows("ensemble.v1")[-1].report
    assert set(trust) == {c.id for c in store.codes() if c.codable}
    for code in store.codes():
        assert trust[code.id].kappa == report.per_code[code.uid].kappa or math.isnan(report.per_code[code.uid].kappa)
        assert "workbench evaluate (ensemble.v1 given 5 codings per code, against amira)" == trust[code.id].measured_by
