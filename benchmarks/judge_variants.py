"""Which way of asking the model to judge separates best: judge prompt variants side by side.

Every seed-set question is asked once as the model path asks it (the follow-up rewritten, the
engine's choice); where the engine answers, each variant judges the same question and sentences. Per
variant: how well P(yes) ranks right answers above answered unanswerables and above wrong answers
(AUC, per set), and the held-out figures of the fit ``assistant tune-judge`` would make from these
rows at the shipped budget. A variant is adopted only if its held-out figures beat the shipped one's.

    .venv/bin/python benchmarks/judge_variants.py [--base-url URL] [--model qwen2.5-coder-1.5b]

Without ``--base-url`` the model server is started here (``assistant llm serve``, 2 threads). About
25 minutes on 2 cores with the packaged 1.5B model.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import common
from first_token import server_at

from assistant import Settings
from assistant.answer.extractive.weights import JudgeModel
from assistant.answer.llm.judge import JudgePrompt, StatedJudge
from assistant.answer.llm.prompt import numbered
from assistant.article import Sentence
from assistant.tuning import default_sets
from assistant.tuning_judge import Judge, Judged, figures, fit_judge, observe_judged, seed_sets

CHECKOUT = Path(__file__).resolve().parent.parent

# Worked examples for the few-shot variant: a story no question set is about, near misses included
# (the topic is there, the thing asked is not).
_BRIDGE = "[1] (the author) The council approved the new bridge on Tuesday after a two-hour debate."
_MAYOR = "[1] (Mayor Lin) “This bridge will finally join the two halves of our town.”"
_CROWD = "[1] (the author) Hundreds of protesters gathered outside the town hall, and police were called."
SHOTS = (
    (_BRIDGE, "When did the council approve the bridge?", "Yes"),
    (_BRIDGE, "How much will the new bridge cost?", "No"),
    (_MAYOR, "What did the governor say about the bridge?", "No"),
    (_CROWD, "Why were the police called?", "Yes"),
    (_MAYOR, "What does the mayor think the bridge will do?", "Yes"),
    (_CROWD, "How many protesters were arrested?", "No"),
)
_EXTRACT_SYSTEM = (
    "You read sentences from a news article and answer a reader's question using only them. If the "
    "sentences do not state the answer to that exact question, reply NONE."
)


@dataclass(frozen=True)
class FewShotPrompt(JudgePrompt):
    """The shipped prompt, with worked examples as earlier turns of the chat."""

    def messages(self, question: str, sentences: Sequence[Sentence]) -> list[dict[str, str]]:
        system, asked = super().messages(question, sentences)
        shots = []
        for shown, example, verdict in SHOTS:
            user = self.user.replace("{sentences}", shown).replace("{question}", example)
            shots += [{"role": "user", "content": user}, {"role": "assistant", "content": verdict}]
        return [system, *shots, asked]


class ExtractJudge(StatedJudge):
    """Asks for the answer itself, or NONE: P(stated) = 1 - P(the first token begins NONE)."""

    def probability(self, question: str, sentences: Sequence[Sentence]) -> tuple[float | None, str]:
        user = f"Sentences:\n{numbered(sentences)}\n\nQuestion: {question}\n\nAnswer in a few words, or NONE."
        messages = [{"role": "system", "content": _EXTRACT_SYSTEM}, {"role": "user", "content": user}]
        first = self.backend.first_token(messages, self.timeout)
        total = sum(math.exp(lp) for lp in first.values())
        none = sum(math.exp(lp) for token, lp in first.items() if token.strip().upper().startswith("NON"))
        return (1 - none / total if total else None), ""


class Panel:
    """Judges each question with every variant and keeps their P(yes); answers as the first."""

    def __init__(self, variants: dict[str, StatedJudge]) -> None:
        self.variants = variants
        self.seen: dict[str, list[float | None]] = {name: [] for name in variants}
        self.seconds: dict[str, float] = dict.fromkeys(variants, 0.0)

    def probability(self, question: str, sentences: Sequence[Sentence]) -> tuple[float | None, str]:
        answers = {}
        for name, judge in self.variants.items():
            started = time.perf_counter()
            answers[name] = judge.probability(question, sentences)
            self.seconds[name] += time.perf_counter() - started
            self.seen[name].append(answers[name][0])
        return next(iter(answers.values()))


def _panel(shipped: StatedJudge) -> Panel:
    prompt, backend, timeout = shipped.prompt, shipped.backend, shipped.timeout
    return Panel(
        {
            "shipped": shipped,
            "few_shot": StatedJudge(backend, FewShotPrompt(prompt.system, prompt.user), timeout),
            "extract_or_none": ExtractJudge(backend, prompt, timeout),
        }
    )


def _as_judged_by(rows: Sequence[Judged], probabilities: Sequence[float | None]) -> list[Judged]:
    """The rows with one variant's P(yes) (the panel was asked for every row with an engine score)."""
    asked = iter(probabilities)
    return [replace(r, judge=next(asked)) if r.engine is not None else r for r in rows]


