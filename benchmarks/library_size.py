"""Indexing and answering as the library grows: 1, 10 and 100 articles in one temporary library.

The first article is the seed article; the others are generated, deterministically (seeded), from the
SQuAD 2.0 texts in ``../shared/eval/squad2`` when that folder is there (as ``assistant tune`` finds
it) and otherwise from the articles this checkout ships (the seed and the tests' own): each a title
line, a byline, a date and 8 to 30 paragraphs drawn from those texts, so every article is distinct
and of a news article's length.

For each article count one fresh process adds the articles the count needs with ``Library.add`` (both
models shared, loaded and warmed before the clock starts), and then another (so its memory is its own,
not the builds') asks:

- the golden set's questions, scoped to the seed article, through ``Library.assistant(id).ask``: the
  same questions on the same article at every count, so their p50 is comparable from 1 to 100;
- questions made from a few other articles' own sentences, reworded trivially;

each asked article warmed with one question first. The same questions are then asked across all
articles (``article: "all"``, ``Shelf.scoped("all")``: the router's one search, then at most
``Routing.articles`` articles' evidence), once to warm and once timed, with the share answered from the
article they were made from. Memory (RSS) is read after those questions with only
the asked articles open, then again with every article's assistant open (each asked one question, and
the seed's questions asked once more beside them all).
The library's lookups are timed at each count, so a step that reads every article shows as a time
that grows with the count: ``Library.entries()`` (the listing) and ``Library.entry(id)`` /
``Library.assistant(id)`` (what a scoped question needs).

    .venv/bin/python benchmarks/library_size.py [--counts 1,10,100] [--questions 40] [--quick]
"""

from __future__ import annotations

import gc
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import TYPE_CHECKING

import common
from generated import SEED, generated_articles, paragraph_pool, sentences

if TYPE_CHECKING:
    from assistant.library.library import Library
    from assistant.pipeline import Assistant

OTHER_ARTICLES = 4  # articles asked besides the seed, spread over the library
QUICK_COUNTS, QUICK_QUESTIONS = "1,2", 2
LOOKUPS = 50  # repetitions of each timed library lookup
TEMPLATES = (
    "Is it true that {clause}?",
    "What does the article say about {phrase}?",
    "{clause}?",
)


# -- the articles --


def own_questions(text: str, limit: int, seed: int) -> list[str]:
    """Questions made from the article's own sentences, reworded trivially (seeded)."""
    rng = random.Random(seed)
    body = [p for p in text.split("\n\n")[3:] if p.strip()]
    candidates = [s for p in body for s in sentences(p) if 8 <= len(s.split()) <= 35]
    questions = []
    for sentence in rng.sample(candidates, min(limit, len(candidates))):
        words = sentence.rstrip(".!?\"'”").split()
        clause = " ".join([words[0].lower() if words[0][1:].islower() else words[0], *words[1:]])
        start = rng.randint(0, max(len(words) - 6, 0))
        phrase = " ".join(words[start : start + 6]).strip(",;:()\"'“”")
        questions.append(rng.choice(TEMPLATES).format(clause=clause, phrase=phrase))
    return questions


# -- one article count, in its own process --


@dataclass(frozen=True)
class Plan:
    """What one process measures: the library's place, the article files, and how many to have."""

    scratch: Path
    sources: tuple[Path, ...]
    count: int
    questions: int
    own_questions: int


def _median_ms(call: Callable[[], object], repeat: int = LOOKUPS) -> float:
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        call()
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times)


def _disk_mb(folder: Path) -> float:
    """Space the folder takes on disk (allocated blocks, as ``du`` counts them)."""
    used = 0
    for parent, _, files in os.walk(folder):
        for name in files:
            path = Path(parent) / name
            if not path.is_symlink():
                used += path.stat().st_blocks * 512
    return used / 2**20


def _library(plan: Plan) -> Library:
    """The temporary library, with both models loaded and warmed: their loading is timed nowhere."""
    from assistant.index.embeddings import MiniLMEmbeddings
    from assistant.library.library import Library
    from assistant.retrieve.rerank import CrossEncoderReranker
    from assistant.settings import Settings

    embeddings, reranker = MiniLMEmbeddings(), CrossEncoderReranker()
    embeddings.embed_query_vector("warm-up")
    reranker.score("warm-up", ["warm-up"])
    settings = Settings(index_dir=plan.scratch / "index", library_dir=plan.scratch / "library")
    return Library(settings, embeddings, reranker)


