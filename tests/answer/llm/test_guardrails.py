"""The guardrails on a model's answer, as pure functions: fast, no model, no server."""

from __future__ import annotations

import random
from dataclasses import replace

import pytest

from assistant.answer.llm.guardrails import (
    MIN_SUPPORT,
    check,
    split_sentences,
    support,
    unverbatim_quote,
    whole_sentences,
)
from assistant.article import Voice
from tests.answer.fixture import ARTICLE, THREE_SENTENCES

NO_ANSWER = "NOT IN THE ARTICLE"


def checked(reply: str):
    return check(reply, THREE_SENTENCES, ARTICLE.text, NO_ANSWER)


def test_a_supported_cited_answer_is_kept_as_written():
    result = checked("The author writes that Iran fired six missiles at Deir Ezzor on Sunday [1].")
    assert result.text == "The author writes that Iran fired six missiles at Deir Ezzor on Sunday [1]."
    assert result.cited == (0,) and result.notes == ()


def test_a_marker_naming_no_provided_sentence_is_removed_and_noted():
    result = checked("Iran fired six missiles at Deir Ezzor [1][7].")
    assert result.text == "Iran fired six missiles at Deir Ezzor [1]."
    assert result.notes == ("removed [7]: the model was given no sentence 7",)


def test_a_sentence_citing_only_unknown_sentences_is_dropped():
    result = checked("Iran fired six missiles [9]. Analysts expect further strikes [3].")
    assert result.text == "Analysts expect further strikes [1]."
    assert result.cited == (2,)
    assert any("cites no sentence" in note for note in result.notes)


def test_an_invented_quote_drops_its_sentence():
    result = checked('The Guard said the strike "punished everyone" [2]. Iran fired six missiles [1].')
    assert result.text == "Iran fired six missiles [1]."
    assert "“punished everyone”, which the article does not say" in result.notes[0]


def test_a_verbatim_quote_passes_with_typographic_quotes_and_other_capitalisation():
    result = checked("The Guard said “The strike punished the Tehran attackers” [2].")
    assert result.text == "The Guard said “The strike punished the Tehran attackers” [1]."
    assert result.cited == (1,) and result.notes == ()


def test_the_pieces_around_an_ellipsis_are_checked_separately():
    assert unverbatim_quote('He said "the strike punished … Tehran attackers"', ARTICLE.text) is None
    assert unverbatim_quote('He said "the strike punished … Tehran allies"', ARTICLE.text) == "Tehran allies"


def test_an_uncited_sentence_no_given_sentence_supports_is_dropped():
    result = checked("Iran is very powerful. Analysts expect further strikes [3].")
    assert result.text == "Analysts expect further strikes [1]."
    assert result.notes == ("dropped “Iran is very powerful.”: it cites no sentence it was given",)


def test_an_uncited_sentence_is_cited_where_its_words_are_and_noted():
    result = checked("Iran fired six missiles at Deir Ezzor. Analysts expect further strikes [3].")
    assert result.text == "Iran fired six missiles at Deir Ezzor. [1] Analysts expect further strikes [2]."
    assert result.cited == (0, 2)
    assert result.notes == (
        "cited [1] for “Iran fired six missiles at Deir Ezzor.”: the model cited nothing; [1] holds 100%",
    )


def test_a_sentence_its_citation_does_not_support_is_dropped():
    result = checked("Analysts expect further strikes in the coming months [1]. Iran fired six missiles [1].")
    assert result.text == "Iran fired six missiles [1]."
    assert "[1] holds 0% of its words" in result.notes[0]


def test_a_number_the_cited_sentence_does_not_state_drops_the_sentence():
    result = checked("Iran fired 12 missiles at Deir Ezzor [1].")
    assert result.empty and "12 is not in [1]" in result.notes[0]


def test_kept_markers_are_renumbered_to_the_cited_sentences_in_order():
    result = checked("Analysts expect further strikes [3]. Iran fired six missiles at Deir Ezzor [1].")
    assert result.text == "Analysts expect further strikes [1]. Iran fired six missiles at Deir Ezzor [2]."
    assert result.cited == (2, 0)


def test_a_cited_sentence_sharing_no_word_with_the_claim_is_removed_from_it():
    result = checked("Iran fired six missiles at Deir Ezzor [1, 3].")
    assert result.text == "Iran fired six missiles at Deir Ezzor [1]." and result.cited == (0,)


def test_the_models_own_not_answered_reply_declines():
    result = checked("Not in the article.")
    assert result.empty and result.declined


def test_nothing_supported_leaves_an_empty_result():
    result = checked("I think the weather was nice.")
    assert result.empty and not result.declined


@pytest.mark.parametrize(
    ("text", "sentences"),
    [
        (
            "Mr. Smith left. [1] Then Gen. Jones came [2].",
            ["Mr. Smith left. [1]", "Then Gen. Jones came [2]."],
        ),
        (
            'He said "we left. Then we came back." [1] Next.',
            ['He said "we left. Then we came back." [1]', "Next."],
        ),
        ("One [1] Two [2].", ["One [1]", "Two [2]."]),
        ("A list:\n- first [1]\n- second [2]", ["A list:", "- first [1]", "- second [2]"]),
    ],
)
def test_answer_sentences_end_where_a_reader_would_say(text: str, sentences: list[str]):
    assert split_sentences(text) == sentences


def test_support_counts_content_words_not_framing_or_the_speaker():
    share, missing = support(
        "The Revolutionary Guard says the strike punished attackers", THREE_SENTENCES[1:2]
    )
    assert share == 1.0 and missing == []
    assert MIN_SUPPORT > support("Analysts fear the strike", THREE_SENTENCES[1:2])[0]


