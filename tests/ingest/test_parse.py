from pathlib import Path

import pytest

from assistant.article import BlockKind
from assistant.errors import ArticleUnusable
from assistant.ingest.parse import clean_markup, load_article, parse_article
from assistant.settings import DEFAULT_ARTICLE


def test_default_article_metadata_is_parsed():
    article = load_article(DEFAULT_ARTICLE)
    assert article.title.startswith("Dangerous Development: Iranian Missile Launch into Syria")
    assert article.author == "Patrick Henningsen"
    assert article.dates == ("June 21, 2017", "20 June 2017")
    assert article.source == "Global Research"


def test_section_headings_captions_and_bio_are_recognised():
    article = load_article(DEFAULT_ARTICLE)
    kinds = {article.block_text(b): b.kind for b in article.blocks}
    headings = [t for t, k in kinds.items() if k is BlockKind.HEADING]
    assert headings == ["Syria: A Crowded Theatre", "Tehran Attack: Who Did It?", "Timing is Everything"]
    captions = [t for t, k in kinds.items() if k is BlockKind.CAPTION]
    assert [c[:20] for c in captions] == ["The following image ", "BFFs? Trump and the "]
    assert any(k is BlockKind.BIO and t.startswith("Patrick Henningsen is") for t, k in kinds.items())


def test_site_boilerplate_is_marked_and_sections_follow_headings():
    article = load_article(DEFAULT_ARTICLE)
    boilerplate = [article.block_text(b) for b in article.blocks if b.kind is BlockKind.BOILERPLATE]
    assert any(t.startswith("Disclaimer:") for t in boilerplate)
    assert any(t.startswith("Comment on Global Research") for t in boilerplate)
    timing = [b for b in article.blocks if article.block_text(b).startswith("The most worrying aspect")]
    assert timing[0].section == "Timing is Everything"


def test_markdown_links_and_emphasis_become_plain_text():
    assert (
        clean_markup("a [double attacks](#) and *world-wide war*.") == "a double attacks and world-wide war."
    )
    article = load_article(DEFAULT_ARTICLE)
    assert "](#)" not in article.text and "*world-wide war*" not in article.text
    assert "possibly, world-wide war." in article.text


def test_paragraphs_split_by_page_breaks_are_joined():
    article = load_article(DEFAULT_ARTICLE)
    assert "aided the strategic advances of ISIS." in article.text
    assert "with ‘state sponsor of terror' Iran" in article.text


def test_block_offsets_index_the_clean_text():
    article = parse_article("Title here\n\nBy Jane Doe\n\nA body paragraph that is long enough to count.\n")
    assert [article.block_text(b) for b in article.blocks] == [
        "Title here",
        "By Jane Doe",
        "A body paragraph that is long enough to count.",
    ]
    assert article.author == "Jane Doe"


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"", "holds no text"),
        (b" \n\n\t \n", "holds no text"),
        (b"[](https://example.com)\n\n[](x)", "the article file holds no text"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "is binary, not text (it holds NUL bytes)"),
        (b"Title\n\n" + b"\x01\x02\x03\x04" * 10, "looks binary, not text (many control characters)"),
        (b"Title\n\nCaf\xe9 society", "is not UTF-8 text (byte 0xe9 at offset 10)"),
        (b"Title\n\n" + "é".encode() * 600, "is 607 characters long; the limit is"),
    ],
)
def test_unusable_article_file_is_refused_with_what_to_do(tmp_path, content, problem):
    path = tmp_path / "article.txt"
    path.write_bytes(content)
    with pytest.raises(ArticleUnusable) as refused:
        load_article(path, max_chars=600)
    message = str(refused.value)
    assert message.startswith(f"ASSISTANT_ARTICLE_PATH: {str(path)!r}") and problem in message


def test_article_over_four_bytes_a_character_is_refused_without_reading_it(tmp_path, monkeypatch):
    path = tmp_path / "huge.txt"
    path.write_bytes(b"x" * 4_001)
    monkeypatch.setattr(Path, "read_bytes", lambda _: pytest.fail("read a file known to be too long"))
    with pytest.raises(
        ArticleUnusable, match="is 4,001 bytes long; the limit is ASSISTANT_MAX_ARTICLE_CHARS"
    ):
        load_article(path, max_chars=1_000)


def test_article_with_a_byte_order_mark_and_a_few_control_characters_loads(tmp_path):
    path = tmp_path / "article.txt"
    path.write_bytes(
        "\ufeffA Title\n\nBy Jane Doe\n\nA body\x0c paragraph that is long enough to count.\n".encode()
    )
    article = load_article(path, max_chars=1_000)
    assert article.title == "A Title" and article.author == "Jane Doe"
