"""The Chroma client factory: where builds live (build folders, a server, a given client) and its errors.

Fast: no model, an in-memory Chroma client; the real ``chroma run`` server is in test_chroma_server.py.
"""

from __future__ import annotations

import socket

import chromadb
import pytest
from chromadb.config import Settings as ChromaSettings

from assistant import Assistant, Settings
from assistant.chroma_address import server_address
from assistant.errors import IndexUnavailable, InvalidConfiguration
from assistant.index.stores.embedded import EmbeddedStore
from assistant.index.stores.factory import chroma_store
from assistant.index.stores.shared_client import SharedClientStore, http_client
from assistant.settings import load_settings
from tests.index.fakes import HashingEmbedder


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize(
    ("url", "address"),
    [
        ("http://localhost:8000", ("localhost", 8000, False)),
        ("http://127.0.0.1:8000/", ("127.0.0.1", 8000, False)),
        ("https://chroma.example.com", ("chroma.example.com", 443, True)),
        ("http://chroma.internal", ("chroma.internal", 80, False)),
        ("http://[::1]:8000", ("[::1]", 8000, False)),
    ],
)
def test_server_address_reads_host_port_and_tls_from_the_url(url, address):
    assert server_address(url) == address


@pytest.mark.parametrize(
    "url",
    [
        "localhost:8000",
        "ftp://localhost:8000",
        "http://",
        "http://localhost:99999",
        "http://localhost:8000/api/v2",
        "http://localhost:8000?tenant=x",
        "http://user:secret@localhost:8000",
    ],
)
def test_malformed_chroma_url_is_refused_at_start_up_with_the_variable_named(monkeypatch, url):
    monkeypatch.setenv("ASSISTANT_CHROMA_URL", url)
    with pytest.raises(InvalidConfiguration) as refused:
        load_settings()
    message = str(refused.value)
    assert message.startswith("ASSISTANT_CHROMA_URL:")
    assert repr(url) in message and "e.g. http://localhost:8000" in message


def test_blank_chroma_url_means_no_server(monkeypatch):
    monkeypatch.setenv("ASSISTANT_CHROMA_URL", "  ")
    assert load_settings().chroma_url is None


def test_store_is_picked_from_url_or_client_without_connecting():
    assert isinstance(chroma_store(), EmbeddedStore)
    assert isinstance(chroma_store(url=f"http://127.0.0.1:{_closed_port()}"), SharedClientStore)
    client = chromadb.EphemeralClient(settings=ChromaSettings(anonymized_telemetry=False))
    given = chroma_store(client=client)
    assert isinstance(given, SharedClientStore) and given.client(None) is client


def test_injected_client_and_chroma_url_together_are_refused(tmp_path):
    client = chromadb.EphemeralClient(settings=ChromaSettings(anonymized_telemetry=False))
    settings = Settings(index_dir=tmp_path / "index", chroma_url="http://localhost:8000")
    with pytest.raises(InvalidConfiguration) as refused:
        Assistant(settings, embeddings=HashingEmbedder(), chroma_client=client)
    message = str(refused.value)
    assert "Only one of an injected Chroma client and ASSISTANT_CHROMA_URL" in message
    assert "'http://localhost:8000'" in message and "unset ASSISTANT_CHROMA_URL or pass no client" in message


def test_unreachable_server_is_an_unavailable_index_that_says_what_to_do():
    url = f"http://127.0.0.1:{_closed_port()}"
    with pytest.raises(IndexUnavailable) as refused:
        http_client(url)
    message = str(refused.value)
    assert f"cannot reach the Chroma server at ASSISTANT_CHROMA_URL={url!r}" in message
    assert "chroma run" in message and "unset ASSISTANT_CHROMA_URL" in message


def test_unreachable_server_fails_the_build_with_that_message_not_a_traceback(tmp_path):
    settings = Settings(index_dir=tmp_path / "index", chroma_url=f"http://127.0.0.1:{_closed_port()}")
    assistant = Assistant(settings, embeddings=HashingEmbedder())  # connects on first use, not here
    with pytest.raises(IndexUnavailable, match="cannot reach the Chroma server"):
        assistant.build_index()
