"""The chat page's behaviour as plain functions (no Gradio here), so it is testable without a browser.

Two lists travel between calls: ``messages`` is what the chat shows (escaped HTML, openai-style dicts)
and ``turns`` is what was really said (raw question, answer text, its citations) for follow-ups and
for highlighting the article.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from typing import Any

from pydantic import ValidationError

from assistant.answer.sources import answer_with_sources
from assistant.article import Article
from assistant.errors import AssistantError, InvalidQuestion
from assistant.pipeline import Assistant
from assistant.schema import Answer, Citation, Turn
from assistant.ui import html as chat_html
from assistant.web.deadline import ask_within_sync

Message = dict[str, Any]
Update = tuple[str, list[Message], list[Message], str]
"""(textbox value, chat messages, turns, article view HTML)."""

STREAM_CHUNKS = 12
STREAM_DELAY = 0.03


def _history(turns: list[Message]) -> list[Turn]:
    return [
        Turn(role=t["role"], content=t["content"]) for t in turns if t.get("content") and not t.get("failed")
    ]


def _earlier_citations(turns: list[Message], article: Article) -> list[Citation]:
    """Citations of earlier answers into this article (an index swap may have replaced the one they
    pointed into: their offsets would highlight the wrong text)."""
    return [
        Citation(**c) for t in turns if t.get("article") == article.sha256 for c in t.get("citations", [])
    ]


def stream_prefixes(answer_text: str, chunks: int = STREAM_CHUNKS) -> Iterator[str]:
    """Growing prefixes of the answer, cut at word boundaries, ending with the whole text."""
    words = answer_text.split(" ")
    step = max(1, len(words) // chunks)
    for end in range(step, len(words), step):
        yield " ".join(words[:end])
    yield answer_text


class ChatSession:
    """Answers one chat message at a time through ``Assistant.ask``; streams the answer in."""

    def __init__(self, assistant: Assistant, delay: float = STREAM_DELAY) -> None:
        self.assistant = assistant
        self.delay = delay

    def article_view(
        self,
        turns: Sequence[Message] = (),
        current: Sequence[Citation] = (),
        article: Article | None = None,
    ) -> str:
        """The article served now (or the one an answer came from), its cited spans highlighted."""
        article = article or self.assistant.article
        return chat_html.article_html(article, current, _earlier_citations(list(turns), article))

    def respond(self, question: str, messages: list[Message], turns: list[Message]) -> Iterator[Update]:
        """Show the question, then the answer growing word by word, then its sources and highlights."""
        messages, turns = list(messages or []), list(turns or [])
        if not (question or "").strip():
            yield "", messages, turns, self.article_view(turns)
            return
        messages.append({"role": "user", "content": chat_html.question_html(question)})
        try:
            answer, article = ask_within_sync(self.assistant, question, _history(turns))
        except AssistantError as error:
            messages.append({"role": "assistant", "content": chat_html.error_html(str(error))})
            turns.append({"role": "user", "content": question, "failed": True})
            yield "", messages, turns, self.article_view(turns)
            return
        earlier = turns
        turns = [*turns, {"role": "user", "content": question}]
        for prefix in stream_prefixes(answer.text):
            partial = {"role": "assistant", "content": chat_html.answer_html(answer, partial_text=prefix)}
            yield "", [*messages, partial], turns, self.article_view(earlier, article=article)
            time.sleep(self.delay)
        messages.append({"role": "assistant", "content": chat_html.answer_html(answer)})
        turns.append(_turn(answer, article))
        yield "", messages, turns, self.article_view(earlier, answer.citations, article)

    def retry(self, messages: list[Message], turns: list[Message]) -> Iterator[Update]:
        """Ask the last question again (after an error or to re-stream the answer)."""
        question, messages, turns = self._drop_last_exchange(messages, turns)
        yield from self.respond(question, messages, turns)

    def undo(self, messages: list[Message], turns: list[Message]) -> Update:
        """Remove the last exchange and put its question back into the textbox for editing."""
        question, messages, turns = self._drop_last_exchange(messages, turns)
        return question, messages, turns, self.article_view(turns)

    def clear(self) -> Update:
        return "", [], [], self.article_view()

    @staticmethod
    def _drop_last_exchange(
        messages: list[Message], turns: list[Message]
    ) -> tuple[str, list[Message], list[Message]]:
        messages, turns = list(messages or []), list(turns or [])
        last_user = max((i for i, m in enumerate(messages) if m["role"] == "user"), default=None)
        if last_user is None:
            return "", messages, turns
        messages = messages[:last_user]
        while turns and turns[-1]["role"] == "assistant":
            turns.pop()
        question = turns.pop()["content"] if turns else ""
        return question, messages, turns

    def answer_text(self, question: str, history: list[Message]) -> str:
        """One answer as plain text with sources: the chat page's API for ``gradio_client``.

        Its arguments come straight from any client, so their shape is checked here: bad input is an
        ``InvalidQuestion`` with a message, never a traceback.
        """
        if not isinstance(question, str):
            raise InvalidQuestion("the question must be text")
        answer, _ = ask_within_sync(self.assistant, question, _client_history(history))
        return answer_with_sources(answer)


def _client_history(history: object) -> list[Turn]:
    """A client's history as turns: a list of ``{"role": "user"|"assistant", "content": str}``."""
    if history is None:
        return []
    if not isinstance(history, list):
        raise InvalidQuestion("the history must be a list of {role, content} messages")
    try:
        return [Turn.model_validate(turn) for turn in history]
    except ValidationError:
        msg = 'each history message must be {"role": "user" or "assistant", "content": text}'
        raise InvalidQuestion(msg) from None


def _turn(answer: Answer, article: Article) -> Message:
    return {
        "role": "assistant",
        "content": answer.text,
        "citations": [c.model_dump() for c in answer.citations],
        "article": article.sha256,
    }
