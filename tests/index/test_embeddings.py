"""The query embedding path: same vectors as sentence-transformers, batched across threads, cached."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

pytestmark = pytest.mark.integration

QUESTIONS = [
    "What did Iran's Revolutionary Guard announce?",
    "Which agency also cited General Ramazan Sharif?",
    "Who wrote this?",
]


def test_fast_query_path_matches_sentence_transformers_encode(embeddings):
    for question in QUESTIONS:
        expected = embeddings.model.encode(question, normalize_embeddings=True)
        assert np.allclose(embeddings.embed_query_vector(question), expected, atol=1e-5)


def test_concurrent_queries_each_get_their_own_vector(embeddings):
    texts = [f"{q} (variant {i})" for i in range(8) for q in QUESTIONS]
    with ThreadPoolExecutor(max_workers=8) as pool:
        vectors = list(pool.map(embeddings.embed_query_vector, texts))
    for text, vector in zip(texts, vectors, strict=True):
        assert np.allclose(vector, embeddings.model.encode(text, normalize_embeddings=True), atol=1e-5)


def test_embed_query_returns_plain_floats_for_langchain(embeddings):
    vector = embeddings.embed_query(QUESTIONS[0])
    assert isinstance(vector, list) and len(vector) == 384 and isinstance(vector[0], float)


def test_traced_encoder_matches_encode_for_long_and_batched_inputs(embeddings):
    long_question = " ".join(["Which province did the Revolutionary Guard say it hit in Syria?"] * 30)
    texts = ["Why?", QUESTIONS[1], long_question]
    batched = embeddings._encode_queries(texts)
    expected = embeddings.model.encode(texts, normalize_embeddings=True)
    assert np.allclose(batched, expected, atol=1e-5)
