"""How a question is taken and answered: which answerer, how much evidence, what prompts and weights."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, field_validator


class AnsweringSettings(BaseModel):
    """The question's bounds and the answering stages' knobs."""

    answerer: Literal["auto", "extractive", "llm"] = Field(
        "auto",
        description="Which answerer writes the answers: `llm` (a model server, checked by guardrails), "
        "`extractive` (quotes, no model), or `auto`: llm when ASSISTANT_LLM_BASE_URL is set, else "
        "extractive.",
    )
    retrieval_k: int = Field(10, ge=1, le=50, description="Passages handed to the answerer.")
    max_citations: int = Field(2, ge=1, le=5, description="Sentences cited at most per answer.")
    max_question_chars: int = Field(2000, ge=10, description="Longest question accepted.")
    max_history_turns: int = Field(50, ge=0, description="History turns considered (newest kept).")
    rerank_query_tokens: int = Field(
        64,
        ge=8,
        le=256,
        description="Tokens of the question the cross-encoder reads with each candidate sentence (the "
        "rest is cut): a pair's cost grows with its length, so this bounds a long question's cost.",
    )
    prompts_dir: Path | None = Field(
        None,
        description="Prompts folder: the answer templates and the LLM prompt (default: the ones shipped "
        "in the package, the project's prompts/).",
    )
    answer_weights: Path | None = Field(
        None,
        description="A fit of the extractive answerer's numbers written by `assistant tune --out FILE` "
        "(e.g. at another --max-false-declines), instead of the shipped one.",
    )

    @field_validator("prompts_dir", "answer_weights", mode="before")
    @classmethod
    def _blank_path_means_packaged(cls, value: object) -> object:
        """``ASSISTANT_PROMPTS_DIR=`` would otherwise be the working directory."""
        return None if isinstance(value, str) and not value.strip() else value
