"""The extractive answerer's choices on a three-sentence article, the cross-encoder's logits given.

Fast: no model, no index. Each test fixes the candidates' logits (what the cross-encoder would say)
and checks the answerer's own logic around them: tasks, the article itself, overviews, "next",
answer types, the runner-up, and the decline model's threshold.
"""

from __future__ import annotations

import dataclasses

import pytest

from assistant.answer.extractive.answerer import ExtractiveAnswerer
from assistant.answer.extractive.templates import AnswerTemplates
from assistant.answer.extractive.weights import FEATURES, DeclineModel, ExtractiveWeights, default_weights
from assistant.retrieve.windows import RankedWindow
from assistant.schema import Turn
from tests.answer.fixture import THREE_SENTENCES, evidence, towards

N = len(FEATURES)
NEVER_DECLINES = DeclineModel((0.0,) * N, (1.0,) * N, (0.0,) * N, intercept=0.0, threshold=0.0)


def weights(**changes) -> ExtractiveWeights:
    base = dataclasses.replace(
        default_weights(),
        type_fit_bonus=1.0,
        follow_up_bonus=0.0,
        follow_up_question_weight=0.0,
        second_margin=2.0,
        max_cited_chars=400,
        context_min_rerank=-5.0,
        decline=NEVER_DECLINES,
    )
    return dataclasses.replace(base, **changes)


def answerer(**changes) -> ExtractiveAnswerer:
    return ExtractiveAnswerer(AnswerTemplates.load(), weights=weights(**changes))


def cited(choice) -> list[int]:
    return [s.position for s in choice.cited]


def test_the_best_sentence_is_cited_and_a_distant_runner_up_is_not():
    choice = answerer().choose(evidence("What did analysts expect?", towards(0, 0, 1), rerank=(-3, -4, 6)))
    assert choice.answerable and cited(choice) == [2]


def test_a_close_runner_up_is_cited_too_in_article_order():
    choice = answerer().choose(evidence("What happened at Deir Ezzor?", towards(1, 1), rerank=(5, 4, -8)))
    assert cited(choice) == [0, 1]


def test_a_second_sentence_in_the_same_voice_is_not_attributed_twice():
    draft = answerer().draft(evidence("What happened at Deir Ezzor?", towards(1, 0, 1), rerank=(5, -8, 4)))
    assert draft.text == (
        "The author writes: “Iran fired six missiles at Deir Ezzor on Sunday.” [1] "
        "“Analysts expect further strikes in the coming months.” [2]"
    )


def test_a_runner_up_too_weak_to_answer_alone_is_not_cited_however_wide_the_margin():
    floor = answerer(second_margin=20.0, min_rerank=-5.0)
    choice = floor.choose(evidence("What happened at Deir Ezzor?", towards(1, 1), rerank=(5, -6, -8)))
    assert cited(choice) == [0]


def test_the_runner_up_is_left_out_when_both_would_cite_too_much():
    choice = answerer(max_cited_chars=80).choose(
        evidence("What happened at Deir Ezzor?", towards(1, 1), rerank=(5, 4, -8))
    )
    assert cited(choice) == [0]


def test_a_sentence_that_can_hold_the_number_asked_for_wins_a_close_race():
    # sentence 1 scores higher, but only sentence 0 holds a CARDINAL
    choice = answerer(second_margin=0.0).choose(
        evidence("How many missiles were fired?", towards(1, 1), rerank=(4.5, 5.0, -8))
    )
    assert cited(choice) == [0]


def test_the_decline_model_declines_below_its_threshold_and_shows_context_only_when_close():
    # a model that only looks at the logit: P = sigmoid(rerank)
    by_logit = DeclineModel((0.0,) * N, (1.0,) * N, (1.0,) + (0.0,) * (N - 1), intercept=0.0, threshold=0.5)
    close = answerer(decline=by_logit).choose(evidence("What did China do?", towards(1), rerank=(-1, -2, -3)))
    assert not close.answerable and close.show_context and cited(close) == [0]
    far = answerer(decline=by_logit).choose(
        evidence("What is sourdough?", towards(0, 0, 0, 1), rerank=(-9, -10, -11))
    )
    assert not far.answerable and not far.show_context
    draft = answerer(decline=by_logit).draft(
        evidence("What is sourdough?", towards(0, 0, 0, 1), rerank=(-9, -10, -11))
    )
    assert draft.cited == () and "closest" not in draft.text


def test_a_task_is_declined_without_context():
    choice = answerer().choose(evidence("Write a poem about Iran.", towards(1), rerank=(5, 1, 1)))
    assert not choice.answerable and choice.reason == "task" and not choice.show_context


