"""The model as judge: how likely it finds that the sentences the engine chose state the answer.

A bare yes/no from a small model rejects too many good answers (the packaged 1.5B model: 13-20 % of
answerable questions on held-back sets). Its first token's log-probabilities give a degree instead:
P(yes) = p("yes") / (p("yes") + p("no")), summed over the spellings the model uses. That degree is not
used alone either: ``weights.JudgeModel`` combines it with the engine's own confidence (the decline
model's probability), fitted by ``assistant tune-judge`` on the training sets, and an answer whose
combined probability falls below the fitted threshold is given as "not stated" instead.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from assistant.answer.extractive.answerer import Choice
from assistant.answer.extractive.weights import JudgeModel
from assistant.answer.llm.backend import BackendFailure, ChatBackend
from assistant.answer.llm.prompt import numbered, question_for_model
from assistant.answer.prompt_files import system_and_user
from assistant.article import Sentence
from assistant.retrieve.evidence import Evidence

JUDGE_PROMPT = "llm_judge.toml"
_YES, _NO = "yes", "no"


def yes_probability(first_token: dict[str, float]) -> float | None:
    """P(yes) between yes and no among the model's likeliest first tokens; None when it weighs
    neither (it meant to say something else: no judgement)."""
    yes = sum(math.exp(lp) for token, lp in first_token.items() if token.strip().lower() == _YES)
    no = sum(math.exp(lp) for token, lp in first_token.items() if token.strip().lower() == _NO)
    return yes / (yes + no) if yes + no > 0 else None


@dataclass(frozen=True)
class JudgePrompt:
    """The judge's messages: ``{sentences}`` (numbered, with speakers) and ``{question}``."""

    system: str
    user: str

    @classmethod
    def load(cls, prompts_dir: Path | None = None) -> JudgePrompt:
        system, user = system_and_user(
            prompts_dir, JUDGE_PROMPT, "the LLM judge's prompt", ("sentences", "question")
        )
        return cls(system, user)

    def messages(self, question: str, sentences: Sequence[Sentence]) -> list[dict[str, str]]:
        user = self.user.replace("{sentences}", numbered(sentences)).replace("{question}", question)
        return [{"role": "system", "content": self.system}, {"role": "user", "content": user}]


class StatedJudge:
    """Asks the model whether the chosen sentences state the answer; its P(yes), or None."""

    def __init__(self, backend: ChatBackend, prompt: JudgePrompt, timeout: float) -> None:
        self.backend = backend
        self.prompt = prompt
        self.timeout = timeout

    def probability(self, question: str, sentences: Sequence[Sentence]) -> tuple[float | None, str]:
        """P(the sentences state the answer), and a note for ``guardrail_notes`` when there is none
        (the server failed or gives no log-probabilities: the engine's decision stands)."""
        try:
            first = self.backend.first_token(self.prompt.messages(question, sentences), self.timeout)
        except BackendFailure as failure:
            return None, f"no judgement from the model ({failure}); the engine's decision stands"
        probability = yes_probability(first)
        if probability is None:
            return None, "the model answered neither yes nor no; the engine's decision stands"
        return probability, ""


JUDGED = "the model judged the cited sentences do not state the answer"
"""``Choice.reason`` of an answer the review turned into "not stated"."""


class AnswerReview:
    """The engine's answer, kept or made "not stated" by the model's judgement and the engine's own
    confidence combined (``JudgeModel``); only the engine's ranked answers are reviewed, not the
    article's header, an overview or a continuation."""

    def __init__(self, judge: StatedJudge, model: JudgeModel) -> None:
        self.judge = judge
        self.model = model

    def reviewed(self, evidence: Evidence, choice: Choice) -> tuple[Choice, tuple[str, ...]]:
        """The choice, made "not stated" when judged so; notes for ``guardrail_notes``."""
        if choice.reason != "answer" or choice.probability is None:
            return choice, ()
        evidence.query.cancel.check()
        judged, note = self.judge.probability(question_for_model(evidence), choice.cited)
        if judged is None:
            return choice, (note,)
        combined = self.model.probability(choice.probability, judged)
        if combined >= self.model.threshold:
            return choice, ()
        why = f"{JUDGED} (P(yes) {judged:.2f}, with the engine's {combined:.2f} < {self.model.threshold:.2f})"
        return replace(choice, answerable=False, reason=JUDGED), (why,)
