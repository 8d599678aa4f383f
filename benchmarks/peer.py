"""Two peers measured on the same articles and question sets as the engine: the floor it must clear.

1. LangChain's RAG tutorial retrieval: ``RecursiveCharacterTextSplitter`` chunks in an in-memory Chroma
   over the assistant's own MiniLM model, ``similarity_search(question, k)``; it cites whole chunks.
2. A plain reranker: the article's sentences, MiniLM's dense top 20 by cosine, re-ordered by the
   cross-encoder, top 1 or 2 sentences; no other logic. Its top score as a decline rule is set on each
   set for at most 5 % false declines (fitted on the set it is scored on: an upper bound).

A question is found when one cited text contains one of its evidence phrases (case-insensitive); only
answerable questions count for recall, mean cited characters are over the questions answered (as in
``assistant eval``). A multi-turn item is asked as its question alone: the peers have no conversation.

    .venv/bin/python -m benchmarks.peer                       # seed article + golden set, the squad2 three
    .venv/bin/python -m benchmarks.peer --article PATH SET [SET ...] [--json OUT]
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from benchmarks import common

SQUAD2_DIR = common.ROOT.parent / "shared" / "eval" / "squad2"
SQUAD2_ARTICLES = ("complexity", "southern_california", "victoria")
RESULT = common.RESULTS / "peer.json"

# (chunk_size, chunk_overlap) -> the k values reported: the tutorial's 1000/200 at k=1 and its default
# k=4, and smaller chunks at the size of two sentences.
CHUNKINGS: dict[tuple[int, int], tuple[int, ...]] = {(1000, 200): (1, 4), (300, 50): (2,)}
DENSE_CANDIDATES = 20
RERANK_TOPS = (1, 2)
MAX_FALSE_DECLINES = 0.05


@dataclass(frozen=True)
class Question:
    text: str
    evidence: tuple[str, ...]
    unanswerable: bool


@dataclass(frozen=True)
class Cited:
    """What a baseline cites for one question; ``None`` when it declines."""

    question: Question
    texts: tuple[str, ...] | None


@dataclass(frozen=True)
class Row:
    baseline: str
    article: str
    questions: int
    answerable: int
    evidence_recall: float
    cited_chars: float
    false_declines: float | None  # None: the baseline never declines
    unanswerables_declined: float | None  # None: the set has no unanswerables
    decline_threshold: float | None = None


def load_questions(path: Path) -> list[Question]:
    from assistant.evaluation import load_golden_set

    return [
        Question(item.question, tuple(item.evidence), item.unanswerable) for item in load_golden_set(path)
    ]


def found(cited: Cited) -> bool:
    texts = cited.texts or ()
    return any(e.lower() in t.lower() for e in cited.question.evidence for t in texts)


def score(baseline: str, article: str, cited: Sequence[Cited], threshold: float | None = None) -> Row:
    answerable = [c for c in cited if not c.question.unanswerable]
    unanswerable = [c for c in cited if c.question.unanswerable]
    answered = [c for c in cited if c.texts is not None]
    declines = any(c.texts is None for c in cited) or threshold is not None

    def share(flags: list[bool]) -> float:
        return sum(flags) / len(flags) if flags else math.nan

    return Row(
        baseline=baseline,
        article=article,
        questions=len(cited),
        answerable=len(answerable),
        evidence_recall=share([found(c) for c in answerable]),
        cited_chars=statistics.fmean(sum(map(len, c.texts or ())) for c in answered) if answered else 0.0,
        false_declines=share([c.texts is None for c in answerable]) if declines else None,
        unanswerables_declined=share([c.texts is None for c in unanswerable]) if unanswerable else None,
        decline_threshold=threshold,
    )


def decline_threshold(top_scores: Sequence[float], unanswerable: Sequence[bool]) -> float:
    """The highest top score to decline below that declines at most 5 % of the answerable questions.

    With no answerable question nothing can be declined falsely, so everything is declined.
    """
    answerable = sorted(s for s, u in zip(top_scores, unanswerable, strict=True) if not u)
    if not answerable:
        return math.inf
    return answerable[math.floor(MAX_FALSE_DECLINES * len(answerable) + 1e-9)]


class Models:
    """The two models every baseline shares, loaded once for all articles."""

    def __init__(self) -> None:
        from assistant.index.embeddings import MiniLMEmbeddings
        from assistant.retrieve.rerank import CrossEncoderReranker

        self.embeddings = MiniLMEmbeddings()
        self.reranker = CrossEncoderReranker()


def langchain_tutorial(models: Models, text: str, questions: Sequence[Question]) -> dict[str, list[Cited]]:
    """Each chunking's similarity search, asked once at its largest k (the smaller k are its prefixes)."""
    import chromadb
    from chromadb.config import Settings
    from langchain_chroma import Chroma
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    client = chromadb.EphemeralClient(Settings(anonymized_telemetry=False))
    results: dict[str, list[Cited]] = {}
    for (size, overlap), tops in CHUNKINGS.items():
        splitter = RecursiveCharacterTextSplitter(chunk_size=size, chunk_overlap=overlap)
        name = f"peer-{size}-{overlap}-{time.monotonic_ns()}"
        store = Chroma(collection_name=name, embedding_function=models.embeddings, client=client)
        store.add_documents(splitter.create_documents([text]))
        found_chunks = [
            [d.page_content for d in store.similarity_search(q.text, k=max(tops))] for q in questions
        ]
        client.delete_collection(name)
        for k in tops:
            label = f"LangChain tutorial, {size}/{overlap} chunks, top-{k}"
            results[label] = [Cited(q, tuple(c[:k])) for q, c in zip(questions, found_chunks, strict=True)]
    return results


