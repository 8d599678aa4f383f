"""The extractive answerer's numbers, in one typed place, with where they came from.

The values ship as ``fitted.json`` beside this module, written by ``assistant tune`` (seeded, on the
training split of the question sets it names) together with its held-out figures; nothing here is
set by eye. ``ExtractiveWeights.load(path)`` reads another fit, e.g. to compare two.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from importlib import resources
from pathlib import Path

from assistant.errors import InvalidConfiguration

FEATURES = (
    "rerank",
    "margin",
    "dense",
    "coverage",
    "missing",
    "type_missing",
    "names_unknown",
    "names_not_near",
    "follow_up",
    "repeats_previous",
    "actor_not_cited",
    "topic_not_cited",
    "detail_missing",
    "negation_unmatched",
)
"""What the decline model sees of a question's best sentence (``features.decline_features``)."""


@dataclass(frozen=True)
class DeclineModel:
    """Logistic regression: P(the best sentence answers) from standardised features."""

    mean: tuple[float, ...]
    scale: tuple[float, ...]
    coefficients: tuple[float, ...]
    intercept: float
    threshold: float
    """Declined below this probability: the fit's choice for false declines ≤ its target."""

    def probability(self, features: Mapping[str, float]) -> float:
        z = self.intercept
        for name, mean, scale, coefficient in zip(
            FEATURES, self.mean, self.scale, self.coefficients, strict=True
        ):
            z += coefficient * (features[name] - mean) / scale
        return 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, z))))


def logit(probability: float) -> float:
    """log(p / (1 - p)), kept finite (p clamped to [1e-4, 1 - 1e-4])."""
    p = min(max(probability, 1e-4), 1 - 1e-4)
    return math.log(p / (1 - p))


JUDGE_FEATURES = ("engine", "judge")
"""What the judge model combines: the logit of the decline model's probability, and the logit of the
LLM's P(yes) that the chosen sentences state the answer (``assistant.answer.llm.judge``)."""


@dataclass(frozen=True)
class JudgeModel:
    """Logistic regression: P(the chosen sentences answer) from the engine's and the LLM's logits.

    Applied only where the engine answers, and only to turn an answer into "not stated": a judge
    that may only take answers away cannot cost recall beyond the false declines its threshold
    allows (``assistant tune-judge`` keeps them within a budget on the training sets)."""

    coefficients: tuple[float, ...]
    intercept: float
    threshold: float
    model: str = ""
    """The model it was fitted with (another model's P(yes) is calibrated differently: refit)."""
    provenance: dict[str, object] = field(default_factory=dict, compare=False)

    def probability(self, engine: float, judge: float) -> float:
        z = self.intercept + sum(
            c * x for c, x in zip(self.coefficients, (logit(engine), logit(judge)), strict=True)
        )
        return 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, z))))

    def states_answer(self, engine: float, judge: float) -> bool:
        return self.probability(engine, judge) >= self.threshold

    @classmethod
    def load(cls, path: Path | None = None) -> JudgeModel:
        """The shipped fit (``fitted_judge.json``), or the one at ``path``."""
        if path is None:
            text = (resources.files("assistant.answer.extractive") / "fitted_judge.json").read_text(
                encoding="utf-8"
            )
        else:
            text = path.read_text(encoding="utf-8")
        data = json.loads(text)
        model = cls(**{k: tuple(v) if k == "coefficients" else v for k, v in data.items()})
        if len(model.coefficients) != len(JUDGE_FEATURES):
            used = len(JUDGE_FEATURES)
            msg = f"a judge fit over {len(model.coefficients)} features; this version uses {used}"
            raise ValueError(msg)
        return model

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2) + "\n"


