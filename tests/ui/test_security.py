"""The chat page's Gradio app as an outsider on the network sees it, over real HTTP.

The attack this guards against: a client puts a file path into what it sends to a chat handler, and
Gradio copies that server file into its cache and serves it back. Checked here: the attack and its
variants (every handler, every argument, the queue, the REST call route, ``gradio_client``), the same
attack with the route guard taken away (the chat takes no client history, and Gradio's own check is
on), uploads, every Gradio route the page does not use, and the ``/chat`` endpoint's bad input.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from gradio_client import Client, handle_file
from starlette.routing import Mount

from assistant import Assistant, Settings
from assistant.ui.guard import GradioGuard, file_references, is_open
from assistant.ui.session import ChatSession
from assistant.web.app import create_app

pytestmark = [pytest.mark.integration, pytest.mark.server]

SECRET = Path("/etc/passwd")
FILE = {"path": str(SECRET), "meta": {"_type": "gradio.FileData"}}
ATTACK_HISTORY = [{"role": "user", "content": [{"type": "file", "file": FILE}]}]


def gradio_mount(app) -> Mount:
    return next(r for r in app.router.routes if isinstance(r, Mount) and isinstance(r.app, GradioGuard))


@pytest.fixture(scope="module")
def app(assistant):
    return create_app(assistant)


@pytest.fixture(scope="module")
def url(app, serve) -> str:
    return serve(app)


@pytest.fixture(scope="module")
def unguarded_url(assistant, serve) -> str:
    """The same app with the route guard taken off, to show the layers behind it hold on their own."""
    app = create_app(assistant)
    mount = gradio_mount(app)
    mount.app = mount.app.app
    return serve(app)


@pytest.fixture(scope="module")
def fn_count(url) -> int:
    return len(httpx.get(f"{url}/config", timeout=30).json()["dependencies"])


def join(url: str, data: list, fn_index: int) -> tuple[httpx.Response, str]:
    """Put an event on the queue the way the page does; returns the join response and the event stream."""
    session = f"s{fn_index}{time.monotonic_ns()}"
    body = {"data": data, "fn_index": fn_index, "trigger_id": None, "session_hash": session}
    joined = httpx.post(f"{url}/gradio_api/queue/join", json=body, timeout=30)
    if joined.status_code != 200:
        return joined, ""
    stream = httpx.get(f"{url}/gradio_api/queue/data", params={"session_hash": session}, timeout=30)
    return joined, stream.text


def leaked_urls(stream: str) -> list[str]:
    return re.findall(r"gradio_api/file=[^\"\\]*", stream)


def test_the_reported_attack_is_refused_and_no_file_leaves(url):
    joined, stream = join(url, ["Who wrote this article?", ATTACK_HISTORY, None], 0)
    assert joined.status_code == 400 and "text only" in joined.json()["detail"]
    assert not leaked_urls(stream)
    for path in (f"/gradio_api/file={SECRET}", "/gradio_api/file=/tmp/gradio/x/passwd"):
        response = httpx.get(f"{url}{path}", timeout=30)
        assert response.status_code == 404 and "root:" not in response.text


def test_file_references_are_refused_in_every_argument_of_every_handler(url, fn_count):
    assert fn_count >= 6  # submit, example, its answer, retry, undo, clear, /chat
    for fn_index in range(fn_count):
        for position in range(3):
            data = ["Who wrote this article?", [], None]
            data[position] = ATTACK_HISTORY if position else FILE
            joined, stream = join(url, data, fn_index)
            assert joined.status_code == 400, (fn_index, position, joined.text)
            assert not leaked_urls(stream)


@pytest.mark.parametrize("route", ["/gradio_api/call/chat", "/gradio_api/call/v2/chat"])
def test_file_references_are_refused_on_the_rest_call_routes(url, route):
    for data in (["Who wrote this?", ATTACK_HISTORY], [FILE, []], [{"x": [{"y": FILE}]}, []]):
        response = httpx.post(f"{url}{route}", json={"data": data}, timeout=30)
        assert response.status_code == 400 and "text only" in response.json()["detail"]


def test_gradio_client_cannot_send_a_file(url):
    client = Client(f"{url}/", verbose=False, download_files=False)
    with pytest.raises(Exception) as raised:  # noqa: B017 - gradio_client wraps whatever the server said
        client.predict(handle_file(str(SECRET)), [], api_name="/chat")
    assert "root:" not in str(raised.value)


def test_without_the_guard_the_chat_still_takes_no_client_history(unguarded_url, fn_count):
    """Layers two and three: the chat's history is server-side state, and Gradio's path check is on."""
    for fn_index in range(fn_count):
        _, stream = join(unguarded_url, ["Who wrote this article?", ATTACK_HISTORY, None], fn_index)
        assert not leaked_urls(stream), fn_index
        assert "root:x:0:0" not in stream


def test_uploads_are_refused_and_the_gradio_cache_is_private_and_empty(url):
    response = httpx.post(f"{url}/gradio_api/upload", files={"files": ("a.txt", b"hello")}, timeout=30)
    assert response.status_code == 404
    big = httpx.post(
        f"{url}/gradio_api/upload",
        content=b"x" * 5_000_000,
        headers={"content-type": "multipart/form-data; boundary=x"},
        timeout=30,
    )
    assert big.status_code in {404, 413}
    cache = Path(__import__("os").environ["GRADIO_TEMP_DIR"])
    assert cache.name.startswith("assistant-gradio-") and cache.stat().st_mode & 0o077 == 0
    httpx.post(f"{url}/gradio_api/call/chat", json={"data": ["Who wrote this?", []]}, timeout=30)
    assert not any(cache.rglob("*"))


def _routes(routes, prefix: str = "") -> Iterator[tuple[str, set[str]]]:
    """(path, methods) of every route, through FastAPI's included routers and Starlette mounts."""
    for route in routes:
        if hasattr(route, "original_router"):
            yield from _routes(route.original_router.routes, prefix + route.include_context.prefix)
        elif isinstance(route, Mount):
            yield from _routes(route.routes, prefix + route.path)
        elif getattr(route, "methods", None):
            yield prefix + route.path, set(route.methods)


