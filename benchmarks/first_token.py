"""How soon a model's answer starts to show, against the model server's own time to first token.

Starts the model server (``assistant llm serve``) and ``assistant serve`` pointed at it, then for each
answerable golden-set question measures, in one run and alternating:

- the backend's own time to first token: the exact messages the LLM answerer sends for that question
  (learned untimed from an in-process ``Assistant``), streamed straight to the model server;
- the chat page's: from pressing Enter in Debian's chromium to the first words of the answer in the page;
- ``/v1/chat/completions``'s: from sending a streamed request to its first content chunk.

llama.cpp restores earlier prompts from a cache in memory: the model server runs with it off
(`--no-prompt-cache`), and it keeps the last prompt's prefix, so before every measurement a request with
another question (the same system prompt) leaves each side with the same cache.

    .venv/bin/python benchmarks/first_token.py [--model smollm2|qwen2.5-coder-1.5b] [--questions 8] [--quick]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import sys
import time
from collections.abc import Iterator

import common
import httpx
import openai

FLUSH_QUESTION = "What is the weather like?"


def _options() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="qwen2.5-coder-1.5b", choices=["smollm2", "qwen2.5-coder-1.5b"])
    parser.add_argument("--questions", type=int, default=8)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--quick", action="store_true", help="SmolLM2, 1 question (CI smoke run)")
    args = parser.parse_args()
    if args.quick:
        args.model, args.questions = "smollm2", 1
    return args


@contextlib.contextmanager
def model_server(model: str, threads: int) -> Iterator[str]:
    port = common.free_port()
    command = [sys.executable, "-m", "assistant.cli", "llm", "serve", "--model", model]
    # No prompt cache in memory: else the page's request would find the prompt the backend was just
    # timed on, and be served from it.
    command += ["--port", str(port), "--threads", str(threads), "--no-prompt-cache"]
    with common.running_server(command, port):
        url = f"http://127.0.0.1:{port}/v1"
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{url}/models", timeout=2).status_code == 200:
                    yield url
                    return
            time.sleep(0.2)
        sys.exit("the model server did not start")


@contextlib.contextmanager
def server_at(base_url: str | None, model: str, threads: int) -> Iterator[str]:
    """``base_url`` when a model server is already running there, else one started here."""
    if base_url:
        yield base_url
    else:
        with model_server(model, threads) as url:
            yield url


def first_token_ms(chunks: Iterator[object], started: float) -> float:
    """Milliseconds from ``started`` to the first chunk with text; the rest of the stream is read."""
    first = None
    for chunk in chunks:
        choices = getattr(chunk, "choices", None)
        if first is None and choices and choices[0].delta.content:
            first = time.perf_counter()
    if first is None:
        raise RuntimeError("the stream held no text")
    return (first - started) * 1000


def main() -> None:
    args = _options()
    from playwright.sync_api import sync_playwright

    from assistant.answer.llm.answerer import shown_sentences
    from assistant.answer.llm.prompt import question_for_model
    from assistant.pipeline import Assistant
    from assistant.settings import Settings

    load_at_start = common.load_average()
    with model_server(args.model, args.threads) as llm_url:
        env = {
            **os.environ,
            "ASSISTANT_LLM_BASE_URL": llm_url,
            "ASSISTANT_LLM_MODEL": args.model,
            "ASSISTANT_LLM_TIMEOUT": "120",
        }
        os.environ.update(env)
        assistant = Assistant(Settings())
        answerer = assistant.answerer
        tasks: list[tuple[str, list[dict[str, str]]]] = []
        for question in common.golden_questions():
            evidence = assistant.evidence(question)
            choice = answerer.extractive.choose(evidence)
            if choice.answerable:
                provided = shown_sentences(evidence, choice)
                messages = answerer.prompt.messages(question_for_model(evidence), provided)
                tasks.append((question, messages))
            if len(tasks) == args.questions:
                break
        flush = answerer.prompt.messages(FLUSH_QUESTION, ())  # shares the system prompt only
        backend = openai.OpenAI(base_url=llm_url, api_key="unused", max_retries=0, timeout=120)
        max_tokens = assistant.settings.llm_max_tokens

        def flushed() -> None:
            backend.chat.completions.create(model=args.model, messages=flush, max_tokens=1, temperature=0)

        port = common.free_port()
        ours = openai.OpenAI(
            base_url=f"http://127.0.0.1:{port}/v1", api_key="unused", max_retries=0, timeout=120
        )
        backend_ms, page_ms, v1_ms = [], [], []
        with common.running_server(common.assistant_server(port), port, env) as server:
            common.wait_ready(port, server)
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path="/usr/bin/chromium")
                page = browser.new_page(viewport={"width": 1440, "height": 900})
                page.goto(f"http://127.0.0.1:{port}/")
                page.locator(".aa-overview .aa-copy").wait_for(state="attached", timeout=120_000)
                for number, (question, messages) in enumerate(tasks):
                    flushed()
                    started = time.perf_counter()
                    chunks = backend.chat.completions.create(
                        model=args.model, messages=messages, max_tokens=max_tokens, temperature=0, stream=True
                    )
                    backend_ms.append(first_token_ms(chunks, started))

                    flushed()
                    box = page.get_by_test_id("textbox")
                    box.fill(question)
                    answer = page.get_by_test_id("bot").nth(number + 1)
                    started = time.perf_counter()
                    box.press("Enter")
                    answer.locator(".aa-text").filter(has_text=" ").wait_for(timeout=120_000)
                    page_ms.append((time.perf_counter() - started) * 1000)
                    answer.locator(".aa-copy").wait_for(state="attached", timeout=120_000)

                    flushed()
                    started = time.perf_counter()
                    chunks = ours.chat.completions.create(
                        model="article-assistant",
                        messages=[{"role": "user", "content": question}],
                        stream=True,
                    )
                    v1_ms.append(first_token_ms(chunks, started))
                browser.close()
    ratios = [p / b for p, b in zip(page_ms, backend_ms, strict=True)]
    common.report(
        "first_token",
        {
            "model": args.model,
            "questions": len(tasks),
            "backend_first_token_p50_ms": statistics.median(backend_ms),
            "page_first_token_p50_ms": statistics.median(page_ms),
            "v1_first_token_p50_ms": statistics.median(v1_ms),
            "page_over_backend_p50": statistics.median(ratios),
            "page_over_backend_max": max(ratios),
            "v1_over_backend_p50": statistics.median(v / b for v, b in zip(v1_ms, backend_ms, strict=True)),
            "machine": common.machine(),
            "load_average_at_start": load_at_start,
        },
    )


if __name__ == "__main__":
    main()
