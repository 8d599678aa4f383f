"""What the index, the retriever and the pipeline need from an embedding model: the ``Embedder`` seam.

``MiniLMEmbeddings`` (``assistant.index.embeddings``) is the one the assistant ships; the fast tests use a
deterministic fake. Anything with these four members can be passed as ``Assistant(embeddings=...)``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    import numpy as np


@runtime_checkable
class Embedder(Protocol):
    """The contract every embedder keeps.

    - ``model_id`` names the model and its exact version without loading it. The manifest records it,
      and a build made with another id is rebuilt, so two embedders that give different vectors must
      never share one.
    - ``embed_many(texts)`` returns one row per text (``len(texts) × dim``) and ``embed_query_vector(text)``
      one ``dim`` vector in the same space. Every vector has unit length: the answerer ranks sentences
      by dot product and the store by cosine distance, which agree only then.
    - ``embed_query_vector`` is called from many request threads at once and may cache; callers never
      write to the vector it returns.
    - ``probe()`` embeds a text past any cache and raises when the model cannot answer (``/healthz``).
    """

    @property
    def model_id(self) -> str: ...

    def embed_many(self, texts: list[str], show_progress: bool = False) -> np.ndarray: ...

    def embed_query_vector(self, text: str) -> np.ndarray: ...

    def probe(self) -> None: ...
