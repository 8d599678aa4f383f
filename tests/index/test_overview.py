"""The key sentences ranked at index time: the lede first, then what the article is most about, each
adding something new, the author's own words only."""

from __future__ import annotations

import numpy as np

from assistant.article import Sentence, Voice
from assistant.index.overview import key_sentences

TEXTS = [
    ("The city council approved a new flood barrier on Monday after a long debate.", Voice.AUTHOR, "A"),
    ("The flood barrier will protect four thousand homes along the river.", Voice.AUTHOR, "A"),
    ("The flood barrier will protect four thousand homes along the river banks.", Voice.AUTHOR, "A"),
    ('"We have waited for this for decades," the mayor said at the meeting.', Voice.QUOTE, "B"),
    ("Construction of the barrier starts next spring and lasts two years.", Voice.AUTHOR, "B"),
]
VECTORS = np.array(
    [[1, 0.5, 0, 0], [0.6, 1, 0, 0], [0.6, 1, 0.01, 0], [0.5, 0.5, 1, 0], [0.5, 0.4, 0, 1]], dtype=np.float32
)
VECTORS /= np.linalg.norm(VECTORS, axis=1, keepdims=True)
SENTENCES = [
    Sentence(f"s{i}", i, i, 0, len(text), text, section, None, voice)
    for i, (text, voice, section) in enumerate(TEXTS)
]


def test_the_lede_leads_and_a_near_duplicate_or_a_quote_comes_last_or_never():
    ranked = key_sentences(SENTENCES, VECTORS)
    assert ranked[0] == 0
    assert 3 not in ranked  # a quotation is not the article's own overview
    assert ranked.index(4) < ranked.index(2)  # a new section before a near-repeat of a chosen sentence
    assert sorted(ranked) == [0, 1, 2, 4]


def test_an_article_without_author_sentences_still_has_key_sentences():
    quotes = [Sentence("q", 0, 0, 0, 10, '"Quote."', None, "X", Voice.QUOTE)]
    assert key_sentences(quotes, VECTORS[:1]) == [0]