def build(plan: Plan) -> dict[str, float]:
    """Add the articles up to ``plan.count`` (the earlier counts' are there already), timing each."""
    library = _library(plan)
    had = len(library.entries())
    added, routing = [], []
    reroute = library._reroute

    def timed_reroute() -> None:  # the router's share of each add (its new build)
        began = time.perf_counter()
        reroute()
        routing.append(time.perf_counter() - began)

    library._reroute = timed_reroute  # type: ignore[method-assign]
    for path in plan.sources[had : plan.count]:
        began = time.perf_counter()
        library.add(path)
        added.append(time.perf_counter() - began)
        print(f"  {had + len(added)}/{plan.count} articles: {added[-1]:.1f} s", file=sys.stderr, flush=True)
    gc.collect()
    return {
        "index_added": float(len(added)),
        "index_added_s_per_article": statistics.fmean(added) if added else 0.0,
        "index_added_total_s": sum(added),
        "router_s_per_add": statistics.fmean(routing) if routing else 0.0,
        "router_last_add_s": routing[-1] if routing else 0.0,
        # what a process that added these articles still holds once done (models included)
        "rss_after_adding_mb": common.rss_mb(os.getpid())["rss_mb"],
        "unchanged_add_ms": _median_ms(lambda: library.add(plan.sources[0]), repeat=10),
    }


def ask(plan: Plan) -> dict[str, float]:
    """Ask the seed article's and a few others' questions; memory with those open, then with all."""
    library = _library(plan)
    seed_id = _id_of(library, plan.sources[0])
    others = [_id_of(library, plan.sources[n]) for n in _spread(plan.count)]
    asked = {seed_id: common.golden_questions(plan.questions)}
    for n, article_id in enumerate(others):
        text = library.article_path(article_id).read_text(encoding="utf-8")
        asked[article_id] = own_questions(text, plan.own_questions, SEED + n)

    assistants = {article_id: library.assistant(article_id) for article_id in asked}
    for article_id, questions in asked.items():
        assistants[article_id].ask(questions[0])  # warm: the article's index opened
    seed_ms, other_ms = [], []
    for article_id, questions in asked.items():
        for question in questions:
            began = time.perf_counter()
            assistants[article_id].ask(question)
            (seed_ms if article_id == seed_id else other_ms).append((time.perf_counter() - began) * 1000)
    gc.collect()
    rss_asked = common.rss_mb(os.getpid())["rss_mb"]

    across = _across(library, assistants[seed_id], asked, seed_id)
    probe = common.golden_questions(1)[0]
    timings = {
        "entries_ms": _median_ms(library.entries),
        "entry_ms": _median_ms(lambda: library.entry(seed_id)),
        "assistant_ms": _median_ms(lambda: library.assistant(seed_id), repeat=10),
        "scoped_ask_ms": _median_ms(lambda: library.assistant(seed_id).ask(probe), repeat=10),
    }

    for entry in library.entries():  # every article's assistant open, each asked once
        if entry.id not in assistants:
            assistants[entry.id] = library.assistant(entry.id)
            assistants[entry.id].ask(probe)
    all_open_ms = []
    for question in asked[seed_id]:  # the seed's questions again, now beside every open article
        began = time.perf_counter()
        assistants[seed_id].ask(question)
        all_open_ms.append((time.perf_counter() - began) * 1000)
    gc.collect()
    memory = common.rss_mb(os.getpid())

    return {
        "chars_per_article": statistics.fmean(e.chars for e in library.entries()),
        **common.summary_ms(seed_ms),
        "questions": float(len(seed_ms)),
        **{f"other_{k}": v for k, v in (common.summary_ms(other_ms) if other_ms else {}).items()},
        "other_questions": float(len(other_ms)),
        **{f"all_open_{k}": v for k, v in common.summary_ms(all_open_ms).items()},
        "rss_asked_open_mb": rss_asked,
        "rss_all_open_mb": memory["rss_mb"],
        "peak_rss_mb": memory["peak_rss_mb"],
        "disk_mb": _disk_mb(plan.scratch),
        **timings,
        **across,
    }


def _across(library: Library, seed: Assistant, asked: dict[str, list[str]], seed_id: str) -> dict[str, float]:
    """The questions asked across all articles: p50 of the seed's (beside the scoped p50), and how
    often the answer came from the article a question was made from (answered ones only)."""
    from assistant.library.shelf import ALL, Shelf

    started = time.perf_counter()
    scoped = Shelf(seed, library).scoped(ALL, across=True)  # one article: simply that article
    across = scoped.assistant
    across.ask(asked[seed_id][0])  # the router opened (and brought in step, were it not)
    first_ms = (time.perf_counter() - started) * 1000
    for questions in asked.values():  # warm: every article a question routes to opened once
        for question in questions:
            across.ask(question)
    seed_ms: list[float] = []
    answered = {"seed": 0, "other": 0}
    right = {"seed": 0, "other": 0}
    for article_id, questions in asked.items():
        group = "seed" if article_id == seed_id else "other"
        for question in questions:
            began = time.perf_counter()
            answer = scoped.attribute(across.ask(question))
            if group == "seed":
                seed_ms.append((time.perf_counter() - began) * 1000)
            if answer.answerable and answer.citations:
                answered[group] += 1
                source = answer.citations[0].source
                right[group] += source is not None and source.id == article_id
    # The generated articles share paragraphs (drawn from one pool), so "its own" article is only one
    # of several holding the answer to an "other" question; the seed article's text is its own.
    return {
        **{f"all_{k}": v for k, v in common.summary_ms(seed_ms).items()},
        **_router_recall(library, seed, {seed_id: asked[seed_id]}),
        "all_first_question_ms": first_ms,
        **{f"all_{g}_answered": float(n) for g, n in answered.items()},
        **{f"all_{g}_right_article_share": right[g] / n if n else 0.0 for g, n in answered.items()},
    }


