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

    def search(
        self, vector: np.ndarray, k: int, only: np.ndarray | None = None, without: np.ndarray | None = None
    ) -> list[tuple[int, float]]:
        """The k nearest (id, score) pairs, among the ids in `only` when given, never those in `without`."""
        if self.size == 0 or (only is not None and len(only) == 0):
            return []
        # The selector filters inside the search, so a filter never leaves a short top k.
        selector = _selector(only, without)
        params = self._search_parameters(selector) if selector is not None else None
        scores, ids = self._index.search(_as_matrix(vector.reshape(1, -1)), min(k, self.size), params=params)
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0]) if i != -1]

    def _search_parameters(self, selector: faiss.IDSelector) -> faiss.SearchParameters:
        inner = faiss.downcast_index(self._index.index)
        if isinstance(inner, faiss.IndexHNSW):
            return faiss.SearchParametersHNSW(sel=selector)
        return faiss.SearchParameters(sel=selector)

    def save(self, path: Path) -> None:
        replace_atomically(path, lambda tmp: faiss.write_index(self._index, str(tmp)))


def _selector(only: np.ndarray | None, without: np.ndarray | None) -> faiss.IDSelector | None:
    if only is not None:
        return faiss.IDSelectorBatch(np.asarray(only, dtype=np.int64))
    if without is not None and len(without):
        return faiss.IDSelectorNot(faiss.IDSelectorBatch(np.asarray(without, dtype=np.int64)))
    return None


def _as_matrix(vectors: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(vectors, dtype=np.float32)
