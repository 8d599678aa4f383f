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
from assistant.settings import Settings


def _extractive(settings: Settings) -> ExtractiveAnswerer:
    return ExtractiveAnswerer(AnswerTemplates.load(settings.prompts_dir), settings.max_citations)


def _llm(settings: Settings) -> Answerer:
    # Imported here: the openai client loads only when an LLM is configured.
    from assistant.answer.llm import AnswerPrompt, ChatBackend, LLMAnswerer

    assert settings.llm_base_url is not None and settings.llm_model is not None  # Settings checks both
    key = settings.llm_api_key.get_secret_value() if settings.llm_api_key is not None else None
    backend = ChatBackend(
        settings.llm_base_url, settings.llm_model, key, settings.llm_timeout, settings.llm_max_tokens
    )
    return LLMAnswerer(_extractive(settings), AnswerPrompt.load(settings.prompts_dir), backend)


ANSWERERS: dict[str, Callable[[Settings], Answerer]] = {"extractive": _extractive, "llm": _llm}


def answerer_name(settings: Settings) -> str:
    """The answerer that runs: ``auto`` resolved."""
    return "llm" if settings.llm_enabled else "extractive"


def make_answerer(settings: Settings) -> Answerer:
    """The answerer ``ASSISTANT_ANSWERER`` names, with what it loads (templates, prompts) checked now."""
    return ANSWERERS[answerer_name(settings)](settings)