def _router_recall(library: Library, seed: Assistant, asked: dict[str, list[str]]) -> dict[str, float]:
    """How often the router names the article a question is about among its first 1, 2, 3."""
    from assistant.library.router import ROUTING, ArticleRouter

    router = ArticleRouter(library.indexes)
    places = []  # 1 for the router's first article, …; 0 when not named at all
    for article_id, questions in asked.items():
        for question in questions:
            found = router.candidates(seed.embeddings.embed_query_vector(question))
            places.append(found.index(article_id) + 1 if article_id in found else 0)
    return {
        f"all_router_recall_at_{k}": sum(1 for p in places if 0 < p <= k) / len(places)
        for k in range(1, ROUTING.articles + 1)
    }


def _id_of(library: Library, source: Path) -> str:
    resolved = str(source.resolve())
    return next(e.id for e in library.entries() if e.source_path == resolved)


def _spread(count: int) -> list[int]:
    """Up to OTHER_ARTICLES positions (not the seed's) spread evenly over ``count`` articles."""
    if count <= 1:
        return []
    step = (count - 1) / min(OTHER_ARTICLES, count - 1)
    return sorted({min(count - 1, round(1 + k * step)) for k in range(min(OTHER_ARTICLES, count - 1))})


# -- the run --


def _in_own_process(step: Callable[[Plan], dict[str, float]], plan: Plan, quick: bool) -> dict[str, float]:
    """Run ``step`` in a fresh process: its memory figures are its own, not left over from before. The
    quick (smoke) run keeps it in this one: its figures are not read, and a fresh process costs ~15 s."""
    if quick:
        return step(plan)
    with ProcessPoolExecutor(1, mp_context=get_context("spawn")) as pool:
        return pool.submit(step, plan).result()


def main() -> None:
    args = common.options(
        "Index time, answer latency, memory and disk as the library grows.",
        f"articles {QUICK_COUNTS}, {QUICK_QUESTIONS} questions per article",
        counts="1,10,100",
        questions=40,
        own=10,
    )
    counts = sorted({int(n) for n in (QUICK_COUNTS if args.quick else args.counts).split(",")})
    questions = QUICK_QUESTIONS if args.quick else args.questions
    own = min(QUICK_QUESTIONS, args.own) if args.quick else args.own
    origin, pool = paragraph_pool()
    load_at_start = common.load_average()
    began = time.perf_counter()
    results: dict[int, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as scratch_name:
        scratch = Path(scratch_name)
        sources = scratch / "sources"
        sources.mkdir()
        files = [common.ROOT / "assistant" / "data" / "henningsen-2017-iran-missile-strike.txt"]
        for n, text in enumerate(generated_articles(counts[-1] - 1, pool), start=2):
            files.append(sources / f"report-{n:03d}.txt")
            files[-1].write_text(text, encoding="utf-8")
        for count in counts:
            print(f"{count} articles", file=sys.stderr, flush=True)
            plan = Plan(scratch, tuple(files), count, questions, own)
            results[count] = {
                **_in_own_process(build, plan, args.quick),
                **_in_own_process(ask, plan, args.quick),
            }

    rows: dict[str, object] = {"counts": ",".join(map(str, counts)), "articles_from": origin}
    index_total = 0.0
    for count, result in results.items():
        index_total += result["index_added_total_s"]
        rows[f"n{count}_index_total_s"] = index_total
        rows[f"n{count}_index_s_per_article"] = index_total / count
        rows.update({f"n{count}_{key}": value for key, value in result.items()})
    first, last = results[counts[0]], results[counts[-1]]
    rows["p50_growth"] = last["p50_ms"] / first["p50_ms"]
    rows["p50_under_2x"] = rows["p50_growth"] < 2
    rows["all_open_p50_growth"] = last["all_open_p50_ms"] / first["p50_ms"]
    rows["across_p50_growth"] = last["all_p50_ms"] / first["all_p50_ms"]
    for step in ("entries_ms", "entry_ms", "assistant_ms", "scoped_ask_ms", "unchanged_add_ms"):
        rows[f"{step}_growth"] = last[step] / first[step]
    rows["run_s"] = time.perf_counter() - began
    rows["load_average_at_start"] = load_at_start
    rows["load_average_at_end"] = common.load_average()
    rows["machine"] = common.machine()
    common.report("library_size", rows)


if __name__ == "__main__":
    main()
