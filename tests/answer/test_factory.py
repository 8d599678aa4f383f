"""The answerer is chosen in one place, from settings. Fast: no model, no index."""

from __future__ import annotations

import typing

from assistant.answer.extractive.answerer import ExtractiveAnswerer
from assistant.answer.factory import ANSWERERS, make_answerer
from assistant.settings import Settings


def test_every_answerer_setting_has_a_factory_entry():
    choices = typing.get_args(Settings.model_fields["answerer"].annotation)
    assert sorted(set(choices) - {"auto"}) == sorted(ANSWERERS)


def test_the_default_answerer_is_extractive_with_the_configured_citation_limit():
    answerer = make_answerer(Settings(max_citations=3))
    assert isinstance(answerer, ExtractiveAnswerer) and answerer.max_citations == 3
