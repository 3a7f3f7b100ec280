"""What the tuned ensemble's scores can still give: post-hoc levers on the tuned models of a 5-fold CV.

    python bench/tuned_levers.py --models DIR [--folds 5] [--seed 0]

Uses the folds, held-out slices and tuned models of ``bench/devset_eval.py --cv 5 --models DIR`` (the same
fingerprints, so the models are reused; a missing one is tuned, which takes 5-50 minutes per fold on this
machine). In each fold every lever's parameter and threshold are fitted on the held-out fifth of the
training texts (the slice ``coding.teaching.teach`` checks the model on; its learned models fitted on the
rest) and scored on the test texts; printed: kappa mean ± sd over folds, F1, codes per sentence, and the
parameter chosen per fold. The last line is a ceiling, not a result: the base rule with its threshold
chosen on the test texts themselves. Levers:

* ``base``: the product's rule (the ensemble's logit with the tuned model, best-F1 threshold);
* ``per-code``: a threshold per code, shrunk toward the global one by n / (n + 8) (n: the code's held-out
  positives);
* ``cap``: at most 2 or 3 codes per sentence;
* ``zero-shot``, ``base margin``, ``prior``: the base model's zero-shot logit, the base model's learned
  margin, the code's log-odds on the training sentences, added with a weight;
* ``context``: the tuned logit of the sentence mixed with that of the sentence and its neighbours in the
  same answer (``window``: their text encoded; ``mean``: their vectors averaged, no extra encoding);
* ``combiner``: a logistic regression over tuned logit, tuned margin, zero-shot logit and base margin.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import numpy as np  # noqa: E402

from coding.agreement import cohen_kappa  # noqa: E402
from coding.combiner import code_priors  # noqa: E402
from coding.crossval import group_folds, holdout_split  # noqa: E402
from coding.devset import DEVSET_DIR, load_devset  # noqa: E402
from coding.embedding import DEFAULT_MODEL, DictCache, Embedder, default_model_path  # noqa: E402
from coding.evaluation import devset_examples, score_decisions, text_units, unit_decisions  # noqa: E402
from coding.suggesters.ensemble import DEFAULT_WEIGHTS as W  # noqa: E402
from coding.suggesters.ensemble import EnsembleSuggester, zero_shot_logit  # noqa: E402
from coding.suggesters.learned import best_f1_threshold  # noqa: E402
from coding.teaching import code_texts, training_passages  # noqa: E402
from coding.tuning import TuningParams, code_text, tune  # noqa: E402

K = 20  # codings per code, as the README's tuned row


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def kappa(y: np.ndarray, d: np.ndarray) -> float:
    return cohen_kappa(y.ravel().astype(int), d.ravel().astype(int))


def windows(units) -> list[str]:
    """Each sentence with the previous and next one of the same answer."""
    out = []
    for i, u in enumerate(units):
        parts = [u.text]
        if i and (units[i - 1].source_id, units[i - 1].group) == (u.source_id, u.group):
            parts.insert(0, units[i - 1].text)
        if i + 1 < len(units) and (units[i + 1].source_id, units[i + 1].group) == (u.source_id, u.group):
            parts.append(units[i + 1].text)
        out.append(" ".join(parts))
    return out


def mean_context(units, vectors: np.ndarray) -> np.ndarray:
    """Unit vectors of each sentence's vector plus its neighbours' in the same answer."""
    out = vectors.copy()
    for i in range(1, len(units)):
        if (units[i - 1].source_id, units[i - 1].group) == (units[i].source_id, units[i].group):
            out[i] += vectors[i - 1]
            out[i - 1] += vectors[i]
    return out / np.linalg.norm(out, axis=1, keepdims=True)


def features(devset, model, cache, uids, fit_texts, eval_texts) -> dict:
    """Everything the levers use on ``eval_texts``, learned models and priors from ``fit_texts``."""
    units = text_units(devset.texts, eval_texts)
    labels = unit_decisions([s for s in devset.spans if s[0] in set(eval_texts)], units, uids)
    examples = devset_examples(devset, fit_texts, K, 0)
    embedder = Embedder(model_name=model.id, model_path=str(model.path), cache=cache)
    tuned = EnsembleSuggester(embedder=embedder, tuned=model).fit(devset.codebook, examples)
    batch = tuned.prepare(units)
    ft = tuned.features(batch, uids)
    base = EnsembleSuggester(embedder=Embedder(cache=cache)).fit(devset.codebook, examples)
    fb = base.features(base.prepare(units), uids)
    codes = embedder.encode([code_text(c.name, c.definition) for c in devset.codebook.codes if c.codable])
    seen = text_units(devset.texts, fit_texts)
    priors, _ = code_priors(unit_decisions([s for s in devset.spans if s[0] in set(fit_texts)], seen, uids), uids)
    prior = np.array([priors[c] for c in uids], np.float32)
    return {"units": units, "y": labels, "tuned": ft.tuned, "margin": ft.learned, "has": ft.has_learned,
            "zs": zero_shot_logit(fb, W), "bmargin": fb.learned, "prior": prior - prior.mean(),
            "window": model.logits(embedder.encode(windows(units)), codes),
            "mean": model.logits(mean_context(units, batch.embeddings), codes)}


def logit(F: dict, tuned: np.ndarray | None = None) -> np.ndarray:
    """The product's ensemble logit with the tuned model (``tuned``: another tuned logit in its place)."""
    t = F["tuned"] if tuned is None else tuned
    return np.where(F["has"][np.newaxis, :], W.learned_zero_shot * t + W.learned * F["margin"] + W.learned_bias, t)


