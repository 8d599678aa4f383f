"""``assistant tune-judge``: fit how the model's judgement and the engine's confidence combine.

With the configured model server (``ASSISTANT_LLM_BASE_URL``), every question of the seed article's
sets is asked as the LLM path asks it: a follow-up rewritten by the model to stand alone, the engine's
choice, and, where the engine answers from its ranking, the model's P(yes) that the chosen sentences
state the answer. A logistic regression over the two logits (``weights.JudgeModel``) is fitted on the
training sets, answered-and-right against answered-but-unanswerable, each set weighing the same; its
threshold is the highest that keeps the training answerables the review turns away (beyond those the
engine declines itself) within a budget. Held-out sets are reported side by side with the
default path, with what each model step costs. Reproducible: fixed files, temperature 0, Newton's
method from zeros; only the model server's arithmetic may differ between machines.
"""

from __future__ import annotations

import json
import math
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Protocol

import numpy as np

from assistant.answer.extractive.weights import JudgeModel, logit
from assistant.answer.llm.judge import StatedJudge
from assistant.answer.llm.prompt import question_for_model
from assistant.article import Sentence
from assistant.evaluation import (
    GoldenItem,
    article_assistant,
    cites_evidence,
    load_golden_set,
    percentile,
    played_chat,
)
from assistant.pipeline import Assistant
from assistant.settings import Settings
from assistant.tuning import QuestionSet, _highest_cut, fit_logistic

L2 = 1.0
BUDGET_SWEEP = (0.01, 0.02, 0.03, 0.05)
"""False-decline budgets whose held-out figures the fit reports beside its own."""


@dataclass(frozen=True)
class Judged:
    """One question as both paths see it."""

    set_name: str
    kind: str | None
    unanswerable: bool
    default_answered: bool
    default_found: bool
    answered: bool
    """The model path's engine answered (after the rewrite), before the review."""
    found: bool
    engine: float | None
    """The decline model's probability, where the engine answered from its ranking (else None)."""
    judge: float | None
    """The model's P(yes), where it was asked."""
    rewrite_seconds: float | None
    judge_seconds: float | None


def _found(item: GoldenItem, answerable: bool, cited: Sequence[str]) -> bool:
    return answerable and cites_evidence(cited, item.evidence)


class Judge(Protocol):
    """What judges an answer here: ``StatedJudge``, or a benchmark's panel of prompt variants."""

    def probability(self, question: str, sentences: Sequence[Sentence]) -> tuple[float | None, str]: ...


def judge_questions(
    assistant: Assistant, judge: Judge, set_name: str, items: Sequence[GoldenItem]
) -> list[Judged]:
    """Each question: its chat played first (extractive answers, as a reloaded chat replays them),
    then the default path's decision and the model path's."""
    extractive = assistant.extractive
    rows = []
    for item in items:
        history = played_chat(assistant, item.history, extractive=True)
        plain = extractive.choose(assistant.evidence(item.question, history))
        started = time.perf_counter()
        evidence = assistant.evidence(item.question, history, with_model=True)
        rewrite = time.perf_counter() - started if evidence.query.rewritten else None
        choice = extractive.choose(evidence)
        engine = judged = judge_seconds = None
        if choice.answerable and choice.reason == "answer" and choice.probability is not None:
            engine = choice.probability
            started = time.perf_counter()
            judged, _ = judge.probability(question_for_model(evidence), choice.cited)
            judge_seconds = time.perf_counter() - started
        rows.append(
            Judged(
                set_name,
                item.kind,
                item.unanswerable,
                plain.answerable,
                _found(item, plain.answerable, [s.text for s in plain.cited]),
                choice.answerable,
                _found(item, choice.answerable, [s.text for s in choice.cited]),
                engine,
                judged,
                rewrite,
                judge_seconds,
            )
        )
    return rows


