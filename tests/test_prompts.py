from pathlib import Path

import pytest

from assistant.prompts import EXTRACTIVE_TEMPLATES, AnswerTemplates, PromptError
from assistant.settings import PROJECT_DIR


def test_shipped_templates_load():
    templates = AnswerTemplates.load(PROJECT_DIR / "prompts")
    sentence = templates.attribute("quote", "the Revolutionary Guard", False, '"Words."', "[1]")
    assert sentence == 'The Revolutionary Guard is quoted as saying: "Words." [1]'
    assert templates.attribute("author", "Jane", True, "It could be.", "[2]").startswith("The author argues")


def test_template_missing_a_placeholder_is_refused(tmp_path: Path):
    text = (
        (PROJECT_DIR / "prompts" / EXTRACTIVE_TEMPLATES)
        .read_text()
        .replace(
            'quote = "{speaker} is quoted as saying: {quoted} {marker}"',
            'quote = "{speaker} is quoted as saying: {quoted}"',
        )
    )
    (tmp_path / EXTRACTIVE_TEMPLATES).write_text(text)
    with pytest.raises(PromptError, match=r"lacks \['marker'\]"):
        AnswerTemplates.load(tmp_path)


def test_missing_template_file_is_a_clear_error(tmp_path: Path):
    with pytest.raises(PromptError, match="cannot load answer templates"):
        AnswerTemplates.load(tmp_path)
