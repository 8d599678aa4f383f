"""Which answerer the pipeline runs, built from settings: the one place answerers are wired in.

A new answerer is its own module implementing ``assistant.answer.base.Answerer``, one entry in
``ANSWERERS`` and its name in ``Settings.answerer``'s choices. ``auto`` is no answerer of its own:
the LLM one when ``ASSISTANT_LLM_BASE_URL`` is set, else the extractive one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from assistant.answer.base import Answerer
from assistant.answer.extractive.answerer import ExtractiveAnswerer
from assistant.answer.extractive.templates import AnswerTemplates
from assistant.answer.extractive.weights import load_weights
from assistant.settings import Settings

if TYPE_CHECKING:
    from assistant.answer.llm.standalone import QuestionWriter

logger = logging.getLogger(__name__)


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
    review = None
    if settings.llm_judge != "off":
        from assistant.answer.extractive.weights import load_judge_model
        from assistant.answer.llm.judge import AnswerReview, JudgePrompt, StatedJudge

        model = load_judge_model(settings.llm_judge_fit)
        if settings.llm_judge == "on" or model.model == settings.llm_model:
            judge = StatedJudge(backend, JudgePrompt.load(settings.prompts_dir), settings.llm_step_timeout)
            review = AnswerReview(judge, model)
        else:
            logger.info(
                "the LLM does not judge answers: the judge was fitted for %r, not %r (ASSISTANT_LLM_JUDGE=on "
                "uses it anyway; `assistant tune-judge` fits one for this model)",
                model.model,
                settings.llm_model,
            )
    return LLMAnswerer(extractive, AnswerPrompt.load(settings.prompts_dir), backend, review)


def make_question_writer(settings: Settings, answerer: Answerer) -> QuestionWriter | None:
    """The model that rewrites follow-ups to stand alone, when an LLM answers and it is on."""
    if not settings.llm_standalone_questions or not settings.llm_enabled:
        return None
    from assistant.answer.llm import LLMAnswerer
    from assistant.answer.llm.standalone import QuestionWriter, StandalonePrompt

    if not isinstance(answerer, LLMAnswerer):
        return None
    prompt = StandalonePrompt.load(settings.prompts_dir)
    return QuestionWriter(answerer.backend, prompt, settings.llm_step_timeout)


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