def plain_reranker(
    models: Models, sentences: Sequence[str], questions: Sequence[Question]
) -> tuple[dict[str, list[Cited]], list[float]]:
    """Top-k sentences after reranking MiniLM's dense candidates, and each question's top logit."""
    vectors = models.embeddings.embed_many(list(sentences))
    ranked: list[list[str]] = []
    top_scores: list[float] = []
    for question in questions:
        cosine = vectors @ models.embeddings.embed_query_vector(question.text)
        candidates = np.argsort(-cosine, kind="stable")[:DENSE_CANDIDATES]
        logits = models.reranker.score(question.text, [sentences[i] for i in candidates])
        order = np.argsort(-logits, kind="stable")
        ranked.append([sentences[candidates[i]] for i in order])
        top_scores.append(float(logits[order[0]]))
    results = {
        f"Plain reranker, top-{k}": [Cited(q, tuple(r[:k])) for q, r in zip(questions, ranked, strict=True)]
        for k in RERANK_TOPS
    }
    return results, top_scores


def measure(models: Models, article_path: Path, set_path: Path) -> list[Row]:
    from assistant.ingest.parse import load_article
    from assistant.ingest.split import split_article

    article = load_article(article_path)
    sentences = [s.text for s in split_article(article)[0]]
    questions = load_questions(set_path)
    if not questions or not sentences:
        sys.exit(f"{set_path} holds no questions or {article_path} no sentences: nothing to measure")
    label = (
        article_path.stem if set_path.stem == article_path.stem else f"{article_path.stem}: {set_path.stem}"
    )
    cited = langchain_tutorial(models, article.text, questions)
    reranked, top_scores = plain_reranker(models, sentences, questions)
    cited.update(reranked)
    rows = [score(name, label, answers) for name, answers in cited.items()]
    threshold = decline_threshold(top_scores, [q.unanswerable for q in questions])
    top = max(RERANK_TOPS)
    declining = [
        Cited(c.question, c.texts if s >= threshold else None)
        for c, s in zip(reranked[f"Plain reranker, top-{top}"], top_scores, strict=True)
    ]
    rows.append(score(f"Plain reranker, top-{top}, declining below a threshold", label, declining, threshold))
    return rows


def _figure(value: float | None, digits: int = 2) -> str:
    return "–" if value is None or math.isnan(value) else f"{value:.{digits}f}"


def markdown(rows: Sequence[Row]) -> str:
    lines = [
        "| baseline | article | questions (answerable) | evidence recall | cited chars "
        "| false declines | unanswerables declined | decline threshold (top logit) |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    first_seen = {baseline: n for n, baseline in reversed(list(enumerate(r.baseline for r in rows)))}
    for row in sorted(rows, key=lambda r: first_seen[r.baseline]):  # grouped by baseline, articles in order
        lines.append(
            f"| {row.baseline} | {row.article} | {row.questions} ({row.answerable}) "
            f"| {_figure(row.evidence_recall)} | {row.cited_chars:,.0f} | {_figure(row.false_declines)} "
            f"| {_figure(row.unanswerables_declined)} "
            f"| {_figure(row.decline_threshold)} |"
        )
    return "\n".join(lines)


def runs(args: argparse.Namespace) -> list[tuple[Path, list[Path]]]:
    """(article, sets) pairs: the one named, else the seed article's golden set; plus the squad2 three."""
    chosen: list[tuple[Path, list[Path]]] = []
    if args.article is not None:
        if not args.sets:
            sys.exit("--article needs at least one question set (JSON lines) after it")
        chosen.append((args.article, args.sets))
    else:
        from assistant.settings import DEFAULT_ARTICLE

        chosen.append((DEFAULT_ARTICLE, args.sets or [common.GOLDEN_SET]))
    squad2 = args.squad2 if args.squad2 is not None or args.article is not None else SQUAD2_DIR
    if squad2 is not None:
        chosen += [(squad2 / f"{name}.txt", [squad2 / f"{name}.jsonl"]) for name in SQUAD2_ARTICLES]
    missing = [str(p) for p in itertools.chain.from_iterable([a, *s] for a, s in chosen) if not p.is_file()]
    if missing:
        sys.exit(
            f"not found: {', '.join(missing)}; pass --article PATH SET, or --squad2 DIR holding "
            f"{', '.join(n + '.txt/.jsonl' for n in SQUAD2_ARTICLES)}"
        )
    return chosen


def parse(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="The peer baselines' quality, side by side, as a Markdown table."
    )
    parser.add_argument("--article", type=Path, help="an article file (default: the seed article)")
    parser.add_argument("sets", nargs="*", type=Path, help="question sets for --article (JSON lines)")
    parser.add_argument(
        "--squad2",
        type=Path,
        help=f"folder of the squad2 articles and sets (default {SQUAD2_DIR}, "
        "run only without --article unless given)",
    )
    parser.add_argument(
        "--json", type=Path, default=RESULT, help=f"where to write the rows (default {RESULT})"
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> list[Row]:
    args = parse(argv)
    chosen = runs(args)
    models = Models()
    rows: list[Row] = []
    for article, sets in chosen:
        for question_set in sets:
            began = time.perf_counter()
            rows += measure(models, article, question_set)
            elapsed = time.perf_counter() - began
            print(f"{article.name} × {question_set.name}: {elapsed:.0f} s", file=sys.stderr, flush=True)
    print(markdown(rows))
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(
        json.dumps({"machine": common.machine(), "rows": [asdict(r) for r in rows]}, indent=2)
    )
    return rows


if __name__ == "__main__":
    main()
