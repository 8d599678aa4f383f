"""The LLM answerer: the extractive decision judges, a model words the answer, guardrails check it.

``ExtractiveAnswerer.choose`` still decides whether the article answers and which sentences do; a
decline stays its decline, and no model is called. Otherwise the model sees the chosen sentences
and the next best ranked ones (``CONTEXT_SENTENCES`` in all, in article order), numbered, with their
speakers, and writes a short answer citing ``[n]``. ``guardrails.check`` keeps what the cited
sentences support; when nothing is left, when what is left does not cite every chosen sentence
(so an LLM answer cites at least the evidence the extractive one would), or when the backend fails,
the extractive answer is given, with a note saying why. The steps are an
LCEL chain (prompt → generate → check), so the generate step can later stream tokens.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from langchain_core.runnables import Runnable, RunnableLambda

from assistant.answer.base import Evidence
from assistant.answer.citations import Draft
from assistant.answer.extractive.answerer import Choice, ExtractiveAnswerer
from assistant.answer.llm.backend import BackendFailure, ChatBackend
from assistant.answer.llm.guardrails import check
from assistant.answer.llm.prompt import AnswerPrompt
from assistant.article import Sentence

CONTEXT_SENTENCES = 6
"""Sentences shown to the model at least: the chosen ones, then the best ranked others."""


def best_of(evidence: Evidence, choice: Choice) -> Sentence:
    """The chosen sentence the cross-encoder ranked highest (the first one for an overview)."""
    logits = {r.position: r.rerank for r in evidence.ranked}
    return max(choice.cited, key=lambda s: logits.get(s.position, float("-inf")))


@dataclass(frozen=True)
class _Task:
    evidence: Evidence
    provided: tuple[Sentence, ...]
    messages: list[dict[str, str]]
    chosen: frozenset[int]
    """Position of the sentence the extractive decision found to answer best: the model must cite it."""


@dataclass(frozen=True)
class _Reply:
    task: _Task
    text: str | None
    failure: str | None = None


def shown_sentences(
    evidence: Evidence, choice: Choice, at_least: int = CONTEXT_SENTENCES
) -> tuple[Sentence, ...]:
    """The chosen sentences and the best ranked others up to ``at_least`` in all, in article order."""
    positions = {s.position for s in choice.cited}
    for ranked in evidence.ranked:
        if len(positions) >= at_least:
            break
        positions.add(ranked.position)
    return tuple(evidence.sentences[p] for p in sorted(positions))


def question_for_model(evidence: Evidence) -> str:
    """The question, with the earlier one it follows up on (the model sees no chat history)."""
    query = evidence.query
    if not query.is_follow_up:
        return query.question
    earlier = query.search_text.removesuffix(query.question).strip()
    return f"{query.question} (asked after: {earlier})" if earlier else query.question


class LLMAnswerer:
    """An ``Answerer`` whose wording comes from a model server, checked before it is shown."""

    def __init__(self, extractive: ExtractiveAnswerer, prompt: AnswerPrompt, backend: ChatBackend) -> None:
        self.extractive = extractive
        self.prompt = prompt
        self.backend = backend
        self._chain: Runnable[tuple[Evidence, Choice], Draft] = (
            RunnableLambda(self._task) | RunnableLambda(self._generate) | RunnableLambda(self._check)
        ).with_config(run_name="llm_answer")

    def draft(self, evidence: Evidence) -> Draft:
        choice = self.extractive.choose(evidence)
        if not choice.answerable:
            return self.extractive.draft(evidence)
        return self._chain.invoke((evidence, choice))

    def _task(self, decided: tuple[Evidence, Choice]) -> _Task:
        """The prompt step: what the model is shown."""
        evidence, choice = decided
        provided = shown_sentences(evidence, choice)
        messages = self.prompt.messages(question_for_model(evidence), provided)
        return _Task(evidence, provided, messages, frozenset({best_of(evidence, choice).position}))

    def _generate(self, task: _Task) -> _Reply:
        try:
            return _Reply(task, self.backend.complete(task.messages))
        except BackendFailure as failure:
            return _Reply(task, None, str(failure))

    def _check(self, reply: _Reply) -> Draft:
        evidence = reply.task.evidence
        if reply.text is None:
            return self._fallback(evidence, (f"the LLM {reply.failure}; the extractive answer is given",))
        checked = check(reply.text, reply.task.provided, evidence.article.text, self.prompt.no_answer)
        if checked.empty:
            why = "nothing it wrote was supported" if not checked.declined else "it found no answer"
            return self._fallback(evidence, (*checked.notes, f"the extractive answer is given: {why}"))
        cited = tuple(reply.task.provided[i] for i in checked.cited)
        left_out = reply.task.chosen - {s.position for s in cited}
        if left_out:
            # The decision found which sentence answers best; an answer without it may miss the point.
            # (Its runner-up is the model's to use or not: requiring it too left the model 1 answer of
            # 18 on the shared dev set with the 1.5B model.)
            shown = "".join(f"[{n}]" for n, s in enumerate(reply.task.provided, 1) if s.position in left_out)
            why = f"it left out {shown}, found to answer the question"
            return self._fallback(evidence, (*checked.notes, f"the extractive answer is given: {why}"))
        return Draft(text=checked.text, answerable=True, cited=cited, answered_by="llm", notes=checked.notes)

    def _fallback(self, evidence: Evidence, notes: tuple[str, ...]) -> Draft:
        return replace(self.extractive.draft(evidence), notes=notes)

    def problem(self) -> str | None:
        """Why the model server failed last, or None: ``/healthz`` reports it."""
        return self.backend.problem

    def recheck(self) -> str | None:
        """Whether the model server is back, after a failure (one small completion)."""
        return self.backend.probe()
