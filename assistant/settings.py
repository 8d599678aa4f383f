"""The one place configuration is read: environment variables prefixed ``ASSISTANT_`` (or a .env file)."""

from __future__ import annotations

import ipaddress
import re
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_core import ErrorDetails
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from assistant.chroma_address import server_address
from assistant.errors import InvalidConfiguration
from assistant.web.origins import OriginError, normalise_origin

PACKAGE_DIR = Path(__file__).resolve().parent
DEFAULT_ARTICLE = PACKAGE_DIR / "data" / "henningsen-2017-iran-missile-strike.txt"
# A bearer key shorter than this is guessable rather than secret (secrets.token_urlsafe(32) gives 43).
MIN_API_KEY_CHARS = 16
# UTF-8 spends at most 4 bytes on a character: a bigger file is over the limit without reading it.
MAX_UTF8_BYTES_PER_CHAR = 4
SECRET_FIELDS = frozenset({"api_keys", "llm_api_key"})
_MAX_ECHO = 80
# With an LLM and no ASSISTANT_REQUEST_TIMEOUT given, a request may take the LLM's time plus this much
# more: retrieval before the model call, and the extractive answer after a slow backend gave up.
LLM_REQUEST_MARGIN = 10.0
# Given explicitly, ASSISTANT_REQUEST_TIMEOUT must leave at least this much beyond ASSISTANT_LLM_TIMEOUT.
MIN_LLM_FALLBACK_SECONDS = 2.0
# What a public base URL may contain: unreserved and path characters, percent-escapes, IPv6 brackets.
_URL_CHARS = re.compile(r"https?://[A-Za-z0-9._~:/\[\]%-]+")