def test_one_invented_word_in_a_short_claim_is_not_supported():
    assert checked("Missiles were fired from the moon [1].").empty


def test_a_derived_form_of_a_cited_word_counts_as_found():
    assert support("Iranian missiles hit Deir Ezzor", THREE_SENTENCES[:1])[0] >= MIN_SUPPORT


def test_a_model_echoing_the_numbered_lines_gets_its_markers_moved_to_the_end():
    reply = (
        "[1] (the author) Iran fired six missiles at Deir Ezzor on Sunday.\n"
        "[2] (the Revolutionary Guard) The strike punished the Tehran attackers.\n[3] 30 years"
    )
    result = checked(reply)
    assert result.text == (
        "Iran fired six missiles at Deir Ezzor on Sunday. [1] The strike punished the Tehran attackers. [2]"
    )
    assert result.notes == ("dropped “30 years”: 30 is not in [3]",)


def test_notes_of_a_looping_model_are_not_repeated_and_stay_few():
    result = checked("\n".join(f"[{n}] Nothing at all here." for n in range(1, 40)))
    assert result.empty and len(result.notes) == 8 and result.notes[-1].startswith("and ")
    assert len(set(result.notes)) == len(result.notes)


def test_an_echoed_speaker_label_alone_says_nothing():
    assert checked("[2] (the Revolutionary Guard)").empty
    assert checked("[1] (the author)\nAnalysts expect further strikes [3].").text == (
        "Analysts expect further strikes [1]."
    )


def test_naming_only_the_speaker_is_not_support_but_attributing_a_claim_to_them_is():
    quoted = replace(THREE_SENTENCES[2], voice=Voice.QUOTE, speaker="Ali Vaez")
    assert support("Ali Vaez", [quoted])[0] == 0.0
    assert support("Ali Vaez expects further strikes", [quoted])[0] == 1.0


def test_a_quote_ending_its_sentence_keeps_the_marker_after_it():
    assert split_sentences('He said "we left." [2]. Then [1].') == ['He said "we left." [2].', "Then [1]."]


def test_a_claim_about_the_answer_itself_is_dropped_even_when_its_sentence_holds_the_words():
    about = replace(THREE_SENTENCES[0], text="The answer is that Iran fired six missiles.")
    result = check("The answer is: [1] " * 10, [about, *THREE_SENTENCES[1:]], ARTICLE.text, NO_ANSWER)
    assert result.empty and result.notes == ("dropped “The answer is:”: it says nothing about the article",)


def test_a_repeated_claim_is_kept_once_and_the_repeats_are_noted():
    result = checked("Iran fired six missiles [1]. " * 9 + "Iran fired the six missiles [1].")
    assert result.text == "Iran fired six missiles [1]." and result.cited == (0,)
    assert result.notes == ("dropped 9 repeats of “Iran fired six missiles.”",)


def test_a_claim_repeating_its_own_words_is_dropped():
    result = checked("Iran fired missiles fired missiles fired missiles fired [1].")
    assert result.empty and result.notes[0].endswith("it repeats its own words")


@pytest.mark.parametrize(
    ("written", "whole"),
    [
        ("Iran fired. [1", ""),  # the marker may still belong to the sentence
        ("Iran fired. [1]", ""),
        ("Iran fired. [1] Then", "Iran fired. [1]"),
        ("It is 3.", ""),  # "3." may become "3.5"
        ("It is 3. Then", "It is 3."),
        ('Alpha. "Beta. Gamma', "Alpha."),  # a full stop inside an open quotation ends nothing
        ("Alpha [1] beta", ""),
        ("Alpha [1] Beta", "Alpha [1]"),
    ],
)
def test_a_sentence_is_whole_once_a_word_follows_it(written: str, whole: str):
    assert whole_sentences(written) == whole


_THREE_MORE = replace(THREE_SENTENCES[2], text="Analysts expect 3 more strikes in the coming months.")
_PIECES = (
    "Iran fired six missiles at Deir Ezzor [1].",
    "The Guard said “The strike punished the Tehran attackers” [2].",
    "The admin password is 1234567890. [1]",
    "Analysts expect further strikes [3]",
    "Analysts expect 3.5 more strikes [3].",  # "3." alone is in [3]
    "Iran fired six missiles. [13]",  # "[1" alone names [1]
    'He said "the strike. Punished" [2].',
    "It was a show of force [7].",
    "[2] (the Revolutionary Guard) The strike punished the Tehran attackers.\n",
    "The answer is: [1]",
    "Iran fired six missiles [1][3].",
    "Mr. Smith expects 3 more strikes.",
    NO_ANSWER,
)


def test_checking_the_whole_sentences_so_far_gives_the_start_of_the_finished_check():
    """What is settled while a model writes is never taken back: for replies of random pieces, streamed
    a few characters at a time, the check of each whole-sentence start begins the final check."""
    provided = [*THREE_SENTENCES[:2], _THREE_MORE]
    rng = random.Random(21)
    for _ in range(150):
        reply = " ".join(rng.choice(_PIECES) for _ in range(rng.randint(1, 6)))
        final = check(reply, provided, ARTICLE.text, NO_ANSWER)
        for end in range(1, len(reply) + 1, rng.randint(1, 4)):
            start = check(whole_sentences(reply[:end]), provided, ARTICLE.text, NO_ANSWER)
            if not final.declined and not start.declined:
                assert final.text.startswith(start.text), (reply, end)
                assert final.cited[: len(start.cited)] == start.cited, (reply, end)
