"""What the assistant answers with, shared by every surface (CLI, JSON API, chat UI)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class Turn(BaseModel):
    """One message of the conversation so far, OpenAI-style."""

    role: Literal["user", "assistant"]
    content: str


class Citation(BaseModel):
    """A verbatim span of the article: ``article_text[start:end] == text``."""

    id: int = Field(description="The [n] marker in the answer text that points here.")
    text: str
    start: int = Field(ge=0)
    end: int = Field(ge=0)
    section: str | None = None
    speaker: str | None = Field(None, description="Who says it: the author or a quoted source.")


class Answer(BaseModel):
    """A short answer with inline [n] markers, or a decline with the closest passages as context."""

    text: str
    answerable: bool
    citations: list[Citation]


class AskResponse(BaseModel):
    """An answer as ``POST /api/ask`` and ``assistant ask --json`` give it: one shape for both."""

    answer: str = Field(description="Short answer with [n] markers pointing at the citations.")
    answerable: bool = Field(description="False when the article does not answer the question.")
    citations: list[Citation]

    @classmethod
    def of(cls, answer: Answer) -> AskResponse:
        return cls(answer=answer.text, answerable=answer.answerable, citations=answer.citations)


class ErrorResponse(BaseModel):
    """Every error answer: what was wrong and what to do, never a traceback."""

    detail: str


ERROR_RESPONSES: dict[int | str, dict] = {status: {"model": ErrorResponse} for status in (401, 422, 500, 503)}
