"""The optional LLM answerer's model server: where it is, which model, and how long it may take."""

from __future__ import annotations

from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, Field, SecretStr, field_validator

from assistant.settings.problems import shown


class LLMSettings(BaseModel):
    """An OpenAI-compatible server; unset, answers stay extractive."""

    llm_base_url: str | None = Field(
        None,
        description="An OpenAI-compatible server's API base URL (e.g. http://localhost:11434/v1 for "
        "Ollama); unset: no LLM, extractive answers.",
    )
    llm_model: str | None = Field(None, description="The model the LLM server should answer with.")
    llm_api_key: SecretStr | None = Field(
        None, description="Bearer key for the LLM server, if it needs one (local servers usually do not)."
    )
    llm_timeout: float = Field(
        30.0,
        gt=0,
        le=600,
        description="Seconds the LLM may take for one answer, retries included; then the extractive answer.",
    )
    llm_max_tokens: int = Field(200, ge=16, le=8192, description="Longest LLM answer, in tokens.")
    llm_cool_down: float = Field(
        15.0,
        ge=0,
        le=3600,
        description="Seconds after an LLM backend failure during which answers are extractive without "
        "trying it (/healthz probes it meanwhile); 0 tries it for every answer.",
    )

    llm_judge: Literal["auto", "on", "off"] = Field(
        "auto",
        description="With an LLM: the model also judges whether the sentences the engine chose state the "
        "answer (its yes/no log-probabilities, combined with the engine's confidence as fitted by "
        '`assistant tune-judge`); judged not to, the answer is given as "not stated". `auto`: on when '
        "ASSISTANT_LLM_MODEL is the model the fit was made with (another model's probabilities are "
        "calibrated differently: refit for it). Needs a server that returns logprobs (llama.cpp, vLLM, "
        "OpenAI); without them the engine's decision stands.",
    )
    llm_judge_fit: Path | None = Field(
        None,
        description="A judge fit written by `assistant tune-judge --out FILE` (e.g. for another model); "
        "unset: the shipped one (fitted for qwen2.5-coder-1.5b).",
    )
    llm_standalone_questions: bool = Field(
        True,
        description='With an LLM: a follow-up ("what did they do then?") is rewritten by the model as a '
        "standalone question from the chat, answers included, and retrieval searches for that.",
    )
    llm_step_timeout: float = Field(
        10.0,
        gt=0,
        le=600,
        description="Seconds the model may take to judge an answer, or to rewrite a follow-up; then the "
        "engine's own decision or follow-up handling.",
    )

    @field_validator("llm_base_url")
    @classmethod
    def _llm_base_url_is_a_url(cls, url: str | None) -> str | None:
        """Checked now, so a typo fails at start-up with the variable named, not at the first answer."""
        if url is None or not url.strip():
            return None
        url = url.strip()
        parts = urlsplit(url)
        if parts.scheme not in {"http", "https"} or not parts.hostname or parts.query or parts.fragment:
            msg = (
                f"ASSISTANT_LLM_BASE_URL: {shown(url)} is not an API base URL; give "
                "scheme://host[:port]/path without query or fragment, e.g. http://localhost:11434/v1 (Ollama)"
            )
            raise ValueError(msg)
        return url.rstrip("/")

    @field_validator("llm_model")
    @classmethod
    def _blank_llm_model_means_unset(cls, value: str | None) -> str | None:
        return value.strip() if value and value.strip() else None
