"""Where the time of ``assistant add`` goes, and how it grows with the library: an archive of generated
articles ingested into the embedded store, or into a ``chroma run`` server, by one or several indexers.

The articles are generated, seeded, from the SQuAD 2.0 texts (``benchmarks/generated.py``), short by
default (3 to 6 paragraphs: an archive's typical brief; ``--paragraphs 8,30`` for feature length) so
a thousand go in within minutes. One process (per indexer) ingests them with ``Library.add_many``, the
command's bulk path, MiniLM loaded and warmed before the clock starts. Each stage of each article is
timed by wrapping the function that does it (nothing in ``assistant/`` is changed for this):

- parse: reading and parsing the file (``read_source``);
- tagging: spaCy's entities (``tag_entities``);
- embedding: MiniLM over the sentences and passages (``embed_many``);
- suggestions: the key sentences the suggested questions start from (``key_sentences``);
- store: creating and writing the build's collections;
- router: the router's new build (once per run with ``add_many``);
- catalog: the rest: the library's lock, records and texts, the index's pointer and lock.

Reported per stage in ms per article, for the articles that took the library from each checkpoint
(8, 104, 1,000 by default: whole windows of the bulk add, whose one embedding call is timed on the
window's first article) to the next, so a stage that grows with the library shows as a
growing figure. The warm per-article cost is set against the embedding time of that article's texts
(the issue's goal: at most 1.5 x). With ``--indexers N`` N processes share the archive (each meets the
files in the same order; a file another indexer is adding is skipped and met again later) and the
run's wall time is set against one indexer's. At the end the seed article's golden questions (the
archive's first file) are asked of it alone and across all articles: what a large library costs an answer.

    .venv/bin/python benchmarks/ingest.py [--articles 1000] [--store embedded|server] [--indexers 1]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import common
from generated import generated_articles, paragraph_pool

SEED_ARTICLE = common.ROOT / "assistant" / "data" / "henningsen-2017-iran-missile-strike.txt"
STAGES = ("parse", "tagging", "embedding", "suggestions", "store", "router", "catalog")
# Multiples of the bulk add's window (8): a window's one embedding call is timed on its first article,
# so a range of whole windows shares it out right.
CHECKPOINTS = (8, 104, 1000, 10000)
SAMPLE = 50  # articles whose texts are embedded alone, for the yardstick


def write_archive(folder: Path, count: int, paragraphs: tuple[int, int]) -> list[Path]:
    """The seed article first (the questions asked at the end are its golden ones), then generated ones."""
    _, pool = paragraph_pool()
    folder.mkdir(parents=True)
    files = [Path(shutil.copy(SEED_ARTICLE, folder / "000-seed.txt"))]
    for n, text in enumerate(generated_articles(count - 1, pool, paragraphs=paragraphs), start=2):
        path = folder / f"{n // 100:03}" / f"article-{n:05}.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        files.append(path)
    return files


class Stopwatch:
    """Seconds spent in each wrapped function since the last ``take``."""

    def __init__(self) -> None:
        self.spent: dict[str, float] = defaultdict(float)

    def wrap(self, owner: Any, name: str, stage: str) -> None:
        original = getattr(owner, name)

        def timed(*args: Any, **kwargs: Any) -> Any:
            began = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self.spent[stage] += time.perf_counter() - began

        setattr(owner, name, timed)

    def take(self) -> dict[str, float]:
        spent, self.spent = dict(self.spent), defaultdict(float)
        return spent


def ingest(
    index_dir: str, chroma_url: str | None, files: list[str], label: str, asked: int
) -> dict[str, Any]:
    """One indexer: add every file with ``Library.add_many``; per article, the seconds of each stage."""
    import assistant.index.builds as builds
    import assistant.library.library as library_module
    from assistant.index.embeddings import MiniLMEmbeddings
    from assistant.index.stores.build_collections import BuildCollections
    from assistant.ingest.tagging import tag_entities
    from assistant.library import Library
    from assistant.settings import Settings

    tag_entities(["Warm the tagger in Paris."])
    embeddings = MiniLMEmbeddings()
    embeddings.embed_many(["warm-up"])
    watch = Stopwatch()
    watch.wrap(library_module, "read_source", "parse")
    watch.wrap(builds, "tag_entities", "tagging")
    watch.wrap(embeddings, "embed_many", "embedding")
    watch.wrap(builds, "key_sentences", "suggestions")
    watch.wrap(BuildCollections, "create", "store")
    watch.wrap(BuildCollections, "add", "store")
    watch.wrap(Library, "_reroute", "router")
    settings = Settings(index_dir=Path(index_dir), chroma_url=chroma_url)
    library = Library(settings, embeddings=embeddings)

    rows: list[dict[str, Any]] = []
    began = last = time.perf_counter()
    started_at = time.time()  # comparable across the indexers' processes

    def done(path: Path, result: object) -> None:
        nonlocal last
        now = time.perf_counter()
        spent = watch.take()
        outcome = getattr(getattr(result, "outcome", None), "value", "failed")
        sentences = getattr(getattr(result, "entry", None), "sentences", 0)
        rows.append({"outcome": outcome, "seconds": now - last, "sentences": sentences, **spent})
        last = now
        if len(rows) % 100 == 0:
            print(f"  {label}: {len(rows)} files, {now - began:.0f} s", file=sys.stderr, flush=True)

    library.add_many([Path(f) for f in files], done)
    router = watch.take().get("router", 0.0)
    span = (started_at, time.time())
    memory = common.rss_mb(os.getpid())  # what a process that added them holds (models included)
    answers = _answers(library, Path(files[0]), asked) if asked else {}
    alone = _embedding_alone(embeddings, files)
    return {
        "rows": rows,
        "span": span,
        "router_at_end": router,
        "alone": alone,
        "answers": answers,
        "rss_after_mb": memory["rss_mb"],
    }


def _answers(library: Any, seed: Path, count: int) -> dict[str, float]:
    """The seed article's golden questions asked of it alone and across every article (the router's
    one search, then at most three articles' evidence): p50 and p95 of each, every question asked once
    untimed first (as ``library_size.py`` does: the articles they route to opened)."""
    from assistant.library.shelf import ALL, Shelf

    seed_id = library.catalog.by_source(str(seed.resolve())).id
    questions = common.golden_questions(count)
    alone = library.assistant(seed_id)
    across = Shelf(alone, library).scoped(ALL, across=True).assistant
    figures: dict[str, float] = {}
    for name, assistant in (("one_article", alone), ("all_articles", across)):
        for question in questions:  # warm: every article a question routes to opened once
            assistant.ask(question)
        spent = []
        for question in questions:
            began = time.perf_counter()
            assistant.ask(question)
            spent.append(1000 * (time.perf_counter() - began))
        figures |= {f"{name}_{k}": v for k, v in common.summary_ms(spent).items()}
    figures["all_over_one_p50"] = figures["all_articles_p50_ms"] / figures["one_article_p50_ms"]
    return figures


def _embedding_alone(embeddings: Any, files: list[str], sample: int = SAMPLE) -> float:
    """Mean ms to embed one article's texts in a call of their own (what adding one file costs the
    model), over a sample of the archive: the yardstick of the per-article goal."""
    from assistant.ingest.parse import load_article
    from assistant.ingest.split import split_article

    spent = []
    for path in files[:sample]:
        sentences, passages = split_article(load_article(Path(path)))
        texts = [s.text for s in sentences] + [p.text for p in passages]
        began = time.perf_counter()
        embeddings.embed_many(texts)
        spent.append(time.perf_counter() - began)
    return 1000 * statistics.fmean(spent)


def _stage_table(rows: list[dict[str, Any]], checkpoints: list[int], alone: float) -> list[dict[str, Any]]:
    """Per stage, ms per article added, over the articles from each checkpoint to the next."""
    table = []
    bounds = [0, *checkpoints]
    for start, end in zip(bounds, bounds[1:], strict=False):
        added = [r for r in rows[start:end] if r["outcome"] == "added"]
        if not added:
            continue
        line: dict[str, Any] = {"library": f"{start + 1}–{end}", "articles": len(added)}
        for stage in STAGES[:-1]:
            line[stage] = 1000 * statistics.fmean(r.get(stage, 0.0) for r in added)
        known = sum(line[s] for s in STAGES[:-1])
        line["total"] = 1000 * statistics.fmean(r["seconds"] for r in added)
        line["catalog"] = line["total"] - known
        line["total_over_embedding"] = line["total"] / line["embedding"] if line["embedding"] else 0.0
        line["total_over_embedding_alone"] = line["total"] / alone
        table.append(line)
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--store", choices=("embedded", "server"), default="embedded")
    parser.add_argument("--indexers", type=int, default=1)
    parser.add_argument("--paragraphs", default="3,6", help="Paragraphs per article, as LOW,HIGH.")
    parser.add_argument("--threads", type=int, help="Cap each indexer's torch threads (1: one core each).")
    parser.add_argument("--ask", type=int, default=20, help="Golden questions asked at the end (0: none).")
    parser.add_argument("--json", type=Path, help="Also write the figures here.")
    args = parser.parse_args()
    low, high = (int(n) for n in args.paragraphs.split(","))
    checkpoints = [c for c in CHECKPOINTS if c < args.articles] + [args.articles]

    with tempfile.TemporaryDirectory(prefix="assistant-ingest-") as scratch:
        root = Path(scratch)
        files = [str(f) for f in write_archive(root / "archive", args.articles, (low, high))]
        with contextlib.ExitStack() as stack:
            url = None
            if args.store == "server":
                url, _ = stack.enter_context(common.chroma_server(root / "chroma"))
            context = get_context("spawn")
            with context.Pool(args.indexers) as pool:
                jobs = [
                    pool.apply_async(
                        ingest,
                        (str(root / f"host-{n}"), url, files, f"indexer {n + 1}", args.ask if n == 0 else 0),
                    )
                    for n in range(args.indexers)
                ]
                results = [job.get() for job in jobs]
    # From the first indexer's first file to the last one's last (models loaded and warmed before).
    wall = max(r["span"][1] for r in results) - min(r["span"][0] for r in results)

    rows = results[0]["rows"] if args.indexers == 1 else []
    figures = {
        "machine": common.machine(),
        "store": args.store,
        "articles": args.articles,
        "paragraphs": [low, high],
        "indexers": args.indexers,
        "threads_per_indexer": args.threads,
        "wall_s": wall,
        "articles_per_minute": 60 * args.articles / wall,
        "added_by_indexer": [sum(r["outcome"] == "added" for r in res["rows"]) for res in results],
        "router_at_end_s": [res["router_at_end"] for res in results],
        "rss_after_adding_mb": [res["rss_after_mb"] for res in results],
        "embedding_alone_ms": results[0]["alone"],
        "answers": results[0]["answers"],
        "stages": _stage_table(rows, checkpoints, results[0]["alone"]) if rows else [],
    }
    if rows:
        added = [r for r in rows if r["outcome"] == "added"]
        figures["sentences_per_article"] = statistics.fmean(r["sentences"] for r in added)
    print(json.dumps(figures, indent=2))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    main()
