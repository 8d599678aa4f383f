"""What a chat conversation keeps and what a reloaded tab replays, as plain functions (no models)."""

from __future__ import annotations

import json

from assistant.settings import Settings
from assistant.ui.bounds import ChatBounds, bounded, excerpt, restorable, size

BOUNDS = ChatBounds(max_questions=3, max_chars=10_000, restore_chars=100)


def conversation(questions: int, answer: str = "An answer.") -> tuple[list[dict], list[dict]]:
    """An opening, a refused question (an error, no answer turn), then answered questions."""
    messages = [{"role": "assistant", "content": "Overview"}]
    turns = [{"role": "assistant", "content": "Overview", "opening": True, "message": 0}]
    messages += [{"role": "user", "content": "refused"}, {"role": "assistant", "content": "error"}]
    turns += [{"role": "user", "content": "refused", "failed": True}]
    for n in range(questions):
        messages += [{"role": "user", "content": f"Q{n}"}, {"role": "assistant", "content": answer}]
        turns += [{"role": "user", "content": f"Q{n}"}, {"role": "assistant", "content": answer}]
        turns[-1]["message"] = len(messages) - 1
    return messages, turns


def test_the_oldest_exchanges_go_and_answers_keep_pointing_at_their_messages():
    messages, turns = bounded(*conversation(4), BOUNDS)
    assert [m["content"] for m in messages if m["role"] == "user"] == ["Q1", "Q2", "Q3"]
    assert messages[0]["content"] == "Overview" and turns[0].get("opening")
    for turn in turns:
        if "message" in turn:
            assert messages[turn["message"]]["content"] == turn["content"]


def test_a_conversation_within_its_bounds_is_left_as_it_is():
    messages, turns = conversation(2)
    assert bounded(messages, turns, BOUNDS) == (messages, turns)


def test_characters_bound_a_conversation_but_the_newest_exchange_stays():
    messages, turns = bounded(*conversation(3, answer="x" * 6_000), BOUNDS)
    assert size(messages, turns) > BOUNDS.max_chars  # the newest exchange alone is over: it stays
    assert [m["content"] for m in messages if m["role"] == "user"] == ["Q2"]


def test_a_refused_question_is_kept_as_a_short_excerpt():
    kept = excerpt("Q" + "x" * 250_000)
    assert kept.startswith("Qxxx") and kept.endswith("(250,001 characters)") and len(kept) < 250
    assert excerpt("Who fired the missiles?") == "Who fired the missiles?"


def test_a_reload_replays_its_newest_questions_within_count_and_characters():
    questions = [f"question {n:02}" for n in range(10)]  # 11 characters each
    assert restorable(json.dumps(questions), BOUNDS) == questions[-3:]
    assert restorable(questions, ChatBounds(30, 10_000, restore_chars=50)) == questions[-4:]
    assert restorable(["x" * 5_000, "Who?"], BOUNDS) == ["Who?"], "older beyond the budget are cut"
    assert restorable(["Who?", "x" * 5_000], BOUNDS) == [], "the newest alone is over the budget"


def test_anything_but_a_list_of_questions_replays_nothing():
    for sent in ("not json", '{"path": "/etc/passwd"}', "[1, 2]", "null", "", None, 3):
        assert restorable(sent, BOUNDS) == []


def test_the_bounds_come_from_the_settings():
    settings = Settings(chat_max_questions=7, chat_max_chars=20_000, chat_restore_chars=900)
    assert ChatBounds.of(settings) == ChatBounds(7, 20_000, 900)
