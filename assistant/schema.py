"""What the assistant answers with, shared by every surface (CLI, JSON API, chat UI)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, computed_field


class Turn(BaseModel):
    """One message of the conversation so far, OpenAI-style."""

    role: Literal["user", "assistant"]
    content: str


class ArticleRef(BaseModel):
    """Which article a citation's offsets point into."""

    id: str = Field(description="The article's id (as `GET /api/articles` and `/v1/models` list it).")
    title: str


class Citation(BaseModel):
    """A verbatim span of the article: ``article_text[start:end] == text``."""

    id: int = Field(description="The [n] marker in the answer text that points here.")
    text: str
    start: int = Field(ge=0)
    end: int = Field(ge=0)
    section: str | None = None
    speaker: str | None = Field(None, description="Who says it: the author or a quoted source.")
    source: ArticleRef | None = Field(
        None, description="The article quoted: `start`/`end` are offsets into its text (set by the APIs)."
    )


AnsweredBy = Literal["extractive", "llm"]
AnswerStatus = Literal["answered", "not_stated", "declined"]
STATUS_DESCRIPTION = (
    "`answered`: the citations state the answer. `not_stated`: the article does not say what was asked; "
    "the answer says so and quotes what the article does say closest to it (`answerable` is false, the "
    "citations are that context). `declined`: nothing in the article is about the question, or it is "
    "not a question about the article (no citations)."
)


def answer_status(answerable: bool, citations: list[Citation]) -> AnswerStatus:
    """An answer, a qualified "the article does not say; it says …", or a bare decline."""
    if answerable:
        return "answered"
    return "not_stated" if citations else "declined"


class Answer(BaseModel):
    """A short answer with inline [n] markers, or a decline with the closest passages as context."""

    text: str
    answerable: bool
    citations: list[Citation]
    answered_by: AnsweredBy = Field(
        "extractive",
        description="Who wrote the text: the LLM (checked by the guardrails) or the extractive answerer.",
    )
    guardrail_notes: list[str] = Field(
        default_factory=list,
        description="What the guardrails removed from the LLM's answer and why, or why it fell back.",
    )
    notice: str | None = Field(
        None, description="A line for the reader when the LLM could not answer (the server failed)."
    )

    @computed_field(description=STATUS_DESCRIPTION)  # type: ignore[prop-decorator]
    @property
    def status(self) -> AnswerStatus:
        return answer_status(self.answerable, self.citations)

    def attributed(self, source: ArticleRef) -> Answer:
        """This answer with every citation naming the article it quotes."""
        citations = [c.model_copy(update={"source": source}) for c in self.citations]
        return self.model_copy(update={"citations": citations})


class AskResponse(BaseModel):
    """An answer as ``POST /api/ask`` and ``assistant ask --json`` give it: one shape for both."""

    answer: str = Field(description="Short answer with [n] markers pointing at the citations.")
    answerable: bool = Field(description="False when the article does not answer the question.")
    citations: list[Citation]
    answered_by: AnsweredBy = Field(
        "extractive",
        description="`llm` when a model wrote the answer, `extractive` when it quotes the article.",
    )
    guardrail_notes: list[str] = Field(
        default_factory=list,
        description="What the guardrails removed from the LLM's answer, or why it fell back.",
    )
    notice: str | None = Field(
        None,
        description="For the reader, when the configured LLM could not answer (its server failed) and "
        "the answer quotes the article instead; null otherwise.",
    )

    @computed_field(description=STATUS_DESCRIPTION)  # type: ignore[prop-decorator]
    @property
    def status(self) -> AnswerStatus:
        return answer_status(self.answerable, self.citations)

    @classmethod
    def of(cls, answer: Answer) -> AskResponse:
        return cls(
            answer=answer.text,
            answerable=answer.answerable,
            citations=answer.citations,
            answered_by=answer.answered_by,
            guardrail_notes=answer.guardrail_notes,
            notice=answer.notice,
        )


class ErrorResponse(BaseModel):
    """Every error answer: what was wrong and what to do, never a traceback."""

    detail: str


ERROR_RESPONSES: dict[int | str, dict] = {status: {"model": ErrorResponse} for status in (401, 422, 500, 503)}
