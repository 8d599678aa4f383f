"""The chat page's API through ``gradio_client``, against the live app (UI mounted at ``/``)."""

from __future__ import annotations

import pytest
from gradio_client import Client

from assistant.web.app import create_app

pytestmark = [pytest.mark.integration, pytest.mark.server]


@pytest.fixture(scope="module")
def client(assistant, serve) -> Client:
    return Client(serve(create_app(assistant)) + "/", verbose=False, download_files=False)


def test_chat_endpoint_answers_with_markers_and_sources(client):
    text = client.predict("Which agency also cited General Ramazan Sharif?", [], api_name="/chat")
    assert "[1]" in text and "\n\nSources:\n[1] “" in text and "(also cited by AP)" in text


def test_chat_endpoint_follows_up_from_history(client):
    history = [
        {"role": "user", "content": "What did the Russian Defense Ministry announce?"},
        {"role": "assistant", "content": "It halted its Deconfliction cooperation [1]"},
    ]
    text = client.predict("Why did it do that?", history, api_name="/chat")
    assert not text.startswith("The article does not say") and "overt act of aggression" in text


def test_only_the_chat_endpoint_is_public(client):
    assert list(client.view_api(print_info=False, return_format="dict")["named_endpoints"]) == ["/chat"]
