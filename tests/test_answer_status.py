"""An answer, a qualified "not stated", or a bare decline: one ``status`` on every surface, set from
whether the answer answers and whether it quotes anything (no model needed here)."""

from __future__ import annotations

import pytest

from assistant.answer.extractive.templates import MAX_ECHOED_QUESTION, AnswerTemplates
from assistant.schema import Answer, AskResponse, Citation, answer_status
from assistant.ui.html import NOT_STATED_BADGE, answer_html

QUOTE = Citation(
    id=1, text="Multiple medium-range missiles were fired.", start=10, end=52, speaker="Sepahnews"
)


@pytest.mark.parametrize(
    ("answerable", "citations", "status"),
    [(True, [QUOTE], "answered"), (False, [QUOTE], "not_stated"), (False, [], "declined")],
)
def test_the_status_follows_from_answering_and_quoting(answerable, citations, status):
    assert answer_status(answerable, citations) == status
    answer = Answer(text="…", answerable=answerable, citations=citations)
    assert answer.status == status
    assert AskResponse.of(answer).model_dump()["status"] == status


def test_a_stored_answer_with_its_status_reads_back():
    """Surfaces keep answers as JSON (a reloaded chat): the status read back is ignored, then derived."""
    answer = Answer(text="The article does not say. …", answerable=False, citations=[QUOTE])
    assert Answer.model_validate_json(answer.model_dump_json()) == answer


def test_the_not_stated_opening_echoes_a_bounded_question():
    templates = AnswerTemplates.load()
    opening = templates.not_stated("how   many\nmissiles hit? " + "x" * 500)
    assert opening.startswith("The article does not say.") and "how many missiles hit?" in opening
    assert len(opening) < MAX_ECHOED_QUESTION + 100


def test_the_page_marks_a_not_stated_answer_before_its_quotes():
    not_stated = Answer(
        text="The article does not say. … “Multiple …” [1]", answerable=False, citations=[QUOTE]
    )
    html = answer_html(not_stated)
    assert "aa-declined aa-not-stated" in html and NOT_STATED_BADGE in html
    assert html.index(NOT_STATED_BADGE) < html.index('class="aa-text"') < html.index("Closest passages:")


@pytest.mark.parametrize("answerable", [True, False])
def test_answers_and_bare_declines_carry_no_badge(answerable):
    answer = Answer(text="…", answerable=answerable, citations=[QUOTE] if answerable else [])
    html = answer_html(answer)
    assert NOT_STATED_BADGE not in html and "aa-not-stated" not in html
