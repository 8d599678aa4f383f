"""The hybrid retriever against LangChain's standard retriever suite, and its fusion behaviour."""

from __future__ import annotations

import pytest
from langchain_tests.integration_tests import RetrieversIntegrationTests

from assistant import Assistant
from assistant.retrieve.hybrid import HybridRetriever

pytestmark = pytest.mark.integration


def _retriever(assistant: Assistant) -> HybridRetriever:
    return assistant.served.get().stages.retrieval.retriever


class TestHybridRetrieverStandard(RetrieversIntegrationTests):
    @pytest.fixture(autouse=True)
    def _index(self, assistant: Assistant) -> None:
        type(self)._assistant = assistant

    @property
    def retriever_constructor(self) -> type[HybridRetriever]:
        return HybridRetriever

    @property
    def retriever_constructor_params(self) -> dict:
        built = _retriever(self._assistant)
        return {"collection": built.collection, "lexical": built.lexical, "embeddings": built.embeddings}

    @property
    def retriever_query_example(self) -> str:
        return "Which agency also cited General Ramazan Sharif?"


def test_dense_and_lexical_hits_are_fused(assistant):
    documents = _retriever(assistant).invoke("Kermanshah Kurdistan provinces", k=3)
    assert "Kermanshah and Kurdistan" in documents[0].page_content
    assert all("score" in d.metadata for d in documents)


def test_paraphrase_without_shared_words_is_found_by_dense_search(assistant):
    documents = _retriever(assistant).invoke("How long since Iran last launched missiles abroad?", k=4)
    assert any("30 years since Iran has fired missiles" in d.page_content for d in documents)


def test_passage_metadata_carries_offsets_into_the_article(assistant):
    for document in _retriever(assistant).invoke("Deconfliction cooperation", k=5):
        start, end = document.metadata["start"], document.metadata["end"]
        assert assistant.article.text[start:end] == document.page_content
