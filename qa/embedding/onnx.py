"""A sentence-transformers model of the usual shape (a BERT-like encoder, mean pooling, normalization)
run on ONNX Runtime directly: the tokenizer is Hugging Face's `tokenizers`, the pooling a few numpy
lines. Neither torch nor sentence-transformers is imported, which saves seconds at start and about a
fifth of the CPU per passage; the vectors are the ones sentence-transformers computes from the same
ONNX file (checked by an integration test)."""

import json
import os
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from qa.embedding.token_count import TokenCounter

MEAN_POOLING = ("sentence_transformers.models.Pooling", "sentence_transformers.sentence_transformer.modules.pooling.Pooling")
NORMALIZE = ("sentence_transformers.models.Normalize", "sentence_transformers.sentence_transformer.modules.normalize.Normalize")


class UnsupportedModel(ValueError):
    """The model folder is not of the shape this embedder runs (the caller falls back to sentence-transformers)."""


def supported_max_tokens(folder: Path) -> int:
    """The model's window in word pieces, special tokens included; raises UnsupportedModel when the
    folder is not an encoder with mean pooling and normalization."""
    modules = _json(folder / "modules.json")
    types = [m.get("type") for m in modules]
    if len(types) != 3 or types[1] not in MEAN_POOLING or types[2] not in NORMALIZE:
        raise UnsupportedModel(f"modules {types} are not encoder, mean pooling, normalize")
    pooling = _json(folder / modules[1].get("path", "") / "config.json")
    if pooling.get("pooling_mode", "mean" if pooling.get("pooling_mode_mean_tokens") else None) != "mean":
        raise UnsupportedModel(f"pooling {pooling} is not mean pooling")
    if not (folder / "tokenizer.json").is_file():
        raise UnsupportedModel("no tokenizer.json")
    window = _optional_json(folder / "sentence_bert_config.json").get("max_seq_length")
    if window is None:
        window = _optional_json(folder / "tokenizer_config.json").get("model_max_length", 512)
    positions = _json(folder / "config.json").get("max_position_embeddings", window)
    return int(min(window, positions))


class OnnxEmbedder:
    """Each batch runs on one thread; a call with several batches spreads them over one thread per
    core. One thread per batch wastes nothing on synchronisation (more passages per CPU-second than
    one batch on all cores), and concurrent requests each get a core."""

    def __init__(self, folder: Path, file_name: str, name: str, batch_size: int, backend: str) -> None:
        import onnxruntime
        from tokenizers import Tokenizer

        self._name = name
        self.backend = backend
        self.variant = file_name  # the quantization chosen for this CPU
        self._batch_size = batch_size
        window = supported_max_tokens(folder)
        self._tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self._tokenizer.enable_truncation(window)
        self._tokenizer.no_padding()
        self._count = TokenCounter(self._tokenizer)
        self._max_tokens = window - self._tokenizer.post_processor.num_special_tokens_to_add(False)
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        # Threads that spin while idle burn CPU time that ingest and other requests could use.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self._session = onnxruntime.InferenceSession(str(folder / file_name), options,
                                                     providers=["CPUExecutionProvider"])
        self._inputs = {i.name for i in self._session.get_inputs()}
        self._dimension = int(self._session.get_outputs()[0].shape[-1])
        self._workers = max(1, len(os.sched_getaffinity(0)))
        self._pool: ThreadPoolExecutor | None = None
        self._pool_lock = threading.Lock()

    @property
    def name(self) -> str:
        return self._name

    @property
    def dimension(self) -> int:
        return self._dimension

    @property
    def max_tokens(self) -> int:
        return self._max_tokens

    def count_tokens(self, text: str) -> int:
        return self._count(text)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self._dimension), dtype=np.float32)
        if not texts:
            return out
        encodings = self._tokenizer.encode_batch(list(texts))
        # Batches of similar lengths waste little on padding.
        order = np.argsort([len(e.ids) for e in encodings], kind="stable")
        batches = [order[start : start + self._batch_size] for start in range(0, len(order), self._batch_size)]
        vectors = map(self._embed_batch, ([encodings[i] for i in b] for b in batches)) if len(batches) == 1 \
            else self._executor().map(self._embed_batch, [[encodings[i] for i in b] for b in batches])
        for batch, batch_vectors in zip(batches, vectors):
            out[batch] = batch_vectors
        return out

    def _executor(self) -> ThreadPoolExecutor:
        with self._pool_lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self._workers, thread_name_prefix="embed")
            return self._pool

    def _embed_batch(self, encodings: list) -> np.ndarray:
        length = max(len(e.ids) for e in encodings)
        ids = np.zeros((len(encodings), length), dtype=np.int64)
        mask = np.zeros_like(ids)
        for row, encoding in enumerate(encodings):
            ids[row, : len(encoding.ids)] = encoding.ids
            mask[row, : len(encoding.ids)] = 1
        feed = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._inputs:
            feed["token_type_ids"] = np.zeros_like(ids)
        tokens = self._session.run(None, feed)[0]
        summed = np.einsum("btd,bt->bd", tokens, mask.astype(np.float32))
        vectors = summed / mask.sum(axis=1, keepdims=True)
        return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)


def _json(path: Path):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise UnsupportedModel(f"cannot read {path}: {error}") from None


def _optional_json(path: Path) -> dict:
    return _json(path) if path.is_file() else {}
