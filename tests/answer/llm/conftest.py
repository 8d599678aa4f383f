"""Fixtures of the LLM answerer's tests: a SCRIPTED model server (real HTTP, OpenAI's wire format,
replies chosen by each test) and an assistant answering through it."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from assistant import Assistant, Settings
from assistant.web.app import create_app
from tests.answer.llm.replies import LLM_TIMEOUT, QUESTION
from tests.llm.scripted import ScriptedServer


@pytest.fixture(scope="module")
def answering(assistant: Assistant) -> set[str]:
    """The sentences the extractive decision cites for ``QUESTION``: what an answer must rest on."""
    return {c.text for c in assistant.ask(QUESTION).citations}


@pytest.fixture(scope="module")
def model_server() -> Iterator[ScriptedServer]:
    with ScriptedServer() as server:
        yield server


def scripted_assistant(
    assistant: Assistant, index_dir, embeddings, server: ScriptedServer, **more
) -> Assistant:
    """An assistant answering through the scripted server, opened; ``more`` settings on top."""
    settings = Settings(
        index_dir=index_dir,
        llm_base_url=server.base_url,
        llm_model="scripted",
        llm_timeout=LLM_TIMEOUT,
        llm_cool_down=0,
        **more,
    )
    ready = Assistant(settings, embeddings=embeddings, reranker=assistant.reranker)
    ready.open()
    return ready


@pytest.fixture(scope="module")
def llm_assistant(assistant: Assistant, index_dir, embeddings, model_server: ScriptedServer) -> Assistant:
    return scripted_assistant(assistant, index_dir, embeddings, model_server)


@pytest.fixture(scope="module")
def api(llm_assistant, serve) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=serve(create_app(llm_assistant, with_ui=False)), timeout=60) as client:
        yield client
