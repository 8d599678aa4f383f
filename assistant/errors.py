"""What can go wrong, in words a user can act on. Surfaces translate these; nothing else leaks."""

from __future__ import annotations


class AssistantError(Exception):
    """Base class: something the user or operator can fix; the message says how."""


class InvalidConfiguration(AssistantError):
    """A setting (environment variable or .env) has a value the assistant cannot use; the message names it."""


class ArticleUnusable(AssistantError):
    """The article file cannot be read as an article: unreadable, empty, binary, not UTF-8 or too long."""


class PromptError(AssistantError):
    """The answer templates are missing, malformed, or lack (or misuse) a placeholder the code fills in."""


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


class IndexBusy(AssistantError):
    """Another process is building the index right now."""


class NotAuthorized(AssistantError):
    """The request has no valid API key: send ``Authorization: Bearer <key>``."""


class AnswerTimeout(AssistantError):
    """No answer within the request time limit: the index or the model is stuck or overloaded."""
