"""What can go wrong with the library of articles, in words a user can act on.

Kept beside the library for now; each is an ``AssistantError`` with its HTTP status, so the surfaces
translate them like every other error (the serving layer will answer 404 for an unknown article).
"""

from __future__ import annotations

from typing import ClassVar

from assistant.errors import AssistantError


class SourceUnusable(AssistantError):
    """A file given to ``assistant add`` cannot become an article; the message names the file and why."""


class UnknownArticle(AssistantError):
    """No article in the library has this id; the message lists the ids there are."""

    http_status: ClassVar[int] = 404

    def __init__(self, article_id: str, known: list[str]) -> None:
        self.article_id = article_id
        listed = ", ".join(known) if known else "none (add one with `assistant add FILE`)"
        super().__init__(f"no article {article_id!r} in the library; the ids there are: {listed}")


class LibraryBusy(AssistantError):
    """Another process is changing the library (adding or removing an article) right now."""

    http_status: ClassVar[int] = 503


class LibraryUnavailable(AssistantError):
    """The library folder cannot be read or written; the message names it."""

    http_status: ClassVar[int] = 503