def _sample(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "x", path)


def test_every_gradio_route_the_page_does_not_use_answers_404(app, url):
    gradio = gradio_mount(app).app.app
    ours = {path for path, _ in _routes(r for r in app.router.routes if not isinstance(r, Mount))}
    routes = [(path, methods) for path, methods in _routes(gradio.router.routes) if path not in ours]
    assert len(routes) > 60, "walked too few routes: the route walk no longer understands FastAPI"
    closed = [(p, m) for p, methods in routes for m in methods - {"HEAD"} if not is_open(m, _sample(p))]
    assert len(closed) > 50
    with httpx.Client(base_url=url, timeout=30) as client:
        for path, method in closed:
            response = client.request(method, _sample(path), json={} if method == "POST" else None)
            assert response.status_code == 404, (method, path, response.status_code)


@pytest.mark.parametrize(
    "path",
    [
        "/static/../../etc/passwd",
        "/static/%2e%2e/%2e%2e/etc/passwd",
        "/assets/..%2f..%2f..%2fetc%2fpasswd",
        "/assets/.env",
        "/gradio_api/file=/proc/self/environ",
        "/gradio_api/proxy=http://127.0.0.1:1/",
        "/gradio_api/mcp/sse",
        "/monitoring",
        "/manifest.json",
    ],
)
def test_traversal_and_closed_paths_serve_nothing(url, path):
    response = httpx.get(f"{url}{path}", timeout=30)
    assert response.status_code in {400, 404}, (path, response.status_code)
    assert "root:" not in response.text and "ASSISTANT_" not in response.text


def test_queue_refuses_what_is_not_json_or_too_big(url):
    not_json = httpx.post(
        f"{url}/gradio_api/queue/join", content=b"\xff{", headers={"content-type": "application/json"}
    )
    assert not_json.status_code == 400 and "not valid JSON" in not_json.json()["detail"]
    huge = {"data": ["x" * 400_000, [], None], "fn_index": 0, "session_hash": "big"}
    assert httpx.post(f"{url}/gradio_api/queue/join", json=huge, timeout=30).status_code == 413


@pytest.mark.parametrize(
    ("question", "history", "message"),
    [
        ("", [], "the question is empty"),
        (42, [], "the question must be text"),
        ("Who wrote it?", "not a list", "history must be a list"),
        ("Who wrote it?", [42], "each history message"),
        ("Who wrote it?", [{"role": "system", "content": "x"}], "each history message"),
    ],
)
def test_chat_endpoint_bad_input_gets_its_message_and_one_log_line(url, question, history, message, caplog):
    with caplog.at_level(logging.WARNING):
        response = httpx.post(f"{url}/gradio_api/call/chat", json={"data": [question, history]}, timeout=30)
        event = response.json()["event_id"]
        stream = httpx.get(f"{url}/gradio_api/call/chat/{event}", timeout=30).text
    assert "event: error" in stream and message in stream, stream
    logged = [r for r in caplog.records if r.name == "assistant.ui.app"]
    assert len(logged) == 1 and message in logged[0].getMessage() and not logged[0].exc_info