@pytest.mark.parametrize(
    ("question", "points"),
    [
        ("What is this article about?", [0, 1, 2]),
        ("summarize it in 2 points", [0, 2]),
        ("tl;dr?", [0, 1, 2]),
        ("whats the main argument", [0, 1, 2]),
        ("What does the author conclude?", [0, 2]),  # the last two of the author's own sentences
        ("give me the gist in one sentence", [0]),
    ],
)
def test_questions_about_the_whole_article_get_its_key_sentences(question, points):
    choice = answerer().choose(evidence(question, towards(0, 0, 0, 1), rerank=(-9, -9, -9)))
    assert choice.answerable and choice.overview and cited(choice) == points


AFTER_THE_FIRST_SENTENCE = [
    Turn(role="user", content="What did Iran fire?"),
    Turn(
        role="assistant", content="The author writes: “Iran fired six missiles at Deir Ezzor on Sunday.” [1]"
    ),
]


def test_what_they_said_next_continues_after_the_previous_quote():
    choice = answerer().choose(
        evidence("What did they say next?", towards(1), history=AFTER_THE_FIRST_SENTENCE, rerank=(6, -5, -5))
    )
    assert choice.answerable and cited(choice) == [1]


def test_what_they_said_next_brings_the_words_a_lead_in_introduces():
    lead_in = dataclasses.replace(THREE_SENTENCES[1], text="The Revolutionary Guard added,")
    sentences = (THREE_SENTENCES[0], lead_in, THREE_SENTENCES[2])
    base = evidence(
        "What did they say next?", towards(1), history=AFTER_THE_FIRST_SENTENCE, rerank=(6, -5, -5)
    )
    choice = answerer().choose(dataclasses.replace(base, sentences=sentences))
    assert choice.answerable and cited(choice) == [1, 2]


def test_a_question_with_its_own_subject_does_not_lean_on_the_previous_turn():
    history = [
        Turn(role="user", content="How many missiles did Iran fire?"),
        Turn(role="assistant", content="…"),
    ]
    about_author = evidence("Who is the author?", towards(1), history=history, rerank=(6, -5, -5))
    assert not about_author.query.is_follow_up
    short = evidence("Why?", towards(1), history=history, rerank=(6, -5, -5))
    assert short.query.is_follow_up and "missiles" in short.query.search_text


def test_no_candidates_is_a_decline_without_context():
    choice = answerer().choose(evidence("What did Iran fire?", towards(1)))
    assert not choice.answerable and not choice.show_context


def test_a_lead_in_ending_in_a_colon_brings_the_sentence_it_introduces():
    lead_in = dataclasses.replace(THREE_SENTENCES[0], text="Iran fired six missiles at Deir Ezzor on:")
    sentences = (lead_in, *THREE_SENTENCES[1:])
    base = evidence("What did Iran fire?", towards(1), rerank=(6, -9, -5))
    choice = answerer().choose(dataclasses.replace(base, sentences=sentences))
    assert cited(choice) == [0, 1]


def _with_window(rerank_together: float):
    """Sentence 0 ranks best alone; sentences 0 and 1 together score ``rerank_together``."""
    question = evidence("Why did Iran fire the missiles?", towards(1, 0, 0), rerank=(5, 0.5, -8))
    return dataclasses.replace(question, windows=(RankedWindow(0, rerank_together),))


def test_two_sentences_clearly_better_together_are_cited_instead():
    assert cited(answerer(window_gain=1.0).choose(_with_window(7.0))) == [0, 1]


@pytest.mark.parametrize(
    ("changes", "together"),
    [
        ({"window_gain": 1.0}, 5.5),  # not clearly better than the best sentence alone
        ({"window_gain": None}, 9.0),  # windows switched off
        ({"window_gain": 1.0, "max_cited_chars": len(THREE_SENTENCES[0].text) + 10}, 9.0),  # too long
    ],
)
def test_a_window_not_clearly_better_or_too_long_is_not_cited(changes, together):
    assert cited(answerer(**changes).choose(_with_window(together))) == [0]


def test_a_follow_up_asking_something_new_is_not_answered_by_the_previous_quote_again():
    """The quote the follow-up leans on loses the fitted penalty: the next best sentence answers."""
    asked = evidence(
        "And what did they do then?", towards(0, 1), history=AFTER_THE_FIRST_SENTENCE, rerank=(5, 4, -5)
    )
    assert cited(answerer(repeat_penalty=0.0, second_margin=0.5).choose(asked)) == [0]
    assert cited(answerer(repeat_penalty=2.0, second_margin=0.5).choose(asked)) == [1]