def observe_judged(
    settings: Settings,
    sets: Sequence[QuestionSet],
    progress: Callable[[str], None],
    judged_by: Callable[[StatedJudge], Judge] = lambda judge: judge,
) -> list[Judged]:
    """Every question of ``sets``; ``judged_by`` may put another judge in the shipped one's place
    (``benchmarks/judge_variants.py`` asks several prompts the same questions)."""
    rows: list[Judged] = []
    by_article: dict[Path, list[QuestionSet]] = {}
    for question_set in sets:
        by_article.setdefault(question_set.article, []).append(question_set)
    for article, article_sets in by_article.items():
        with article_assistant(article, settings) as assistant:
            review = getattr(assistant.answerer, "review", None)
            if review is None:
                msg = "tune-judge needs the LLM answerer with its judge: set ASSISTANT_LLM_BASE_URL"
                raise ValueError(msg)
            for question_set in article_sets:
                items = load_golden_set(question_set.questions)
                progress(f"{question_set.name}: {len(items)} questions")
                rows += judge_questions(assistant, judged_by(review.judge), question_set.name, items)
    return rows


def _reviewed(row: Judged, model: JudgeModel | None) -> bool:
    """Whether the model path answers this question, with the review (``model``) or without."""
    if not row.answered:
        return False
    if model is None or row.engine is None or row.judge is None:
        return True
    return model.states_answer(row.engine, row.judge)


def fit_judge(rows: Sequence[Judged], max_added_false_declines: float, model_name: str) -> JudgeModel:
    """The combination, and the highest threshold that turns away at most ``max_added_false_declines``
    of the training answerables (a share, each set weighing the same) beyond the engine's own declines."""
    labelled = [
        r for r in rows if r.engine is not None and r.judge is not None and (r.found or r.unanswerable)
    ]
    sizes: dict[str, int] = {}
    for r in labelled:
        sizes[r.set_name] = sizes.get(r.set_name, 0) + 1
    weights = np.array([len(labelled) / (len(sizes) * sizes[r.set_name]) for r in labelled])
    x = np.array([[logit(r.engine), logit(r.judge)] for r in labelled])  # type: ignore[arg-type]
    y = np.array([float(r.found) for r in labelled])
    coefficients, intercept = fit_logistic(x, y, weights, L2)
    model = JudgeModel(tuple(float(c) for c in coefficients), intercept, 0.0, model_name)
    answerable = [r for r in rows if not r.unanswerable]
    counts: dict[str, int] = {}
    for r in answerable:
        counts[r.set_name] = counts.get(r.set_name, 0) + 1
    weight = {name: 1.0 / (len(counts) * n) for name, n in counts.items()}
    scored = [
        (model.probability(r.engine, r.judge), weight[r.set_name])  # type: ignore[arg-type]
        for r in answerable
        if r.answered and r.engine is not None and r.judge is not None
    ]
    return replace(model, threshold=max(0.0, _highest_cut(scored, max_added_false_declines)))


def _share(flags: Sequence[bool]) -> float:
    return sum(flags) / len(flags) if flags else math.nan


def figures(rows: Sequence[Judged], model: JudgeModel | None, default: bool = False) -> dict[str, float]:
    """Recall, false declines and declined unanswerables of the default path, or of the model path
    (with the review when ``model`` is given)."""
    answerable = [r for r in rows if not r.unanswerable]
    unanswerable = [r for r in rows if r.unanswerable]
    if default:
        answers = {id(r): r.default_answered for r in rows}
        found = {id(r): r.default_found for r in rows}
    else:
        answers = {id(r): _reviewed(r, model) for r in rows}
        found = {id(r): r.found and answers[id(r)] for r in rows}
    follow_ups = [r for r in rows if r.kind == "follow_up"]
    reached = {
        "questions": len(rows),
        "evidence_recall": _share([found[id(r)] for r in answerable]),
        "false_declines": _share([not answers[id(r)] for r in answerable]),
        "unanswerables_declined": _share([not answers[id(r)] for r in unanswerable]),
    }
    if follow_ups:  # the sets that say which questions lean on the previous answer
        reached["follow_ups_right"] = _share(
            [(not answers[id(r)]) if r.unanswerable else found[id(r)] for r in follow_ups]
        )
    return reached