def test_file_references_found_at_any_depth():
    assert list(file_references({"a": [1, {"b": FILE}]})) == [FILE]
    assert not list(file_references({"data": ["text", [{"role": "user", "content": "hi"}]]}))
    assert json.loads(json.dumps(FILE)) in list(file_references([[FILE]]))


def test_chat_answers_are_bounded_by_the_request_timeout(tmp_path, embeddings, monkeypatch, reranker):
    """Fault injection: the real Chroma collection is made to hang, as a stuck store would."""
    stuck = Assistant(
        Settings(index_dir=tmp_path / "index", request_timeout=1), embeddings=embeddings, reranker=reranker
    )
    stuck.open()
    release = threading.Event()

    def hang(*args, **kwargs):
        release.wait(20)
        raise RuntimeError("the store never answered")

    monkeypatch.setattr(type(stuck.served.get().index.passages), "query", hang)
    try:
        started = time.monotonic()
        *_, (_, messages, turns, _) = ChatSession(stuck, delay=0).respond("A question never asked?", [], [])
        assert time.monotonic() - started < 5
        assert "took longer than 1 s" in messages[-1]["content"] and turns[-1]["failed"]
        with pytest.raises(Exception, match="took longer than 1 s"):
            ChatSession(stuck).answer_text("Another question never asked?", [])
    finally:
        release.set()


def test_an_unknown_queue_session_is_answered_without_a_traceback(url, caplog):
    """Any client may ask for a session that does not exist: Gradio says so in the stream, then raises."""
    with caplog.at_level(logging.WARNING):
        stream = httpx.get(f"{url}/gradio_api/queue/data", params={"session_hash": "nobody"}, timeout=30)
        assert httpx.get(f"{url}/healthz", timeout=30).status_code == 200
    assert stream.status_code == 200 and "session_not_found" in stream.text
    assert not [r for r in caplog.records if r.exc_info or "Traceback" in r.getMessage()]
    assert any("gradio ended its response" in r.getMessage() for r in caplog.records)


# --- what a call may carry (assistant/ui/calls.py) ---------------------------------------------------

NESTED = b"[" * 100_000 + b"]" * 100_000


@pytest.fixture(scope="module")
def config(url) -> dict:
    return httpx.get(f"{url}/config", timeout=30).json()


def _refused_in_one_line(response: httpx.Response, caplog, capfd, *, says: str) -> None:
    """A 400 with a short message, one warning line, and nothing else in the log or on stderr."""
    assert response.status_code == 400, response.text[:300]
    assert says in response.json()["detail"] and len(response.text) < 500
    lines = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(lines) == 1 and not lines[0].exc_info and len(lines[0].getMessage()) < 500
    assert "Traceback" not in capfd.readouterr().err
    caplog.clear()


@pytest.mark.parametrize("route", ["/gradio_api/queue/join", "/gradio_api/call/chat", "/gradio_api/cancel"])
def test_deeply_nested_json_gets_400_in_one_line(url, route, caplog, capfd):
    caplog.set_level(logging.WARNING)
    response = httpx.post(f"{url}{route}", content=NESTED, headers={"content-type": "application/json"})
    _refused_in_one_line(response, caplog, capfd, says="nests deeper than")


def test_events_that_run_in_the_browser_only_cannot_be_called(url, config, caplog, capfd):
    caplog.set_level(logging.WARNING)
    browser_only = [d for d in config["dependencies"] if not d["backend_fn"]]
    assert len(browser_only) >= 5  # the page's JavaScript steps and its cancel events
    for dependency in browser_only:
        joined, _ = join(url, [None] * len(dependency["inputs"]), dependency["id"])
        _refused_in_one_line(joined, caplog, capfd, says="runs in the browser only")


