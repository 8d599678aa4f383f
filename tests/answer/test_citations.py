"""The one citation builder: a verbatim span is cited, anything else is a bug raised, never repaired.

Fast: no model, no index.
"""

from __future__ import annotations

import dataclasses

import pytest

from assistant.answer.base import answer
from assistant.answer.citations import CitationMismatch, Draft, cite, finish
from assistant.errors import AssistantError
from assistant.retrieve.evidence import Evidence
from tests.answer.fixture import ARTICLE, THREE_SENTENCES, evidence, towards


def test_verbatim_sentences_become_numbered_citations_with_their_offsets():
    citations = cite([THREE_SENTENCES[2], THREE_SENTENCES[0]], ARTICLE)
    assert [c.id for c in citations] == [1, 2]
    assert [c.text for c in citations] == [THREE_SENTENCES[2].text, THREE_SENTENCES[0].text]
    for citation in citations:
        assert ARTICLE.text[citation.start : citation.end] == citation.text
    assert citations[1].speaker == "Jane Doe" and citations[1].section == "The strike"


@pytest.mark.parametrize(
    "changed",
    [
        {"text": "Iran fired seven missiles at Deir Ezzor on Sunday."},  # a quote altered
        {"start": 1},  # offsets one off
        {"end": 10_000},  # beyond the article
        {"start": -5},
    ],
)
def test_a_span_that_is_not_verbatim_is_raised_as_a_bug(changed):
    wrong = dataclasses.replace(THREE_SENTENCES[0], **changed)
    with pytest.raises(CitationMismatch, match=r"citation \[1\] is not verbatim") as raised:
        cite([wrong], ARTICLE)
    assert not isinstance(raised.value, AssistantError)  # not the user's doing: a 500, not a 4xx


def test_finish_keeps_the_drafts_text_and_verdict():
    draft = Draft("The article does not say. Closest: [1]", answerable=False, cited=THREE_SENTENCES[:1])
    result = finish(draft, ARTICLE)
    assert (result.text, result.answerable) == (draft.text, False)
    assert [c.text for c in result.citations] == [THREE_SENTENCES[0].text]


class _Misquoting:
    """An answerer that "improves" the quote it cites."""

    def draft(self, evidence: Evidence) -> Draft:
        sentence = evidence.sentences[0]
        return Draft(
            "Iran fired missiles [1]", True, (dataclasses.replace(sentence, text=sentence.text.upper()),)
        )


def test_every_answerer_goes_through_the_citation_check():
    with pytest.raises(CitationMismatch):
        answer(_Misquoting(), evidence("How many missiles?", towards(1, 0, 0)))
