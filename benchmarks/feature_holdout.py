"""What one decline feature adds on questions the fit never saw, when one training set holds most of
the questions it fires on.

``assistant tune`` reports a new feature's effect on its held-out sets, but a feature can fire almost
only in one training set (an added "not" is a third of complexity's unanswerable questions and none of
victoria's): its held-out figures then say nothing of it. So that set is split in two halves
(alternate questions); for each half the fit runs as ``assistant tune`` runs it, on the other training
sets and the other half, once with the feature and once without it (its value zeroed: the fit then
gives it no weight), and scores the half it never saw.

    .venv/bin/python benchmarks/feature_holdout.py [--feature negation_unmatched] [--split squad2/complexity]

About 15 minutes on 2 cores (observing the training sets, then four fits); prints JSON.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path
from unittest import mock

import common

from assistant.answer.extractive import answerer as answerer_module
from assistant.answer.extractive.answerer import ExtractiveAnswerer
from assistant.answer.extractive.templates import AnswerTemplates
from assistant.answer.extractive.weights import FEATURES
from assistant.tuning import Observation, default_sets, figures, fit, observe

MAX_FALSE_DECLINES = 0.03
"""The shipped fit's budget (``assistant tune``'s default)."""


def halves(observations: Sequence[Observation], split: str) -> tuple[list[Observation], list[Observation]]:
    """The split set's questions, alternately in two halves (its file's order: no sampling)."""
    questions = [o for o in observations if o.set_name == split]
    return questions[0::2], questions[1::2]


def without(feature: str):
    """A patch of the answerer's features with ``feature`` zeroed, as if it had never been written."""
    features = answerer_module.decline_features

    def zeroed(*args, **kwargs) -> dict[str, float]:
        return {**features(*args, **kwargs), feature: 0.0}

    return mock.patch.object(answerer_module, "decline_features", zeroed)


def held_out_figures(
    answerer: ExtractiveAnswerer, observations: Sequence[Observation], split: str
) -> list[dict[str, float]]:
    """For each half: the fit on everything but it, scored on it."""
    rest = [o for o in observations if o.set_name != split]
    first, second = halves(observations, split)
    results = []
    for seen, unseen in ((first, second), (second, first)):
        weights = fit(answerer, [*rest, *seen], answerer.weights, MAX_FALSE_DECLINES, lambda _: None)
        scored = figures([(o, answerer.choose(o.evidence, weights)) for o in unseen])
        results.append(
            {
                "questions": scored.questions,
                "evidence_recall": round(scored.evidence_recall, 3),
                "false_declines": round(scored.false_declines, 3),
                "unanswerables_declined": round(scored.unanswerables_declined, 3),
            }
        )
    return results


def main(argv: Sequence[str] | None = None) -> dict[str, object]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feature", default="negation_unmatched", choices=FEATURES)
    parser.add_argument("--split", default="squad2/complexity")
    parser.add_argument("--squad2", type=Path, default=common.ROOT.parent / "shared" / "eval" / "squad2")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    train, _ = default_sets(common.ROOT, args.squad2)
    if args.split not in {s.name for s in train}:
        parser.error(f"--split must be one of the training sets: {', '.join(s.name for s in train)}")
    observations = observe(train, lambda _: None)
    answerer = ExtractiveAnswerer(AnswerTemplates.load())
    with_feature = held_out_figures(answerer, observations, args.split)
    with without(args.feature):
        without_feature = held_out_figures(answerer, observations, args.split)
    result = {
        "feature": args.feature,
        "split": args.split,
        "with": with_feature,
        "without": without_feature,
    }
    text = json.dumps(result, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")
    return result


if __name__ == "__main__":
    main()
