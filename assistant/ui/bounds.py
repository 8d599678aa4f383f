"""What a chat conversation may hold on the server, and what a reloaded tab may replay (no Gradio here).

A conversation lives in server-side ``gr.State`` and is sent back with every answer, so it must not
grow with what a client sends: over-long questions (refused anyway) are kept as a short excerpt, a
conversation keeps its newest ``ASSISTANT_CHAT_MAX_QUESTIONS`` exchanges within
``ASSISTANT_CHAT_MAX_CHARS`` (older exchanges leave the state and the page), and a reloaded tab replays
only its newest questions, at most as many and within ``ASSISTANT_CHAT_RESTORE_CHARS`` characters, so
the page's load event costs a bounded amount of work.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from assistant.settings import Settings

Message = dict[str, Any]

EXCERPT_CHARS = 200
"""What a conversation keeps of a refused question: enough to recognise it."""

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ChatBounds:
    """The settings' bounds on one conversation."""

    max_questions: int
    max_chars: int
    restore_chars: int

    @classmethod
    def of(cls, settings: Settings) -> ChatBounds:
        return cls(settings.chat_max_questions, settings.chat_max_chars, settings.chat_restore_chars)


def excerpt(question: str, chars: int = EXCERPT_CHARS) -> str:
    """The question as a conversation keeps one it refused: its start and its length when it is long."""
    if len(question) <= chars:
        return question
    return f"{question[:chars]}… ({len(question):,} characters)"


def size(messages: Sequence[Message], turns: Sequence[Message]) -> int:
    """Characters the conversation holds, as JSON: what the state keeps and the page is sent."""
    return len(json.dumps([messages, turns], ensure_ascii=False, default=str))


def questions_in(turns: Sequence[Message]) -> int:
    return sum(1 for t in turns if t["role"] == "user")


def bounded(
    messages: list[Message], turns: list[Message], bounds: ChatBounds
) -> tuple[list[Message], list[Message]]:
    """The conversation without its oldest exchanges, until it holds at most ``bounds.max_questions``
    questions in at most ``bounds.max_chars`` characters. The opening overview (and any message before
    the first question) and the newest exchange always stay."""
    dropped = 0
    while min(questions_in(turns), questions_in(messages)) > 1 and (
        questions_in(turns) > bounds.max_questions or size(messages, turns) > bounds.max_chars
    ):
        messages, turns = without_oldest_exchange(messages, turns)
        dropped += 1
    if dropped:
        logger.info("a chat conversation reached its bounds: its %d oldest exchanges were dropped", dropped)
    return messages, turns


def without_oldest_exchange(
    messages: list[Message], turns: list[Message]
) -> tuple[list[Message], list[Message]]:
    """The conversation without its first question and what answered it; the messages after it
    renumbered in the turns that point at them (``message``: an answer's index, for ratings)."""
    first, after = _exchange(messages)
    first_turn, after_turn = _exchange(turns)
    removed = after - first
    kept_turns = [
        {**t, "message": t["message"] - removed} if t.get("message", -1) >= after else t
        for t in turns[after_turn:]
    ]
    return messages[:first] + messages[after:], turns[:first_turn] + kept_turns


def _exchange(items: Sequence[Message]) -> tuple[int, int]:
    """Where the first exchange starts (its question) and ends (the next question, or the end)."""
    users = [i for i, item in enumerate(items) if item["role"] == "user"]
    return users[0], users[1] if len(users) > 1 else len(items)


def restorable(questions: object, bounds: ChatBounds) -> list[str]:
    """The questions a reloaded tab sent that are replayed: its newest ones, at most
    ``bounds.max_questions`` of them in at most ``bounds.restore_chars`` characters, oldest first.

    ``questions`` comes from the client: anything but a (JSON) list of strings restores nothing."""
    if isinstance(questions, str):
        try:
            questions = json.loads(questions or "[]")
        except ValueError:
            questions = None
    if not isinstance(questions, list) or not all(isinstance(q, str) for q in questions):
        logger.warning("a tab sent a conversation to restore that is not a list of questions; ignored")
        return []
    kept: list[str] = []
    chars = 0
    for question in reversed(questions):
        if len(kept) == bounds.max_questions or chars + len(question) > bounds.restore_chars:
            logger.info(
                "a reloaded tab sent %d questions (%d characters); its newest %d are replayed",
                len(questions),
                sum(map(len, questions)),
                len(kept),
            )
            break
        kept.append(question)
        chars += len(question)
    return kept[::-1]
