"""Run a golden set (JSON lines, the format of ``shared/eval/dev.jsonl``) and score the answers.

The set runs against the configured article and index, or against any article file with an index of
its own built in a temporary folder (``article_assistant``): the external sets run in one command.
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

from pydantic import BaseModel, ValidationError

from assistant.index.builds import Progress
from assistant.index.embedder import Embedder
from assistant.ingest.parse import load_article
from assistant.pipeline import Assistant
from assistant.retrieve.rerank import CrossEncoderReranker
from assistant.schema import Answer, Turn
from assistant.settings import Settings, load_settings

# Ours, in a checkout of the repository; an installed package has no tests/ and so no default.
CHECKOUT_GOLDEN_SET = Path(__file__).resolve().parent.parent / "tests" / "data" / "golden.jsonl"


class GoldenItem(BaseModel):
    """One question; ``history`` holds the earlier user questions of the same chat."""

    id: str
    question: str
    history: list[str] = []
    evidence: list[str] = []
    answer: list[list[str]] = []
    unanswerable: bool = False
    kind: str | None = None
    """What the question tests, where a set says (``author_view``, ``follow_up``, ``near_miss``…)."""


@dataclass(frozen=True)
class ItemResult:
    id: str
    question: str
    unanswerable: bool
    answerable: bool
    evidence_found: bool
    keywords_found: bool
    verbatim: bool
    cited_chars: int
    seconds: float
    answer: str
    answered_by: str = "extractive"
    guardrail_notes: tuple[str, ...] = ()
    status: str = "answered"
    """``answered``, ``not_stated`` (declined, quoting what the article says closest) or ``declined``."""
    kind: str | None = None

    @property
    def right(self) -> bool:
        """Declined when unanswerable; else answered citing the evidence, with the answer's keywords."""
        if self.unanswerable:
            return not self.answerable
        return self.evidence_found and self.keywords_found


@dataclass(frozen=True)
class Report:
    """The figures the README and the issues talk about."""

    questions: int
    evidence_recall: float
    answer_keyword_accuracy: float
    decline_accuracy: float
    false_decline_rate: float
    verbatim_citations: float
    mean_cited_chars: float
    latency_p50_ms: float
    latency_p95_ms: float
    answered_by_llm: int = 0
    """Answers the LLM wrote (after its guardrails); the rest are extractive."""
    llm_fallbacks: int = 0
    """Answers where the LLM was asked but the extractive answer was given (failure or nothing kept)."""
    unanswerables_not_stated: float = float("nan")
    """Of the unanswerable questions, the share declined as "not stated" (the closest words quoted);
    the rest of ``decline_accuracy`` are bare declines."""


# How `assistant eval` names an article given on its command line, in error messages.
ARTICLE_OPTION = "--article"


@contextmanager
def article_assistant(
    article: Path,
    settings: Settings | None = None,
    embeddings: Embedder | None = None,
    progress: Progress | None = None,
    reranker: CrossEncoderReranker | None = None,
) -> Iterator[Assistant]:
    """An assistant over any article file, with its own index in a temporary folder removed afterwards.

    The configured index is never touched: neither ``ASSISTANT_INDEX_DIR`` nor a Chroma server at
    ``ASSISTANT_CHROMA_URL`` (the temporary index is a local store). The file is checked first, so a
    bad path is one message naming ``--article`` before any model loads.
    """
    base = settings or load_settings()
    load_article(article, base.max_article_chars, label=ARTICLE_OPTION)
    with tempfile.TemporaryDirectory(prefix="assistant-eval-", ignore_cleanup_errors=True) as folder:
        scoped = base.model_copy(
            update={"article_path": article, "index_dir": Path(folder) / "index", "chroma_url": None}
        )
        assistant = Assistant(scoped, embeddings=embeddings, reranker=reranker)
        if progress is None:
            assistant.open()
        else:
            progress(f"Building a temporary index for {article}…")
            assistant.open(progress)
        yield assistant


def default_golden_set() -> Path | None:
    """The checkout's golden set when running from one, else ``None``: the caller must name a file."""
    return CHECKOUT_GOLDEN_SET if CHECKOUT_GOLDEN_SET.is_file() else None


def load_golden_set(path: Path) -> list[GoldenItem]:
    items = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            items.append(GoldenItem.model_validate_json(line))
        except ValidationError as error:
            raise ValueError(f"{path}:{number}: not a golden-set item: {error}") from error
    return items


def fixed_sample(items: Sequence[GoldenItem], every: int) -> list[GoldenItem]:
    """Every ``every``-th answerable and every ``every``-th unanswerable question, in the set's order:
    a fixed subset with the set's share of unanswerables, for gates that cannot afford the whole set."""
    counts = {True: 0, False: 0}
    kept = []
    for item in items:
        if counts[item.unanswerable] % every == 0:
            kept.append(item)
        counts[item.unanswerable] += 1
    return kept


def _contains(text: str, phrase: str) -> bool:
    return phrase.lower() in text.lower()


def cites_evidence(cited: Sequence[str], evidence: Sequence[str]) -> bool:
    """Does one of the cited texts hold one of the evidence phrases (case aside)?"""
    joined = " \n".join(cited)
    return any(_contains(joined, phrase) for phrase in evidence)


