"""Which suggestions to trust: each code's kappa and precision from the last evaluation.

``workbench evaluate`` (a suggester against a reference coder) and training's held-out check
(``workbench train``) both replace the stored measurement; the Suggestions page shows it beside each code.
"""
from __future__ import annotations

import math
from collections.abc import Mapping

from coding.evaluation import Scores

from workbench.model import CodeAgreement
from workbench.store import Store, now

NOT_MEASURED = "not yet measured"


def record_agreement(store: Store, per_code: Mapping[str, Scores], measured_by: str) -> int:
    """Store per-code scores (code uid -> Scores) as the project's last measurement; returns codes stored."""
    ids = {c.uid: c.id for c in store.codes()}
    stamp = now()
    rows = [CodeAgreement(ids[uid], _defined(s.kappa), _defined(s.precision), s.support, s.n, measured_by, stamp)
            for uid, s in per_code.items() if uid in ids]
    store.set_code_agreement(rows)
    return len(rows)


def code_trust(store: Store) -> dict[int, CodeAgreement]:
    """Code id -> its agreement from the last evaluation (codes never measured are absent)."""
    return store.code_agreement()


def trust_text(trust: Mapping[int, CodeAgreement], code_id: int) -> str:
    """A short label for one code: ``kappa 0.42 · precision 0.55``, or "not yet measured"."""
    agreement = trust.get(code_id)
    if agreement is None:
        return NOT_MEASURED
    kappa = "–" if agreement.kappa is None else f"{agreement.kappa:.2f}"
    precision = "–" if agreement.precision is None else f"{agreement.precision:.2f}"
    return f"κ {kappa} · precision {precision}"


def _defined(x: float) -> float | None:
    return None if x is None or math.isnan(x) else float(x)
