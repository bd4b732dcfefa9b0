"""FAISS vectors keyed by int64 ids (the database's chunk row ids)."""

from pathlib import Path

import faiss
import numpy as np

from index.atomic import replace_atomically
from index.errors import IncompatibleStore


class VectorIndex:
    """Inner-product search; the vectors are normalized, so scores are cosines."""

    def __init__(self, index: faiss.Index) -> None:
        self._index = index

    @classmethod
    def empty(cls, dimension: int, factory: str) -> "VectorIndex":
        try:
            index = faiss.index_factory(dimension, f"IDMap2,{factory}", faiss.METRIC_INNER_PRODUCT)
        except RuntimeError:
            raise IncompatibleStore(f"faiss_index {factory!r} is not a FAISS index factory string") from None
        if not index.is_trained:
            raise IncompatibleStore(f"faiss_index {factory!r} needs training, which is not supported")
        return cls(index)

    @classmethod
    def load(cls, path: Path) -> "VectorIndex":
        return cls(faiss.read_index(str(path)))

    @property
    def size(self) -> int:
        return self._index.ntotal

    @property
    def dimension(self) -> int:
        return self._index.d

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        if len(ids):
            self._index.add_with_ids(_as_matrix(vectors), np.asarray(ids, dtype=np.int64))

    def remove(self, ids: np.ndarray) -> None:
        """Raises RuntimeError for index types that cannot remove (HNSW); the caller rebuilds."""
        if len(ids):
            self._index.remove_ids(np.asarray(ids, dtype=np.int64))

    def search(self, vector: np.ndarray, k: int) -> list[tuple[int, float]]:
        if self.size == 0:
            return []
        scores, ids = self._index.search(_as_matrix(vector.reshape(1, -1)), min(k, self.size))
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0]) if i != -1]

    def save(self, path: Path) -> None:
        replace_atomically(path, lambda tmp: faiss.write_index(self._index, str(tmp)))


def _as_matrix(vectors: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(vectors, dtype=np.float32)
