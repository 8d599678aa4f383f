"""The library of articles: ``assistant add``, ``list`` and ``remove``, each article with its own index."""

from assistant.library.entry import LibraryEntry
from assistant.library.errors import LibraryBusy, LibraryUnavailable, SourceUnusable, UnknownArticle
from assistant.library.library import AddResult, Library, Outcome

__all__ = [
    "AddResult",
    "Library",
    "LibraryBusy",
    "LibraryEntry",
    "LibraryUnavailable",
    "Outcome",
    "SourceUnusable",
    "UnknownArticle",
]
