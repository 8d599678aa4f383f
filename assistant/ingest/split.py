"""Split the clean article into sentences and passages that carry exact character offsets."""

from __future__ import annotations

import hashlib
import re

from assistant.article import (
    CITABLE_KINDS,
    METADATA_KINDS,
    Article,
    Block,
    BlockKind,
    Passage,
    Sentence,
    Voice,
)
from assistant.ingest.speakers import attribute_speakers

# Bump when splitting or attribution changes: the index manifest records it and rebuilds on mismatch.
SPLITTER_VERSION = "4"
PASSAGE_SENTENCES = 3

_ABBREVIATIONS = frozenset(
    "mr mrs ms dr gen col lt sgt st jr sr prof rev vs etc no u.s u.k e.g i.e a.m p.m".split()
)
# Blocks of running prose, split into sentences; every other citable block is cited whole.
_PROSE_KINDS = frozenset({BlockKind.PARAGRAPH, BlockKind.QUOTE})
# A sentence ends at . ! ? … (plus closing quotes/brackets) before a space and a capital or an opener.
_BOUNDARY = re.compile(r"(?<=[.!?…])[\"”’')\]]*(?=\s+[\"“‘'(\[]?[A-Z0-9])")


def _content_id(*parts: object) -> str:
    return hashlib.sha256("\x1f".join(map(str, parts)).encode("utf-8")).hexdigest()[:20]


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Return (start, end) spans of the sentences of one paragraph."""
    spans: list[tuple[int, int]] = []
    start = 0
    for match in _BOUNDARY.finditer(text):
        end = match.end()
        last_word = text[start:end].rstrip("\"”’')]").rsplit(None, 1)[-1].rstrip(".").lower()
        if last_word in _ABBREVIATIONS or (len(last_word) == 1 and last_word.isalpha()):
            continue
        spans.append((start, end))
        start = end
        while start < len(text) and text[start].isspace():
            start += 1
    if start < len(text):
        spans.append((start, len(text.rstrip()) if text.rstrip() else len(text)))
    return [(s, e) for s, e in spans if text[s:e].strip()]


def _block_voice(block: Block) -> Voice:
    if block.kind in METADATA_KINDS or block.kind is BlockKind.BIO:
        return Voice.METADATA
    if block.kind is BlockKind.CAPTION:
        return Voice.CAPTION
    if block.kind is BlockKind.QUOTE:
        return Voice.QUOTE
    return Voice.AUTHOR


def split_article(article: Article) -> tuple[list[Sentence], list[Passage]]:
    """Sentences of every citable block, with speakers, and passages of up to three of them."""
    spans_by_block: dict[int, list[tuple[int, int]]] = {}
    for index, block in enumerate(article.blocks):
        if block.kind not in CITABLE_KINDS:
            continue
        text = article.block_text(block)
        local = split_sentences(text) if block.kind in _PROSE_KINDS else [(0, len(text))]
        spans_by_block[index] = [(block.start + s, block.start + e) for s, e in local]
    speakers = attribute_speakers(article, spans_by_block)
    sentences: list[Sentence] = []
    for index, spans in spans_by_block.items():
        block = article.blocks[index]
        for start, end in spans:
            speaker, voice = speakers.get((start, end), (None, _block_voice(block)))
            if voice is Voice.AUTHOR:
                speaker = article.author
            sentences.append(
                Sentence(
                    id=_content_id(article.source_id, "s", start, end, article.text[start:end]),
                    position=len(sentences),
                    block=index,
                    start=start,
                    end=end,
                    text=article.text[start:end],
                    section=block.section,
                    speaker=speaker,
                    voice=voice,
                )
            )
    return sentences, _passages(article, sentences)


def _passages(article: Article, sentences: list[Sentence]) -> list[Passage]:
    passages: list[Passage] = []
    for i, first in enumerate(sentences):
        window = [s for s in sentences[i : i + PASSAGE_SENTENCES] if s.block == first.block]
        last = window[-1]
        text = article.text[first.start : last.end]
        passages.append(
            Passage(
                id=_content_id(article.source_id, "p", first.start, last.end, text),
                start=first.start,
                end=last.end,
                text=text,
                section=first.section,
                first_sentence=first.position,
                last_sentence=last.position,
            )
        )
    return passages
