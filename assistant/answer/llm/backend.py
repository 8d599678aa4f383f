"""The model server, through the ``openai`` client: one chat completion within a time budget.

Any OpenAI-compatible server works (Ollama, vLLM, llama.cpp's server, OpenAI). The client's own
retries are off: its backoff honours a server's ``Retry-After`` (up to a minute), which would outlive
the request deadline. Here at most ``RETRIES`` retries, only for what may pass (no connection, HTTP
5xx, 408, 409, 429), all within ``timeout`` seconds in total; a timeout, a refusal (another 4xx) or a
reply that is not an answer ends the attempt at once. Every outcome is remembered, so ``/healthz``
can say the backend is failing, and that it recovered.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence

import openai

RETRIES = 2
_BACKOFF = 0.25
"""Seconds before the first retry; doubled for the next."""
_RETRIED_STATUSES = frozenset({408, 409, 429})
_PROBE_MAX_TOKENS = 1


class BackendFailure(Exception):
    """The model server gave no usable answer; the message says why in a few words."""


class _NotAnAnswer(Exception):
    """A reply that arrived but holds no answer text (a refusal, no content)."""


def _status_reason(error: openai.APIStatusError) -> str:
    if error.status_code in {401, 403}:
        return f"refused the request (HTTP {error.status_code}): check ASSISTANT_LLM_API_KEY"
    if error.status_code == 404:
        return "answered HTTP 404: check ASSISTANT_LLM_BASE_URL (it ends in /v1) and ASSISTANT_LLM_MODEL"
    return f"answered HTTP {error.status_code}"


class ChatBackend:
    """One OpenAI-compatible chat-completions endpoint, and whether it worked the last time."""

    def __init__(
        self,
        base_url: str,
        model: str,
        api_key: str | None = None,
        timeout: float = 30.0,
        max_tokens: int = 300,
    ) -> None:
        self.base_url = base_url
        self.model = model
        self.timeout = timeout
        self.max_tokens = max_tokens
        # A local server needs no key, but the client insists on one (and would read OPENAI_API_KEY).
        self._client = openai.OpenAI(
            base_url=base_url, api_key=api_key or "unused", timeout=timeout, max_retries=0
        )
        self._problem: str | None = None
        self._probing = threading.Lock()

    @property
    def problem(self) -> str | None:
        """Why the last call failed, or None when it worked (or none was made yet)."""
        return self._problem

    def _failed(self, reason: str) -> BackendFailure:
        self._problem = (
            f"the LLM backend at {self.base_url} {reason}; answers fall back to the extractive answerer"
        )
        return BackendFailure(reason)

    def complete(self, messages: Sequence[dict[str, str]], max_tokens: int | None = None) -> str:
        """The model's reply text, or ``BackendFailure`` within ``timeout`` seconds, retries included."""
        deadline = time.monotonic() + self.timeout
        reason = "gave no answer"
        for attempt in range(RETRIES + 1):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                reason = f"gave no answer within {self.timeout:g} s (ASSISTANT_LLM_TIMEOUT)"
                break
            try:
                text = self._once(messages, max_tokens or self.max_tokens, remaining)
            except openai.APITimeoutError:
                raise self._failed(
                    f"gave no answer within {self.timeout:g} s (ASSISTANT_LLM_TIMEOUT)"
                ) from None
            except openai.APIConnectionError:
                reason = "cannot be reached"
            except openai.APIStatusError as error:
                reason = _status_reason(error)
                if error.status_code < 500 and error.status_code not in _RETRIED_STATUSES:
                    raise self._failed(reason) from None
            except _NotAnAnswer as error:
                raise self._failed(str(error)) from None
            except (openai.APIError, ValueError, TypeError, AttributeError, IndexError):
                raise self._failed("returned something that is not a chat completion") from None
            else:
                self._problem = None
                return text
            pause = _BACKOFF * 2**attempt
            if attempt < RETRIES and time.monotonic() + pause < deadline:
                time.sleep(pause)
        raise self._failed(reason)

    def _once(self, messages: Sequence[dict[str, str]], max_tokens: int, timeout: float) -> str:
        response = self._client.chat.completions.create(
            model=self.model,
            messages=list(messages),  # type: ignore[arg-type]
            max_tokens=max_tokens,
            temperature=0,
            timeout=timeout,
        )
        message = response.choices[0].message
        if getattr(message, "refusal", None):
            raise _NotAnAnswer("refused to answer")
        if not isinstance(message.content, str):
            raise _NotAnAnswer("returned a reply without text")
        return message.content

    def probe(self) -> str | None:
        """After a failure, try a one-token completion: whether the backend is back. ``problem`` after.

        One probe at a time: a caller arriving while one runs gets the last known state."""
        if self._problem is None or not self._probing.acquire(blocking=False):
            return self._problem
        try:
            self.complete([{"role": "user", "content": "ping"}], max_tokens=_PROBE_MAX_TOKENS)
        except BackendFailure:
            pass
        finally:
            self._probing.release()
        return self._problem