def best_f1(H: dict, z: np.ndarray) -> float:
    return best_f1_threshold(H["y"].ravel(), sigmoid(z).ravel())


def weighted(make):
    """A lever with one weight: weight and best-F1 threshold chosen by held-out kappa."""
    def fit(H, T):
        best = (-np.inf, 0.0, 0.5)
        for a in np.linspace(0.0, 1.0, 11):
            z = make(H, a)
            t = best_f1(H, z)
            k = kappa(H["y"], sigmoid(z) >= t)
            if k > best[0] + 1e-9:
                best = (k, a, t)
        return sigmoid(make(T, best[1])) >= best[2], round(float(best[1]), 1)
    return fit


def base(H, T):
    return sigmoid(logit(T)) >= best_f1(H, logit(H)), None


def per_code(H, T):
    zh, zt, y = logit(H), logit(T), H["y"]
    g = float(np.log(best_f1(H, zh) / (1 - best_f1(H, zh))))
    offsets = np.zeros(zh.shape[1])
    for j in range(zh.shape[1]):
        n = int(y[:, j].sum())
        if n < 2:
            continue
        cands = g + np.linspace(-3, 3, 25)
        f1 = [2 * (y[:, j] & (zh[:, j] >= c)).sum() / (n + (zh[:, j] >= c).sum()) for c in cands]
        offsets[j] = n / (n + 8) * (cands[int(np.argmax(f1))] - g)
    return zt >= g + offsets[np.newaxis, :], None


def capped(z: np.ndarray, t: float, cap: int) -> np.ndarray:
    rank = np.argsort(np.argsort(-z, axis=1, kind="stable"), axis=1)
    return (z >= t) & (rank < cap)


def cap(H, T):
    zh, best = logit(H), (-np.inf, 0.0, 3)
    for c in (2, 3):
        for t in np.quantile(zh, np.linspace(0.9, 0.995, 120)):
            k = kappa(H["y"], capped(zh, t, c))
            if k > best[0]:
                best = (k, t, c)
    return capped(logit(T), best[1], best[2]), best[2]


def combiner(H, T):
    from sklearn.linear_model import LogisticRegression

    def X(F):
        return np.stack([F[k].ravel() for k in ("tuned", "margin", "zs", "bmargin")], axis=1)
    model = LogisticRegression(C=1.0, max_iter=3000).fit(X(H), H["y"].ravel())
    t = best_f1_threshold(H["y"].ravel(), model.predict_proba(X(H))[:, 1])
    return (model.predict_proba(X(T))[:, 1] >= t).reshape(T["y"].shape), None


LEVERS = {
    "base": base,
    "per-code": per_code,
    "cap": cap,
    "zero-shot": weighted(lambda F, a: logit(F) + a * F["zs"]),
    "base margin": weighted(lambda F, a: logit(F) + a * F["bmargin"]),
    "prior": weighted(lambda F, a: logit(F) + a * F["prior"][np.newaxis, :]),
    "context window": weighted(lambda F, a: logit(F, (1 - a) * F["tuned"] + a * F["window"])),
    "context mean": weighted(lambda F, a: logit(F, (1 - a) * F["tuned"] + a * F["mean"])),
    "combiner": combiner,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", required=True, metavar="DIR", help="the tuned models of devset_eval --cv")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if not DEVSET_DIR.is_dir():
        print(f"development set not found at {DEVSET_DIR}")
        return 1
    devset = load_devset()
    n, cache = len(devset.texts), DictCache()
    uids = [c.uid for c in devset.codebook.codes if c.codable]
    split = group_folds(list(range(n)), args.folds, args.seed)
    results: dict[str, list[tuple[float, float, float, object]]] = {name: [] for name in LEVERS}
    ceiling = []
    for f, test in enumerate(split):
        train = sorted(i for g in split[:f] + split[f + 1:] for i in g)
        inner, holdout = holdout_split(train, list(range(n)), 0.2, args.seed)
        model = tune(default_model_path(), code_texts(devset.codebook),
                     training_passages(devset, inner, K, args.seed), args.models,
                     TuningParams(seed=args.seed), base_id=DEFAULT_MODEL)
        H = features(devset, model, cache, uids, inner, holdout)
        T = features(devset, model, cache, uids, train, test)
        for name, lever in LEVERS.items():
            decided, chosen = lever(H, T)
            s = score_decisions(T["y"], decided)
            results[name].append((s.kappa, s.f1, decided.sum() / decided.shape[0], chosen))
        zt = logit(T)
        ceiling.append(max(kappa(T["y"], zt >= q) for q in np.quantile(zt, np.linspace(0.9, 0.995, 200))))
        print(f"fold {f + 1}/{len(split)} done", flush=True)
    print(f"\n{len(split)}-fold CV by text, k = {K}, tuned models from {args.models}; fitted on each fold's "
          "held-out slice, scored on its test texts")
    print(f"{'lever':<15} {'kappa':>13} {'F1':>6} {'sugg/unit':>9}  chosen per fold")
    for name, rows in results.items():
        k = np.array([r[0] for r in rows])
        print(f"{name:<15} {k.mean():.3f}±{k.std(ddof=1) if len(k) > 1 else 0:.3f} "
              f"{np.mean([r[1] for r in rows]):>6.3f} {np.mean([r[2] for r in rows]):>9.2f}  "
              f"{[r[3] for r in rows] if rows[0][3] is not None else ''}")
    c = np.array(ceiling)
    print(f"{'(ceiling)':<15} {c.mean():.3f}±{c.std(ddof=1) if len(c) > 1 else 0:.3f}   base rule, threshold chosen "
          "on the test texts themselves")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
