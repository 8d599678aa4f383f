"""The query embedding path: same vectors as sentence-transformers, batched across threads, cached
in bounded memory."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from assistant.index import embeddings as embeddings_module
from assistant.index.embeddings import MiniLMEmbeddings, _VectorCache

integration = pytest.mark.integration

QUESTIONS = [
    "What did Iran's Revolutionary Guard announce?",
    "Which agency also cited General Ramazan Sharif?",
    "Who wrote this?",
]


@integration
def test_fast_query_path_matches_sentence_transformers_encode(embeddings):
    for question in QUESTIONS:
        expected = embeddings.model.encode(question, normalize_embeddings=True)
        assert np.allclose(embeddings.embed_query_vector(question), expected, atol=1e-5)


@integration
def test_concurrent_queries_each_get_their_own_vector(embeddings):
    texts = [f"{q} (variant {i})" for i in range(8) for q in QUESTIONS]
    with ThreadPoolExecutor(max_workers=8) as pool:
        vectors = list(pool.map(embeddings.embed_query_vector, texts))
    for text, vector in zip(texts, vectors, strict=True):
        assert np.allclose(vector, embeddings.model.encode(text, normalize_embeddings=True), atol=1e-5)


@integration
def test_embed_query_returns_plain_floats_for_langchain(embeddings):
    vector = embeddings.embed_query(QUESTIONS[0])
    assert isinstance(vector, list) and len(vector) == 384 and isinstance(vector[0], float)


@integration
def test_traced_encoder_matches_encode_for_long_and_batched_inputs(embeddings):
    long_question = " ".join(["Which province did the Revolutionary Guard say it hit in Syria?"] * 30)
    texts = ["Why?", QUESTIONS[1], long_question]
    batched = embeddings._encode_queries(texts)
    expected = embeddings.model.encode(texts, normalize_embeddings=True)
    assert np.allclose(batched, expected, atol=1e-5)


def test_query_cache_keeps_its_size_in_fixed_size_entries_whatever_the_text_or_batch():
    cache = _VectorCache(size=8)
    batch = np.random.default_rng(0).random((32, 384), dtype=np.float32)
    for n in range(20):
        cache.put(cache.key(f"{n} " + "a very long follow-up question " * 130), batch[n % 32])
    assert len(cache) == 8
    for key, vector in cache._vectors.items():
        assert len(key) == 16
        assert vector.base is None and vector.nbytes == 384 * 4  # its own floats, not its 32-row batch
        assert not vector.flags.writeable


def test_query_cache_evicts_the_least_recently_used():
    cache = _VectorCache(size=2)
    first, second, third = (cache.key(text) for text in ("first", "second", "third"))
    cache.put(first, np.zeros(384, dtype=np.float32))
    cache.put(second, np.ones(384, dtype=np.float32))
    assert cache.get(first) is not None  # now the most recently used
    cache.put(third, np.ones(384, dtype=np.float32))
    assert cache.get(second) is None and cache.get(first) is not None and cache.get(third) is not None


def test_query_encoder_can_be_built_before_the_model_is_loaded(monkeypatch):
    """Building the encoder loads the model under the same lock: a plain lock deadlocked here."""
    monkeypatch.setattr(embeddings_module, "_load_model", lambda: "model")
    monkeypatch.setattr(embeddings_module, "_trace_query_encoder", lambda model: f"encoder of {model}")
    fresh = MiniLMEmbeddings()
    built: list[object] = []
    worker = threading.Thread(target=lambda: built.append(fresh.query_encoder), daemon=True)
    worker.start()
    worker.join(30)
    assert built == ["encoder of model"]


def test_every_batch_of_queries_gives_the_memory_releaser_its_turn(monkeypatch):
    """The releaser is what keeps memory flat under distinct questions (tests/test_allocator.py)."""
    turns = threading.Semaphore(0)

    class CountingReleaser:
        def after_work(self) -> bool:
            turns.release()
            return False

    monkeypatch.setattr(embeddings_module, "MemoryReleaser", CountingReleaser)
    monkeypatch.setattr(MiniLMEmbeddings, "_encode_queries", lambda self, texts: np.ones((len(texts), 384)))
    fresh = MiniLMEmbeddings()
    for n in range(3):
        fresh.embed_query_vector(f"question {n}")
        assert turns.acquire(timeout=30)  # after the caller got its vector, on the query thread


@integration
def test_repeated_query_comes_from_the_cache_as_an_owned_read_only_vector(embeddings):
    texts = [f"Which province was hit? (cache check {n})" for n in range(6)]
    with ThreadPoolExecutor(max_workers=6) as pool:  # concurrent, so they share a batch
        vectors = list(pool.map(embeddings.embed_query_vector, texts))
    for text, vector in zip(texts, vectors, strict=True):
        assert vector.base is None and vector.shape == (384,) and not vector.flags.writeable
        assert embeddings.embed_query_vector(text) is vector