def _auc(higher: Sequence[float], lower: Sequence[float]) -> float:
    if not higher or not lower:
        return math.nan
    wins = sum((h > low) + 0.5 * (h == low) for h in higher for low in lower)
    return wins / (len(higher) * len(lower))


def _separation(rows: Sequence[Judged]) -> str:
    scored = [r for r in rows if r.judge is not None]
    right = [r.judge for r in scored if r.found]
    unanswerable = [r.judge for r in scored if r.unanswerable]
    wrong = [r.judge for r in scored if not r.found and not r.unanswerable]
    return f"{_auc(right, unanswerable):.2f} / {_auc(right, wrong):.2f}"  # type: ignore[arg-type]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", help="A running model server (else one is started)")
    parser.add_argument("--model", default="qwen2.5-coder-1.5b")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    budget = float(JudgeModel.load().provenance["max_added_false_declines"])  # type: ignore[arg-type]
    train_sets, held_out_sets = seed_sets(*default_sets(CHECKOUT, CHECKOUT.parent / "shared/eval/squad2"))
    with server_at(args.base_url, args.model, args.threads) as url:
        settings = Settings(llm_base_url=url, llm_model=args.model, llm_timeout=120, llm_step_timeout=60)
        panels: list[Panel] = []

        def judged_by(shipped: StatedJudge) -> Judge:
            panels.append(_panel(shipped))
            return panels[-1]

        train = observe_judged(settings, train_sets, print, judged_by)
        held_out = observe_judged(settings, held_out_sets, print, judged_by)
    seen = {name: [p for panel in panels for p in panel.seen[name]] for name in panels[0].variants}
    common.RESULTS.mkdir(parents=True, exist_ok=True)  # the raw judgements first: the tables are from them
    (common.RESULTS / "judge_variants.json").write_text(
        json.dumps({"train": [*map(asdict, train)], "held_out": [*map(asdict, held_out)], "seen": seen})
    )
    names = list(dict.fromkeys(r.set_name for r in [*train, *held_out]))
    print(f"\nmodel {args.model}; AUC right vs answered unanswerables / right vs wrong answers")
    print("| variant | s per judgement | " + " | ".join(names) + " |")
    print("|---" * (len(names) + 2) + "|")
    judged = sum(r.engine is not None for r in [*train, *held_out])
    for name, probabilities in seen.items():
        rows = _as_judged_by([*train, *held_out], probabilities)
        seconds = sum(panel.seconds[name] for panel in panels) / max(judged, 1)
        cells = [_separation([r for r in rows if r.set_name == set_name]) for set_name in names]
        print(f"| {name} | {seconds:.2f} | " + " | ".join(cells) + " |")
    print(f"\nheld out, fitted on the training sets at budget {budget}: recall / false declines / declined")
    held_names = list(dict.fromkeys(r.set_name for r in held_out))
    print("| variant | threshold | " + " | ".join(held_names) + " |")
    print("|---" * (len(held_names) + 2) + "|")
    for name, probabilities in seen.items():
        rows = _as_judged_by([*train, *held_out], probabilities)
        model = fit_judge(rows[: len(train)], budget, args.model)
        cells = []
        for set_name in held_names:
            f = figures([r for r in rows[len(train) :] if r.set_name == set_name], model)
            cells.append(
                f"{f['evidence_recall']:.3f} / {f['false_declines']:.3f} / {f['unanswerables_declined']:.2f}"
            )
        print(f"| {name} | {model.threshold:.3f} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
