"""Vectors of the sentences answers are made from, kept for the next question that reads them.

Questions cluster on the stories of the day, so the same passages' sentences are scored again and
again; embedding them is most of the cost of an answer. The cache holds the most recently used
sentences only (about 1.5 KB each), and never changes what a sentence's vector is. Behind it, when
given, the vectors shared by every process serving the index (index.vectors.text_cache).
"""

import hashlib
from collections.abc import Sequence

import numpy as np

from index.recent import RecentlyUsed
from index.vectors.text_cache import TextVectors
from qa.embedding.embedder import Embedder


class CachedEmbedder:
    def __init__(self, embedder: Embedder, capacity: int, shared: TextVectors | None = None) -> None:
        self._embedder = embedder
        self._vectors: RecentlyUsed[str, np.ndarray] = RecentlyUsed(capacity)
        self._shared = shared
        # Which model made a vector is part of its key: another model, or the same one quantized
        # for another CPU, gives other vectors.
        self._model = "\x00".join(str(part) for part in (
            embedder.name, getattr(embedder, "backend", ""), getattr(embedder, "variant", ""), embedder.dimension))

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        known = self._vectors.get_many(list(texts))
        missing = list(dict.fromkeys(t for t in texts if t not in known))
        if missing:
            fresh = self._from_others(missing)
            unseen = [t for t in missing if t not in fresh]
            if unseen:
                embedded = dict(zip(unseen, self._embedder.embed(unseen)))
                if self._shared is not None:
                    self._shared.put({self._key(t): v for t, v in embedded.items()})
                fresh.update(embedded)
            known.update(fresh)
            self._vectors.put_many(fresh)
        if not texts:
            return np.zeros((0, self._embedder.dimension), dtype=np.float32)
        return np.vstack([known[t] for t in texts])

    def _from_others(self, texts: list[str]) -> dict[str, np.ndarray]:
        """Vectors another process serving the index embedded, or this one before a restart."""
        if self._shared is None:
            return {}
        keys = {self._key(t): t for t in texts}
        return {keys[key]: vector for key, vector in self._shared.get(list(keys)).items()}

    def _key(self, text: str) -> bytes:
        return hashlib.sha256(f"{self._model}\x00{text}".encode()).digest()[:16]
