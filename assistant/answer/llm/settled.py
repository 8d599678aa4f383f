"""Which start of a model's answer is final while the model is still writing it.

A client that cannot replace text it was sent (a standard OpenAI client concatenates the deltas) may
only be sent words of the checked answer. ``Settled`` follows the reply as it grows: each time a
sentence is whole (``guardrails.whole_sentences``), the whole sentences so far are checked; once what
they keep cites the sentence found to answer best, the checked text is settled, and the answerer's
final answer starts with it whatever the model writes next (``LLMAnswerer`` keeps it even when the
model then fails, declines or loops). Before that nothing is settled: the answer may still be the
extractive one.
"""

from __future__ import annotations

from collections.abc import Sequence

from assistant.answer.llm.guardrails import Checked, check, whole_sentences
from assistant.article import Sentence


class Settled:
    """The checked start of one reply, grown as the reply does (one per reply: not shared)."""

    def __init__(self, provided: Sequence[Sentence], article_text: str, no_answer: str, best: int) -> None:
        self.provided = provided
        self.article_text = article_text
        self.no_answer = no_answer
        self.best = best
        """Position of the sentence the answer must cite before anything of it is settled."""
        self.checked: Checked | None = None
        self._whole = ""

    @property
    def text(self) -> str:
        """What is settled so far: the start of the final answer's text ("" while nothing is)."""
        return self.checked.text if self.checked is not None else ""

    def grow(self, reply: str) -> bool:
        """Follow the reply written so far; whether more of it is settled now."""
        whole = whole_sentences(reply)
        if whole == self._whole:
            return False
        self._whole = whole
        checked = check(whole, self.provided, self.article_text, self.no_answer)
        if checked.empty or not self.cites_best(checked) or not checked.text.startswith(self.text):
            return False
        grew = checked.text != self.text
        self.checked = checked
        return grew

    def cites_best(self, checked: Checked) -> bool:
        return any(self.provided[i].position == self.best for i in checked.cited)

    def kept_by(self, final: Checked) -> bool:
        """Whether ``final`` (the finished reply checked) starts with what was settled."""
        return final.text.startswith(self.text) and (self.checked is None or self.cites_best(final))