def test_handlers_that_take_event_data_refuse_what_is_not_event_data(url, config, caplog, capfd):
    caplog.set_level(logging.WARNING)
    takers = [d for d in config["dependencies"] if d["backend_fn"] and d["collects_event_data"]]
    assert takers  # a suggested question picked, a thumb given
    for dependency in takers:
        for event_data in (None, {}, "x", {"index": 0}):
            session = f"e{time.monotonic_ns()}"
            body = {
                "data": [None] * len(dependency["inputs"]),
                "fn_index": dependency["id"],
                "event_data": event_data,
                "session_hash": session,
            }
            joined = httpx.post(f"{url}/gradio_api/queue/join", json=body, timeout=30)
            _refused_in_one_line(joined, caplog, capfd, says="takes event data")


def test_a_choice_must_be_one_offered_and_is_never_echoed(url, config, caplog, capfd):
    """The reported 200 KB dropdown value, and short wrong ones, to every event reading a dropdown."""
    caplog.set_level(logging.WARNING)
    components = {c["id"]: c for c in config["components"]}
    readers = [
        (d, d["inputs"].index(c))
        for d in config["dependencies"]
        if d["backend_fn"]
        for c in d["inputs"]
        if components[c]["type"] == "dropdown"
    ]
    assert readers  # the article picker
    for dependency, position in readers:
        for value in (
            "x" * 200_000,
            "no-such-article",
            7,
            {"a": 1},
            [components[dependency["inputs"][position]]["props"]["value"]],
        ):
            data: list = [None] * len(dependency["inputs"])
            data[position] = value
            joined, _ = join(url, data, dependency["id"])
            _refused_in_one_line(joined, caplog, capfd, says=f"data[{position}] (dropdown")
            assert "xxxxxxxxxx" not in joined.text
        data = [None] * len(dependency["inputs"])
        data[position] = components[dependency["inputs"][position]]["props"]["value"]  # a choice offered
        joined, stream = join(url, data, dependency["id"])
        assert joined.status_code == 200 and '"success":true' in stream


def test_text_is_text_within_its_box(url, config, caplog, capfd):
    caplog.set_level(logging.WARNING)
    components = {c["id"]: c for c in config["components"]}
    submit = next(
        d for d in config["dependencies"] if any(t[1] == "submit" for t in d["targets"]) and d["backend_fn"]
    )
    box = components[submit["inputs"][0]]
    limit = box["props"]["max_length"]
    for value, says in (({"text": "Who?"}, "not text"), ("x" * (limit + 1), f"the limit is {limit:,}")):
        joined, _ = join(url, [value] + [None] * (len(submit["inputs"]) - 1), submit["id"])
        _refused_in_one_line(joined, caplog, capfd, says=says)


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ({"data": [], "fn_index": 10_000, "session_hash": "s"}, "not an event of this page"),
        ({"data": [], "fn_index": "0", "session_hash": "s"}, "fn_index must be"),
        ({"data": ["[]"], "fn_index": 0, "session_hash": "s"}, "data must be a list of"),
        ({"data": ["[]", ""], "fn_index": 0}, "session_hash is missing"),
        ([1, 2], "must be a JSON object"),
    ],
)
def test_malformed_calls_get_400_in_one_line(url, body, says, caplog, capfd):
    caplog.set_level(logging.WARNING)
    joined = httpx.post(f"{url}/gradio_api/queue/join", json=body, timeout=30)
    _refused_in_one_line(joined, caplog, capfd, says=says)


@pytest.mark.parametrize(
    ("route", "body", "says"),
    [
        ("/gradio_api/call/chat", {"data": ["Who wrote it?"]}, "send data as a list of 2 values"),
        ("/gradio_api/call/v2/chat", {"question": "Who wrote it?", "session_hash": "s"}, "by name"),
        ("/gradio_api/cancel", {"session_hash": "s", "fn_index": 0}, "event_id is missing"),
    ],
)
def test_malformed_calls_to_the_rest_routes_get_400_in_one_line(url, route, body, says, caplog, capfd):
    caplog.set_level(logging.WARNING)
    _refused_in_one_line(httpx.post(f"{url}{route}", json=body, timeout=30), caplog, capfd, says=says)


def test_the_chat_endpoint_by_name_still_answers(url):
    called = httpx.post(
        f"{url}/gradio_api/call/v2/chat",
        json={"question": "Who wrote this article?", "history": []},
        timeout=30,
    )
    event = called.json()["event_id"]
    stream = httpx.get(f"{url}/gradio_api/call/v2/chat/{event}", timeout=30).text
    assert "event: complete" in stream and "Henningsen" in stream
