"""The model writes a follow-up as a standalone question, from the chat: what retrieval then searches.

LangChain's history-aware retriever pattern ("contextualize the question"): "what did they do then?"
after an answer about the Revolutionary Guard becomes "What did the Revolutionary Guard do after
firing the missiles?". The model sees the last turns, answers included, so a follow-up that leans on
what the previous *answer* said finds its subject there. Only questions the engine itself would read
as follow-ups are rewritten (``assistant.retrieve.query.leans_on_context``): a question with its own
subject stands alone, and costs no model call. Whatever goes wrong (no reply in time, a reply that is
not one short question) leaves the question to the engine's own follow-up handling.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from assistant.answer.llm.backend import BackendFailure, ChatBackend
from assistant.answer.prompt_files import system_and_user
from assistant.retrieve.inputs import Question
from assistant.retrieve.query import leans_on_context
from assistant.retrieve.question import asks_about_article
from assistant.schema import Turn

STANDALONE_PROMPT = "llm_standalone.toml"
MAX_TURN_CHARS = 600
"""Each earlier turn shown to the model is cut to this (an answer's quotes can be long)."""
MAX_TURNS = 4
"""The last two exchanges: what a follow-up leans on."""
MAX_QUESTION_TOKENS = 60
_ONE_QUESTION = re.compile(r"^[^\n]{3,300}$")
_LABEL = re.compile(r"^\s*(standalone question|question|rewritten question)\s*:\s*", re.I)


@dataclass(frozen=True)
class StandalonePrompt:
    """The rewrite's messages: ``{history}`` (the last turns) and ``{question}``."""

    system: str
    user: str

    @classmethod
    def load(cls, prompts_dir: Path | None = None) -> StandalonePrompt:
        what = "the standalone-question prompt"
        return cls(*system_and_user(prompts_dir, STANDALONE_PROMPT, what, ("history", "question")))

    def messages(self, question: str, history: Sequence[Turn]) -> list[dict[str, str]]:
        shown = "\n".join(
            f"{'Reader' if t.role == 'user' else 'Assistant'}: {t.content[:MAX_TURN_CHARS]}"
            for t in history[-MAX_TURNS:]
        )
        user = self.user.replace("{history}", shown).replace("{question}", question)
        return [{"role": "system", "content": self.system}, {"role": "user", "content": user}]


def needs_rewrite(question: Question) -> bool:
    """A question with a chat before it that the engine would read as a follow-up."""
    asked = any(t.role == "user" for t in question.history)
    return asked and not asks_about_article(question.text) and leans_on_context(question.text)


def cleaned_question(reply: str) -> str | None:
    """The model's reply as one question, or None when it is not one (empty, several lines, long)."""
    text = _LABEL.sub("", reply.strip().strip('"“”').strip())
    return text if _ONE_QUESTION.match(text) else None


class QuestionWriter:
    """Rewrites follow-ups as standalone questions (``Question.standalone``); others pass unchanged."""

    def __init__(self, backend: ChatBackend, prompt: StandalonePrompt, timeout: float) -> None:
        self.backend = backend
        self.prompt = prompt
        self.timeout = timeout
        """Seconds the rewrite may take (``ASSISTANT_LLM_STEP_TIMEOUT``), retries included."""

    def rewrite(self, question: Question) -> Question:
        if not needs_rewrite(question):
            return question
        question.cancel.check()
        try:
            reply = self.backend.complete(
                self.prompt.messages(question.text, question.history), MAX_QUESTION_TOKENS, self.timeout
            )
        except BackendFailure:
            return question  # the engine's own follow-up handling, as without a model
        standalone = cleaned_question(reply)
        return replace(question, standalone=standalone) if standalone else question
