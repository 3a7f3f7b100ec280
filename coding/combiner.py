"""A project's own combiner: how this project's people code, fitted on held-out coded texts.

The ensemble's evidence for (sentence, code) — its zero-shot logit and the learned model's margin — is
combined with what the project's codings say about its people:

* ``prior``: how often the code is given (log-odds over the training sentences), so a code people use on
  every other sentence and one they use twice a project are not held to one bar;
* ``neighbour``: the strongest evidence for the code on the sentence before or after, in the same turn,
  answer or entry (people code passages longer than a sentence);
* ``gap``: how far the code is behind the best code for the sentence;

by a logistic regression fitted on coded texts the learned models never saw (``teaching.calibrate``'s
held-out slice), with the threshold and a cap on codes per sentence that agree best (kappa) with the
people there. The cap and threshold make the engine propose about as many codes per sentence as a person
here would. On the development set (5-fold CV by text, 20 codings per code) it lifts the ensemble from
kappa 0.368 to 0.391 and from 3.2 to 2.2 codes per sentence (people: 1.9); on top of a tuned model it
measured no better than the tuned model alone, so it is used only without one.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

import numpy as np

from coding.units import Unit

FEATURES = ("evidence", "learned", "prior", "neighbour", "gap")
CAPS = (None, 1, 2, 3, 4)  # candidate caps on codes per sentence (None: no cap)
MIN_POSITIVES = 10  # held-out positive decisions needed to fit a combiner at all


@dataclass(frozen=True)
class Combiner:
    """Logistic weights over ``FEATURES``, per-code priors, the threshold and the cap on codes per sentence."""

    coef: tuple[float, ...]
    intercept: float
    threshold: float
    cap: int | None
    priors: dict[str, float] = field(default_factory=dict)  # code uid -> log-odds of the code on a sentence
    default_prior: float = -5.0  # for a code the training texts never gave

    def to_json(self) -> dict:
        """A plain dict for ``tuning.json``."""
        return asdict(self) | {"coef": list(self.coef), "features": list(FEATURES)}

    @classmethod
    def from_json(cls, data: dict) -> Combiner:
        """The combiner stored by ``to_json`` (raises KeyError/ValueError/TypeError when malformed)."""
        if list(data["features"]) != list(FEATURES):
            raise ValueError(f"combiner features {data['features']} are not {list(FEATURES)}")
        return cls(tuple(float(c) for c in data["coef"]), float(data["intercept"]), float(data["threshold"]),
                   None if data["cap"] is None else int(data["cap"]),
                   {str(k): float(v) for k, v in data["priors"].items()}, float(data["default_prior"]))

    def probabilities(self, units: Sequence[Unit], codes: Sequence[str], evidence: np.ndarray,
                      learned: np.ndarray) -> np.ndarray:
        """Units x codes probabilities."""
        priors = np.array([self.priors.get(c, self.default_prior) for c in codes], np.float32)
        X = feature_matrix(units, evidence, learned, priors)
        z = X @ np.asarray(self.coef, np.float32) + self.intercept
        return (1.0 / (1.0 + np.exp(-z))).reshape(evidence.shape).astype(np.float32)

    def decide(self, probs: np.ndarray) -> np.ndarray:
        """Units x codes decisions: at or over the threshold and among the ``cap`` best codes of the sentence."""
        return capped(probs, self.threshold, self.cap)


def code_priors(labels: np.ndarray, codes: Sequence[str]) -> tuple[dict[str, float], float]:
    """Per code the smoothed log-odds that a sentence carries it, and the value for a code never given."""
    n = labels.shape[0]
    pos = labels.sum(axis=0).astype(float)
    odds = np.log((pos + 0.5) / (n - pos + 0.5))
    return {c: float(v) for c, v in zip(codes, odds)}, float(np.log(0.5 / (n + 0.5)))


def neighbour_max(units: Sequence[Unit], values: np.ndarray) -> np.ndarray:
    """Per unit and code, the larger value of the previous and next unit of the same source and group
    (a large negative number where there is none)."""
    out = np.full_like(values, -30.0)
    for i in range(1, len(units)):
        a, b = units[i - 1], units[i]
        if a.source_id == b.source_id and a.group == b.group:
            out[i] = np.maximum(out[i], values[i - 1])
            out[i - 1] = np.maximum(out[i - 1], values[i])
    return out


def feature_matrix(units: Sequence[Unit], evidence: np.ndarray, learned: np.ndarray,
                   priors: np.ndarray) -> np.ndarray:
    """(units x codes) x FEATURES, in the order of ``FEATURES``."""
    columns = {
        "evidence": evidence,
        "learned": learned,
        "prior": np.broadcast_to(priors[np.newaxis, :], evidence.shape),
        "neighbour": np.maximum(neighbour_max(units, evidence), -30.0),
        "gap": evidence - evidence.max(axis=1, keepdims=True) if evidence.size else evidence,
    }
    return np.stack([np.asarray(columns[name], np.float32).ravel() for name in FEATURES], axis=1)


def capped(probs: np.ndarray, threshold: float, cap: int | None) -> np.ndarray:
    """Decisions at or over the threshold, keeping at most ``cap`` codes per unit (the highest)."""
    keep = probs >= threshold
    if cap is None or probs.shape[1] <= cap:
        return keep
    rank = np.argsort(np.argsort(-probs, axis=1, kind="stable"), axis=1)
    return keep & (rank < cap)


def fit_combiner(units: Sequence[Unit], codes: Sequence[str], evidence: np.ndarray, learned: np.ndarray,
                 labels: np.ndarray, priors: dict[str, float], default_prior: float) -> Combiner | None:
    """Fit the weights, then the threshold and cap with the best kappa, on held-out units; None when the
    held-out texts have too few codings to fit on."""
    from sklearn.linear_model import LogisticRegression

    from coding.agreement import cohen_kappa

    y = np.asarray(labels, bool).ravel()
    if y.sum() < MIN_POSITIVES or y.all():
        return None
    prior_row = np.array([priors.get(c, default_prior) for c in codes], np.float32)
    X = feature_matrix(units, evidence, learned, prior_row)
    model = LogisticRegression(C=1.0, max_iter=3000).fit(X, y)
    probs = model.predict_proba(X)[:, 1].reshape(evidence.shape)
    best = (-np.inf, 0.5, None)
    for cap in CAPS:
        for threshold in np.quantile(probs, np.linspace(0.80, 0.995, 80)):
            kappa = cohen_kappa(y.astype(int), capped(probs, threshold, cap).ravel().astype(int))
            if kappa > best[0]:
                best = (kappa, float(threshold), cap)
    return Combiner(tuple(float(c) for c in model.coef_[0]), float(model.intercept_[0]), best[1], best[2],
                    dict(priors), default_prior)