def test_who_said_that_may_cite_the_previous_quote_again():
    asked = evidence("Who said that?", towards(0, 1), history=AFTER_THE_FIRST_SENTENCE, rerank=(5, 4, -5))
    assert cited(answerer(repeat_penalty=2.0, second_margin=0.5).choose(asked)) == [0]


def test_the_authors_view_prefers_the_authors_own_sentences():
    """Asked what the author thinks, a quoted source's words lose to the author's by the fitted bonus."""
    question = "What does the author think the strike will lead to?"
    asked = evidence(question, towards(1, 0, 1), rerank=(-5, 5, 4))
    assert cited(answerer(author_view_bonus=0.0, second_margin=0.5).choose(asked)) == [1]
    assert cited(answerer(author_view_bonus=2.0, second_margin=0.5).choose(asked)) == [2]
    plain = evidence("What will the strike lead to?", towards(1, 0, 1), rerank=(-5, 5, 4))
    assert cited(answerer(author_view_bonus=2.0, second_margin=0.5).choose(plain)) == [1]


def test_a_follow_up_whose_best_sentence_the_previous_answer_quoted_is_marked_so():
    asked = evidence(
        "And what did they do then?", towards(1), history=AFTER_THE_FIRST_SENTENCE, rerank=(5, -5, -5)
    )
    assert answerer().choose(asked).features["repeats_previous"] == 1.0
    fresh = evidence(
        "And what did they do then?", towards(1), history=AFTER_THE_FIRST_SENTENCE, rerank=(-5, 5, -5)
    )
    assert answerer().choose(fresh).features["repeats_previous"] == 0.0


@pytest.mark.parametrize(
    ("question", "rerank", "not_cited"),
    [
        ("What did the Revolutionary Guard say about the strike?", (-5, 5, -5), 0.0),  # its own words
        ("What did the Revolutionary Guard say about the strike?", (5, -5, -5), 1.0),  # the author's words
        ("How did the Revolutionary Guard respond?", (5, 5, -5), 0.0),  # its words cited beside another
        ("What did the Iraqi government say about the strike?", (5, -5, -5), 1.0),  # nobody named it
        ("What did Iran fire?", (5, -5, -5), 0.0),  # nobody's statement asked for
        ("How did Iran respond?", (5, -5, -5), 0.0),  # "Iran" is named there
        ("How did Iranians respond?", (5, -5, -5), 1.0),  # a longer word is not found in a shorter one
    ],
)
def test_words_asked_of_someone_but_cited_from_another_are_marked_so(question, rerank, not_cited):
    choice = answerer().choose(evidence(question, towards(1, 1), rerank=rerank))
    assert choice.features["actor_not_cited"] == not_cited


@pytest.mark.parametrize(
    ("question", "not_cited"),
    [
        ("What did the Revolutionary Guard say about the Tehran attackers?", 0.0),  # what it spoke of
        ("What did the Revolutionary Guard say about Israel?", 1.0),  # its words, on something else
        ("What did the Revolutionary Guard say about the missiles and Israel?", 0.0),  # one of them there
        ("What did the Revolutionary Guard say about Israel and Egypt?", 1.0),
        ("What did the Revolutionary Guard say about the missiles?", 0.0),  # named just before
        ("How did the Revolutionary Guard respond?", 0.0),  # nothing spoken of asked
        ("What did the Revolutionary Guard say about it?", 0.0),  # a pronoun: the chat's, not a topic
        ("What did Doe say about Israel?", 0.0),  # the author's words are everywhere: never asked so
    ],
)
def test_words_asked_of_someone_on_something_they_did_not_speak_of_are_marked_so(question, not_cited):
    choice = answerer().choose(evidence(question, towards(1, 1), rerank=(-5, 5, -5)))
    assert cited(choice) == [1]
    assert choice.features["topic_not_cited"] == not_cited


def _scored_for_the_question_too(asked, question_rerank: tuple[float, ...]):
    """The evidence as retrieval gives it for a follow-up: each candidate also scored for the
    question as asked, alone."""
    ranked = tuple(dataclasses.replace(r, question_rerank=question_rerank[r.position]) for r in asked.ranked)
    return dataclasses.replace(asked, ranked=ranked)


