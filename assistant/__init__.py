"""article-assistant: grounded, cited answers about a news article.

The public names load on first use (PEP 562): importing the package, as every command does, stays
cheap, and `assistant index` on an unchanged article never loads LangChain or the model stack (0.17 s).
"""

from importlib import import_module
from typing import Any

from assistant.offline import enforce_offline

enforce_offline()

_PUBLIC = {
    "Assistant": "assistant.pipeline",
    "Answer": "assistant.schema",
    "Citation": "assistant.schema",
    "Embedder": "assistant.index.embedder",
    "Turn": "assistant.schema",
    "Settings": "assistant.settings",
    # What can go wrong, each with the HTTP status it means (``http_status``).
    **{
        name: "assistant.errors"
        for name in (
            "AnswerTimeout",
            "ArticleUnusable",
            "AssistantError",
            "IndexBusy",
            "IndexUnavailable",
            "InvalidConfiguration",
            "InvalidQuestion",
            "NotAuthorized",
            "PromptError",
        )
    },
}
__all__ = sorted(_PUBLIC)


def __getattr__(name: str) -> Any:
    if name in _PUBLIC:
        return getattr(import_module(_PUBLIC[name]), name)
    raise AttributeError(f"module 'assistant' has no attribute {name!r}")
