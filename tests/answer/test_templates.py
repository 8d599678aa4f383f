from pathlib import Path

import pytest

from assistant.answer.extractive.templates import (
    EXTRACTIVE_TEMPLATES,
    AnswerTemplates,
    PromptError,
    packaged_prompts,
)

SHIPPED = packaged_prompts() / EXTRACTIVE_TEMPLATES


def test_shipped_templates_load():
    templates = AnswerTemplates.load()
    sentence = templates.attribute("quote", "the Revolutionary Guard", False, '"Words."', "[1]")
    assert sentence == 'The Revolutionary Guard is quoted as saying: "Words." [1]'
    assert templates.attribute("author", "Jane", True, "It could be.", "[2]").startswith("The author argues")


def test_template_missing_a_placeholder_is_refused(tmp_path: Path):
    text = SHIPPED.read_text(encoding="utf-8").replace(
        'quote = "{speaker} is quoted as saying: {quoted} {marker}"',
        'quote = "{speaker} is quoted as saying: {quoted}"',
    )
    (tmp_path / EXTRACTIVE_TEMPLATES).write_text(text)
    with pytest.raises(PromptError, match=r"lacks \['marker'\]"):
        AnswerTemplates.load(tmp_path)


def test_missing_template_file_is_a_clear_error(tmp_path: Path):
    with pytest.raises(PromptError, match="cannot load answer templates"):
        AnswerTemplates.load(tmp_path)


def _templates_with(tmp_path: Path, old: str, new: str) -> Path:
    text = SHIPPED.read_text(encoding="utf-8")
    assert old in text
    (tmp_path / EXTRACTIVE_TEMPLATES).write_text(text.replace(old, new))
    return tmp_path


def test_missing_prompts_dir_names_the_variable_and_the_fix(tmp_path: Path):
    with pytest.raises(PromptError) as refused:
        AnswerTemplates.load(tmp_path / "nowhere")
    message = str(refused.value)
    assert "ASSISTANT_PROMPTS_DIR=" in message and "is not a directory" in message
    assert f"a folder holding {EXTRACTIVE_TEMPLATES}" in message


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"[attribution\nquote = 1", "is not valid TOML"),
        (b'[attribution]\nquote = "\xff"', "is not UTF-8 text"),
        (b'attribution = "not a table"', "[attribution] quote is missing"),
    ],
)
def test_malformed_templates_file_is_refused_in_one_line(tmp_path: Path, content, problem):
    (tmp_path / EXTRACTIVE_TEMPLATES).write_bytes(content)
    with pytest.raises(PromptError) as refused:
        AnswerTemplates.load(tmp_path)
    assert problem in str(refused.value) and "\n" not in str(refused.value)


@pytest.mark.parametrize(
    ("replacement", "problem"),
    [
        ('quote = "{speaker is quoted as saying: {quoted} {marker}"', "is not a valid template"),
        ('quote = "{speaker} {quoted} {marker} {secret}"', "uses ['secret']"),
        ('quote = "{speaker} {quoted} {marker} {}"', "uses ['']"),
        ('quote = "{speaker.__class__} {speaker} {quoted} {marker}"', "uses ['speaker.__class__']"),
    ],
)
def test_template_with_a_placeholder_the_code_never_fills_is_refused(tmp_path: Path, replacement, problem):
    folder = _templates_with(
        tmp_path, 'quote = "{speaker} is quoted as saying: {quoted} {marker}"', replacement
    )
    with pytest.raises(PromptError) as refused:
        AnswerTemplates.load(folder)
    assert "[attribution] quote" in str(refused.value) and problem in str(refused.value)
