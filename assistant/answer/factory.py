"""Which answerer the pipeline runs, built from settings: the one place answerers are wired in.

A new answerer is its own module implementing ``assistant.answer.base.Answerer``, one entry in
``ANSWERERS`` and its name in ``Settings.answerer``'s choices.
"""

from __future__ import annotations

from collections.abc import Callable

from assistant.answer.base import Answerer
from assistant.answer.extractive.answerer import ExtractiveAnswerer
from assistant.answer.extractive.templates import AnswerTemplates
from assistant.settings import Settings


def _extractive(settings: Settings) -> Answerer:
    return ExtractiveAnswerer(AnswerTemplates.load(settings.prompts_dir), settings.max_citations)


ANSWERERS: dict[str, Callable[[Settings], Answerer]] = {"extractive": _extractive}


def make_answerer(settings: Settings) -> Answerer:
    """The answerer ``ASSISTANT_ANSWERER`` names, with what it loads (templates, prompts) checked now."""
    return ANSWERERS[settings.answerer](settings)