@dataclass(frozen=True)
class ExtractiveWeights:
    """How the best sentences are chosen, and when the best is not good enough to answer with."""

    type_fit_bonus: float
    """Added to the cross-encoder logit of a sentence that can hold the kind of answer asked for."""
    follow_up_bonus: float
    """Added to the logit of a sentence right after one the previous answer quoted (follow-ups only)."""
    second_margin: float
    """A second sentence is cited when its logit is within this of the best's, …"""
    max_cited_chars: int
    """… and both together stay within this many characters."""
    min_rerank: float
    """Below this cross-encoder logit nothing in the article is about the question: declined outright
    (the logit is comparable across articles; the fit keeps this rule's false declines within a budget)."""
    context_min_rerank: float
    """A decline shows the closest sentences as context only when the best logit reaches this."""
    decline: DeclineModel
    window_gain: float | None = None
    """Two adjacent sentences are cited together, instead of the chosen ones, when the cross-encoder
    scores them together at least this much above the best single sentence (None: never)."""
    nearby_credit: float = 0.5
    """A question word found only around a sentence (neighbours, section, speaker) counts this much."""
    name_window: int = 2
    """A name counts as mentioned in a sentence or this many before it."""
    author_view_bonus: float = 0.0
    """Added to the logit of the author's own sentences when the question asks the author's view."""
    follow_up_question_weight: float = 0.0
    """A follow-up's candidates are ranked by this share of the cross-encoder's logit for the question
    as asked and the rest of the one for its search text, which borrows the previous question
    (``RankedSentence.question_rerank``)."""
    repeat_penalty: float = 0.0
    """Taken from the logit of a sentence the previous answer quoted, for a follow-up that asks
    something new (not "who said that?"): the answer it leans on rarely answers it again."""
    provenance: dict[str, object] = field(default_factory=dict, compare=False)
    """Which script fitted these, on what, with which held-out figures (``assistant tune``)."""

    @classmethod
    def load(cls, path: Path | None = None) -> ExtractiveWeights:
        """The shipped fit, or the one at ``path``."""
        if path is None:
            text = (resources.files("assistant.answer.extractive") / "fitted.json").read_text(
                encoding="utf-8"
            )
        else:
            text = path.read_text(encoding="utf-8")
        data = json.loads(text)
        decline = data.pop("decline")
        return cls(
            decline=DeclineModel(**{k: tuple(v) if isinstance(v, list) else v for k, v in decline.items()}),
            **data,
        )

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2) + "\n"


@functools.cache
def default_weights() -> ExtractiveWeights:
    """The shipped fit, read once per process (a library opens an answerer per article)."""
    return ExtractiveWeights.load()


def load_weights(path: Path | None) -> ExtractiveWeights:
    """The shipped fit, or the one ``ASSISTANT_ANSWER_WEIGHTS`` names (``assistant tune --out FILE``,
    e.g. at another false-decline target), checked now so a bad file fails at start-up, named."""
    if path is None:
        return default_weights()
    try:
        weights = ExtractiveWeights.load(path)
    except OSError as error:
        msg = f"ASSISTANT_ANSWER_WEIGHTS: cannot read {str(path)!r} ({error.strerror or error})"
        raise InvalidConfiguration(msg) from None
    except (ValueError, TypeError, KeyError, AttributeError) as error:
        msg = (
            f"ASSISTANT_ANSWER_WEIGHTS: {str(path)!r} is not a fit written by `assistant tune --out` "
            f"({type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''})"
        )
        raise InvalidConfiguration(msg) from None
    model = weights.decline
    if not len(model.mean) == len(model.scale) == len(model.coefficients) == len(FEATURES):
        msg = (
            f"ASSISTANT_ANSWER_WEIGHTS: {str(path)!r} has a decline model over {len(model.coefficients)} "
            f"features; this version uses {len(FEATURES)} (refit with `assistant tune`)"
        )
        raise InvalidConfiguration(msg)
    return weights


def load_judge_model(path: Path | None) -> JudgeModel:
    """The shipped judge fit, or the one ``ASSISTANT_LLM_JUDGE_FIT`` names, checked now (start-up)."""
    try:
        return JudgeModel.load(path)
    except OSError as error:
        msg = f"ASSISTANT_LLM_JUDGE_FIT: cannot read {str(path)!r} ({error.strerror or error})"
        raise InvalidConfiguration(msg) from None
    except (ValueError, TypeError, KeyError, AttributeError) as error:
        what = f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}"
        msg = (
            f"ASSISTANT_LLM_JUDGE_FIT: {str(path)!r} is not a fit written by `assistant tune-judge` ({what})"
        )
        raise InvalidConfiguration(msg) from None
