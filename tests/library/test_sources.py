"""HTML pages and text files → the article text the library stores (fast tier: no model, no index).

The pages under ``data/`` are written for these tests: realistic news pages with the site's template
(cookie banner, navigation, ads, related links, newsletter box, comments, footer) around the article.
"""

from __future__ import annotations

import json
import multiprocessing
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.article import BlockKind
from assistant.ingest.parse import load_article
from assistant.library import SourceUnusable, sources
from assistant.library.sources import DEFAULT_HTML_LIMITS, HtmlLimits, read_source
from assistant.settings import DEFAULT_ARTICLE
from tests.library.pages import paragraphs_page, spans_page

DATA = Path(__file__).resolve().parent / "data"
MAX_CHARS = 200_000


def test_news_page_gives_body_and_metadata_without_the_site_template() -> None:
    source = read_source(DATA / "riverside-park.html", MAX_CHARS)
    article = source.article
    assert source.format == "html"
    assert article.title == "Council Approves Riverside Park After Two-Year Debate"
    assert article.author == "Maria Lopez"
    assert article.dates == ("2024-03-12",)
    assert article.source == "The Millbrook Courier"
    for body in (
        "voted seven to two on Tuesday night",
        "most of it paid by a state grant.",
        "Tonight we gave it a front yard.",
        "before the city's bicentennial celebration in the summer of 2026.",
    ):
        assert body in article.text
    for template in (
        "cookies",
        "ADVERTISEMENT",
        "mattresses",
        "Subscribe",
        "Share on Facebook",
        "Related stories",
        "School board weighs",
        "morning briefing",
        "Lakeside Credit Union",
        "All rights reserved",
        "Privacy policy",
    ):
        assert template not in source.text


def test_news_page_structure_reaches_the_parser_as_block_kinds() -> None:
    article = read_source(DATA / "riverside-park.html", MAX_CHARS).article
    kinds = [block.kind for block in article.blocks]
    assert kinds[:3] == [BlockKind.TITLE, BlockKind.BYLINE, BlockKind.DATELINE]
    headings = [article.block_text(b) for b in article.blocks if b.kind is BlockKind.HEADING]
    assert headings == ["A long road to a vote", "What happens next"]
    quotes = [article.block_text(b) for b in article.blocks if b.kind is BlockKind.QUOTE]
    assert quotes == [
        "For thirty years this neighborhood has looked at a fence and a field of broken glass. "
        "Tonight we gave it a front yard."
    ]
    assert article.title not in article.text[len(article.title) :]  # the body's headline is not repeated


def test_page_with_json_ld_authors_keeps_table_and_list_but_not_comments() -> None:
    source = read_source(DATA / "harbor-ferry.html", MAX_CHARS)
    article = source.article
    assert article.title == "Harbor Ferry Returns to Service After Engine Overhaul"
    assert article.author == "Samuel Okafor and Lena Fischer"
    assert article.dates == ("2023-09-05",)
    assert "Downtown to Gull Island | Every 45 minutes | Every 30 minutes" in article.text
    assert "Bicycles ride free before 7 a.m." in article.text
    for template in ("Finally! I have been waiting", "12 comments", "Most read", "Advertise with", "Log in"):
        assert template not in source.text


def test_stored_text_parses_as_the_same_article(tmp_path: Path) -> None:
    """What ``article.txt`` will hold reads back through ``load_article`` as the very same article."""
    source = read_source(DATA / "riverside-park.html", MAX_CHARS)
    stored = tmp_path / "article.txt"
    stored.write_text(source.text, encoding="utf-8", newline="")
    assert load_article(stored) == source.article


@pytest.mark.parametrize("name", ["lakeshore-birds.md", DEFAULT_ARTICLE.name])
def test_text_and_markdown_are_taken_as_they_are(name: str) -> None:
    path = DATA / name if (DATA / name).exists() else DEFAULT_ARTICLE
    source = read_source(path, MAX_CHARS)
    assert source.text == path.read_text(encoding="utf-8")
    assert source.article == load_article(path)
    assert source.format == path.suffix[1:]


def test_markdown_article_metadata() -> None:
    article = read_source(DATA / "lakeshore-birds.md", MAX_CHARS).article
    assert article.title == "Volunteers Count 212 Bird Species in Annual Lakeshore Survey"
    assert article.author == "Grace Whitfield"
    assert article.dates == ("May 20, 2024",)


def _refusal(path: Path, max_chars: int = MAX_CHARS, html: HtmlLimits = DEFAULT_HTML_LIMITS) -> str:
    with pytest.raises(SourceUnusable) as caught:
        read_source(path, max_chars, html)
    message = str(caught.value)
    assert str(path.resolve()) in message, message
    return message


def test_section_front_without_an_article_is_refused() -> None:
    assert "no article text found" in _refusal(DATA / "section-front.html")


def test_other_kinds_of_file_are_refused(tmp_path: Path) -> None:
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(b"%PDF-1.7\n")
    assert ".html, .markdown, .md, .txt" in _refusal(pdf)
    assert "does not exist" in _refusal(tmp_path / "missing.txt")
    folder = tmp_path / "folder.md"
    folder.mkdir()
    assert "is not a regular file" in _refusal(folder)


