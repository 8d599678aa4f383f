"""A hostile article (and a hostile question) in the real browser: every payload shows as text, none runs."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from assistant import Assistant, Settings
from assistant.web.app import create_app
from tests.ui.pages import TIMEOUT, ask, open_chat

pytestmark = [pytest.mark.integration, pytest.mark.server, pytest.mark.browser]

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

HOSTILE_ARTICLE = """\
Reactor News <script>window.pwned = "title"</script> Special

By Mallory <img src="/pwned-byline" onerror="window.pwned = 'byline'">

Global Research, June 21, 2017

The new reactor near the lake was finished in 1999 <script>window.pwned = "body"</script> after long delays.

Engineers said the reactor cost <img src="/pwned-img" onerror="window.pwned = 'img'">
four billion dollars in total.

Readers can <a href="javascript:window.pwned='link'">click here</a>
or [see more](javascript:window.pwned='md') to learn why the reactor was built.

<iframe src="javascript:window.parent.pwned='iframe'"></iframe>
The lake supplies the cooling water for the reactor.
"""


@pytest.fixture(scope="module")
def hostile_url(tmp_path_factory, embeddings, serve, reranker) -> str:
    folder = tmp_path_factory.mktemp("hostile")
    article = folder / "hostile.txt"
    article.write_text(HOSTILE_ARTICLE)
    hostile = Assistant(
        Settings(article_path=article, index_dir=folder / "index"), embeddings=embeddings, reranker=reranker
    )
    hostile.open()
    return serve(create_app(hostile))


def test_hostile_article_and_question_run_nothing(page: Page, hostile_url):
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    open_chat(page, hostile_url)  # the overview first: a question asked before it would race it
    expect(page.locator(".aa-header h1")).to_contain_text('<script>window.pwned = "title"</script>')
    expect(page.locator("#aa-article")).to_contain_text("onerror=\"window.pwned = 'img'\"")

    questions = (
        "What did the reactor cost?",
        "When was the reactor finished?",
        "Why was the reactor built?",
        "<img src=/pwned-question onerror=\"window.pwned='question'\"> what cools the reactor?",
    )
    for question in questions:
        expect(ask(page, question).locator(".aa-sources")).to_be_visible(timeout=TIMEOUT)
    expect(page.get_by_test_id("user").last).to_contain_text("<img src=/pwned-question")
    chat = page.locator("#aa-chat")
    expect(chat).to_contain_text('<img src="/pwned-img"')
    for link in page.locator("#aa-chat a, #aa-article a").all():
        href = link.get_attribute("href") or ""
        assert not href.lower().startswith("javascript:"), href
        if href.startswith("#aa-span-"):
            link.click()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "hostile-article.png"))

    assert page.evaluate("window.pwned") is None
    assert dialogs == []
    assert page.locator("#aa-chat img, #aa-article img, #aa-article script, #aa-article iframe").count() == 0
    assert not [u for u in requested if "pwned" in u]