def test_a_follow_up_is_ranked_by_the_fitted_blend_of_its_search_text_and_the_question_as_asked():
    """The borrowed previous question pulls towards the first sentence; the reader's own words, scored
    alone, towards the third. The fitted share of the latter decides; a standalone question has no
    such score and is ranked as before."""
    asked = evidence(
        "And what do analysts expect?", towards(1, 0, 1), history=AFTER_THE_FIRST_SENTENCE, rerank=(6, -5, 2)
    )
    follow_up = _scored_for_the_question_too(asked, (-4.0, -6.0, 5.0))
    assert cited(answerer(second_margin=0.5).choose(follow_up)) == [0]
    assert cited(answerer(second_margin=0.5, follow_up_question_weight=0.25).choose(follow_up)) == [0]
    choice = answerer(second_margin=0.5, follow_up_question_weight=0.5).choose(follow_up)
    assert cited(choice) == [2] and choice.features["rerank"] == pytest.approx(3.5)
    standalone = evidence("What do analysts expect?", towards(1, 0, 1), rerank=(6, -5, 2))
    assert cited(answerer(second_margin=0.5, follow_up_question_weight=0.5).choose(standalone)) == [0]


def test_a_follow_ups_window_is_blended_as_its_sentences_are():
    """The window of sentences 0 and 1 scores 7 for the search text (the borrowed previous question
    is about sentence 0) but −8 for the question as asked: blended, it is no better than sentence 2,
    the blended best, so sentence 2 answers. A window the question itself favours still does."""
    asked = evidence(
        "And what do analysts expect?", towards(1, 0, 1), history=AFTER_THE_FIRST_SENTENCE, rerank=(6, -5, 2)
    )
    follow_up = _scored_for_the_question_too(asked, (-4.0, -6.0, 5.0))
    blend = answerer(second_margin=0.5, follow_up_question_weight=0.5, window_gain=1.0)
    borrowed = dataclasses.replace(follow_up, windows=(RankedWindow(0, 7.0, -8.0),))
    assert cited(blend.choose(borrowed)) == [2]
    own = dataclasses.replace(follow_up, windows=(RankedWindow(1, 3.0, 7.0),))
    assert cited(blend.choose(own)) == [1, 2]
    # Unblended (a standalone question's windows have no second score), the raw logits compare.
    assert cited(answerer(second_margin=0.5, window_gain=1.0).choose(borrowed)) == [0, 1]


@pytest.mark.parametrize(
    ("question", "rerank", "missing"),
    [
        ("How many missiles did Iran fire?", (5, -5, -5), 0.0),  # "six missiles"
        ("How many missiles did Iran fire?", (-5, -5, 5), 1.0),  # a sentence with no count of them
        ("How many strikes do analysts expect?", (-5, -5, 5), 1.0),  # the thing named, never counted
        ("How many drones did Iran fire?", (5, -5, -5), 0.0),  # a word the article never uses
        ("How long did the strike last?", (5, -5, -5), 1.0),  # a day, not a duration
        ("When did Iran fire the missiles?", (5, -5, -5), 0.0),  # the firing, dated
        ("When was the ceasefire signed?", (5, -5, -5), 1.0),  # a date, of another event
        ("What did Iran fire?", (-5, -5, 5), 0.0),  # no detail asked
    ],
)
def test_a_detail_asked_but_not_stated_in_the_cited_sentences_is_marked_so(question, rerank, missing):
    """ "How many …" answered by a sentence with some other number (or none) is the typed near miss;
    a counted word the article never uses may be the reader's own for what it counts, so is left to
    the ``missing`` feature."""
    choice = answerer().choose(evidence(question, towards(1, 0, 1), rerank=rerank))
    assert choice.features["detail_missing"] == missing


@pytest.mark.parametrize(
    ("question", "rerank", "unmatched"),
    [
        ("Which analysts do not expect further strikes?", (-5, -5, 5), 1.0),  # the sentence says they do
        ("What did Iran fire at Deir Ezzor?", (5, -5, -5), 0.0),  # nothing negated asked
        ("Whether or not analysts expect strikes, what did Iran fire?", (5, -5, -5), 0.0),  # neutral
    ],
)
def test_a_negated_question_answered_by_a_sentence_negating_nothing_is_marked(question, rerank, unmatched):
    """SQuAD 2.0's adversarial questions often negate the sentence they were copied from ("what is
    *not* stated using …?"): the same words, the opposite question."""
    choice = answerer().choose(evidence(question, towards(1, 0, 1), rerank=rerank))
    assert choice.features["negation_unmatched"] == unmatched


def test_a_negated_question_answered_by_a_sentence_that_negates_too_is_not_marked():
    negating = dataclasses.replace(THREE_SENTENCES[2], text="Analysts do not expect further strikes soon.")
    asked = evidence("Who does not expect further strikes?", towards(0, 0, 1), rerank=(-5, -5, 5))
    asked = dataclasses.replace(asked, sentences=(*asked.sentences[:2], negating))
    assert answerer().choose(asked).features["negation_unmatched"] == 0.0
