"""A model's answer streams into the chat page, in Debian's chromium against the real app: the words
appear as the model writes them, then the checked answer replaces them (a sentence the guardrails
dropped disappears, the [n] become links). The model is the SCRIPTED server of tests/llm/scripted.py
(real HTTP, OpenAI's wire format, a word every ``PACE`` seconds), and it holds the end of the
stream until the test has seen the unfinished text, so nothing races on a slow machine."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from assistant import Assistant, Settings
from assistant.web.app import create_app
from tests.answer.llm.replies import QUESTION, restating
from tests.llm.scripted import ScriptedServer
from tests.ui.pages import DESKTOP, TIMEOUT, bots, complete, only_loopback, open_chat, shot

pytestmark = [pytest.mark.integration, pytest.mark.server, pytest.mark.browser]

PACE = 0.08
DROPPED = "It was a show of force [7]."


@pytest.fixture(scope="module")
def model_server() -> Iterator[ScriptedServer]:
    with ScriptedServer() as server:
        yield server


@pytest.fixture(scope="module")
def streaming_url(assistant: Assistant, index_dir, embeddings, model_server, serve) -> str:
    settings = Settings(index_dir=index_dir, llm_base_url=model_server.base_url, llm_model="scripted")
    llm_assistant = Assistant(settings, embeddings=embeddings, reranker=assistant.reranker)
    llm_assistant.open()
    return serve(create_app(llm_assistant, settings))


def test_the_models_words_stream_in_then_the_checked_answer_replaces_them(
    page: Page, assistant: Assistant, model_server: ScriptedServer, streaming_url: str
):
    answering = {c.text for c in assistant.ask(QUESTION).citations}
    page.set_viewport_size(DESKTOP)
    with only_loopback(page):
        open_chat(page, streaming_url)
        seen = threading.Event()
        reply = dataclasses.replace(restating(answering, extra=DROPPED), pace=PACE, hold=seen)
        model_server.script(reply)
        box = page.get_by_test_id("textbox")
        box.fill(QUESTION)
        box.press("Enter")
        writing = bots(page).nth(1).locator(".aa-streaming .aa-text")
        expect(writing).to_contain_text("According to", timeout=TIMEOUT)
        assert bots(page).nth(1).locator(".aa-copy").count() == 0  # still being written
        shot(page, "page-desktop-streaming")
        try:
            expect(writing).to_contain_text("show of force", timeout=TIMEOUT)
        finally:
            seen.set()
        answer = complete(page, 2)
    text = answer.locator(".aa-text").inner_text()
    assert text.startswith("According to") and "show of force" not in text
    assert answer.locator(".aa-text a.aa-cite").count() >= 1 and "[7]" not in text
