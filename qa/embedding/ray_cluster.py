"""Bulk ingest on a Ray cluster: the passages of each batch are embedded across the cluster with
`ray.data`, by actors that load the model once each. Reading, chunking and writing stay with the
ingest command (they are a small part of the work and the writes go through one writer), so the
result is the same as a local ingest of the same files: the same chunks, the same model.
"""

import logging
from collections.abc import Sequence

import numpy as np

from qa.embedding.embedder import Embedder, load_embedder
from qa.errors import InvalidInput
from qa.settings import Settings

log = logging.getLogger(__name__)

# Passages per Ray task: large enough that scheduling costs little next to embedding them.
TASK_PASSAGES = 256


class RayEmbedder:
    """An Embedder whose `embed` runs on Ray; tokens are counted by the local model's tokenizer."""

    def __init__(self, address: str, settings: Settings, local: Embedder) -> None:
        try:
            import ray
        except ImportError:
            raise InvalidInput("--ray needs Ray: pip install -e '.[scale]'") from None
        self._ray = ray
        self._local = local
        self._model = (settings.model, settings.effective_embed_batch_size, settings.embedding_backend,
                       str(settings.model_cache_dir))
        if not ray.is_initialized():
            try:
                ray.init(address=None if address == "local" else address, include_dashboard=False,
                         log_to_driver=False, configure_logging=False)
            except (ConnectionError, ValueError, RuntimeError) as error:
                raise InvalidInput(f"cannot join the Ray cluster at {address!r}: {error}") from None
        self._workers = max(1, int(ray.cluster_resources().get("CPU", 1)) // 2)
        log.info("embedding on Ray with %d workers", self._workers)

    @property
    def name(self) -> str:
        return self._local.name

    @property
    def dimension(self) -> int:
        return self._local.dimension

    @property
    def max_tokens(self) -> int:
        return self._local.max_tokens

    def count_tokens(self, text: str) -> int:
        return self._local.count_tokens(text)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        rows = self._ray.data.from_items([{"row": i, "text": t} for i, t in enumerate(texts)])
        embedded = rows.map_batches(
            _EmbedOnWorker, fn_constructor_args=self._model, batch_size=TASK_PASSAGES, batch_format="numpy",
            concurrency=self._workers,
        )
        order, vectors = [], []
        for batch in embedded.iter_batches(batch_size=None, batch_format="numpy"):
            order.append(batch["row"])
            vectors.append(batch["vector"])
        result = np.empty((len(texts), self.dimension), dtype=np.float32)
        result[np.concatenate(order)] = np.vstack(vectors)
        return result

    def close(self) -> None:
        self._ray.shutdown()


class _EmbedOnWorker:
    """Runs in a Ray actor: loads the model once, then embeds batch after batch."""

    def __init__(self, model: str, batch_size: int, backend: str, cache_dir: str) -> None:
        from pathlib import Path

        self._embedder = load_embedder(model, batch_size, backend, Path(cache_dir))

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        return {"row": batch["row"], "vector": self._embedder.embed([str(t) for t in batch["text"]])}
