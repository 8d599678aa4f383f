"""What can go wrong, in words a user can act on. Surfaces translate these; nothing else leaks.

Each error declares the HTTP status it means (``http_status``): the API answers with it, the CLI
prints the message and exits 1. A new error is one class here, never a new branch in a surface.

Messages name the files they are about, for the operator. A client across the network is told the
same message through ``public_message``, which keeps what is wrong and what to do and shortens every
filesystem path to its last name; the whole message goes to the log.
"""

from __future__ import annotations

import functools
import logging
import os
import re
from typing import ClassVar

logger = logging.getLogger(__name__)

# A quoted path (``{path!r}``, which may hold spaces), or else a run of characters that could be one.
_QUOTED_PATH = re.compile(r"""(?<=')[^'\n]*/[^'\n]*(?=')|(?<=")[^"\n]*/[^"\n]*(?=")""")
_PATH_LIKE = re.compile(r"""[^\s'"`<>()\[\]{},;]*/[^\s'"`<>()\[\]{},;]*""")
_TRAILING = ".:;!?"


class AssistantError(Exception):
    """Base class: something the user or operator can fix; the message says how."""

    http_status: ClassVar[int] = 422


class InvalidConfiguration(AssistantError):
    """A setting (environment variable or .env) has a value the assistant cannot use; the message names it."""

    http_status: ClassVar[int] = 503


class ArticleUnusable(AssistantError):
    """The article file cannot be read as an article: unreadable, empty, binary, not UTF-8 or too long."""

    http_status: ClassVar[int] = 503


class PromptError(AssistantError):
    """The answer templates are missing, malformed, or lack (or misuse) a placeholder the code fills in."""

    http_status: ClassVar[int] = 503


class InvalidQuestion(AssistantError):
    """The question is empty, too long or not text."""

    @classmethod
    def empty(cls) -> InvalidQuestion:
        return cls("the question is empty: type a question about the article")

    @classmethod
    def too_long(cls, length: int | str, limit: int) -> InvalidQuestion:
        return cls(f"the question is {length} characters long; the limit is {limit}")


class IndexUnavailable(AssistantError):
    """The index cannot be opened or built (missing, unreadable or read-only directory)."""

    http_status: ClassVar[int] = 503


class IndexBusy(AssistantError):
    """Another process is building the index right now."""

    http_status: ClassVar[int] = 503


class NotAuthorized(AssistantError):
    """The request has no valid API key: send ``Authorization: Bearer <key>``."""

    http_status: ClassVar[int] = 401


class AnswerTimeout(AssistantError):
    """No answer within the request time limit: the index or the model is stuck or overloaded."""

    http_status: ClassVar[int] = 503

    @classmethod
    def after(cls, what: str, seconds: float) -> AnswerTimeout:
        reason = "the index or the model is not responding; try again shortly"
        return cls(f"{what} took longer than {seconds:g} s: {reason}")


class AnswerCancelled(AssistantError):
    """Nobody waits for this answer any more (its client left, or the request was abandoned): the work stops.

    499 as nginx logs a request whose client closed it; the client is gone, so it is read only in logs."""

    http_status: ClassVar[int] = 499


class ModelUnavailable(AssistantError):
    """A model the assistant needs is not installed or cannot be loaded; the message says which and how."""

    http_status: ClassVar[int] = 503


class InvalidFeedback(AssistantError):
    """A rating that cannot be stored: a field is too long, or a citation is not a span of the article."""


class FeedbackDisabled(AssistantError):
    """This server does not collect feedback (``ASSISTANT_FEEDBACK_ENABLED=false``)."""

    http_status: ClassVar[int] = 403

    def __init__(self) -> None:
        super().__init__(
            "feedback is switched off on this server: the operator can set ASSISTANT_FEEDBACK_ENABLED=true "
            "to collect ratings"
        )


class FeedbackRateLimited(AssistantError):
    """This client sent more ratings in the last minute than ``ASSISTANT_FEEDBACK_PER_MINUTE`` allows."""

    http_status: ClassVar[int] = 429

    def __init__(self, limit: int, retry_after: int) -> None:
        self.retry_after = retry_after
        super().__init__(
            f"too many ratings: at most {limit} a minute from one client; try again in {retry_after} s"
        )


class FeedbackUnavailable(AssistantError):
    """The feedback database cannot be opened, created or written; the message names the file."""

    http_status: ClassVar[int] = 503


class FeedbackFull(FeedbackUnavailable):
    """The feedback database reached its size cap (``ASSISTANT_FEEDBACK_MAX_DB_BYTES``): no rating is
    stored until the operator exports the ratings and moves the file away, or raises the cap."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(
            f"the rating could not be saved: the server's feedback database is full (its cap is "
            f"{max_bytes:,} bytes, ASSISTANT_FEEDBACK_MAX_DB_BYTES); the operator can export the ratings "
            "with `assistant feedback export`, then move the file away or raise the cap"
        )


@functools.cache
def _root_entries() -> frozenset[str]:
    """What ``/`` holds (``home``, ``srv``, ``tmp``, …): an absolute path starting elsewhere is a route."""
    try:
        return frozenset(os.listdir("/"))
    except OSError:
        return frozenset()


def _is_file_path(token: str) -> bool:
    """A path on this machine, not a route (``/v1/models``), a URL or a media type (``text/plain``)."""
    if "://" in token:
        return False
    if token.startswith(("~/", "./", "../")):
        return True
    first = token.lstrip("/").split("/", 1)[0]
    if token.startswith("/"):
        return first in _root_entries()
    return bool(first) and os.path.exists(first)


def _shortened(match: re.Match[str]) -> str:
    token = match.group(0)
    core = token.rstrip(_TRAILING)
    if not _is_file_path(core):
        return token
    name = core.rstrip("/").rsplit("/", 1)[-1]
    return f"…/{name}{token[len(core) :]}"


def public_message(error: BaseException | str) -> str:
    """``error``'s message for a client across the network: every filesystem path shortened to its last
    name (``'…/chroma.sqlite3'``), so it says what is wrong and what to do but not where the server keeps
    its files. When something was shortened, the whole message is logged (one line) for the operator."""
    text = str(error)
    public = _PATH_LIKE.sub(_shortened, _QUOTED_PATH.sub(_shortened, text))
    if public != text:
        logger.warning("told a client, without its paths: %s", text)
    return public