def costs(rows: Sequence[Judged]) -> dict[str, dict[str, float]]:
    """Seconds per model step where it ran: p50 and p95."""
    steps = {
        "rewrite": [r.rewrite_seconds for r in rows if r.rewrite_seconds is not None],
        "judge": [r.judge_seconds for r in rows if r.judge_seconds is not None],
    }
    return {
        step: {"runs": len(v), "p50": statistics.median(v) if v else 0.0, "p95": percentile(v, 0.95)}
        for step, v in steps.items()
    }


def per_set_report(rows: Sequence[Judged], model: JudgeModel) -> dict[str, dict[str, dict[str, float]]]:
    names = list(dict.fromkeys(r.set_name for r in rows))
    report = {}
    for name in names:
        subset = [r for r in rows if r.set_name == name]
        report[name] = {
            "default": figures(subset, None, default=True),
            "rewrite_only": figures(subset, None),
            "model": figures(subset, model),
        }
    return report


ALSO_FITTED = ("opinion_tune",)
"""Held out of the engine's fit (it cost a SQuAD article's recall there: ``tuning.default_sets``) but
fitted on here: the judge's threshold needs an opinion reader's questions, whose right answers get a
low P(yes) (no sentence "states" that the author is biased). Without them the threshold rose from
0.16 to 0.41 and held-out false declines to 0.10–0.16 (measured, 2026-12-07)."""


def seed_sets(train: Sequence[QuestionSet], held_out: Sequence[QuestionSet]) -> tuple[list, list]:
    """The seed article's sets of ``assistant tune``'s split, with ``ALSO_FITTED`` moved to training
    (the judge is fitted on one model's reading of the seed article; SQuAD's 989 questions would take
    hours on a CPU)."""
    seed = Settings().article_path
    return (
        [s for s in train if s.article == seed] + [s for s in held_out if s.name in ALSO_FITTED],
        [s for s in held_out if s.article == seed and s.name not in ALSO_FITTED],
    )


def tune_judge(
    settings: Settings,
    train_sets: Sequence[QuestionSet],
    held_out_sets: Sequence[QuestionSet],
    max_added_false_declines: float,
    progress: Callable[[str], None],
    rows_out: Path | None = None,
) -> JudgeModel:
    """Observe both splits, fit on the training one; ``rows_out`` keeps every question's row (JSON
    lines) so another budget can be fitted without asking the model again."""
    train = observe_judged(settings, train_sets, progress)
    held_out = observe_judged(settings, held_out_sets, progress)
    if rows_out is not None:
        lines = [json.dumps({"model": settings.llm_model})]
        lines += [json.dumps({"train": True, **asdict(r)}) for r in train]
        lines += [json.dumps({"train": False, **asdict(r)}) for r in held_out]
        rows_out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return fitted_with_report(train, held_out, max_added_false_declines, settings.llm_model or "")


def read_rows(path: Path) -> tuple[str, list[Judged], list[Judged]]:
    """What ``--rows`` wrote: the model's name, the training split's rows and the held-out ones."""
    header, *lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    train: list[Judged] = []
    held_out: list[Judged] = []
    for line in lines:
        data = json.loads(line)
        (train if data.pop("train") else held_out).append(Judged(**data))
    return json.loads(header)["model"], train, held_out


def fitted_with_report(
    train: Sequence[Judged], held_out: Sequence[Judged], max_added_false_declines: float, model_name: str
) -> JudgeModel:
    """The fit, with its figures per set and, for other budgets, what the held-out sets would show."""
    model = fit_judge(train, max_added_false_declines, model_name)
    sweep = {}
    for budget in BUDGET_SWEEP:
        other = fit_judge(train, budget, model_name)
        sweep[f"{budget:.2f}"] = {
            "threshold": other.threshold,
            **{name: sets["model"] for name, sets in per_set_report(held_out, other).items()},
        }
    provenance = {
        "fitted_by": "assistant tune-judge",
        "model": model_name,
        "max_added_false_declines": max_added_false_declines,
        "train": per_set_report(train, model),
        "held_out": per_set_report(held_out, model),
        "seconds": costs([*train, *held_out]),
        "budget_sweep": sweep,
    }
    return replace(model, provenance=provenance)


def save(model: JudgeModel, path: Path) -> None:
    path.write_text(model.to_json(), encoding="utf-8")
