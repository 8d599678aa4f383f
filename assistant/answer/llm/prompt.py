"""The LLM answerer's prompt: a file in the prompts folder, checked for its placeholders at start-up.

The file (``llm_answer.toml``) ships beside the extractive templates in ``assistant/answer/prompts/``
(the checkout's ``prompts/`` links there), so a wheel finds it as a checkout does;
``ASSISTANT_PROMPTS_DIR`` names another folder, which must then hold it too. A placeholder missing
from a template, or one the code does not fill, fails at start-up rather than at the first answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from assistant.answer.prompt_files import placeholders, read_prompt_file
from assistant.article import Sentence, Voice
from assistant.errors import PromptError
from assistant.retrieve.evidence import Evidence

LLM_PROMPT = "llm_answer.toml"
# What each template must use, and what it may use: nothing else is filled in. {no_answer} must
# appear in one of them at least, or the model is never told how to say "not answered".
_NEEDED = {"system": set(), "user": {"question", "sentences"}}
_ALLOWED = {"system": {"no_answer"}, "user": {"question", "sentences", "no_answer"}}
_WHO = {Voice.AUTHOR: "the author", Voice.CAPTION: "an image caption", Voice.METADATA: "the article page"}


def speaker_of(sentence: Sentence) -> str:
    """Whose words a sentence is, as the model is told: a claim is attributed to its speaker."""
    if sentence.voice is Voice.QUOTE:
        return sentence.speaker or "someone the article quotes"
    return _WHO[sentence.voice]


def numbered(sentences: Sequence[Sentence]) -> str:
    """``[n] (speaker) text``, one a line: ``[n]`` is what the model cites."""
    return "\n".join(f"[{n}] ({speaker_of(s)}) {s.text}" for n, s in enumerate(sentences, start=1))


@dataclass(frozen=True)
class AnswerPrompt:
    """The system and user messages, and the reply that means "the sentences do not answer"."""

    system: str
    user: str
    no_answer: str

    @classmethod
    def load(cls, prompts_dir: Path | None = None) -> AnswerPrompt:
        """The prompt of ``prompts_dir``, or the packaged one when it is ``None`` (the default)."""
        data, path = read_prompt_file(prompts_dir, LLM_PROMPT, "the LLM prompt")
        no_answer = data.get("no_answer")
        if not isinstance(no_answer, str) or not no_answer.strip():
            raise PromptError(f"{path}: no_answer is missing (the reply meaning 'not answered' is expected)")
        used_anywhere: set[str] = set()
        for key, needed in _NEEDED.items():
            template = data.get(key)
            if not isinstance(template, str) or not template.strip():
                raise PromptError(f"{path}: {key} is missing (a text template is expected)")
            try:
                used = placeholders(template)
            except ValueError as error:  # e.g. an unclosed "{"
                raise PromptError(f"{path}: {key} is not a valid template: {error}") from None
            if missing := needed - used:
                raise PromptError(f"{path}: {key} lacks {sorted(missing)}; it must use {sorted(needed)}")
            if unknown := used - _ALLOWED[key]:
                msg = f"{path}: {key} uses {sorted(unknown)}; it may use only {sorted(_ALLOWED[key])}"
                raise PromptError(msg)
            used_anywhere |= used
        if "no_answer" not in used_anywhere:
            msg = f"{path}: neither system nor user uses {{no_answer}}: the model must learn how to decline"
            raise PromptError(msg)
        return cls(system=data["system"], user=data["user"], no_answer=no_answer.strip())

    def messages(self, question: str, sentences: Sequence[Sentence]) -> list[dict[str, str]]:
        """The chat messages for one question and its numbered sentences (OpenAI's format)."""
        return [
            {"role": "system", "content": self.system.format(no_answer=self.no_answer)},
            {
                "role": "user",
                "content": self.user.format(
                    question=question, sentences=numbered(sentences), no_answer=self.no_answer
                ),
            },
        ]


def question_for_model(evidence: Evidence) -> str:
    """The question as a model should read it (it sees no chat history): the standalone question a
    model wrote for a follow-up, or the question with the earlier one it follows up on."""
    query = evidence.query
    if query.rewritten:
        return query.search_text
    if not query.is_follow_up:
        return query.question
    earlier = query.search_text.removesuffix(query.question).strip()
    return f"{query.question} (asked after: {earlier})" if earlier else query.question
