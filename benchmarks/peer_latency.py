"""Ours against the usual LangChain pipeline (benchmarks/peer_app.py), served, on the same questions.

Both are served over HTTP on loopback and asked the golden set's answerable questions in alternating
blocks. Reported side by side: p50/p95 latency, evidence recall (a citation contains a gold
phrase) and characters cited per answer. The peers' quality on several articles, without serving
them, is benchmarks/peer.py's.

    .venv/bin/python benchmarks/peer_latency.py [--quick]
"""

from __future__ import annotations

import sys
import time

import common

BLOCK = 10


def _items(quick: bool) -> list:
    from assistant.evaluation import load_golden_set

    items = [i for i in load_golden_set(common.GOLDEN_SET) if i.evidence and not i.history]
    return items[:4] if quick else items


def main() -> None:
    args = common.options("Ours versus LangChain's tutorial retrieval.", "4 questions")
    items = _items(args.quick)
    peer_port = common.free_port()
    peer_command = [sys.executable, str(common.ROOT / "benchmarks" / "peer_app.py"), str(peer_port)]
    results: dict[str, dict[str, list]] = {"ours": {}, "peer": {}}
    with (
        common.serving() as (ours_port, _),
        common.running_server(peer_command, peer_port) as peer,
    ):
        common.wait_ready(peer_port, peer)
        clients = {"ours": common.Client(ours_port), "peer": common.Client(peer_port)}
        for client in clients.values():
            client.ask("warm-up question")
        for name in clients:
            results[name] = {"ms": [], "recall": [], "chars": []}
        for start in range(0, len(items), BLOCK):
            for name, client in clients.items():
                for item in items[start : start + BLOCK]:
                    began = time.perf_counter()
                    body = client.ask(item.question)
                    results[name]["ms"].append((time.perf_counter() - began) * 1000)
                    cited = [c["text"] for c in body["citations"]] if body["answerable"] else []
                    found = any(e.lower() in c.lower() for e in item.evidence for c in cited)
                    results[name]["recall"].append(found)
                    results[name]["chars"].append(sum(len(c) for c in cited))
    rows: dict[str, object] = {"questions": len(items)}
    for name, figures in results.items():
        latency = common.summary_ms(figures["ms"])
        rows[f"{name}_p50_ms"] = latency["p50_ms"]
        rows[f"{name}_p95_ms"] = latency["p95_ms"]
        rows[f"{name}_evidence_recall"] = sum(figures["recall"]) / len(items)
        rows[f"{name}_cited_chars"] = sum(figures["chars"]) / len(items)
    rows["p50_ours_over_peer"] = rows["ours_p50_ms"] / rows["peer_p50_ms"]
    rows["machine"] = common.machine()
    common.report("peer_latency", rows)


if __name__ == "__main__":
    main()
