"""The LLM settings: unset changes nothing; set, they are checked at start-up. Fast: no server."""

from __future__ import annotations

import pytest

from assistant.answer.extractive.weights import JudgeModel
from assistant.answer.factory import make_answerer, make_question_writer
from assistant.answer.llm import LLMAnswerer
from assistant.errors import InvalidConfiguration
from assistant.settings import Settings, load_settings
from assistant.settings.serving import LLM_REQUEST_MARGIN

URL = "http://127.0.0.1:9/v1"


def test_without_a_base_url_the_answerer_stays_extractive():
    settings = Settings()
    assert settings.answerer == "auto" and not settings.llm_enabled
    assert type(make_answerer(settings)).__name__ == "ExtractiveAnswerer"
    assert settings.request_timeout == 10.0


def test_a_base_url_switches_auto_to_the_llm_with_room_for_the_fallback(monkeypatch):
    monkeypatch.setenv("ASSISTANT_LLM_BASE_URL", URL + "/")
    monkeypatch.setenv("ASSISTANT_LLM_MODEL", "llama3.2")
    monkeypatch.setenv("ASSISTANT_LLM_TIMEOUT", "20")
    settings = load_settings()
    assert settings.llm_enabled and settings.llm_base_url == URL
    # the answer's 20 s, the judge's and the rewrite's 10 s each, then the margin for the fallback
    assert settings.request_timeout == 20 + 2 * 10 + LLM_REQUEST_MARGIN
    answerer = make_answerer(settings)
    assert isinstance(answerer, LLMAnswerer) and answerer.backend.timeout == 20
    assert answerer.review is None  # auto: the shipped judge was fitted for another model


def test_the_judge_is_on_for_the_model_it_was_fitted_for_or_when_asked(monkeypatch):
    monkeypatch.setenv("ASSISTANT_LLM_BASE_URL", URL)
    monkeypatch.setenv("ASSISTANT_LLM_MODEL", JudgeModel.load().model)
    answerer = make_answerer(load_settings())
    assert isinstance(answerer, LLMAnswerer) and answerer.review is not None
    assert answerer.review.judge.timeout == 10
    monkeypatch.setenv("ASSISTANT_LLM_MODEL", "llama3.2")
    monkeypatch.setenv("ASSISTANT_LLM_JUDGE", "on")
    answerer = make_answerer(load_settings())
    assert isinstance(answerer, LLMAnswerer) and answerer.review is not None


def test_a_judge_fit_that_is_not_one_fails_at_start_up_naming_the_variable(monkeypatch, tmp_path):
    broken = tmp_path / "judge.json"
    broken.write_text('{"coefficients": [1.0]}', encoding="utf-8")
    monkeypatch.setenv("ASSISTANT_LLM_BASE_URL", URL)
    monkeypatch.setenv("ASSISTANT_LLM_MODEL", "llama3.2")
    monkeypatch.setenv("ASSISTANT_LLM_JUDGE_FIT", str(broken))
    with pytest.raises(InvalidConfiguration, match="ASSISTANT_LLM_JUDGE_FIT: .* not a fit written by"):
        make_answerer(load_settings())
    monkeypatch.setenv("ASSISTANT_LLM_JUDGE_FIT", str(tmp_path / "missing.json"))
    with pytest.raises(InvalidConfiguration, match="ASSISTANT_LLM_JUDGE_FIT: cannot read"):
        make_answerer(load_settings())


def test_the_judge_and_the_rewrite_can_be_turned_off_and_their_time_is_given_back(monkeypatch):
    monkeypatch.setenv("ASSISTANT_LLM_BASE_URL", URL)
    monkeypatch.setenv("ASSISTANT_LLM_MODEL", "llama3.2")
    monkeypatch.setenv("ASSISTANT_LLM_TIMEOUT", "20")
    monkeypatch.setenv("ASSISTANT_LLM_JUDGE", "off")
    monkeypatch.setenv("ASSISTANT_LLM_STANDALONE_QUESTIONS", "false")
    settings = load_settings()
    assert settings.request_timeout == 20 + LLM_REQUEST_MARGIN
    answerer = make_answerer(settings)
    assert isinstance(answerer, LLMAnswerer) and answerer.review is None
    assert make_question_writer(settings, answerer) is None


def test_extractive_can_be_forced_with_a_base_url_set(monkeypatch):
    monkeypatch.setenv("ASSISTANT_LLM_BASE_URL", URL)
    monkeypatch.setenv("ASSISTANT_ANSWERER", "extractive")
    assert not load_settings().llm_enabled


def test_llm_without_a_base_url_is_refused_at_start_up(monkeypatch):
    monkeypatch.setenv("ASSISTANT_ANSWERER", "llm")
    with pytest.raises(InvalidConfiguration, match="ASSISTANT_ANSWERER=llm needs ASSISTANT_LLM_BASE_URL"):
        load_settings()


def test_an_llm_without_a_model_name_is_refused(monkeypatch):
    monkeypatch.setenv("ASSISTANT_LLM_BASE_URL", URL)
    with pytest.raises(InvalidConfiguration, match="ASSISTANT_LLM_MODEL is unset"):
        load_settings()


@pytest.mark.parametrize("url", ["localhost:11434", "ftp://host/v1", "http://host/v1?x=1"])
def test_a_base_url_that_is_not_one_is_named(monkeypatch, url):
    monkeypatch.setenv("ASSISTANT_LLM_BASE_URL", url)
    with pytest.raises(InvalidConfiguration, match="ASSISTANT_LLM_BASE_URL: .* is not an API base URL"):
        load_settings()


def test_a_request_timeout_leaving_no_time_for_the_fallback_is_refused(monkeypatch):
    monkeypatch.setenv("ASSISTANT_LLM_BASE_URL", URL)
    monkeypatch.setenv("ASSISTANT_LLM_MODEL", "m")
    monkeypatch.setenv("ASSISTANT_LLM_TIMEOUT", "30")
    monkeypatch.setenv("ASSISTANT_REQUEST_TIMEOUT", "30")
    # the judge's and the rewrite's steps count too, and the message names their variable
    with pytest.raises(
        InvalidConfiguration, match="ASSISTANT_REQUEST_TIMEOUT=30 leaves no time.*STEP_TIMEOUT"
    ):
        load_settings()
    monkeypatch.setenv("ASSISTANT_REQUEST_TIMEOUT", "45")  # 30 + 2 x 10 + 2 is needed
    with pytest.raises(InvalidConfiguration, match="at least 52"):
        load_settings()
    monkeypatch.setenv("ASSISTANT_REQUEST_TIMEOUT", "52")
    assert load_settings().request_timeout == 52


def test_the_llm_api_key_is_never_shown(monkeypatch):
    monkeypatch.setenv("ASSISTANT_LLM_API_KEY", "sk-very-secret-key-0123456789")
    settings = load_settings()
    assert "sk-very-secret" not in repr(settings) and "sk-very-secret" not in str(settings.model_dump())
