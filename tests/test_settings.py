"""Settings: every bad value stops start-up with the variable named; origins take the form browsers send.

Fast: no model, no server. The served CSP/CORS check is in tests/web/test_origins.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.errors import InvalidConfiguration
from assistant.settings import Settings, load_settings
from assistant.settings.security import MIN_API_KEY_CHARS

KEY = "k" * MIN_API_KEY_CHARS


@pytest.mark.parametrize(
    ("configured", "expected"),
    [
        ("https://portal.example.com", ["https://portal.example.com"]),
        ("HTTPS://Portal.Example.COM", ["https://portal.example.com"]),
        ("https://portal.example.com:443", ["https://portal.example.com"]),
        ("http://portal.example.com:80/", ["http://portal.example.com"]),
        ("https://portal.example.com:80", ["https://portal.example.com:80"]),
        ("http://localhost:3000", ["http://localhost:3000"]),
        ("http://127.0.0.1:08080", ["http://127.0.0.1:8080"]),
        ("https://bücher.example", ["https://xn--bcher-kva.example"]),
        ("https://BÜCHER.example:8443", ["https://xn--bcher-kva.example:8443"]),
        ("https://straße.de", ["https://xn--strae-oqa.de"]),  # UTS 46 non-transitional, as browsers do
        ("https://ｐｏｒｔａｌ.example", ["https://portal.example"]),  # full-width letters map to ASCII
        ("http://[::1]:3000", ["http://[::1]:3000"]),
        ("http://[0:0:0:0:0:0:0:1]", ["http://[::1]"]),
        (
            " https://a.example , https://A.example:443,http://b.example ",
            ["https://a.example", "http://b.example"],
        ),
        ("", []),
        (" , ", []),
    ],
)
def test_allowed_origins_are_normalised_as_browsers_send_them(monkeypatch, configured, expected):
    monkeypatch.setenv("ASSISTANT_ALLOWED_ORIGINS", configured)
    assert Settings().allowed_origins == expected


@pytest.mark.parametrize(
    ("configured", "problem"),
    [
        ("*", "wildcards are not supported; list each origin"),
        ("https://*.example.com", "wildcards are not supported; list each origin"),
        ("https://portal.example.com'", 'with the character(s) "\'"'),
        ("https://portal.example.com;script-src", "with the character(s) ';'"),
        ("https://portal example.com", "with the character(s) ' '"),
        ('https://portal.example.com"', "with the character(s) '\"'"),
        ("https://under_score.example", "with the character(s) '_'"),
        ("https://bad\u2028host.example", "not a valid internationalised domain name"),
        ("https://example.com.", "empty, over-long or hyphen-edged label"),
        ("https://-portal.example", "empty, over-long or hyphen-edged label"),
        ("null", "it lacks 'scheme://'"),
        ("portal.example.com", "it lacks 'scheme://'"),
        ("ftp://portal.example.com", "the scheme must be http or https"),
        ("https://portal.example.com/chat", "drop the path, query or fragment '/chat'"),
        ("https://portal.example.com?x=1", "drop the path, query or fragment '?x=1'"),
        ("https://user@portal.example.com", "drop the user name"),
        ("https://", "has no host"),
        ("https://portal.example.com:0", "a port is a number from 1 to 65535"),
        ("https://portal.example.com:65536", "a port is a number from 1 to 65535"),
        ("https://portal.example.com:", "has the port ''"),
        ("http://::1", "an IPv6 address goes in brackets"),
        ("http://[fe80::1%eth0]", "not an IPv6 address in brackets"),
        ("http://300.1.1.1", "not an IPv4 address"),
    ],
)
def test_allowed_origins_no_browser_could_send_are_refused(monkeypatch, configured, problem):
    monkeypatch.setenv("ASSISTANT_ALLOWED_ORIGINS", f"https://fine.example,{configured}")
    with pytest.raises(InvalidConfiguration) as refused:
        load_settings()
    message = str(refused.value)
    assert message.startswith("ASSISTANT_ALLOWED_ORIGINS: ")
    assert problem in message
    assert "\n" not in message


def test_every_accepted_origin_is_plain_ascii_without_csp_separators(monkeypatch):
    monkeypatch.setenv("ASSISTANT_ALLOWED_ORIGINS", "https://Bücher.example:443,http://[::1]:8080")
    for origin in Settings().allowed_origins:
        assert origin.isascii() and origin.isprintable()
        assert not set(origin) & set(" ;,'\"*")


def test_api_keys_are_comma_separated_and_never_shown(monkeypatch):
    monkeypatch.setenv("ASSISTANT_API_KEYS", f" {KEY}1 ,{KEY}2,")
    settings = Settings()
    assert settings.api_keys == [f"{KEY}1", f"{KEY}2"]
    assert KEY not in repr(settings)


@pytest.mark.parametrize("configured", ["", " ", ",", " , ", ",,,"])
def test_api_keys_set_but_holding_no_key_are_refused(monkeypatch, configured):
    monkeypatch.setenv("ASSISTANT_API_KEYS", configured)
    with pytest.raises(InvalidConfiguration, match="ASSISTANT_API_KEYS is set but holds no key"):
        load_settings()


@pytest.mark.parametrize(
    ("configured", "problem"),
    [
        ("short-key", "key 1 of 1 is 9 characters long; a key needs at least 16"),
        (f"{KEY},abc", "key 2 of 2 is 3 characters long"),
        (f"{KEY} with-space", "key 1 of 1 has a space at position 17"),
        (f"{KEY}\t", None),  # stripped like the spaces around a comma
        (f"{KEY}é", "key 1 of 1 has a character outside printable ASCII at position 17"),
        (f"{KEY}\x7f", "key 1 of 1 has a character outside printable ASCII at position 17"),
        (f"\x01{KEY}", "key 1 of 1 has a character outside printable ASCII at position 1"),
    ],
)
def test_api_keys_that_cannot_travel_in_a_header_or_are_guessable_are_refused(
    monkeypatch, configured, problem
):
    monkeypatch.setenv("ASSISTANT_API_KEYS", configured)
    if problem is None:
        assert load_settings().api_keys == [KEY]
        return
    with pytest.raises(InvalidConfiguration) as refused:
        load_settings()
    message = str(refused.value)
    assert problem in message and "secrets.token_urlsafe" in message
    assert KEY not in message and "short-key" not in message


def test_refused_key_is_not_shown_by_pydantic_either():
    with pytest.raises(ValueError) as refused:
        Settings(api_keys=["secret but has spaces"])
    assert "secret but" not in str(refused.value)


def test_several_bad_values_are_named_in_one_line_with_what_was_received(monkeypatch):
    monkeypatch.setenv("ASSISTANT_RETRIEVAL_K", "zero")
    monkeypatch.setenv("ASSISTANT_PORT", "99999")
    with pytest.raises(InvalidConfiguration) as refused:
        load_settings()
    message = str(refused.value)
    assert "ASSISTANT_RETRIEVAL_K: Input should be a valid integer" in message and "(got 'zero')" in message
    assert "ASSISTANT_PORT: Input should be less than or equal to 65535 (got '99999')" in message
    assert "\n" not in message


def _article(tmp_path: Path, content: bytes) -> Path:
    path = tmp_path / "article.txt"
    path.write_bytes(content)
    return path


@pytest.mark.parametrize(
    ("content", "limit", "problem"),
    [
        (None, None, "does not exist; point it at the article"),
        (b"", None, "is empty (0 bytes)"),
        (
            b"x" * 4_001,
            "1000",
            "is 4,001 bytes, more than ASSISTANT_MAX_ARTICLE_CHARS=1,000 characters can take",
        ),
    ],
)
def test_article_path_is_checked_at_start_up(monkeypatch, tmp_path, content, limit, problem):
    path = tmp_path / "missing.txt" if content is None else _article(tmp_path, content)
    monkeypatch.setenv("ASSISTANT_ARTICLE_PATH", str(path))
    if limit:
        monkeypatch.setenv("ASSISTANT_MAX_ARTICLE_CHARS", limit)
    with pytest.raises(InvalidConfiguration) as refused:
        load_settings()
    assert str(refused.value).startswith(f"ASSISTANT_ARTICLE_PATH: {str(path)!r}")
    assert problem in str(refused.value)


def test_article_path_that_is_a_directory_is_refused(monkeypatch, tmp_path):
    monkeypatch.setenv("ASSISTANT_ARTICLE_PATH", str(tmp_path))
    with pytest.raises(InvalidConfiguration, match="is not a regular file"):
        load_settings()


def test_default_article_fits_the_default_limit():
    settings = Settings()
    assert settings.article_path.stat().st_size < settings.max_article_chars


@pytest.mark.parametrize("below", ["", "deeper/index"])
def test_index_dir_under_a_file_is_refused(monkeypatch, tmp_path, below):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    index_dir = blocker / below if below else blocker
    monkeypatch.setenv("ASSISTANT_INDEX_DIR", str(index_dir))
    with pytest.raises(InvalidConfiguration) as refused:
        load_settings()
    message = str(refused.value)
    assert message.startswith(f"ASSISTANT_INDEX_DIR: {str(index_dir)!r}")
    assert "which is a file" in message if below else "is a file;" in message


def test_index_dir_that_does_not_exist_yet_is_fine(monkeypatch, tmp_path):
    monkeypatch.setenv("ASSISTANT_INDEX_DIR", str(tmp_path / "new" / "index"))
    assert load_settings().index_dir == tmp_path / "new" / "index"


def test_unreadable_dotenv_is_named(monkeypatch, tmp_path):
    (tmp_path / ".env").write_bytes(b"ASSISTANT_PORT=\xff\xfe8080\n")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InvalidConfiguration, match=r"cannot read settings from '.*\.env'.*save it as UTF-8"):
        load_settings()
