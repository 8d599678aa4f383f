"""Ingest works on articles nobody tuned it for: plain text, Markdown, and news quoted in other ways.

The fixtures in ``articles/`` are small articles written for these tests: a plain text file (title line,
paragraphs, no byline), a Markdown file, and a news report that quotes people in the usual English ways.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.article import Article, BlockKind, Sentence, Voice
from assistant.ingest.parse import load_article, parse_article
from assistant.ingest.sites import page_rules
from assistant.ingest.split import split_article
from assistant.settings import DEFAULT_ARTICLE

ARTICLES = Path(__file__).parent / "articles"


def _load(name: str) -> tuple[Article, list[Sentence]]:
    article = load_article(ARTICLES / name)
    return article, split_article(article)[0]


def _kinds(article: Article) -> list[tuple[BlockKind, str]]:
    return [(b.kind, article.block_text(b)) for b in article.blocks]


def _find(sentences: list[Sentence], fragment: str) -> Sentence:
    return next(s for s in sentences if fragment in s.text)


@pytest.mark.parametrize("name", ["lighthouse.txt", "night-trains.md", "flood-barrier.txt"])
def test_sentence_and_block_offsets_index_the_clean_text(name):
    article, sentences = _load(name)
    assert sentences
    for sentence in sentences:
        assert article.text[sentence.start : sentence.end] == sentence.text
        assert article.blocks[sentence.block].start <= sentence.start < article.blocks[sentence.block].end


def test_plain_text_is_a_title_then_paragraphs_all_citable_as_the_authors():
    article, sentences = _load("lighthouse.txt")
    kinds = _kinds(article)
    assert kinds[0] == (BlockKind.TITLE, "Harbourtown Lighthouse")
    assert [kind for kind, _ in kinds[1:]] == [BlockKind.PARAGRAPH] * 4
    assert (article.title, article.author, article.dates, article.source) == (
        "Harbourtown Lighthouse",
        None,
        (),
        None,
    )
    body = [s for s in sentences if s.block > 0]
    assert len(body) == 8 and all(s.voice is Voice.AUTHOR and s.speaker is None for s in body)


def test_a_paragraph_opening_with_by_and_a_year_is_prose_not_a_byline():
    article, sentences = _load("lighthouse.txt")
    assert article.author is None
    assert _find(sentences, "By 1900, the harbour").voice is Voice.AUTHOR


def test_title_line_directly_above_the_first_paragraph_is_the_title():
    article = parse_article(
        "River Otter Returns\n"
        "Otters have been seen on the River Wend for the first time in forty years, volunteers said.\n"
    )
    assert article.title == "River Otter Returns"
    assert [b.kind for b in article.blocks] == [BlockKind.TITLE, BlockKind.PARAGRAPH]


def test_extra_blank_lines_in_plain_text_do_not_make_captions():
    article = parse_article(
        "A Title\n\nThe first paragraph is long enough to be body text of the article.\n\n\n\n"
        "The second paragraph, after extra blank lines, is ordinary body text too.\n"
    )
    assert [b.kind for b in article.blocks] == [BlockKind.TITLE, BlockKind.PARAGRAPH, BlockKind.PARAGRAPH]


def test_markdown_title_byline_and_section_headings():
    article, _ = _load("night-trains.md")
    assert (article.title, article.author) == ("The Quiet Return of the Night Train", "Maria Lindqvist")
    headings = [text for kind, text in _kinds(article) if kind is BlockKind.HEADING]
    assert headings == ["Why travellers choose them", "What Comes Next"]
    rolling_stock = next(b for b in article.blocks if article.block_text(b).startswith("New rolling stock"))
    assert rolling_stock.section == "What Comes Next"


def test_markdown_markup_is_removed_from_the_clean_text():
    article, _ = _load("night-trains.md")
    assert "Sleeper trains are back in fashion across Europe" in article.text
    assert "cite the environmental cost of flying" in article.text
    assert "like to wake up in a new city without an airport transfer" in article.text
    for markup in ("**", "_environmental", "](", "![", "# ", "\n>", "> We", "- A night", "* private"):
        assert markup not in article.text, markup


def test_markdown_list_items_are_paragraphs_of_their_own():
    article, _ = _load("night-trains.md")
    texts = [text for kind, text in _kinds(article) if kind is BlockKind.PARAGRAPH]
    assert "A night train from Vienna to Hamburg takes about 13 hours." in texts
    assert "Most couchettes sleep six people" in texts
    assert "private compartments cost extra" in texts


def test_markdown_block_quotation_is_quoted_speech_by_its_introducer():
    article, sentences = _load("night-trains.md")
    quotes = [b for b in article.blocks if b.kind is BlockKind.QUOTE]
    assert [article.block_text(b) for b in quotes] == [
        "We sold out every Friday departure last winter. Nobody expected that."
    ]
    for fragment in ("We sold out every Friday", "Nobody expected that."):
        assert (_find(sentences, fragment).voice, _find(sentences, fragment).speaker) == (
            Voice.QUOTE,
            "Anna Weber",
        )
    introducer = _find(sentences, "Anna Weber, who runs")
    assert (introducer.voice, introducer.speaker) == (Voice.AUTHOR, "Maria Lindqvist")


def test_an_introducer_does_not_reach_past_a_heading():
    _, sentences = _load("night-trains.md")
    assert _find(sentences, "New rolling stock is due").voice is Voice.AUTHOR


def test_the_line_under_a_markdown_image_is_its_caption():
    _, sentences = _load("night-trains.md")
    assert _find(sentences, "A refurbished sleeper carriage").voice is Voice.CAPTION


def test_setext_headings_and_rules():
    article = parse_article(
        "Harvest Report\n==============\n\nThe harvest came in early this year across the valley farms.\n\n"
        "Prices\n------\n\nWheat prices fell for the third year running, farmers reported.\n\n***\n\n"
        "The next report is due in the autumn after the last fields are cut.\n"
    )
    assert _kinds(article) == [
        (BlockKind.TITLE, "Harvest Report"),
        (BlockKind.PARAGRAPH, "The harvest came in early this year across the valley farms."),
        (BlockKind.HEADING, "Prices"),
        (BlockKind.PARAGRAPH, "Wheat prices fell for the third year running, farmers reported."),
        (BlockKind.PARAGRAPH, "The next report is due in the autumn after the last fields are cut."),
    ]


def test_flood_report_header_has_byline_and_a_date_without_a_source():
    article, _ = _load("flood-barrier.txt")
    assert (article.author, article.dates, article.source) == ("Tom Okafor", ("March 4, 2024",), None)


@pytest.mark.parametrize(
    ("fragment", "speaker"),
    [
        ("This barrier will protect four thousand homes.", "Mayor Helen Park"),  # X said, "…"
        ("We cannot wait for the next flood.", "Mayor Helen Park"),  # the same quotation, still open
        ("Every spring we watch the river rise", "Mayor Helen Park"),  # "…," she said.
        ("The cost is simply too high", "Councillor Raj Mehta"),  # "…," said X, who …
        ("We looked at every alternative", "the city engineer"),  # "…," X said.
        ("None of them was cheaper", "the city engineer"),  # the next quoted sentence
        ("the river has burst its banks", "the Environment Agency"),  # According to X, …
        ("Construction will start in the spring", "the council's planning office"),  # …, according to X.
    ],
)
def test_quotations_in_the_usual_english_forms_are_attributed(fragment, speaker):
    _, sentences = _load("flood-barrier.txt")
    sentence = _find(sentences, fragment)
    assert (sentence.voice, sentence.speaker) == (Voice.QUOTE, speaker)


def test_the_authors_own_sentences_stay_the_authors():
    _, sentences = _load("flood-barrier.txt")
    for fragment in ("The city council voted 7-2", "The barrier is expected to cost"):
        assert (_find(sentences, fragment).voice, _find(sentences, fragment).speaker) == (
            Voice.AUTHOR,
            "Tom Okafor",
        )


def test_a_quoted_phrase_inside_narration_stays_the_authors():
    _, sentences = _load("flood-barrier.txt")
    assert _find(sentences, 'called the project a "vanity wall"').voice is Voice.AUTHOR


def test_quoted_speech_with_no_speaker_is_never_the_authors():
    _, sentences = _load("flood-barrier.txt")
    sentence = _find(sentences, '"Build it now."')
    assert (sentence.voice, sentence.speaker) == (Voice.QUOTE, None)


def test_no_quoted_sentence_of_the_reports_comes_out_as_the_authors():
    _, sentences = _load("flood-barrier.txt")
    for sentence in sentences:
        if sentence.text.startswith('"') or " said" in sentence.text or "ccording to" in sentence.text:
            assert sentence.voice is Voice.QUOTE, sentence.text


def test_site_template_applies_only_to_a_page_of_its_site():
    seed = DEFAULT_ARTICLE.read_text(encoding="utf-8")
    assert page_rules(seed).sites == ("globalresearch.ca",)
    other = "A Title\n\nTags: rivers, towns\n\nRegion: the valley, where the mills were.\n\nBody text.\n"
    assert page_rules(other).sites == ()
    kinds = [b.kind for b in parse_article(other).blocks]
    assert kinds[1:3] == [BlockKind.TAGS, BlockKind.PARAGRAPH]  # "Region:" is that site's tag line only
    assert parse_article(f"{other}\nwww.globalresearch.ca\n").blocks[2].kind is BlockKind.TAGS
