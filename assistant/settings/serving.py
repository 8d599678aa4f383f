"""Where `assistant serve` listens, the URL users reach it at, and how long an answer may take."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from pydantic import BaseModel, Field, field_validator

# With an LLM and no ASSISTANT_REQUEST_TIMEOUT given, a request may take the LLM's time plus this much
# more: retrieval before the model call, and the extractive answer after a slow backend gave up.
LLM_REQUEST_MARGIN = 10.0
# Given explicitly, ASSISTANT_REQUEST_TIMEOUT must leave at least this much beyond ASSISTANT_LLM_TIMEOUT.
MIN_LLM_FALLBACK_SECONDS = 2.0
# What a public base URL may contain: unreserved and path characters, percent-escapes, IPv6 brackets.
_URL_CHARS = re.compile(r"https?://[A-Za-z0-9._~:/\[\]%-]+")


class ServingSettings(BaseModel):
    """The server's address, deadlines and chat queue."""

    host: str = Field("127.0.0.1", description="HTTP bind address for `assistant serve`.")
    port: int = Field(8080, ge=1, le=65535, description="HTTP port for `assistant serve`.")
    public_url: str | None = Field(
        None, description="The URL users reach this server at (https://host[:port][/path]); /embed shows it."
    )
    request_timeout: float = Field(
        10.0,
        gt=0,
        description="Seconds an HTTP request may take to be answered (with an LLM, unless given: "
        f"ASSISTANT_LLM_TIMEOUT + {LLM_REQUEST_MARGIN:g}).",
    )
    health_timeout: float = Field(
        2.0, gt=0, description="Seconds /healthz waits for its probe of index and model."
    )
    ui_concurrency_limit: int = Field(4, ge=1, le=64, description="Chat answers computed at once.")
    ui_queue_size: int = Field(64, ge=1, description="Chat requests waiting at most; more are refused.")

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
