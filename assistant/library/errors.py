"""What can go wrong with the library of articles, in words a user can act on.

Kept beside the library; each is an ``AssistantError`` with its HTTP status, so the surfaces translate
them like every other error (an unknown article is a 404, from the command line or a server alike).
"""

from __future__ import annotations

from typing import ClassVar

from assistant.errors import AssistantError

# How many known ids a served "unknown article" message names; GET /api/articles lists them all.
IDS_IN_MESSAGES = 8


class SourceUnusable(AssistantError):
    """A file given to ``assistant add`` cannot become an article; the message names the file and why."""


class UnknownArticle(AssistantError):
    """No article has this id (404): in the library, whose message lists every id there is (``assistant
    remove``), or among those a server answers about, whose message names a few (the API lists them)."""

    http_status: ClassVar[int] = 404

    def __init__(self, article_id: str, message: str) -> None:
        self.article_id = article_id
        super().__init__(message)

    @classmethod
    def in_library(cls, article_id: str, known: list[str]) -> UnknownArticle:
        listed = ", ".join(known) if known else "none (add one with `assistant add FILE`)"
        return cls(article_id, f"no article {article_id!r} in the library; the ids there are: {listed}")

    @classmethod
    def not_served(cls, article_id: str, known: list[str]) -> UnknownArticle:
        named = ", ".join(known[:IDS_IN_MESSAGES])
        more = f" and {len(known) - IDS_IN_MESSAGES} more" if len(known) > IDS_IN_MESSAGES else ""
        return cls(
            article_id,
            f"no article {article_id!r} is served here; known ids: {named}{more} "
            "(GET /api/articles lists them all)",
        )


class LibraryBusy(AssistantError):
    """Another process is changing the library (adding or removing an article) right now."""

    http_status: ClassVar[int] = 503


class LibraryUnavailable(AssistantError):
    """The library folder cannot be read or written; the message names it."""

    http_status: ClassVar[int] = 503


class InvalidPage(AssistantError):
    """A page of a listing was asked with an offset or a size it cannot have; the message says which."""

    shown_chars: ClassVar[int] = 40  # how much of the bad value the message repeats

    @classmethod
    def out_of_range(cls, name: str, given: object, minimum: int, maximum: int | None) -> InvalidPage:
        within = f"from {minimum:,} to {maximum:,}" if maximum is not None else f"of at least {minimum:,}"
        shown = repr(given)
        shown = shown if len(shown) <= cls.shown_chars else f"{shown[: cls.shown_chars - 1]}…"
        return cls(f"{name} takes a whole number {within}; got {shown}")
