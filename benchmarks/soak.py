"""Load on loopback: N clients against /api/ask and M chat sessions through the Gradio queue at once.

Bounded in time and count, and only ever aimed at 127.0.0.1. Every chat session holds its own
conversation and asks a follow-up that only its own history can resolve; the script checks each
answer against that session's expected passage, so answers that mixed sessions would show up as
errors. Memory (RSS) of the server is read after warm-up and at the end.

    .venv/bin/python benchmarks/soak.py [--clients 16] [--sessions 4] [--seconds 60] [--quick]
"""

from __future__ import annotations

import threading
import time

import common

# (first question, follow-up, a phrase the follow-up's answer must contain)
CONVERSATIONS = [
    ("What did the Russian Defense Ministry announce?", "Why did it do that?", "overt act of aggression"),
    ("Who was named as a partner in the Tehran attacks?", "Who named them?", "Hamid-Reza Taraghi"),
    ("Who is Patrick Henningsen?", "Where was he born?", "American-born"),
    (
        "Which news agency released the image of the missile launch?",
        "What did the image show?",
        "showing a missile",
    ),
]


class Tally:
    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.errors: list[str] = []
        self.lock = threading.Lock()

    def record(self, began: float, error: str | None = None) -> None:
        with self.lock:
            if error:
                self.errors.append(error)
            else:
                self.latencies.append((time.perf_counter() - began) * 1000)


def _api_client(port: int, deadline: float, questions: list[str], tally: Tally, offset: int) -> None:
    client = common.Client(port)
    n = offset
    while time.perf_counter() < deadline:
        n += 1
        began = time.perf_counter()
        try:
            client.ask(questions[n % len(questions)])
            tally.record(began)
        except Exception as error:  # noqa: BLE001 - an error is a result here
            tally.record(began, f"api: {error}")
            client = common.Client(port)


def _chat_session(port: int, deadline: float, conversation: tuple[str, str, str], tally: Tally) -> None:
    from gradio_client import Client as GradioClient

    first, follow_up, expected = conversation
    chat = GradioClient(f"http://127.0.0.1:{port}/", verbose=False, download_files=False)
    while time.perf_counter() < deadline:
        began = time.perf_counter()
        try:
            reply = chat.predict(first, [], api_name="/chat")
            history = [{"role": "user", "content": first}, {"role": "assistant", "content": reply}]
            answer = chat.predict(follow_up, history, api_name="/chat")
        except Exception as error:  # noqa: BLE001
            tally.record(began, f"chat: {error}")
            continue
        tally.record(began, None if expected in answer else f"chat: {follow_up!r} lost its own history")


def main() -> None:
    args = common.options(
        "Concurrent API and chat load, with memory.",
        "3 s, 4 warm-up questions",
        clients=16,
        sessions=4,
        seconds=60.0,
    )
    seconds = 3.0 if args.quick else args.seconds
    questions = common.golden_questions(4 if args.quick else None)
    api, chat = Tally(), Tally()
    with common.serving() as (port, server):
        for question in questions:  # warm-up: every question once
            common.Client(port).ask(question)
        before = common.rss_mb(server.pid)
        deadline = time.perf_counter() + seconds
        threads = [
            threading.Thread(target=_api_client, args=(port, deadline, questions, api, n * 7))
            for n in range(args.clients)
        ] + [
            threading.Thread(target=_chat_session, args=(port, deadline, CONVERSATIONS[n % 4], chat))
            for n in range(args.sessions)
        ]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(seconds + 60)
        elapsed = time.perf_counter() - started
        after = common.rss_mb(server.pid)
    rows: dict[str, object] = {
        "api_clients": args.clients,
        "chat_sessions": args.sessions,
        "seconds": seconds,
    }
    rows |= {"api_answers_per_s": len(api.latencies) / elapsed, "api_errors": len(api.errors)}
    rows |= {f"api_{k}": v for k, v in common.summary_ms(api.latencies or [0.0]).items()}
    rows |= {"chat_exchanges": len(chat.latencies), "chat_errors": len(chat.errors)}
    rows |= {f"chat_exchange_{k}": v for k, v in common.summary_ms(chat.latencies or [0.0]).items()}
    rows |= {
        "rss_after_warmup_mb": before["rss_mb"],
        "rss_end_mb": after["rss_mb"],
        "peak_rss_mb": after["peak_rss_mb"],
        "first_errors": (api.errors + chat.errors)[:3],
        "machine": common.machine(),
    }
    common.report("soak", rows)


if __name__ == "__main__":
    main()
