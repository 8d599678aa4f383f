"""What one connection or request may send, and how long it has to send it."""

from __future__ import annotations

from typing import Self

from pydantic import BaseModel, Field, model_validator


class LimitSettings(BaseModel):
    """Bounds on connections, headers, bodies and log lines, checked before the app reads a request."""

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
    max_requests_per_client: int = Field(
        128,
        ge=1,
        description="Open requests of any kind one client address may have at once; more get 429. Behind "
        "ASSISTANT_TRUSTED_PROXIES the address is the forwarded client's.",
    )
    max_streams_per_client: int = Field(
        32,
        ge=1,
        description="Event streams one client address may have open at once (each chat tab keeps one or "
        "two); more get 429, while its other requests go on.",
    )
    max_streams: int | None = Field(
        None,
        ge=1,
        description="Event streams (the chat page's heartbeats and queues, streamed /v1 answers) open at "
        "once in all; more get 503. Default: half of ASSISTANT_MAX_CONNECTIONS, so streams never take the "
        "connections the APIs and /healthz need.",
    )
    max_log_line_chars: int = Field(
        2000,
        ge=200,
        description="Longest log line `assistant serve` writes, in characters; longer messages and "
        "traceback lines are cut, saying how much was cut.",
    )

    @property
    def stream_budget(self) -> int:
        """``max_streams``, or half of ``max_connections`` when unset."""
        return self.max_streams if self.max_streams is not None else self.max_connections // 2

    @model_validator(mode="after")
    def _streams_leave_connections_for_the_rest(self) -> Self:
        if self.stream_budget >= self.max_connections:
            msg = (
                f"ASSISTANT_MAX_STREAMS={self.stream_budget} would let event streams take every one of the "
                f"ASSISTANT_MAX_CONNECTIONS={self.max_connections} connections; make it lower (default: half)"
            )
            raise ValueError(msg)
        return self
