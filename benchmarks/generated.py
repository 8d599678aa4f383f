"""Articles generated for benchmarks and tests, deterministically (seeded).

From the SQuAD 2.0 texts in ``../shared/eval/squad2`` when that folder is there (as ``assistant tune``
finds it), otherwise from the articles this checkout ships (the seed and the tests' own): each a title
line, a byline, a date and a number of paragraphs drawn from those texts, so every article is distinct
and reads like a news article. The same seed and pool give the same texts on every machine.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SEED = 20170621
SQUAD2 = ROOT.parent / "shared" / "eval" / "squad2"
SHIPPED = (
    ROOT / "assistant" / "data" / "henningsen-2017-iran-missile-strike.txt",
    *sorted((ROOT / "tests" / "ingest" / "articles").glob("*.*")),
    ROOT / "tests" / "library" / "data" / "lakeshore-birds.md",
)
PARAGRAPHS = (8, 30)  # a news article's length
MIN_PARAGRAPH_CHARS = 120
FIRST_NAMES = ("Ana", "Ben", "Chidi", "Dara", "Elif", "Farah", "Goran", "Hana", "Ivo", "Jun", "Kofi", "Lena")
LAST_NAMES = ("Alves", "Brandt", "Chen", "Duarte", "Eze", "Fischer", "Garcia", "Haddad", "Ito", "Jensen")
MONTHS = ("January", "March", "May", "June", "August", "October", "November")


def paragraph_pool() -> tuple[str, list[str]]:
    """Paragraphs of prose to build articles from, and where they came from ("squad2" or "shipped")."""
    squad2 = sorted(SQUAD2.glob("*.txt")) if SQUAD2.is_dir() else []
    origin, files = ("squad2", squad2) if squad2 else ("shipped", list(SHIPPED))
    pool = []
    for path in files:
        blocks = re.split(r"\n\s*\n", path.read_text(encoding="utf-8"))
        pool += [
            " ".join(block.split())
            for block in blocks
            if len(block) >= MIN_PARAGRAPH_CHARS and "](" not in block and block.rstrip()[-1:] in ".!?\"'”"
        ]
    return origin, pool


def generated_articles(
    count: int, pool: Sequence[str], seed: int = SEED, paragraphs: tuple[int, int] = PARAGRAPHS
) -> list[str]:
    """``count`` distinct article texts; the same seed and pool give the same texts."""
    rng = random.Random(seed)
    texts: list[str] = []
    seen: set[tuple[int, ...]] = set()
    while len(texts) < count:
        size = min(rng.randint(*paragraphs), len(pool))
        picked = tuple(rng.sample(range(len(pool)), size))
        if picked in seen:
            continue
        seen.add(picked)
        chosen = [pool[i] for i in picked]
        lead = " ".join(sentences(chosen[0])[0].split()[:8]).rstrip(".,;:")
        byline = f"By {rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
        date = f"{rng.choice(MONTHS)} {rng.randint(1, 28)}, {rng.randint(2015, 2024)}"
        texts.append("\n\n".join([f"{lead}: report {len(texts) + 1}", byline, date, *chosen]) + "\n")
    return texts


def sentences(paragraph: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?])\s+(?=[A-Z])", paragraph) if s]
