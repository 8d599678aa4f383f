"""The model server, through the ``openai`` client: one streamed chat completion within a time budget.

Any OpenAI-compatible server works (Ollama, vLLM, llama.cpp's server, OpenAI). Replies are always
streamed (``stream: true``), so the chat page shows the model's words as they come; a whole reply is
the joined stream. The client's own retries are off: its backoff honours a server's ``Retry-After``
(up to a minute), which would outlive the request deadline. Here at most ``RETRIES`` retries, only
before the first word arrived and only for what may pass (no connection, HTTP 5xx, 408, 409, 429), all
within ``timeout`` seconds in total; a timeout, a refusal (another 4xx), a broken-off stream or a reply
that is not an answer ends the attempt at once.

After a failure the backend rests for ``COOL_DOWN`` seconds: answers go straight to the extractive
answerer instead of each waiting out a dead or hung server. ``probe`` (``/healthz``) ends the rest as
soon as the server answers again. Every outcome is remembered, so ``/healthz`` can say the backend is
failing, and that it recovered.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence

import httpx
import openai

RETRIES = 2
COOL_DOWN = 15.0
"""Seconds after a failure during which answers do not call the backend (``probe`` still does)."""
_BACKOFF = 0.25
"""Seconds before the first retry; doubled for the next."""
_RETRIED_STATUSES = frozenset({408, 409, 429})
_PROBE_MAX_TOKENS = 1


class BackendFailure(Exception):
    """The model server gave no usable answer; the message says why in a few words."""


class _NotAnAnswer(Exception):
    """A reply that arrived but holds no answer text (a refusal)."""


class _Retry(Exception):
    """A failure that may pass: worth another attempt while time is left."""


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
        cool_down: float = COOL_DOWN,
    ) -> None:
        self.base_url = base_url
        self.model = model
        self.timeout = timeout
        self.max_tokens = max_tokens
        self.cool_down = cool_down
        # A local server needs no key, but the client insists on one (and would read OPENAI_API_KEY).
        self._client = openai.OpenAI(
            base_url=base_url, api_key=api_key or "unused", timeout=timeout, max_retries=0
        )
        self._problem: str | None = None
        self._resting_until = 0.0
        self._probing = threading.Lock()

    @property
    def problem(self) -> str | None:
        """Why the last call failed, or None when it worked (or none was made yet)."""
        return self._problem

    def _failed(self, reason: str) -> BackendFailure:
        self._problem = (
            f"the LLM backend at {self.base_url} {reason}; answers fall back to the extractive answerer"
        )
        self._resting_until = time.monotonic() + self.cool_down
        return BackendFailure(reason)

    def _worked(self) -> None:
        self._problem, self._resting_until = None, 0.0

    def complete(
        self, messages: Sequence[dict[str, str]], max_tokens: int | None = None, timeout: float | None = None
    ) -> str:
        """The model's whole reply, or ``BackendFailure`` within ``timeout`` seconds (the backend's own
        when not given; a step of its own, such as a rewrite, gives a shorter one), retries included."""
        return "".join(self.stream(messages, max_tokens, timeout))

    def stream(
        self, messages: Sequence[dict[str, str]], max_tokens: int | None = None, timeout: float | None = None
    ) -> Iterator[str]:
        """The model's reply, piece by piece as it is written; ``BackendFailure`` (raised at any point
        of the iteration) when the server fails, within ``timeout`` seconds in all."""
        resting = self._resting_until - time.monotonic()
        if resting > 0 and self._problem is not None:
            raise BackendFailure(f"failed moments ago; tried again in {resting:.0f} s")
        yield from self._attempts(
            messages, max_tokens or self.max_tokens, min(timeout or self.timeout, self.timeout)
        )

    def _attempts(self, messages: Sequence[dict[str, str]], max_tokens: int, timeout: float) -> Iterator[str]:
        deadline = time.monotonic() + timeout
        which = "ASSISTANT_LLM_TIMEOUT" if timeout == self.timeout else "ASSISTANT_LLM_STEP_TIMEOUT"
        too_slow = f"gave no answer within {timeout:g} s ({which})"
        reason = "gave no answer"
        for attempt in range(RETRIES + 1):
            if time.monotonic() >= deadline:
                reason = too_slow
                break
            started = False
            try:
                for piece in self._once(messages, max_tokens, deadline):
                    started = True
                    yield piece
            except _Retry as retry:
                reason = str(retry)
                if started:
                    raise self._failed(f"broke off its answer ({reason})") from None
            except openai.APITimeoutError:
                raise self._failed(too_slow) from None
            except TimeoutError:
                raise self._failed(too_slow) from None
            except _NotAnAnswer as error:
                raise self._failed(str(error)) from None
            except BackendFailure as failure:
                raise self._failed(str(failure)) from None
            except (openai.APIError, ValueError, TypeError, AttributeError, IndexError, KeyError):
                raise self._failed("returned something that is not a chat completion stream") from None
            else:
                self._worked()
                return
            pause = _BACKOFF * 2**attempt
            if attempt < RETRIES and time.monotonic() + pause < deadline:
                time.sleep(pause)
        raise self._failed(reason)

    def _once(self, messages: Sequence[dict[str, str]], max_tokens: int, deadline: float) -> Iterator[str]:
        """One streamed request: its text pieces; ``_Retry`` for failures that may pass."""
        try:
            chunks = self._client.chat.completions.create(
                model=self.model,
                messages=list(messages),  # type: ignore[arg-type]
                max_tokens=max_tokens,
                temperature=0,
                stream=True,
                timeout=max(deadline - time.monotonic(), 0.001),
            )
        except openai.APIConnectionError as error:
            if isinstance(error, openai.APITimeoutError):
                raise
            raise _Retry("cannot be reached") from None
        except openai.APIStatusError as error:
            reason = _status_reason(error)
            if error.status_code >= 500 or error.status_code in _RETRIED_STATUSES:
                raise _Retry(reason) from None
            raise BackendFailure(reason) from None
        with chunks:
            if "text/event-stream" not in chunks.response.headers.get("content-type", ""):
                raise ValueError("not a stream of server-sent events")
            for chunk in self._pieces(chunks):
                if time.monotonic() > deadline:
                    raise TimeoutError
                yield chunk

    @staticmethod
    def _pieces(chunks: openai.Stream) -> Iterator[str]:
        """The text of each chunk; a stream ending before a chunk said why it finished broke off."""
        finished = False
        try:
            for chunk in chunks:
                if not chunk.choices:
                    continue  # a usage-only chunk
                choice = chunk.choices[0]
                if getattr(choice.delta, "refusal", None):
                    raise _NotAnAnswer("refused to answer")
                if choice.delta.content:
                    yield choice.delta.content
                finished = finished or choice.finish_reason is not None
        except (httpx.TimeoutException, openai.APITimeoutError):
            raise TimeoutError from None
        except (httpx.TransportError, openai.APIConnectionError):
            raise _Retry("cannot be reached (the stream broke off)") from None
        if not finished:
            raise _Retry("stopped its stream before the answer was finished")

    def first_token(
        self, messages: Sequence[dict[str, str]], timeout: float, top: int = 10
    ) -> dict[str, float]:
        """The reply's first token as the model weighs it: each of its ``top`` likeliest first tokens
        (case and spaces as the model spells them) with its log-probability. One request, no retry: a
        judgement that does not come within ``timeout`` seconds is not waited for.

        ``BackendFailure`` when the server fails, or gives no log-probabilities (not every
        OpenAI-compatible server does): the caller then goes without the judgement."""
        resting = self._resting_until - time.monotonic()
        if resting > 0 and self._problem is not None:
            raise BackendFailure(f"failed moments ago; tried again in {resting:.0f} s")
        try:
            reply = self._client.chat.completions.create(
                model=self.model,
                messages=list(messages),  # type: ignore[arg-type]
                max_tokens=1,
                temperature=0,
                logprobs=True,
                top_logprobs=top,
                timeout=min(timeout, self.timeout),
            )
        except openai.APITimeoutError:
            raise self._failed(f"gave no judgement within {min(timeout, self.timeout):g} s") from None
        except openai.APIConnectionError:
            raise self._failed("cannot be reached") from None
        except openai.APIStatusError as error:
            raise self._failed(_status_reason(error)) from None
        except (openai.APIError, ValueError, TypeError) as error:
            raise self._failed(
                f"returned something that is not a chat completion ({type(error).__name__})"
            ) from None
        try:
            first = reply.choices[0].logprobs.content[0]  # type: ignore[union-attr,index]
            weighed = {first.token: first.logprob}
            weighed.update((t.token, t.logprob) for t in first.top_logprobs or ())
        except (AttributeError, IndexError, TypeError):
            # Answered, but without log-probabilities: the server works, this feature does not.
            raise BackendFailure("gives no log-probabilities (logprobs)") from None
        self._worked()
        return weighed

    def probe(self) -> str | None:
        """After a failure, try a one-token completion: whether the backend is back. ``problem`` after.

        One probe at a time: a caller arriving while one runs gets the last known state."""
        if self._problem is None or not self._probing.acquire(blocking=False):
            return self._problem
        try:
            self._resting_until = 0.0
            self.complete([{"role": "user", "content": "ping"}], max_tokens=_PROBE_MAX_TOKENS)
        except BackendFailure:
            pass
        finally:
            self._probing.release()
        return self._problem
