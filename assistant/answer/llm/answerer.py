"""The LLM answerer: the extractive decision judges, a model words the answer, guardrails check it.

``ExtractiveAnswerer.choose`` still decides whether the article answers and which sentences do; a
decline stays its decline, and no model is called. Otherwise the model sees the chosen sentences
and the next best ranked ones (``CONTEXT_SENTENCES`` in all, in article order), numbered, with their
speakers, and writes a short answer citing ``[n]``. ``guardrails.check`` keeps what the cited
sentences support; when nothing is left, when what is left does not cite the chosen sentence the
cross-encoder ranked best, or when the backend fails, the extractive answer is given, with a note
saying why. Other chosen sentences the model left out are quoted after its answer, so an LLM answer
cites at least the evidence the extractive one would. The steps are an
LCEL chain (prompt → write), whose write step streams: the model's words as they come (as
``Partial`` texts, markers naming unknown sentences held back), then the checked ``Draft``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace

from langchain_core.runnables import Runnable, RunnableGenerator, RunnableLambda

from assistant.answer.base import Partial
from assistant.answer.citations import Draft
from assistant.answer.extractive.answerer import Choice, ExtractiveAnswerer
from assistant.answer.llm.backend import BackendFailure, ChatBackend
from assistant.answer.llm.guardrails import Checked, check, provisional
from assistant.answer.llm.judge import AnswerReview
from assistant.answer.llm.prompt import AnswerPrompt, question_for_model
from assistant.answer.llm.settled import Settled
from assistant.article import Sentence
from assistant.retrieve.evidence import Evidence

UNAVAILABLE = "The language model is not answering right now, so this answer quotes the article directly."
"""The reader's notice when the model server failed (``guardrail_notes`` say how)."""

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
    best: int
    """Position of the sentence the extractive decision found to answer best: the model must cite it."""
    chosen: tuple[Sentence, ...]
    """All the sentences the decision chose: those the model leaves out are quoted after its answer."""


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


class LLMAnswerer:
    """An ``Answerer`` whose wording comes from a model server, checked before it is shown."""

    def __init__(
        self,
        extractive: ExtractiveAnswerer,
        prompt: AnswerPrompt,
        backend: ChatBackend,
        review: AnswerReview | None = None,
    ) -> None:
        self.extractive = extractive
        self.prompt = prompt
        self.backend = backend
        self.review = review
        """The model's judgement of the engine's answers (None: the engine's decision stands)."""
        self._chain: Runnable[tuple[Evidence, Choice], Partial | Draft] = (
            RunnableLambda(self._task) | RunnableGenerator(self._write)
        ).with_config(run_name="llm_answer")

    def draft(self, evidence: Evidence) -> Draft:
        """The checked answer (the stream run to its end)."""
        *_, last = self.stream_draft(evidence)
        assert isinstance(last, Draft)  # stream_draft ends with its Draft
        return last

    def stream_draft(self, evidence: Evidence) -> Iterator[Partial | Draft]:
        """The model's answer as it grows, then the checked draft; a decline without asking it."""
        choice = self.extractive.choose(evidence)
        notes: tuple[str, ...] = ()
        if choice.answerable and self.review is not None:
            choice, notes = self.review.reviewed(evidence, choice)
        if not choice.answerable:
            draft = self.extractive.drafted(evidence, choice)
            yield replace(draft, notes=(*draft.notes, *notes)) if notes else draft
            return
        for item in self._chain.stream((evidence, choice)):
            # Why there was no judgement (a failing server) is said first, before what followed from it.
            yield replace(item, notes=(*notes, *item.notes)) if notes and isinstance(item, Draft) else item

    def _task(self, decided: tuple[Evidence, Choice]) -> _Task:
        """The prompt step: what the model is shown."""
        evidence, choice = decided
        provided = shown_sentences(evidence, choice)
        messages = self.prompt.messages(question_for_model(evidence), provided)
        return _Task(evidence, provided, messages, best_of(evidence, choice).position, choice.cited)

    def _write(self, tasks: Iterator[_Task]) -> Iterator[Partial | Draft]:
        """The generate-and-check step: partial texts while the model writes (with the start of the
        checked answer already settled), then the checked draft."""
        for task in tasks:
            text, shown = "", ""
            settled = Settled(task.provided, task.evidence.article.text, self.prompt.no_answer, task.best)
            try:
                for piece in self.backend.stream(task.messages):
                    text += piece
                    now = provisional(text, len(task.provided))
                    if settled.grow(text) or now != shown:
                        shown = now
                        yield Partial(now, settled.text)
            except BackendFailure as failure:
                yield self._check(_Reply(task, None, str(failure)), settled)
                continue
            yield self._check(_Reply(task, text), settled)

    def _check(self, reply: _Reply, settled: Settled) -> Draft:
        """The finished reply checked; what was settled while it was written stays its start."""
        task = reply.task
        if reply.text is not None:
            checked = check(reply.text, task.provided, task.evidence.article.text, self.prompt.no_answer)
            if settled.kept_by(checked):
                return self._judged(task, checked)
            rest = "said the sentences do not answer" if checked.declined else "was not kept"
            why = f"the rest of the model's reply {rest}"
        else:
            why = f"the LLM {reply.failure}"
        if settled.checked is None:
            notes = (f"{why}; the extractive answer is given",)
            return replace(self._fallback(task.evidence, notes), notice=UNAVAILABLE)
        # Clients that cannot take back words were sent the settled start: it stays, and ends the answer.
        note = f"{why}; the answer ends with its sentences checked before that"
        return self._judged(task, replace(settled.checked, notes=(*settled.checked.notes, note)))

    def _judged(self, task: _Task, checked: Checked) -> Draft:
        """The draft from what the guardrails kept: the extractive answer when it is not enough."""
        evidence = task.evidence
        if checked.empty:
            why = "nothing it wrote was supported" if not checked.declined else "it found no answer"
            return self._fallback(evidence, (*checked.notes, f"the extractive answer is given: {why}"))
        cited = tuple(task.provided[i] for i in checked.cited)
        if task.best not in {s.position for s in cited}:
            # The decision found which sentence answers best; an answer without it may miss the point.
            shown = "".join(f"[{n}]" for n, s in enumerate(task.provided, 1) if s.position == task.best)
            why = f"it left out {shown}, found to answer the question"
            return self._fallback(evidence, (*checked.notes, f"the extractive answer is given: {why}"))
        text, notes = checked.text, checked.notes
        left_out = [s for s in task.chosen if s.position not in {c.position for c in cited}]
        if left_out:
            # The other chosen sentences answer too (the extractive answer would cite them): quoted after
            # the model's words, so its evidence is never less than the extractive answer's.
            added = range(len(cited) + 1, len(cited) + len(left_out) + 1)
            quotes = " ".join(self.extractive.attributed(s, n) for s, n in zip(left_out, added, strict=True))
            text, cited = f"{text} {quotes}", (*cited, *left_out)
            markers = "".join(f"[{n}]" for n in added)
            notes = (
                *notes,
                f"quoted {markers} after the answer: found to answer the question, the model left it out",
            )
        return Draft(text=text, answerable=True, cited=cited, answered_by="llm", notes=notes)

    def _fallback(self, evidence: Evidence, notes: tuple[str, ...]) -> Draft:
        return replace(self.extractive.draft(evidence), notes=notes)

    def problem(self) -> str | None:
        """Why the model server failed last, or None: ``/healthz`` reports it."""
        return self.backend.problem

    def recheck(self) -> str | None:
        """Whether the model server is back, after a failure (one small completion)."""
        return self.backend.probe()
