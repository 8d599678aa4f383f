"""How far the cross-encoder's scores, and so the quality figures, move between CPUs of this kind.

The reranker is an INT8 model (``DynamicQuantizeLinear`` + ``MatMulInteger``). ONNX Runtime's integer
GEMM (MLAS) multiplies unsigned activations by signed weights with ``vpdpbusd`` where the CPU has
AVX-512 VNNI (exact 32-bit sums), and with ``vpmaddubsw`` where it has only AVX2 (or AVX-512 without
VNNI): that instruction adds each pair of adjacent u8×s8 products into a *saturating* 16-bit integer, so
a pair above 32,767 is clipped. This model's weights use the full int8 range (not the 7-bit
``reduce_range`` that avoids it), so the two kinds of CPU need not score a pair identically.

This script measures that spread on any machine by running the model both ways, side by side:

- ``native``: the packaged model as this CPU runs it;
- ``saturating``: a copy whose every ``MatMulInteger`` clips each adjacent pair of u8×s8 products to
  int16, as ``vpmaddubsw`` does, before the sum (see ``rewrite``). On an AVX2 machine the two agree,
  and the spread is then seen from the other side.

It reports the largest and median score differences over the sets' (question, sentence) pairs and the
quality figures of each set with each model, so the CI floors can sit below both (``tests/answer``).

    python benchmarks/cpu_spread.py [--limit N] [--every N] [--sets golden,...] [--squad2 victoria,...]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

INT16 = (-32768.0, 32767.0)


def rewrite(model_dir: Path, out_dir: Path) -> Path:
    """A copy of the model directory that scores as an AVX2 CPU does; returns the new directory.

    Each ``MatMulInteger`` keeps its exact result and adds a correction for the adjacent weight pairs
    that can saturate (same sign, ``(|b0| + |b1|) · 255 > 32,767``: about 1,400 of the model's 10.7
    million pairs): ``clip(a0·b0 + a1·b1) − (a0·b0 + a1·b1)`` on the raw u8 activations, summed into
    their output column. A dense rewrite (every pair summed, clipped and added up in float: 150 times
    slower) gave bit-identical scores, and so does this one with the clip left out, on this machine's
    VNNI kernels."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    model = onnx.load(str(model_dir / "model.onnx"))
    graph = model.graph
    weights = {i.name: numpy_helper.to_array(i) for i in graph.initializer}
    nodes = []
    for node in graph.node:
        nodes.append(node)
        if node.op_type == "MatMulInteger" and node.input[1] in weights:
            nodes.extend(_saturation(node, weights[node.input[1]], graph, helper, numpy_helper, TensorProto))
    del graph.node[:]
    graph.node.extend(nodes)
    out_dir.mkdir(parents=True, exist_ok=True)
    for extra in model_dir.iterdir():
        if extra.name != "model.onnx":
            shutil.copy(extra, out_dir / extra.name)
    onnx.save(model, str(out_dir / "model.onnx"))
    return out_dir


