"""Answer templates, checked for their placeholders when loaded.

By default the ones shipped in the package (``assistant/answer/prompts/``, which the checkout's
top-level ``prompts/`` links to), read through ``importlib.resources`` so a wheel finds them as a
checkout does; ``ASSISTANT_PROMPTS_DIR`` names another folder.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from assistant.answer.prompt_files import packaged_prompts, placeholders, read_prompt_file
from assistant.errors import PromptError

__all__ = ["EXTRACTIVE_TEMPLATES", "AnswerTemplates", "PromptError", "packaged_prompts"]

EXTRACTIVE_TEMPLATES = "extractive_answer.toml"
MAX_ECHOED_QUESTION = 200
_REQUIRED = {
    ("attribution", "quote"): {"speaker", "quoted", "marker"},
    ("attribution", "quote_named"): {"quoted", "marker"},
    ("attribution", "author"): {"quoted", "marker"},
    ("attribution", "author_opinion"): {"quoted", "marker"},
    ("attribution", "caption"): {"quoted", "marker"},
    ("attribution", "metadata"): {"quoted", "marker"},
    ("attribution", "continued"): {"quoted", "marker"},
    ("decline", "question"): {"question"},
    ("decline", "task"): {"question"},
    ("decline", "not_stated"): {"question"},
    ("overview", "intro"): set(),
}
# What the code passes when it fills a template: any other field would fail at answer time.
_FILLED = {"attribution": {"speaker", "quoted", "marker"}}


def _quoted(sentence: str) -> str:
    return sentence if sentence[:1] in '"“' else f"“{sentence}”"


@dataclass(frozen=True)
class AnswerTemplates:
    """The phrasing of extractive answers and declines."""

    attribution: dict[str, str]
    declines: dict[str, str]
    overview: dict[str, str]

    @classmethod
    def load(cls, prompts_dir: Path | None = None) -> AnswerTemplates:
        """The templates of ``prompts_dir``, or the packaged ones when it is ``None`` (the default)."""
        data, path = read_prompt_file(prompts_dir, EXTRACTIVE_TEMPLATES, "answer templates")
        for (table, key), needed in _REQUIRED.items():
            section = data.get(table)
            template = section.get(key) if isinstance(section, dict) else None
            if not isinstance(template, str):
                raise PromptError(f"{path}: [{table}] {key} is missing (a text template is expected)")
            try:
                used = placeholders(template)
            except ValueError as error:  # e.g. an unclosed "{"
                raise PromptError(f"{path}: [{table}] {key} is not a valid template: {error}") from None
            if missing := needed - used:
                raise PromptError(f"{path}: [{table}] {key} lacks {sorted(missing)}")
            allowed = _FILLED.get(table, needed)
            if unknown := used - allowed:
                msg = f"{path}: [{table}] {key} uses {sorted(unknown)}; it may use only {sorted(allowed)}"
                raise PromptError(msg)
        return cls(attribution=data["attribution"], declines=data["decline"], overview=data["overview"])

    def attribute(
        self, voice: str, speaker: str | None, opinion: bool, quote: str, marker: str, continues: bool = False
    ) -> str:
        """One sentence of the answer: who says what, quoted, with its marker; ``continues``: the same
        voice as the sentence before it, which already said who speaks."""
        if continues:
            key = "continued"
        elif voice == "quote" and speaker and speaker not in quote:
            key = "quote"
        elif voice == "quote":
            key = "quote_named"
        elif voice == "author":
            key = "author_opinion" if opinion else "author"
        else:
            key = voice
        who = f"{speaker[:1].upper()}{speaker[1:]}" if speaker else speaker
        return self.attribution[key].format(speaker=who, quoted=_quoted(quote), marker=marker)

    def decline(self, question: str, task: bool) -> str:
        echoed = " ".join(question.split())[:MAX_ECHOED_QUESTION]
        return self.declines["task" if task else "question"].format(question=echoed)

    def overview_intro(self) -> str:
        return self.overview["intro"]

    def not_stated(self, question: str) -> str:
        """Opens a qualified decline: the article does not say what was asked; its closest words follow."""
        echoed = " ".join(question.split())[:MAX_ECHOED_QUESTION]
        return self.declines["not_stated"].format(question=echoed)
