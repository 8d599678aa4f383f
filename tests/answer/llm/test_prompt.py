"""The LLM prompt file: shipped in the package, overridable, checked for its placeholders. Fast."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from assistant.answer.extractive.templates import EXTRACTIVE_TEMPLATES, packaged_prompts
from assistant.answer.llm.prompt import LLM_PROMPT, AnswerPrompt, numbered
from assistant.errors import PromptError
from tests.answer.fixture import THREE_SENTENCES

CHECKOUT_PROMPTS = Path(__file__).resolve().parents[3] / "prompts"


def test_the_packaged_prompt_is_the_checkouts_prompts_file():
    assert (packaged_prompts() / LLM_PROMPT).read_text() == (CHECKOUT_PROMPTS / LLM_PROMPT).read_text()


def test_the_messages_show_the_numbered_sentences_with_their_speakers_and_the_question():
    prompt = AnswerPrompt.load()
    system, user = prompt.messages("Who fired?", THREE_SENTENCES)
    assert prompt.no_answer in system["content"] and system["role"] == "system"
    assert "[1] (the author) Iran fired six missiles at Deir Ezzor on Sunday." in user["content"]
    assert "[2] (the Revolutionary Guard) The Revolutionary Guard said" in user["content"]
    assert "Question: Who fired?" in user["content"]


def test_numbered_sentences_say_who_speaks():
    assert numbered(THREE_SENTENCES).splitlines()[2].startswith("[3] (the author) Analysts")


def _folder_with(tmp_path: Path, text: str) -> Path:
    folder = tmp_path / "prompts"
    folder.mkdir()
    shutil.copy(CHECKOUT_PROMPTS / EXTRACTIVE_TEMPLATES, folder)
    (folder / LLM_PROMPT).write_text(text, encoding="utf-8")
    return folder


def test_prompts_dir_overrides_the_packaged_prompt(tmp_path):
    folder = _folder_with(
        tmp_path, 'no_answer = "NO"\nsystem = "Say {no_answer}."\nuser = "{sentences} {question}"'
    )
    prompt = AnswerPrompt.load(folder)
    assert prompt.no_answer == "NO" and prompt.messages("q", ())[0]["content"] == "Say NO."


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('no_answer = "NO"\nsystem = "{no_answer}"\nuser = "{question}"', r"user lacks \['sentences'\]"),
        (
            'no_answer = "NO"\nsystem = "{no_answer} {article}"\nuser = "{question} {sentences}"',
            "may use only",
        ),
        ('no_answer = "NO"\nsystem = "Hi"\nuser = "{question} {sentences}"', "neither system nor user uses"),
        ('system = "{no_answer}"\nuser = "{question} {sentences}"', "no_answer is missing"),
        ('no_answer = "NO"\nsystem = "{no_answer"\nuser = "{question} {sentences}"', "not a valid template"),
        ("no_answer = ", "not valid TOML"),
    ],
)
def test_a_prompt_missing_or_misusing_a_placeholder_fails_at_start_up(tmp_path, text, problem):
    with pytest.raises(PromptError, match=problem):
        AnswerPrompt.load(_folder_with(tmp_path, text))


def test_a_prompts_dir_without_the_llm_prompt_says_to_copy_it(tmp_path):
    (tmp_path / EXTRACTIVE_TEMPLATES).write_text("", encoding="utf-8")
    with pytest.raises(PromptError, match=f"has no {LLM_PROMPT}; copy {LLM_PROMPT}"):
        AnswerPrompt.load(tmp_path)
