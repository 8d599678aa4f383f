"""Which answerer the pipeline runs, built from settings: the one place answerers are wired in.

A new answerer is its own module implementing ``assistant.answer.base.Answerer``, one entry in
``ANSWERERS`` and its name in ``Settings.answerer``'s choices. ``auto`` is no answerer of its own:
the LLM one when ``ASSISTANT_LLM_BASE_URL`` is set, else the extractive one.
"""

from __future__ import annotations

from collections.abc import Callable

from assistant.answer.base import Answerer
from assistant.answer.extractive.answerer import ExtractiveAnswerer
from assistant.answer.extractive.templates import AnswerTemplates
from assistant.answer.extractive.weights import load_weights
from assistant.settings import Settings


def make_extractive(settings: Settings) -> ExtractiveAnswerer:
    """The extractive answerer: the default, the LLM answerer's judge and fallback, and what suggested
    questions are checked with (deterministic, milliseconds)."""
    return ExtractiveAnswerer(
        AnswerTemplates.load(settings.prompts_dir),
        settings.max_citations,
        weights=load_weights(settings.answer_weights),
    )


def _extractive(settings: Settings, extractive: ExtractiveAnswerer) -> Answerer:
    return extractive


def _llm(settings: Settings, extractive: ExtractiveAnswerer) -> Answerer:
    # Imported here: the openai client loads only when an LLM is configured.
    from assistant.answer.llm import AnswerPrompt, ChatBackend, LLMAnswerer

    assert settings.llm_base_url is not None and settings.llm_model is not None  # Settings checks both
    key = settings.llm_api_key.get_secret_value() if settings.llm_api_key is not None else None
    backend = ChatBackend(
        settings.llm_base_url,
        settings.llm_model,
        key,
        settings.llm_timeout,
        settings.llm_max_tokens,
        settings.llm_cool_down,
    )
    return LLMAnswerer(extractive, AnswerPrompt.load(settings.prompts_dir), backend)


ANSWERERS: dict[str, Callable[[Settings, ExtractiveAnswerer], Answerer]] = {
    "extractive": _extractive,
    "llm": _llm,
}


def answerer_name(settings: Settings) -> str:
    """The answerer that runs: ``auto`` resolved."""
    return "llm" if settings.llm_enabled else "extractive"


def make_answerer(settings: Settings, extractive: ExtractiveAnswerer | None = None) -> Answerer:
    """The answerer ``ASSISTANT_ANSWERER`` names, with what it loads (templates, prompts) checked now;
    built on ``extractive`` when given (the pipeline shares one)."""
    return ANSWERERS[answerer_name(settings)](settings, extractive or make_extractive(settings))
