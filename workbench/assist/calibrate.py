"""Calibration per project: fit the ensemble's combiner on this project's codings (``coding.combiner``).

Once people have coded enough (as many codings, in as many cases, as tuning needs), a fifth of the coded
cases is held out, learned models are fitted on the codings of the rest, and the combiner (each code's
prior, the neighbouring sentence, a cap on codes per sentence, the threshold) is fitted on the held-out
sentences. ``workbench suggest`` uses it when the project has no tuned model and the project setting
``suggest.calibrated`` is ``on``. It is opt-in because its probabilities are honest: on the demo project
only 14 sentence-code pairs reach the default minimum score of 0.5 (over 100 without it), while its own
kappa-best threshold is far lower. It is kept in the process by a fingerprint of the codings, the texts
and the codebook, so a second run refits only after they changed.
"""
from __future__ import annotations

import hashlib
import json
import threading

from coding.combiner import Combiner
from coding.crossval import holdout_split
from coding.teaching import calibrate

from workbench.assist.train import MIN_CODINGS, MIN_GROUPS, project_training_set
from workbench.store import Store
from workbench.store.cache import StoreEmbeddingCache

_CACHE: dict[str, Combiner | None] = {}
_LOCK = threading.Lock()


def project_calibration(store: Store, *, holdout: float = 0.2, seed: int = 0) -> Combiner | None:
    """The project's combiner, or None while it has too few codings (or held-out codings) to fit one."""
    devset, groups, _rejected, n_codings = project_training_set(store)
    if n_codings < MIN_CODINGS or len(set(groups)) < MIN_GROUPS:
        return None
    key = _fingerprint(devset, groups, holdout, seed)
    with _LOCK:
        if key in _CACHE:
            return _CACHE[key]
    train, held = holdout_split(list(range(len(devset.texts))), groups, holdout, seed)
    combiner = calibrate(devset, train, held, cache=StoreEmbeddingCache(store), seed=seed)
    with _LOCK:
        _CACHE[key] = combiner
    return combiner


def _fingerprint(devset, groups, holdout: float, seed: int) -> str:
    """SHA-256 of the codebook's code texts, the texts, the codings, the groups and the split."""
    digest = hashlib.sha256()
    codes = sorted((c.uid, c.name, c.definition, c.codable) for c in devset.codebook.codes)
    digest.update(json.dumps([codes, sorted(devset.spans), [repr(g) for g in groups], holdout, seed]).encode())
    for text in devset.texts:
        digest.update(hashlib.sha1(text.encode()).digest())
    return digest.hexdigest()
