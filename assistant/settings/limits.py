"""What one connection or request may send, and how long it has to send it."""

from __future__ import annotations

from pydantic import BaseModel, Field


class LimitSettings(BaseModel):
    """Bounds on connections, headers and bodies, checked before the app reads a request."""

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