def _saturation(node, weight, graph, helper, numpy_helper, TensorProto):  # noqa: N803 - onnx's names
    """Nodes adding the int16 saturation of ``vpmaddubsw`` to ``node``'s exact output (renamed)."""
    k, n = weight.shape
    if k % 2:
        raise ValueError(f"{node.name}: an odd inner dimension ({k}) is not handled")
    pairs = weight.astype(np.int32).reshape(k // 2, 2, n)
    same_sign = np.sign(pairs[:, 0]) == np.sign(pairs[:, 1])
    risky = same_sign & ((np.abs(pairs[:, 0]) + np.abs(pairs[:, 1])) * 255 > INT16[1])
    rows, cols = np.nonzero(risky)
    if rows.size == 0:
        return []
    p = node.name or node.output[0]
    onehot = np.zeros((rows.size, n), np.float32)
    onehot[np.arange(rows.size), cols] = 1.0
    inits = {
        f"{p}/even": (2 * rows).astype(np.int64),
        f"{p}/odd": (2 * rows + 1).astype(np.int64),
        f"{p}/b_even": pairs[rows, 0, cols].astype(np.float32),
        f"{p}/b_odd": pairs[rows, 1, cols].astype(np.float32),
        f"{p}/columns": onehot,
        f"{p}/lo": np.array(INT16[0], np.float32),
        f"{p}/hi": np.array(INT16[1], np.float32),
    }
    for name, value in inits.items():
        graph.initializer.append(numpy_helper.from_array(value, name))
    output = node.output[0]
    node.output[0] = f"{p}/exact"

    def make(op: str, inputs: list[str], name: str, **attributes: object) -> object:
        return helper.make_node(op, inputs, [f"{p}/{name}"], **attributes)

    return [
        make("Cast", [node.input[0]], "a", to=TensorProto.FLOAT),
        make("Gather", [f"{p}/a", f"{p}/even"], "a_even", axis=-1),
        make("Gather", [f"{p}/a", f"{p}/odd"], "a_odd", axis=-1),
        make("Mul", [f"{p}/a_even", f"{p}/b_even"], "p_even"),
        make("Mul", [f"{p}/a_odd", f"{p}/b_odd"], "p_odd"),
        make("Add", [f"{p}/p_even", f"{p}/p_odd"], "sum"),
        make("Clip", [f"{p}/sum", f"{p}/lo", f"{p}/hi"], "clipped"),
        make("Sub", [f"{p}/clipped", f"{p}/sum"], "lost"),
        make("MatMul", [f"{p}/lost", f"{p}/columns"], "correction"),
        make("Cast", [f"{p}/correction"], "correction_int", to=TensorProto.INT32),
        helper.make_node("Add", [f"{p}/exact", f"{p}/correction_int"], [output]),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sets", default="golden,holdout,readers_holdout,readers_tune,dev")
    parser.add_argument("--squad2", default="victoria,complexity,southern_california")
    parser.add_argument("--limit", type=int, default=0, help="questions per set (0: all)")
    parser.add_argument(
        "--every",
        type=int,
        default=1,
        help="CI's fixed sample: every Nth answerable and unanswerable question",
    )
    parser.add_argument("--json", type=Path, help="write the figures here too")
    args = parser.parse_args()

    from assistant import Assistant, Settings
    from assistant.evaluation import CHECKOUT_GOLDEN_SET, evaluate, fixed_sample, load_golden_set
    from assistant.index.embeddings import MiniLMEmbeddings
    from assistant.retrieve.rerank import CrossEncoderReranker, reranker_dir
    from assistant.settings import DEFAULT_ARTICLE

    shared = ROOT.parent / "shared" / "eval"
    sets: dict[str, tuple[Path, Path]] = {}
    for name in filter(None, args.sets.split(",")):
        path = shared / "dev.jsonl" if name == "dev" else CHECKOUT_GOLDEN_SET.with_name(f"{name}.jsonl")
        sets[name] = (path, DEFAULT_ARTICLE)
    for name in filter(None, args.squad2.split(",")):
        sets[f"squad2/{name}"] = (shared / "squad2" / f"{name}.jsonl", shared / "squad2" / f"{name}.txt")

    work = Path(tempfile.mkdtemp(prefix="cpu-spread-"))
    rerankers = {
        "native": CrossEncoderReranker(),
        "saturating": CrossEncoderReranker(rewrite(reranker_dir(), work / "saturating")),
    }
    embeddings = MiniLMEmbeddings()
    figures: dict[str, dict[str, dict[str, float]]] = {}
    differences: dict[str, list[float]] = {"saturating": []}
    try:
        for name, (questions, article) in sets.items():
            items = fixed_sample(load_golden_set(questions), args.every)
            if args.limit:
                items = items[: args.limit]
            figures[name] = {}
            settings = Settings(article_path=article, index_dir=work / "index" / article.stem)
            for kind, reranker in rerankers.items():
                assistant = Assistant(settings, embeddings=embeddings, reranker=reranker)
                assistant.open()
                report, _ = evaluate(assistant, items)
                if kind != "native":
                    differences[kind].extend(_differences(assistant, rerankers["native"], reranker, items))
                figures[name][kind] = {
                    "evidence_recall": report.evidence_recall,
                    "false_declines": report.false_decline_rate,
                    "unanswerables_declined": report.decline_accuracy,
                }
                print(f"{name:28} {kind:10} " + "  ".join(f"{v:.3f}" for v in figures[name][kind].values()))
                assistant.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    for kind, values in differences.items():
        found = np.abs(np.asarray(values))
        print(
            f"score difference {kind} vs native over {found.size} pairs: median {np.median(found):.4f}, "
            f"p99 {np.quantile(found, 0.99):.4f}, max {found.max():.4f} logits"
        )
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2), encoding="utf-8")


def _differences(assistant, native, other, items) -> list[float]:
    """Score differences on each question's top sentences (the pairs that decide answers)."""
    found: list[float] = []
    sentences = [s.text for s in assistant.contents()[1]]
    for item in items[:20]:
        found.extend(other.score(item.question, sentences[:24]) - native.score(item.question, sentences[:24]))
    return found


if __name__ == "__main__":
    main()