class Settings(BaseSettings):
    """Every knob of the assistant; see the README's Configuration table."""

    # hide_input_in_errors: a refused API key must never reach a log or a traceback.
    model_config = SettingsConfigDict(
        env_prefix="ASSISTANT_", env_file=".env", extra="ignore", hide_input_in_errors=True
    )

    article_path: Path = Field(DEFAULT_ARTICLE, description="The article to answer from.")
    max_article_chars: int = Field(
        200_000,
        ge=1_000,
        description="Longest article accepted, in characters: bounds the time start-up spends embedding it.",
    )
    # The working directory's index/, fixed when settings load: never beside the code, which an
    # installed wheel keeps in site-packages.
    index_dir: Path = Field(
        default_factory=lambda: Path.cwd() / "index",
        validate_default=True,
        description="Where the built index lives (default: index/ in the working directory).",
    )
    prompts_dir: Path | None = Field(
        None,
        description="Prompts folder: the answer templates and the LLM prompt (default: the ones shipped "
        "in the package, the project's prompts/).",
    )
    answer_weights: Path | None = Field(
        None,
        description="A fit of the extractive answerer's numbers written by `assistant tune --out FILE` "
        "(e.g. at another --max-false-declines), instead of the shipped one.",
    )
    chroma_url: str | None = Field(
        None,
        description="A Chroma server (http(s)://host[:port]) to keep the index collections in, instead "
        "of files in the index directory; the manifest stays there.",
    )
    index_lock_timeout: float = Field(
        120.0, ge=0, description="Seconds to wait for another process's index build before giving up."
    )
    # Generated state like the index: by default a library/ folder inside the index directory.
    library_dir: Path | None = Field(
        None,
        description="Where `assistant add` keeps the library of articles, one folder each (default: "
        "library/ in the index directory; their indexes go to articles/ there).",
    )
    open_articles: int = Field(
        16,
        ge=1,
        description="Library articles whose index a server keeps open at once; the least recently asked "
        "is closed first (the configured article stays open).",
    )
    retrieval_k: int = Field(10, ge=1, le=50, description="Passages handed to the answerer.")
    max_citations: int = Field(2, ge=1, le=5, description="Sentences cited at most per answer.")
    answerer: Literal["auto", "extractive", "llm"] = Field(
        "auto",
        description="Which answerer writes the answers: `llm` (a model server, checked by guardrails), "
        "`extractive` (quotes, no model), or `auto`: llm when ASSISTANT_LLM_BASE_URL is set, else "
        "extractive.",
    )
    llm_base_url: str | None = Field(
        None,
        description="An OpenAI-compatible server's API base URL (e.g. http://localhost:11434/v1 for "
        "Ollama); unset: no LLM, extractive answers.",
    )
    llm_model: str | None = Field(None, description="The model the LLM server should answer with.")
    llm_api_key: SecretStr | None = Field(
        None, description="Bearer key for the LLM server, if it needs one (local servers usually do not)."
    )
    llm_timeout: float = Field(
        30.0,
        gt=0,
        le=600,
        description="Seconds the LLM may take for one answer, retries included; then the extractive answer.",
    )
    llm_max_tokens: int = Field(200, ge=16, le=8192, description="Longest LLM answer, in tokens.")
    llm_cool_down: float = Field(
        15.0,
        ge=0,
        le=3600,
        description="Seconds after an LLM backend failure during which answers are extractive without "
        "trying it (/healthz probes it meanwhile); 0 tries it for every answer.",
    )
    max_question_chars: int = Field(2000, ge=10, description="Longest question accepted.")
    max_history_turns: int = Field(50, ge=0, description="History turns considered (newest kept).")
    request_timeout: float = Field(
        10.0,
        gt=0,
        description="Seconds an HTTP request may take to be answered (with an LLM, unless given: "
        f"ASSISTANT_LLM_TIMEOUT + {LLM_REQUEST_MARGIN:g}).",
    )
    health_timeout: float = Field(
        2.0, gt=0, description="Seconds /healthz waits for its probe of index and model."
    )
    host: str = Field("127.0.0.1", description="HTTP bind address for `assistant serve`.")
    port: int = Field(8080, ge=1, le=65535, description="HTTP port for `assistant serve`.")
    allowed_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Portal origins (comma-separated) allowed to call the APIs and frame the UI.",
    )
    api_keys: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        repr=False,
        description="When set (comma-separated), /api/* and /v1/* require `Authorization: Bearer <key>`.",
    )
    ui_concurrency_limit: int = Field(4, ge=1, le=64, description="Chat answers computed at once.")
    ui_queue_size: int = Field(64, ge=1, description="Chat requests waiting at most; more are refused.")
    max_body_bytes: int = Field(
        1_048_576, ge=1024, description="Largest request body accepted, in bytes (413 beyond, unread)."
    )
    max_header_bytes: int = Field(
        16_384, ge=1024, le=1_048_576, description="Largest request line and headers, in bytes (431 beyond)."
    )
    header_timeout: float = Field(
        10.0, gt=0, description="Seconds a connection has to send a request's headers before it is closed."
    )
    body_timeout: float = Field(
        15.0, gt=0, description="Seconds a request body has to arrive after its headers (408 beyond)."
    )
    keep_alive_timeout: float = Field(5.0, gt=0, description="Seconds an idle keep-alive connection is kept.")
    max_connections: int = Field(
        1000, ge=16, description="Open connections at most; at the cap the longest-idle one is closed."
    )
    trusted_proxies: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Reverse proxies (IP addresses or networks, comma-separated) whose Forwarded and "
        "X-Forwarded-* headers are believed; from anyone else they are removed.",
    )
    public_url: str | None = Field(
        None, description="The URL users reach this server at (https://host[:port][/path]); /embed shows it."
    )
    feedback_enabled: bool = Field(
        True, description="Collect readers' 👍/👎 on answers (chat buttons and POST /api/feedback)."
    )
    # Like index/: the working directory's feedback/, fixed when settings load.
    feedback_db: Path = Field(
        default_factory=lambda: Path.cwd() / "feedback" / "feedback.sqlite3",
        validate_default=True,
        description="The SQLite file ratings are kept in (created with its folder on the first rating).",
    )
    feedback_per_minute: int = Field(
        10, ge=1, le=10_000, description="Ratings one client may send a minute; more get 429."
    )
    feedback_max_note_chars: int = Field(
        1000, ge=0, le=100_000, description="Longest note a reader may add to a rating, in characters."
    )

    @field_validator("allowed_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("allowed_origins")
    @classmethod
    def _origins_as_browsers_send_them(cls, origins: list[str]) -> list[str]:
        """CORS and frame-ancestors match ``Origin`` byte for byte: keep each in that exact form."""
        cleaned: list[str] = []
        for origin in origins:
            try:
                normalised = normalise_origin(origin)
            except OriginError as error:
                raise ValueError(f"ASSISTANT_ALLOWED_ORIGINS: {error}") from None
            if normalised not in cleaned:
                cleaned.append(normalised)
        return cleaned

    @field_validator("api_keys", mode="before")
    @classmethod
    def _split_keys(cls, value: object) -> object:
        """A value that is set but names no key would silently switch the keys off: refuse it."""
        if not isinstance(value, str):
            return value
        keys = [part.strip() for part in value.split(",") if part.strip()]
        if not keys:
            msg = (
                "ASSISTANT_API_KEYS is set but holds no key (it is blank or only commas); give "
                "comma-separated keys, or unset the variable to serve the APIs without keys"
            )
            raise ValueError(msg)
        return keys

    @field_validator("api_keys")
    @classmethod
    def _keys_are_secrets_fit_for_a_header(cls, keys: list[str]) -> list[str]:
        """Each key must travel in ``Authorization: Bearer …`` and be long enough not to be guessed."""
        make_one = "make one with: python -c 'import secrets; print(secrets.token_urlsafe(32))'"
        for number, key in enumerate(keys, start=1):
            which = f"ASSISTANT_API_KEYS: key {number} of {len(keys)}"
            bad = next((i for i, c in enumerate(key) if not "!" <= c <= "~"), None)
            if bad is not None:
                kind = "a space" if key[bad].isspace() else "a character outside printable ASCII"
                msg = f"{which} has {kind} at position {bad + 1}; keys travel in an HTTP header: {make_one}"
                raise ValueError(msg)
            if len(key) < MIN_API_KEY_CHARS:
                msg = (
                    f"{which} is {len(key)} characters long; a key needs at least {MIN_API_KEY_CHARS} "
                    f"random characters: {make_one}"
                )
                raise ValueError(msg)
        return keys

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _split_proxies(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies_are_addresses(cls, proxies: list[str]) -> list[str]:
        """Addresses, not names: the check runs on the connecting IP, and a name could resolve to anyone."""
        networks: list[str] = []
        for proxy in proxies:
            try:
                networks.append(str(ipaddress.ip_network(proxy, strict=False)))
            except ValueError:
                msg = (
                    f"ASSISTANT_TRUSTED_PROXIES: {proxy!r} is not an IP address or network; give the "
                    "address your reverse proxy connects from, e.g. 127.0.0.1 or 10.0.0.0/8 "
                    "(host names and '*' are not accepted)"
                )
                raise ValueError(msg) from None
        return networks

    @field_validator("public_url")
    @classmethod
    def _public_url_is_a_base_url(cls, url: str | None) -> str | None:
        """Shown in /embed's snippets as is: a plain http(s) base URL with nothing to escape."""
        if url is None or not url.strip():
            return None
        url = url.strip()
        parts = urlsplit(url)
        if (
            parts.scheme not in {"http", "https"}
            or not parts.hostname
            or parts.query
            or parts.fragment
            or "@" in parts.netloc
            or not _URL_CHARS.fullmatch(url)
        ):
            msg = (
                f"ASSISTANT_PUBLIC_URL: {url!r} is not a base URL; give scheme://host[:port][/path] "
                "without query, fragment or credentials, e.g. https://assistant.example.com"
            )
            raise ValueError(msg)
        return url.rstrip("/")

    @field_validator("prompts_dir", "answer_weights", mode="before")
    @classmethod
    def _blank_path_means_packaged(cls, value: object) -> object:
        """``ASSISTANT_PROMPTS_DIR=`` would otherwise be the working directory."""
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("chroma_url")
    @classmethod
    def _chroma_url_is_a_server_address(cls, url: str | None) -> str | None:
        """Checked now, so a typo fails at start-up with the variable named, not at the first build."""
        if url is None or not url.strip():
            return None
        try:
            server_address(url)
        except ValueError as error:
            raise ValueError(f"ASSISTANT_CHROMA_URL: {error}") from None
        return url.strip()

    @field_validator("index_dir")
    @classmethod
    def _index_dir_can_be_a_directory(cls, path: Path) -> Path:
        """A path under a file can never hold the index; say so now, not at the first question."""
        for part in (path, *path.parents):
            try:
                if not part.exists():
                    continue
            except OSError:
                break
            if not part.is_dir():
                where = "is a file" if part == path else f"is inside {str(part)!r}, which is a file"
                msg = f"ASSISTANT_INDEX_DIR: {str(path)!r} {where}; point it at a directory it may write"
                raise ValueError(msg)
            break
        return path

    @model_validator(mode="after")
    def _library_dir_defaults_into_the_index_dir(self) -> Settings:
        """Unset or blank: ``library/`` in the index directory (generated state, never committed)."""
        if self.library_dir is None or not str(self.library_dir).strip() or str(self.library_dir) == ".":
            self.library_dir = self.index_dir / "library"
        elif self.library_dir.exists() and not self.library_dir.is_dir():
            msg = (
                f"ASSISTANT_LIBRARY_DIR: {str(self.library_dir)!r} is a file; point it at a directory "
                "it may write, or unset it for library/ in the index directory"
            )
            raise ValueError(msg)
        return self

    @field_validator("feedback_db")
    @classmethod
    def _feedback_db_can_be_a_file(cls, path: Path) -> Path:
        """A folder can never be the database file; say so at start-up, not at the first rating."""
        try:
            is_dir = path.is_dir()
        except OSError:
            is_dir = False
        if is_dir:
            example = str(path / "feedback.sqlite3")
            msg = f"ASSISTANT_FEEDBACK_DB: {str(path)!r} is a directory; give a file path, e.g. {example!r}"
            raise ValueError(msg)
        return path

    @field_validator("llm_base_url")
    @classmethod
    def _llm_base_url_is_a_url(cls, url: str | None) -> str | None:
        """Checked now, so a typo fails at start-up with the variable named, not at the first answer."""
        if url is None or not url.strip():
            return None
        url = url.strip()
        parts = urlsplit(url)
        if parts.scheme not in {"http", "https"} or not parts.hostname or parts.query or parts.fragment:
            msg = (
                f"ASSISTANT_LLM_BASE_URL: {_shown(url)} is not an API base URL; give "
                "scheme://host[:port]/path without query or fragment, e.g. http://localhost:11434/v1 (Ollama)"
            )
            raise ValueError(msg)
        return url.rstrip("/")

    @field_validator("llm_model")
    @classmethod
    def _blank_llm_model_means_unset(cls, value: str | None) -> str | None:
        return value.strip() if value and value.strip() else None

    @property
    def llm_enabled(self) -> bool:
        """Whether answers are written by the LLM: ``answerer`` ``llm``, or ``auto`` with a base URL."""
        return self.answerer == "llm" or (self.answerer == "auto" and self.llm_base_url is not None)

    @model_validator(mode="after")
    def _llm_is_configured_whole(self) -> Settings:
        """An LLM answerer needs a server and a model, and a request deadline its fallback fits in."""
        if self.answerer == "llm" and self.llm_base_url is None:
            msg = (
                "ASSISTANT_ANSWERER=llm needs ASSISTANT_LLM_BASE_URL, the model server's API base URL "
                "(e.g. http://localhost:11434/v1 for Ollama); set it, or use ASSISTANT_ANSWERER=extractive"
            )
            raise ValueError(msg)
        if not self.llm_enabled:
            return self
        if self.llm_model is None:
            msg = (
                f"ASSISTANT_LLM_MODEL is unset; name the model {self.llm_base_url} should answer with "
                "(e.g. llama3.2 for Ollama, gpt-4o-mini for OpenAI), or unset ASSISTANT_LLM_BASE_URL"
            )
            raise ValueError(msg)
        if "request_timeout" not in self.model_fields_set:
            self.request_timeout = self.llm_timeout + LLM_REQUEST_MARGIN
        elif self.request_timeout < self.llm_timeout + MIN_LLM_FALLBACK_SECONDS:
            msg = (
                f"ASSISTANT_REQUEST_TIMEOUT={self.request_timeout:g} leaves no time for the extractive "
                f"answer after ASSISTANT_LLM_TIMEOUT={self.llm_timeout:g}; make it at least "
                f"{self.llm_timeout + MIN_LLM_FALLBACK_SECONDS:g} or lower ASSISTANT_LLM_TIMEOUT"
            )
            raise ValueError(msg)
        return self

    @model_validator(mode="after")
    def _article_is_a_file_within_limit(self) -> Settings:
        """What a stat can tell; ``load_article`` checks the text itself (UTF-8, not binary, length)."""
        path, shown = self.article_path, repr(str(self.article_path))
        try:
            size = path.stat().st_size if path.is_file() else None
        except OSError as error:
            msg = f"ASSISTANT_ARTICLE_PATH: cannot read {shown} ({error.strerror}); point it at a text file"
            raise ValueError(msg) from None
        if size is None:
            what = "is not a regular file" if path.exists() else "does not exist"
            msg = f"ASSISTANT_ARTICLE_PATH: {shown} {what}; point it at the article, a UTF-8 text file"
            raise ValueError(msg)
        if size == 0:
            msg = f"ASSISTANT_ARTICLE_PATH: {shown} is empty (0 bytes); point it at the article's text"
            raise ValueError(msg)
        if size > self.max_article_chars * MAX_UTF8_BYTES_PER_CHAR:
            msg = (
                f"ASSISTANT_ARTICLE_PATH: {shown} is {size:,} bytes, more than "
                f"ASSISTANT_MAX_ARTICLE_CHARS={self.max_article_chars:,} characters can take; "
                "shorten the article or raise ASSISTANT_MAX_ARTICLE_CHARS"
            )
            raise ValueError(msg)
        return self


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= _MAX_ECHO else f"{text[:_MAX_ECHO]}…"


def _problem(error: ErrorDetails) -> str:
    """One bad value in words: the variable, what was wrong, and what was received (never a key)."""
    field = str(error["loc"][0]) if error["loc"] else ""
    variable = f"ASSISTANT_{field.upper()}" if field else "settings"
    if error["type"] == "value_error":
        message = str(error.get("ctx", {}).get("error", error["msg"]))
        return message if message.startswith("ASSISTANT_") else f"{variable}: {message}"
    received = "" if field in SECRET_FIELDS else f" (got {_shown(error.get('input'))})"
    return f"{variable}: {error['msg']}{received}"


def load_settings() -> Settings:
    """The settings, or ``InvalidConfiguration`` naming every bad variable in one line."""
    try:
        return Settings()
    except ValidationError as error:
        raise InvalidConfiguration("; ".join(_problem(e) for e in error.errors())) from None
    except (OSError, UnicodeDecodeError) as error:
        env_file = Path.cwd() / ".env"
        msg = f"cannot read settings from {str(env_file)!r} ({error}); save it as UTF-8 text or remove it"
        raise InvalidConfiguration(msg) from None
