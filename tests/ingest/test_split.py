import pytest

from assistant.article import Voice
from assistant.ingest.parse import load_article
from assistant.ingest.split import split_article, split_sentences
from assistant.settings import DEFAULT_ARTICLE


@pytest.fixture(scope="module")
def article():
    return load_article(DEFAULT_ARTICLE)


@pytest.fixture(scope="module")
def sentences(article):
    return split_article(article)[0]


def _find(sentences, fragment):
    return next(s for s in sentences if fragment in s.text)


def test_sentence_offsets_match_article_text(article, sentences):
    for sentence in sentences:
        assert article.text[sentence.start : sentence.end] == sentence.text


def test_passages_are_windows_of_sentences_inside_one_block(article):
    sentences, passages = split_article(article)
    for passage in passages:
        assert article.text[passage.start : passage.end] == passage.text
        window = sentences[passage.first_sentence : passage.last_sentence + 1]
        assert 1 <= len(window) <= 3 and len({s.block for s in window}) == 1


def test_ids_are_content_hashes_and_stable(article):
    first, _ = split_article(article)
    second, _ = split_article(article)
    assert [s.id for s in first] == [s.id for s in second]
    assert len({s.id for s in first}) == len(first)


def test_abbreviations_and_closing_quotes_do_not_end_sentences():
    text = 'Mr. Hamid-Reza Taraghi spoke. He said "no." Then it ended.'
    assert [text[s:e] for s, e in split_sentences(text)] == [
        "Mr. Hamid-Reza Taraghi spoke.",
        'He said "no."',
        "Then it ended.",
    ]


@pytest.mark.parametrize(
    ("fragment", "speaker"),
    [
        ("Multiple medium-range missiles were fired", "Sepahnews"),
        ("The spilling of any pure blood", "the Revolutionary Guard"),
        ("If they carry out a specific action", "General Ramazan Sharif of the IRGC"),
        ("The IRGC warns the Takfiri terrorists", "Fars News Agency"),
        ('linked the "brutal attack" to Donald Trump', "The FT"),
        ("This terrorist act took place a week after", "the statement from the Revolutionary Guards"),
        ("The targets selected by ISIS were sites", "Massoud Khodabandeh"),
        ("They could have done more damage", "Massoud Khodabandeh"),
        ("Instead, the ISIS targets matched", "Massoud Khodabandeh"),
    ],
)
def test_quotations_are_attributed_to_their_speaker(sentences, fragment, speaker):
    sentence = _find(sentences, fragment)
    assert (sentence.voice, sentence.speaker) == (Voice.QUOTE, speaker)


def test_narration_is_the_authors_and_header_is_metadata(sentences):
    narration = _find(sentences, "Readers should not underestimate")
    assert (narration.voice, narration.speaker) == (Voice.AUTHOR, "Patrick Henningsen")
    assert _find(sentences, "By Patrick Henningsen").voice is Voice.METADATA
    assert _find(sentences, "BFFs? Trump and the Saudis").voice is Voice.CAPTION
    assert not any("Disclaimer" in s.text for s in sentences)
