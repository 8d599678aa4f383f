"""The answerer is chosen in one place, from settings. Fast: no model, no index."""

from __future__ import annotations

import dataclasses
import typing

import pytest

from assistant.answer.extractive.answerer import ExtractiveAnswerer
from assistant.answer.extractive.weights import default_weights
from assistant.answer.factory import ANSWERERS, make_answerer, make_extractive
from assistant.errors import InvalidConfiguration
from assistant.settings import Settings


def test_every_answerer_setting_has_a_factory_entry():
    choices = typing.get_args(Settings.model_fields["answerer"].annotation)
    assert sorted(set(choices) - {"auto"}) == sorted(ANSWERERS)


def test_the_default_answerer_is_extractive_with_the_configured_citation_limit():
    answerer = make_answerer(Settings(max_citations=3))
    assert isinstance(answerer, ExtractiveAnswerer) and answerer.max_citations == 3


def test_a_refitted_answerer_is_loaded_from_the_file_settings_name(tmp_path, monkeypatch):
    refit = dataclasses.replace(default_weights(), min_rerank=-99.0, provenance={"fitted_by": "a test"})
    path = tmp_path / "fit.json"
    path.write_text(refit.to_json(), encoding="utf-8")
    monkeypatch.setenv("ASSISTANT_ANSWER_WEIGHTS", str(path))
    assert make_extractive(Settings()).weights == refit
    monkeypatch.setenv("ASSISTANT_ANSWER_WEIGHTS", " ")
    assert make_extractive(Settings()).weights == default_weights()  # blank: the shipped fit


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "cannot read"),
        ("{", "is not a fit written by `assistant tune --out` (JSONDecodeError"),
        ('{"type_fit_bonus": 1}', "is not a fit written by `assistant tune --out` (KeyError"),
        ("OTHER_FEATURES", "has a decline model over 2 features"),
    ],
)
def test_a_file_that_is_not_a_fit_is_refused_at_start_up(tmp_path, content, expected):
    path = tmp_path / "fit.json"
    if content == "OTHER_FEATURES":
        shipped = default_weights()
        decline = dataclasses.replace(shipped.decline, mean=(0, 0), scale=(1, 1), coefficients=(1, 1))
        content = dataclasses.replace(shipped, decline=decline).to_json()
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(InvalidConfiguration, match="^ASSISTANT_ANSWER_WEIGHTS: ") as refused:
        make_extractive(Settings(answer_weights=path))
    assert expected in str(refused.value) and "\n" not in str(refused.value)
