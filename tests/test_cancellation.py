"""A ``Cancel`` says whether an answer is still wanted: until its deadline, unless cancelled, and while
the larger piece of work it belongs to is wanted. Time is driven by the deadlines given (0: passed)."""

from __future__ import annotations

import math

import pytest

from assistant.cancellation import Cancel
from assistant.errors import AnswerCancelled, AnswerTimeout


def test_a_token_without_deadline_is_wanted_until_cancelled():
    cancel = Cancel()
    cancel.check()
    assert not cancel.stopped and cancel.remaining() == math.inf
    cancel.cancel("the client closed its connection")
    cancel.cancel("a later reason")
    assert cancel.stopped
    with pytest.raises(AnswerCancelled, match="^the client closed its connection$"):
        cancel.check()


def test_a_passed_deadline_raises_the_timeout_users_see():
    cancel = Cancel(0.0, "answering")
    assert cancel.stopped and cancel.remaining() <= 0
    with pytest.raises(AnswerTimeout, match="answering took longer than 0 s: the index or the model"):
        cancel.check()


def test_a_part_stops_with_its_whole_but_not_the_other_way():
    whole = Cancel(60.0, "restoring the conversation")
    part = Cancel(parent=whole)
    assert part.remaining() <= 60.0
    part.cancel("this question is done")
    assert part.stopped and not whole.stopped
    next_part = Cancel(parent=whole)
    whole.cancel("the tab left")
    with pytest.raises(AnswerCancelled, match="the tab left"):
        next_part.check()


def test_a_part_reports_its_whole_deadline():
    part = Cancel(60.0, parent=Cancel(0.0, "restoring the conversation"))
    with pytest.raises(AnswerTimeout, match="^restoring the conversation took longer than 0 s"):
        part.check()


def test_cancelled_errors_are_client_side_and_timeouts_server_side():
    assert AnswerCancelled.http_status == 499 and AnswerTimeout.http_status == 503
