"""The chat page's behaviour as plain functions (no Gradio here), so it is testable without a browser.

Two lists travel between calls, both kept server-side: ``messages`` is what the chat shows (escaped
HTML, openai-style dicts, suggested questions as ``options``) and ``turns`` is what was really said
(raw question, answer text, its citations, which message shows it) for follow-ups, for highlighting the
article and for the feedback on one answer. The chat opens on the article's overview: an assistant
turn the next questions can follow up on, but not a question (undo and clear stop at it). Both are
bounded (``assistant.ui.bounds``): a refused over-long question is kept as an excerpt, and the oldest
exchanges leave a conversation that grows past its bounds.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator, Sequence
from typing import Any, Literal, TypedDict

from pydantic import ValidationError

from assistant.answer.sources import answer_with_sources
from assistant.article import Article
from assistant.cancellation import Cancel
from assistant.delivery.deadline import ask_within_sync, stream_within_sync
from assistant.delivery.streaming import stream_prefixes
from assistant.errors import AssistantError, InvalidQuestion, public_message
from assistant.feedback import Feedback
from assistant.pipeline import Answered, Assistant
from assistant.schema import Answer, Citation, Turn
from assistant.suggestions import OVERVIEW_QUESTION, Suggestions
from assistant.ui import html as chat_html
from assistant.ui.bounds import ChatBounds, bounded, excerpt, restorable

Message = dict[str, Any]


class Rating(TypedDict):
    """A reader's stored 👍/👎, kept server-side until the note: the note is attached to row ``row``."""

    index: object
    rating: Literal["up", "down"]
    row: int


Update = tuple[str, list[Message], list[Message], str]
"""(textbox value, chat messages, turns, article view HTML)."""

STREAM_DELAY = 0.03
STARTERS = 4
FOLLOW_UPS = 3

logger = logging.getLogger(__name__)


def _history(turns: Sequence[Message]) -> list[Turn]:
    return [
        Turn(role=t["role"], content=t["content"]) for t in turns if t.get("content") and not t.get("failed")
    ]


def _earlier_citations(turns: list[Message], article: Article) -> list[Citation]:
    """Citations of earlier answers into this article (an index swap may have replaced the one they
    pointed into: their offsets would highlight the wrong text)."""
    return [
        Citation(**c) for t in turns if t.get("article") == article.sha256 for c in t.get("citations", [])
    ]


