"""Typed models of an article and its citable units. Plain data: no I/O here."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class BlockKind(StrEnum):
    """What a block of the article is, which decides whether it may be cited."""

    TITLE = "title"
    BYLINE = "byline"
    DATELINE = "dateline"
    TAGS = "tags"
    HEADING = "heading"
    PARAGRAPH = "paragraph"
    QUOTE = "quote"  # a block quotation (Markdown ``>``): someone else's words, never the author's
    CAPTION = "caption"
    BIO = "bio"
    CREDITS = "credits"
    BOILERPLATE = "boilerplate"


CITABLE_KINDS = frozenset(BlockKind) - {BlockKind.HEADING, BlockKind.BOILERPLATE}
METADATA_KINDS = frozenset(
    {BlockKind.TITLE, BlockKind.BYLINE, BlockKind.DATELINE, BlockKind.TAGS, BlockKind.CREDITS}
)


class Voice(StrEnum):
    """Whose words a sentence is: answers attribute claims by this."""

    AUTHOR = "author"
    QUOTE = "quote"
    CAPTION = "caption"
    METADATA = "metadata"


@dataclass(frozen=True)
class Block:
    """A paragraph-level piece of the clean article text."""

    kind: BlockKind
    start: int
    end: int
    section: str | None


@dataclass(frozen=True)
class Article:
    """The clean text of one article (markup removed, page breaks joined) and what it is."""

    source_id: str
    sha256: str
    text: str
    title: str
    author: str | None
    dates: tuple[str, ...]
    source: str | None
    blocks: tuple[Block, ...]

    def block_text(self, block: Block) -> str:
        return self.text[block.start : block.end]


@dataclass(frozen=True)
class Sentence:
    """One citable sentence; ``article.text[start:end] == text`` always holds."""

    id: str
    position: int
    block: int
    start: int
    end: int
    text: str
    section: str | None
    speaker: str | None
    voice: Voice
    # Named-entity labels in the sentence (assistant.ingest.tagging), set at index time: which kinds
    # of answer (DATE, PERSON, CARDINAL…) it can hold.
    entities: tuple[str, ...] = ()


@dataclass(frozen=True)
class Passage:
    """A small window of consecutive sentences inside one block: the unit of retrieval."""

    id: str
    start: int
    end: int
    text: str
    section: str | None
    first_sentence: int
    last_sentence: int
