"""The ``Embedder`` seam: the shipped model and the fast tier's fake both keep its contract."""

from __future__ import annotations

import numpy as np

from assistant.index.embedder import Embedder
from assistant.index.embeddings import MiniLMEmbeddings
from assistant.index.model import embedding_model_id
from tests.index.fakes import HashingEmbedder


def test_minilm_is_an_embedder_whose_id_is_read_without_loading_the_model():
    embeddings = MiniLMEmbeddings()
    assert isinstance(embeddings, Embedder)
    assert embeddings.model_id == embedding_model_id()
    assert embeddings.model_id.startswith("sentence-transformers/all-MiniLM-L6-v2@")
    assert embeddings._model is None


def test_fake_embedder_keeps_the_contract():
    fake = HashingEmbedder()
    assert isinstance(fake, Embedder)
    texts = ["Iran fired missiles at ISIS positions.", "", "The weather was fine."]
    vectors = fake.embed_many(texts)
    assert vectors.shape == (3, len(fake.embed_query_vector("x")))
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0)
    assert np.array_equal(vectors[0], fake.embed_query_vector(texts[0]))


def test_fake_embedder_puts_texts_sharing_words_nearer():
    fake = HashingEmbedder()
    question = fake.embed_query_vector("Where did Iran fire the missiles?")
    related = fake.embed_query_vector("Iran fired several missiles at positions in Syria.")
    unrelated = fake.embed_query_vector("A recipe for banana bread with walnuts.")
    assert float(question @ related) > 0.3 > float(question @ unrelated)