class ChatSession:
    """Answers one chat message at a time through ``Assistant.ask``; streams the answer in, then offers
    follow-up questions under it."""

    def __init__(
        self, assistant: Assistant, suggestions: Suggestions | None = None, delay: float = STREAM_DELAY
    ) -> None:
        self.assistant = assistant
        self.suggestions = suggestions or Suggestions(assistant)
        self.delay = delay
        self.bounds = ChatBounds.of(assistant.settings)

    def article_view(
        self,
        turns: Sequence[Message] = (),
        current: Sequence[Citation] = (),
        article: Article | None = None,
    ) -> str:
        """The article served now (or the one an answer came from), its cited spans highlighted."""
        article = article or self.assistant.article
        return chat_html.article_html(article, current, _earlier_citations(list(turns), article))

    def start(self) -> Update:
        """A new conversation: the article's cited overview, the starter questions under it."""
        try:
            answer = self.suggestions.opening()
        except AssistantError as error:
            logger.warning("the chat opened without its overview: %s", error)
            return "", [], [], self.article_view()
        article = self.assistant.article
        content = chat_html.answer_html(answer, kind="aa-answer aa-overview")
        messages = [{"role": "assistant", "content": content}]
        turns = [{**_turn(answer, article, message=0), "opening": True}]
        messages = self._offer(messages, turns)
        return "", messages, turns, self.article_view((), answer.citations, article)

    def respond(self, question: str, messages: list[Message], turns: list[Message]) -> Iterator[Update]:
        """Show the question, then the answer growing word by word, then its sources, highlights and
        the follow-ups it suggests."""
        yield from self._respond(question, messages, turns, stream=True)

    def _respond(
        self,
        question: str,
        messages: list[Message],
        turns: list[Message],
        *,
        stream: bool,
        within: Cancel | None = None,
    ) -> Iterator[Update]:
        """``respond``; ``within``: the deadline this answer shares with others (a replay's)."""
        messages, turns = _without_options(messages), list(turns or [])
        if not (question or "").strip():
            yield "", self._offer(messages, turns), turns, self.article_view(turns, _current(turns))
            return
        kept = self._kept(question)
        messages.append({"role": "user", "content": chat_html.question_html(kept)})
        earlier = turns
        turns = [*turns, {"role": "user", "content": kept}]
        answered: Answered | None = None
        written = False  # a model wrote the answer before our eyes: no need to replay it
        try:
            for event in stream_within_sync(
                self.assistant, question, _history(earlier), extractive=not stream, within=within
            ):
                if isinstance(event, Answered):
                    answered = event
                elif stream:
                    written = True
                    partial = {"role": "assistant", "content": chat_html.partial_html(event.text)}
                    yield "", [*messages, partial], turns, self.article_view(earlier)
        except AssistantError as error:
            messages.append({"role": "assistant", "content": chat_html.error_html(public_message(error))})
            failed = [*earlier, {"role": "user", "content": kept, "failed": True}]
            messages, failed = bounded(messages, failed, self.bounds)
            yield "", messages, failed, self.article_view(failed)
            return
        assert answered is not None  # the stream ends with its answer
        answer, article = answered.answer, answered.article
        for prefix in stream_prefixes(answer.text) if stream and not written else ():
            partial = {"role": "assistant", "content": chat_html.answer_html(answer, partial_text=prefix)}
            yield "", [*messages, partial], turns, self.article_view(earlier, article=article)
            time.sleep(self.delay)
        turns.append(_turn(answer, article, message=len(messages)))
        messages.append({"role": "assistant", "content": chat_html.answer_html(answer)})
        messages, turns = bounded(messages, turns, self.bounds)
        shown = self.article_view(turns[:-1], answer.citations, article)  # earlier answers' citations
        yield "", self._offer(messages, turns), turns, shown

    def _kept(self, question: str) -> str:
        """What the conversation keeps of a question: all of it, or an excerpt of one it refuses."""
        try:
            self.assistant.validate(question)
        except InvalidQuestion:
            return excerpt(question)
        return question

    def replay(self, questions: object) -> Update:
        """The conversation of a reloaded tab, rebuilt from its questions alone by the extractive
        answerer (deterministic, milliseconds: a model would take seconds for each): the browser
        keeps only their text, the server never trusts shown HTML.

        ``questions`` comes from the client: anything but a JSON list of question strings starts a
        fresh conversation; only its newest questions within ``ASSISTANT_CHAT_MAX_QUESTIONS`` and
        ``ASSISTANT_CHAT_RESTORE_CHARS`` are replayed, all within ``ASSISTANT_CHAT_RESTORE_SECONDS``:
        past it, the replay stops and says how far it got."""
        textbox, messages, turns, article = self.start()
        replayed = restorable(questions, self.bounds)
        seconds = self.assistant.settings.chat_restore_seconds
        within = Cancel(seconds, "restoring the conversation")
        restored = 0
        for question in replayed:
            if within.stopped:
                break
            *_, update = self._respond(question, messages, turns, stream=False, within=within)
            if within.stopped and update[2] and update[2][-1].get("failed"):
                break  # cut by the deadline: left out with the rest
            textbox, messages, turns, article = update
            restored += 1
        if restored < len(replayed):
            logger.warning("a reloaded tab's replay stopped at its deadline after %d questions", restored)
            note = (
                f"Only {restored} of the {len(replayed)} questions of this conversation were restored: "
                f"restoring took longer than {seconds:g} s. Ask the others again if you need them."
            )
            messages = [*messages, {"role": "assistant", "content": chat_html.error_html(note)}]
        return textbox, messages, turns, article

    def undo(self, messages: list[Message], turns: list[Message]) -> Update:
        """Remove the last exchange and put its question back into the textbox for editing."""
        question, messages, turns = self._drop_last_exchange(messages, turns)
        messages = self._offer(messages, turns)
        return question, messages, turns, self.article_view(turns, _current(turns))

    def clear(self) -> Update:
        """Back to the overview: a conversation starts there."""
        return self.start()

    def rated(self, turns: Sequence[Message], index: object) -> tuple[str, Answer] | None:
        """The question and the answer shown as message ``index``, from the server's own record
        (a client names only which message it rates), or None when that message is no answer."""
        if not isinstance(index, int) or isinstance(index, bool):
            return None
        for position, turn in enumerate(turns):
            if turn["role"] == "assistant" and turn.get("message") == index:
                before = turns[position - 1] if position else None
                question = before["content"] if before and before["role"] == "user" else ""
                question = OVERVIEW_QUESTION if turn.get("opening") else question
                return question, _answer(turn)
        return None

    def feedback(
        self, turns: Sequence[Message], index: object, rating: Literal["up", "down"], note: str = ""
    ) -> Feedback | None:
        """A rating of message ``index`` with what the server itself showed there, or None when that
        message is no answer (an error, a question)."""
        rated = self.rated(turns, index)
        if rated is None:
            return None
        question, answer = rated
        return Feedback(
            rating=rating,
            note=note,
            question=question,
            answer=answer.text,
            citations=answer.citations,
            surface="chat",
        )

    def _offer(self, messages: list[Message], turns: Sequence[Message]) -> list[Message]:
        """Suggested questions under the last message when it is an answer: the starters under the
        overview, follow-ups under any other answer (a decline too: there they help most)."""
        messages = _without_options(messages)
        last = turns[-1] if turns else None
        if (
            not messages
            or not last
            or last["role"] != "assistant"
            or last.get("message") != len(messages) - 1
        ):
            return messages
        try:
            if last.get("opening"):
                offered = self.suggestions.starters(k=STARTERS)
            else:
                offered = self.suggestions.follow_ups(_answer(last), asked(turns), k=FOLLOW_UPS)
        except AssistantError as error:
            logger.warning("no questions suggested: %s", error)
            return messages
        options = [{"label": question, "value": question} for question in offered]
        return [*messages[:-1], {**messages[-1], "options": options}]

    @staticmethod
    def _drop_last_exchange(
        messages: list[Message], turns: list[Message]
    ) -> tuple[str, list[Message], list[Message]]:
        messages, turns = list(messages or []), list(turns or [])
        last_user = max((i for i, m in enumerate(messages) if m["role"] == "user"), default=None)
        if last_user is None:
            return "", messages, turns
        messages = messages[:last_user]
        while turns and turns[-1]["role"] == "assistant" and not turns[-1].get("opening"):
            turns.pop()
        question = turns.pop()["content"] if turns and turns[-1]["role"] == "user" else ""
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


def asked(turns: Sequence[Message]) -> list[str]:
    """The questions of a conversation that were answered: what a tab keeps to rebuild it on reload."""
    return [t["content"] for t in turns if t["role"] == "user" and not t.get("failed")]


def asked_json(turns: Sequence[Message]) -> str:
    return json.dumps(asked(turns), ensure_ascii=False)


def _without_options(messages: Sequence[Message] | None) -> list[Message]:
    return [{k: v for k, v in m.items() if k != "options"} for m in messages or []]


def _answer(turn: Message) -> Answer:
    return Answer(
        text=turn["content"],
        answerable=turn.get("answerable", True),
        citations=[Citation(**c) for c in turn.get("citations", [])],
    )


def _current(turns: Sequence[Message]) -> list[Citation]:
    """The citations of the answer shown last, highlighted as the current ones."""
    last = turns[-1] if turns else None
    return _answer(last).citations if last and last["role"] == "assistant" else []


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


def _turn(answer: Answer, article: Article, message: int) -> Message:
    return {
        "role": "assistant",
        "content": answer.text,
        "answerable": answer.answerable,
        "citations": [c.model_dump() for c in answer.citations],
        "article": article.sha256,
        "message": message,
    }
