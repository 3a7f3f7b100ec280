"""Fine-tuning the embedding model (coding/tuning.py): tiny data, a few steps, the real base model."""
from __future__ import annotations

import os
import subprocess
import sys
import threading
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from coding.embedding import EXPORT_FILE, default_model_path, export_path, load_model_copy
from coding.onnx_encoder import OnnxEncoder
from coding.tuning import (
    META_FILE,
    Passage,
    TuningCancelled,
    TuningError,
    TuningParams,
    code_text,
    fingerprint,
    load_tuned,
    tune,
)

CODES = {"A": code_text("Weather", "Talk about rain, wind and storms."),
         "B": code_text("Food", "Talk about cooking and eating meals."),
         "C": code_text("Work", "Talk about jobs, shifts and pay.")}
PASSAGES = [
    Passage("The storm flooded the road again last night.", frozenset({"A"})),
    Passage("We cooked a big pot of soup for everyone.", frozenset({"B"})),
    Passage("My shift at the warehouse ends at six.", frozenset({"C"})),
    Passage("It rained all week and the wind took the fence.", frozenset({"A"}), frozenset({"C"})),
    Passage("Dinner was rice and beans again.", frozenset({"B"})),
    Passage("They cut our hours and the pay is worse.", frozenset({"C"})),
    Passage("I walked to the library."),  # background: no code
]
TINY = TuningParams(epochs=2, batch_size=4, learning_rate=5e-4, head_learning_rate=0.1)


def _code_scores(path: Path) -> np.ndarray:
    """Cosine similarities of the passages with the code texts under the model in ``path``."""
    model = load_model_copy(str(path))
    p = model.encode([x.text for x in PASSAGES], normalize_embeddings=True)
    c = model.encode(list(CODES.values()), normalize_embeddings=True)
    return p @ c.T


def test_fingerprint_names_the_data_and_parameters() -> None:
    base = fingerprint("all-MiniLM-L6-v2", CODES, PASSAGES, TINY)
    assert base.startswith("tuned-") and len(base) == len("tuned-") + 16
    assert fingerprint("all-MiniLM-L6-v2", CODES, list(reversed(PASSAGES)), TINY) == base  # order does not matter
    assert fingerprint("all-MiniLM-L6-v2", CODES, PASSAGES[:-1], TINY) != base
    assert fingerprint("all-MiniLM-L6-v2", {**CODES, "A": "Weather"}, PASSAGES, TINY) != base
    assert fingerprint("all-MiniLM-L6-v2", CODES, PASSAGES, replace(TINY, epochs=3)) != base
    assert fingerprint("tuned-0123456789abcdef", CODES, PASSAGES, TINY) != base  # a warm start is another model


def test_the_pair_loss_pulls_passages_that_share_a_code_together_and_pushes_the_others_apart() -> None:
    import torch

    from coding.tuning import _pair_loss

    labels = torch.tensor([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.0, 0.0], [0.0, 0.0]])
    same = torch.nn.functional.normalize(torch.tensor([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.6, 0.8], [0.6, 0.8]]),
                                         dim=1)
    assert float(_pair_loss(same, labels)) == pytest.approx((4 * 0.6**2 + 2 * 0.8**2) * 2 / 18)  # only the
    # coded-with-background pairs miss their target of 0; two background passages are not a pair
    apart = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0], [0.0, 1.0], [0.0, 1.0]])  # code 0's two orthogonal
    assert float(_pair_loss(apart, labels)) > float(_pair_loss(same, labels))
    assert float(_pair_loss(same, torch.zeros(5, 2))) == 0.0


def test_a_parameter_at_its_neutral_value_keeps_the_fingerprint_models_had_before_it_existed() -> None:
    import hashlib
    import json
    from dataclasses import asdict

    from coding.tuning import FORMAT

    old = replace(TINY, pair_weight=0.0)
    digest = hashlib.sha256()  # the fingerprint as written before pair_weight existed
    params = {k: v for k, v in asdict(old).items() if k != "pair_weight"}
    digest.update(json.dumps({"format": FORMAT, "base": "m", "codes": sorted(CODES.items()), "params": params},
                             sort_keys=True).encode())
    for p in sorted(PASSAGES, key=lambda p: (p.text, sorted(p.positives), sorted(p.rejected))):
        digest.update(json.dumps([p.text, sorted(p.positives), sorted(p.rejected)]).encode())
    assert fingerprint("m", CODES, PASSAGES, old) == "tuned-" + digest.hexdigest()[:16]
    assert fingerprint("m", CODES, PASSAGES, TINY) != fingerprint("m", CODES, PASSAGES, old)


