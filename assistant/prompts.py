"""Answer templates from ``prompts/``, checked for their placeholders when loaded."""

from __future__ import annotations

import string
import tomllib
from dataclasses import dataclass
from pathlib import Path

EXTRACTIVE_TEMPLATES = "extractive_answer.toml"
MAX_ECHOED_QUESTION = 200
_REQUIRED = {
    ("attribution", "quote"): {"speaker", "quoted", "marker"},
    ("attribution", "quote_named"): {"quoted", "marker"},
    ("attribution", "author"): {"quoted", "marker"},
    ("attribution", "author_opinion"): {"quoted", "marker"},
    ("attribution", "caption"): {"quoted", "marker"},
    ("attribution", "metadata"): {"quoted", "marker"},
    ("decline", "question"): {"question"},
    ("decline", "task"): {"question"},
    ("decline", "context"): {"markers"},
}


class PromptError(ValueError):
    """A template file is missing, malformed, or lacks a placeholder the code fills in."""


def _placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def _quoted(sentence: str) -> str:
    return sentence if sentence[:1] in '"“' else f"“{sentence}”"


@dataclass(frozen=True)
class AnswerTemplates:
    """The phrasing of extractive answers and declines."""

    attribution: dict[str, str]
    declines: dict[str, str]

    @classmethod
    def load(cls, prompts_dir: Path) -> AnswerTemplates:
        path = prompts_dir / EXTRACTIVE_TEMPLATES
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as error:
            raise PromptError(f"cannot load answer templates {str(path)!r}: {error}") from error
        for (table, key), needed in _REQUIRED.items():
            template = data.get(table, {}).get(key)
            if not isinstance(template, str):
                raise PromptError(f"{path.name}: [{table}] {key} is missing")
            if missing := needed - _placeholders(template):
                raise PromptError(f"{path.name}: [{table}] {key} lacks {sorted(missing)}")
        return cls(attribution=data["attribution"], declines=data["decline"])

    def attribute(self, voice: str, speaker: str | None, opinion: bool, quote: str, marker: str) -> str:
        """One sentence of the answer: who says what, quoted, with its marker."""
        if voice == "quote" and speaker and speaker not in quote:
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

    def context(self, markers: str) -> str:
        return self.declines["context"].format(markers=markers)
