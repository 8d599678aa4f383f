"""The JSON body of every HTTP error, wherever it is produced (route, middleware or the connection itself).

``{"detail": …}`` everywhere; under ``/v1/`` also OpenAI's ``{"error": {"message", "type", "param",
"code"}}``, because OpenAI clients read their message and exception class from that object.
"""

from __future__ import annotations

import json

OPENAI_PREFIX = "/v1/"

# OpenAI's error types by status; any other 4xx is an invalid request, any 5xx a server error.
_OPENAI_TYPES = {
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    429: "rate_limit_error",
}


def openai_error_type(status: int) -> str:
    if status >= 500:
        return "server_error"
    return _OPENAI_TYPES.get(status, "invalid_request_error")


def error_content(path: str, status: int, detail: str, param: str | None = None) -> dict[str, object]:
    """``{"detail": …}``, plus the OpenAI ``error`` object when ``path`` is under ``/v1/``."""
    content: dict[str, object] = {"detail": detail}
    if path.startswith(OPENAI_PREFIX) or path == OPENAI_PREFIX.rstrip("/"):
        content["error"] = {
            "message": detail,
            "type": openai_error_type(status),
            "param": param,
            "code": None,
        }
    return content


def error_json(path: str, status: int, detail: str) -> bytes:
    """The same body, encoded, for answers written below the app (middleware, connection)."""
    return json.dumps(error_content(path, status, detail), ensure_ascii=False).encode()