def played_chat(assistant: Assistant, earlier: Sequence[str], extractive: bool = False) -> list[Turn]:
    """The chat before a question, played as a user would: each earlier question asked and answered
    (``extractive``: by the engine alone, as a reloaded chat replays them)."""
    history: list[Turn] = []
    for question in earlier:
        if extractive:
            reply, _ = assistant.ask_with_article(question, history, extractive=True)
        else:
            reply = assistant.ask(question, history)
        history += [Turn(role="user", content=question), Turn(role="assistant", content=reply.text)]
    return history


def run_item(assistant: Assistant, item: GoldenItem) -> tuple[Answer, float]:
    """Play the chat as a user would: earlier questions first, each answered, then the question."""
    history = played_chat(assistant, item.history)
    started = time.perf_counter()
    answer = assistant.ask(item.question, history)
    return answer, time.perf_counter() - started


def score_item(assistant: Assistant, item: GoldenItem, answer: Answer, seconds: float) -> ItemResult:
    article = assistant.article.text
    return ItemResult(
        id=item.id,
        question=item.question,
        unanswerable=item.unanswerable,
        answerable=answer.answerable,
        evidence_found=answer.answerable
        and cites_evidence([c.text for c in answer.citations], item.evidence),
        keywords_found=answer.answerable
        and all(any(_contains(answer.text, k) for k in group) for group in item.answer),
        verbatim=all(article[c.start : c.end] == c.text for c in answer.citations),
        cited_chars=sum(len(c.text) for c in answer.citations),
        seconds=seconds,
        answer=answer.text,
        answered_by=answer.answered_by,
        guardrail_notes=tuple(answer.guardrail_notes),
        status=answer.status,
        kind=item.kind,
    )


def _share(flags: Sequence[bool]) -> float:
    return sum(flags) / len(flags) if flags else float("nan")


def percentile(values: Sequence[float], q: float) -> float:
    """The value at the ``q`` quantile (0.95: p95), not interpolated; 0.0 for none. Benchmarks use it too."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else 0.0


def summarise(results: Sequence[ItemResult]) -> Report:
    answerable = [r for r in results if not r.unanswerable]
    declined = [r for r in results if r.unanswerable]
    answered = [r for r in results if r.answerable]
    latencies = [r.seconds * 1000 for r in results]
    return Report(
        questions=len(results),
        evidence_recall=_share([r.evidence_found for r in answerable]),
        answer_keyword_accuracy=_share([r.keywords_found for r in answerable]),
        decline_accuracy=_share([not r.answerable for r in declined]),
        false_decline_rate=_share([not r.answerable for r in answerable]),
        verbatim_citations=_share([r.verbatim for r in results]),
        mean_cited_chars=statistics.fmean([r.cited_chars for r in answered]) if answered else 0.0,
        latency_p50_ms=statistics.median(latencies) if latencies else 0.0,
        latency_p95_ms=percentile(latencies, 0.95),
        answered_by_llm=sum(r.answered_by == "llm" for r in results),
        llm_fallbacks=sum(r.answered_by == "extractive" and bool(r.guardrail_notes) for r in results),
        unanswerables_not_stated=_share([r.status == "not_stated" for r in declined]),
    )


def evaluate(assistant: Assistant, items: Sequence[GoldenItem]) -> tuple[Report, list[ItemResult]]:
    results = [score_item(assistant, item, *run_item(assistant, item)) for item in items]
    return summarise(results), results


def run_golden_set(
    items: Sequence[GoldenItem], article: Path | None, progress: Progress
) -> tuple[Report, list[ItemResult]]:
    """The set against the configured article and index, or against ``article`` with an index of its own."""
    if article is not None:
        with article_assistant(article, progress=progress) as assistant:
            return evaluate(assistant, items)
    assistant = Assistant(load_settings())
    assistant.open(progress)
    return evaluate(assistant, items)


def report_table(report: Report) -> str:
    rows = [
        ("questions", f"{report.questions}"),
        ("evidence recall", f"{report.evidence_recall:.3f}"),
        ("answer keyword accuracy", f"{report.answer_keyword_accuracy:.3f}"),
        ("decline accuracy", f"{report.decline_accuracy:.3f}"),
        ("  of which not stated", f"{report.unanswerables_not_stated:.3f}"),
        ("false-decline rate", f"{report.false_decline_rate:.3f}"),
        ("verbatim citations", f"{report.verbatim_citations:.3f}"),
        ("mean cited chars", f"{report.mean_cited_chars:.0f}"),
        ("latency p50 (ms)", f"{report.latency_p50_ms:.1f}"),
        ("latency p95 (ms)", f"{report.latency_p95_ms:.1f}"),
    ]
    if report.answered_by_llm or report.llm_fallbacks:
        extractive = report.questions - report.answered_by_llm
        rows.append(("answered by", f"llm {report.answered_by_llm}, extractive {extractive}"))
        rows.append(("llm fell back", f"{report.llm_fallbacks}"))
    width = max(len(name) for name, _ in rows)
    return "\n".join(f"{name:<{width}}  {value}" for name, value in rows)


def right_by_kind(results: Sequence[ItemResult]) -> dict[str, float]:
    """The share right per kind of question, for sets whose items say their kind."""
    kinds: dict[str, list[bool]] = {}
    for result in results:
        if result.kind:
            kinds.setdefault(result.kind, []).append(result.right)
    return {kind: _share(flags) for kind, flags in sorted(kinds.items())}


def report_json(report: Report, results: Sequence[ItemResult]) -> str:
    return json.dumps(
        {
            "report": asdict(report),
            "right_by_kind": right_by_kind(results),
            "items": [{**asdict(r), "right": r.right} for r in results],
        },
        indent=2,
    )
