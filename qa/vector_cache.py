"""Vectors of the sentences answers are made from, kept for the next question that reads them.

Questions cluster on the stories of the day, so the same passages' sentences are scored again and
again; embedding them is most of the cost of an answer. The cache holds the most recently used
sentences only (about 1.5 KB each), and never changes what a sentence's vector is.
"""

import threading
from collections import OrderedDict
from collections.abc import Sequence

import numpy as np

from qa.embedding import Embedder


class CachedEmbedder:
    def __init__(self, embedder: Embedder, capacity: int) -> None:
        self._embedder = embedder
        self._capacity = capacity
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        with self._lock:
            known = {t: self._vectors[t] for t in texts if t in self._vectors}
            for text in known:
                self._vectors.move_to_end(text)
        missing = list(dict.fromkeys(t for t in texts if t not in known))
        if missing:
            fresh = dict(zip(missing, self._embedder.embed(missing)))
            known.update(fresh)
            with self._lock:
                self._vectors.update(fresh)
                while len(self._vectors) > self._capacity:
                    self._vectors.popitem(last=False)
        if not texts:
            return np.zeros((0, self._embedder.dimension), dtype=np.float32)
        return np.vstack([known[t] for t in texts])