def test_tuned_model_is_saved_under_its_fingerprint_loads_and_changes_scores(tmp_path: Path) -> None:
    steps: list[tuple[int, int]] = []
    model = tune(default_model_path(), CODES, PASSAGES, tmp_path, TINY,
                 on_progress=lambda done, total, loss: steps.append((done, total)))
    assert model.id == fingerprint("all-MiniLM-L6-v2", CODES, PASSAGES, TINY)
    assert model.path == tmp_path / model.id and (model.path / META_FILE).is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == [model.id]  # no partial folder left behind
    assert steps[-1] == (4, 4) and [d for d, _ in steps] == [1, 2, 3, 4]
    assert load_tuned(model.path) == model
    before, after = _code_scores(Path(default_model_path())), _code_scores(model.path)
    assert not np.allclose(before, after, atol=1e-3)
    # saved with its ONNX export, which gives the tuned weights' vectors (suggestions encode with it, no torch)
    texts = [x.text for x in PASSAGES]
    onnx = OnnxEncoder(model.path / EXPORT_FILE).encode(texts)
    torch = load_model_copy(str(model.path)).encode(texts, normalize_embeddings=True)
    assert (onnx * torch).sum(axis=1).min() >= 0.9999
    assert export_path(model.id, str(model.path)) == model.path / EXPORT_FILE
    assert model.base == "all-MiniLM-L6-v2" and model.passages == len(PASSAGES) and model.codes == 3
    # the same data again: the folder is reused, nothing is retrained
    again = tune(default_model_path(), CODES, PASSAGES, tmp_path, TINY,
                 on_progress=lambda *a: pytest.fail("retrained a model that exists"))
    assert again == model
    # a warm start from the tuned model is a new model whose base is the tuned one
    warm = tune(model.path, CODES, PASSAGES, tmp_path, replace(TINY, epochs=1))
    assert warm.base == model.id and warm.id != model.id


def test_cancel_keeps_a_checkpoint_and_the_next_run_resumes(tmp_path: Path) -> None:
    cancel = threading.Event()
    seen: list[int] = []

    def stop_in_second_epoch(done: int, total: int, loss: float) -> None:
        seen.append(done)
        if done == 3:
            cancel.set()

    with pytest.raises(TuningCancelled, match="1 of 2 epochs"):
        tune(default_model_path(), CODES, PASSAGES, tmp_path, TINY, on_progress=stop_in_second_epoch, cancel=cancel)
    fp = fingerprint("all-MiniLM-L6-v2", CODES, PASSAGES, TINY)
    assert not (tmp_path / fp).exists()  # the model folder appears complete or not at all
    assert (tmp_path / f".{fp}.partial" / "checkpoint" / "state.json").is_file()
    resumed: list[int] = []
    model = tune(default_model_path(), CODES, PASSAGES, tmp_path, TINY,
                 on_progress=lambda done, total, loss: resumed.append(done))
    assert resumed == [3, 4]  # only the second epoch is trained again
    assert model.path == tmp_path / fp and not (tmp_path / f".{fp}.partial").exists()


KILLER = """
import os, signal, sys
from coding.embedding import default_model_path
from coding.tuning import tune
sys.path.insert(0, {tests!r})
from test_tuning import CODES, PASSAGES, TINY
def die(done, total, loss):
    if done == 3:
        os.kill(os.getpid(), signal.SIGKILL)
tune(default_model_path(), CODES, PASSAGES, {out!r}, TINY, on_progress=die)
"""


def test_a_kill_during_training_leaves_no_model_and_the_next_run_finishes_it(tmp_path: Path) -> None:
    out = tmp_path / "models"
    code = KILLER.format(tests=str(Path(__file__).parent), out=str(out))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(Path(__file__).parents[1]), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == -9, done.stderr
    fp = fingerprint("all-MiniLM-L6-v2", CODES, PASSAGES, TINY)
    assert [p.name for p in out.iterdir()] == [f".{fp}.partial"]
    model = tune(default_model_path(), CODES, PASSAGES, out, TINY)
    assert [p.name for p in out.iterdir()] == [fp] and load_tuned(model.path).id == fp


def test_bad_input_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(TuningError, match="no coded passages"):
        tune(default_model_path(), CODES, [Passage("nothing coded here")], tmp_path, TINY)
    with pytest.raises(TuningError, match="no codes"):
        tune(default_model_path(), {}, PASSAGES, tmp_path, TINY)
    not_a_folder = tmp_path / "project.wbproj"  # e.g. a read-only or full disk: the folder cannot be made
    not_a_folder.write_text("")
    with pytest.raises(TuningError, match="cannot write the tuned model in .*project.wbproj"):
        tune(default_model_path(), CODES, PASSAGES, not_a_folder / "models", TINY)
    with pytest.raises(TuningError, match="not a tuned model folder"):
        load_tuned(tmp_path)
