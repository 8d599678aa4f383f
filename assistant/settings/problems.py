"""A refused setting in words: the variable, what was wrong, and what was received (never a secret)."""

from __future__ import annotations

from pydantic_core import ErrorDetails

SECRET_FIELDS = frozenset({"api_keys", "llm_api_key"})
_MAX_ECHO = 80


def shown(value: object) -> str:
    """``value`` as a message quotes it, cut short."""
    text = repr(value)
    return text if len(text) <= _MAX_ECHO else f"{text[:_MAX_ECHO]}…"


def problem(error: ErrorDetails) -> str:
    """One bad value in words: the variable, what was wrong, and what was received (never a key)."""
    field = str(error["loc"][0]) if error["loc"] else ""
    variable = f"ASSISTANT_{field.upper()}" if field else "settings"
    if error["type"] == "value_error":
        message = str(error.get("ctx", {}).get("error", error["msg"]))
        return message if message.startswith("ASSISTANT_") else f"{variable}: {message}"
    received = "" if field in SECRET_FIELDS else f" (got {shown(error.get('input'))})"
    return f"{variable}: {error['msg']}{received}"