def test_binary_and_empty_files_are_refused(tmp_path: Path) -> None:
    binary_page = tmp_path / "page.html"
    binary_page.write_bytes(b"<html>\x00\x01\x02" + bytes(range(256)) * 4)
    assert "binary" in _refusal(binary_page)
    binary_text = tmp_path / "notes.txt"
    binary_text.write_bytes(bytes(range(256)) * 4)
    assert "binary" in _refusal(binary_text) or "UTF-8" in _refusal(binary_text)
    empty = tmp_path / "empty.html"
    empty.write_bytes(b"  \n")
    assert "empty" in _refusal(empty)
    latin1 = tmp_path / "latin1.md"
    latin1.write_bytes("Caf\xe9 society\n\nA paragraph.".encode("latin-1"))
    assert "not UTF-8" in _refusal(latin1)


def test_over_long_articles_are_refused_naming_the_limit(tmp_path: Path) -> None:
    assert "ASSISTANT_MAX_ARTICLE_CHARS=1,000" in _refusal(DATA / "riverside-park.html", max_chars=1_000)
    long_text = tmp_path / "long.txt"
    long_text.write_text("Title\n\n" + "A sentence of the article. " * 100, encoding="utf-8")
    assert "ASSISTANT_MAX_ARTICLE_CHARS=1,000" in _refusal(long_text, max_chars=1_000)


_OFFLINE_PROBE = """
import json, sys
from pathlib import Path
events = []
# Reaching out, not merely making a socket (urllib3's import binds one to ::1 to see if IPv6 exists).
NETWORK = ("socket.connect", "socket.getaddrinfo", "socket.gethostbyname", "socket.sendto", "urllib.Request")
def hook(event, args):
    if event.startswith(NETWORK) or event == "subprocess.Popen":
        events.append(event)
    elif event == "open" and isinstance(args[0], str) and args[1] not in (None, "r", "rb") and args[2] & 0o3:
        events.append(f"write {args[0]}")
sys.addaudithook(hook)
from assistant.library.html import extract_page
page = extract_page(Path(sys.argv[1]).read_bytes(), "fallback")  # what `assistant add`'s child process runs
print(json.dumps({"title": page.title, "events": events}))
"""


def test_html_extraction_makes_no_network_call_and_writes_nothing(tmp_path: Path) -> None:
    """trafilatura, htmldate, courlan and tld run from what their wheels ship: no socket is opened,
    no process started, no file written (a fresh HOME stays empty), in a process of its own (as in
    ``assistant add``, whose child process runs ``extract_page``)."""
    page = tmp_path / "page.html"
    shutil.copy(DATA / "harbor-ferry.html", page)
    home = tmp_path / "home"
    home.mkdir()
    env = {"HOME": str(home), "PATH": "/usr/bin:/bin", "XDG_CACHE_HOME": str(home / ".cache")}
    env |= {"http_proxy": "http://127.0.0.1:9", "https_proxy": "http://127.0.0.1:9"}  # would fail if used
    done = subprocess.run(
        [sys.executable, "-c", _OFFLINE_PROBE, str(page)],
        capture_output=True,
        text=True,
        env=env,
        cwd=Path(__file__).resolve().parents[2],
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["title"] == "Harbor Ferry Returns to Service After Engine Overhaul"
    assert report["events"] == []
    assert list(home.rglob("*")) == []


def _not_parsed(*_: object) -> None:
    raise AssertionError("the page was parsed: it should have been refused before")


def test_a_page_over_the_html_byte_cap_is_refused_before_it_is_parsed(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(sources, "extract_within", _not_parsed)
    page = tmp_path / "big.html"
    page.write_bytes(paragraphs_page(6 * 1024 * 1024))
    assert "the limit is ASSISTANT_MAX_HTML_BYTES=5,242,880" in _refusal(page)


def test_a_page_of_too_many_tags_is_refused_before_it_is_parsed(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(sources, "extract_within", _not_parsed)
    page = tmp_path / "spans.html"
    page.write_bytes(spans_page(100_000))  # 1.4 MB: under the byte cap
    tags = page.read_bytes().count(b"<")
    assert f"holds {tags:,} tags; the limit is ASSISTANT_MAX_HTML_TAGS=60,000" in _refusal(page)


def test_a_page_slower_than_its_time_is_stopped_and_refused(tmp_path: Path) -> None:
    page = tmp_path / "spans.html"
    page.write_bytes(spans_page(40_000))  # minutes of parsing, were it not stopped
    message = _refusal(page, html=HtmlLimits(max_tags=100_000, seconds=1.0))
    assert "reading the page took longer than 1 s (ASSISTANT_HTML_PARSE_SECONDS=1)" in message
    assert multiprocessing.active_children() == []  # the child reading it was stopped


def test_a_long_page_within_the_limits_is_read(tmp_path: Path) -> None:
    page = tmp_path / "long-read.html"
    page.write_bytes(paragraphs_page(400_000))
    assert len(read_source(page, 1_000_000).text) > 300_000
