"""A library for tests that serve several articles: its own folders, the session assistant's models."""

from __future__ import annotations

from pathlib import Path

from assistant.library import Library
from assistant.pipeline import Assistant


def library_beside(assistant: Assistant, root: Path, *files: Path) -> Library:
    """A library under ``root`` (index and library folders of its own) sharing ``assistant``'s
    embedding model and reranker, holding ``files``."""
    settings = assistant.settings.model_copy(
        update={"index_dir": root / "index", "library_dir": root / "library"}
    )
    library = Library(settings, assistant.embeddings, assistant.reranker)
    for path in files:
        library.add(path)
    return library
