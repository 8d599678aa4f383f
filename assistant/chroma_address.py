"""A Chroma server's address, read from ``ASSISTANT_CHROMA_URL``: pure URL parsing, no Chroma.

Low in the tree on purpose: ``assistant.settings`` checks the URL at start-up with it, and the server
store (``assistant.index.stores.shared_client``) connects with it; neither pulls the other in.
"""

from __future__ import annotations

from urllib.parse import urlsplit

URL_EXAMPLE = "http://localhost:8000"


def server_address(url: str) -> tuple[str, int, bool]:
    """``(host, port, ssl)`` of a Chroma server URL; ``ValueError`` naming the URL if it is not one."""
    parts = urlsplit(url.strip())
    try:
        port = parts.port
    except ValueError:
        port = -1
    if (
        parts.scheme not in {"http", "https"}
        or not parts.hostname
        or port == -1
        or "@" in parts.netloc
        or parts.path not in {"", "/"}
        or parts.query
        or parts.fragment
    ):
        msg = (
            f"{url!r} is not a Chroma server address; give http(s)://host[:port] without a path, "
            f"query or credentials, e.g. {URL_EXAMPLE}"
        )
        raise ValueError(msg)
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    ssl = parts.scheme == "https"
    return host, port or (443 if ssl else 80), ssl
