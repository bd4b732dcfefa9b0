"""FAISS vectors keyed by int64 ids (the database's chunk row ids).

Exact search ("Flat") removes vectors for real. Graph indexes such as HNSW cannot remove anything,
so a removed vector becomes a tombstone that every search skips; the store rebuilds the index once
tombstones are a large share of it.
"""

import threading
from collections.abc import Sequence
from pathlib import Path

import faiss
import numpy as np

from index.files.atomic import replace_atomically
from index.errors import IncompatibleStore
from index.records import IdSet

# Below this many allowed ids, a filtered search on a graph index scores them all exactly: a graph
# walk that must skip nearly every node finds too few of them.
EXACT_SUBSET = 20_000

# Searches run one thread each: requests already keep the cores busy, and FAISS's OpenMP threads
# spin while they wait, costing two to three times the CPU of one query on one core.
_single_threaded = threading.local()


def _search_on_one_thread() -> None:
    # OpenMP's thread count belongs to the calling thread, so this leaves bulk adds and rebuilds parallel.
    if not getattr(_single_threaded, "set", False):
        faiss.omp_set_num_threads(1)
        _single_threaded.set = True


class VectorIndex:
    """Inner-product search; the vectors are normalized, so scores are cosines."""

    def __init__(self, index: faiss.Index, ef_search: int = 64) -> None:
        self._index = index
        self._inner = faiss.downcast_index(index.index)
        self._graph = isinstance(self._inner, faiss.IndexHNSW)
        self._ef_search = ef_search
        self._tombstones: set[int] = set()

    @classmethod
    def empty(cls, dimension: int, factory: str, ef_search: int = 64) -> "VectorIndex":
        try:
            index = faiss.index_factory(dimension, f"IDMap2,{factory}", faiss.METRIC_INNER_PRODUCT)
        except RuntimeError:
            raise IncompatibleStore(f"faiss_index {factory!r} is not a FAISS index factory string") from None
        if not index.is_trained:
            raise IncompatibleStore(f"faiss_index {factory!r} needs training, which is not supported")
        return cls(index, ef_search)

    @classmethod
    def load(cls, path: Path, ef_search: int = 64) -> "VectorIndex":
        return cls(faiss.read_index(str(path)), ef_search)

    @property
    def size(self) -> int:
        """Live vectors: those stored, less tombstones."""
        return self._index.ntotal - len(self._tombstones)

    @property
    def stored(self) -> int:
        """Vectors in the index, tombstones included: what a saved file holds."""
        return self._index.ntotal

    @property
    def factory(self) -> str:
        return "HNSW" if self._graph else "Flat"

    @property
    def dimension(self) -> int:
        return self._index.d

    @property
    def wasted_share(self) -> float:
        return len(self._tombstones) / self._index.ntotal if self._index.ntotal else 0.0

    def ids(self) -> np.ndarray:
        return faiss.vector_to_array(self._index.id_map).astype(np.int64)

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        if len(ids):
            self._index.add_with_ids(_as_matrix(vectors), np.asarray(ids, dtype=np.int64))

    def remove(self, ids: np.ndarray) -> None:
        if not len(ids):
            return
        if self._graph:
            self._tombstones.update(int(i) for i in ids)
        else:
            self._index.remove_ids(np.asarray(ids, dtype=np.int64))

    def replay(self, removed: np.ndarray, added: np.ndarray, vectors: np.ndarray) -> None:
        """Applies logged changes that may already be in these vectors (a file saved just before a
        crash): applying them twice is harmless. `vectors` are the added ids' rows, in order."""
        if self._graph:
            present = set(self.ids().tolist()) - self._tombstones
            self.remove(removed)
            keep = [i for i, vector_id in enumerate(added.tolist()) if vector_id not in present]
            if keep:
                self.add(added[keep], vectors[keep])
        else:
            self.remove(np.concatenate([removed, added]))
            self.add(added, vectors)

    def search(self, vector: np.ndarray, k: int, only: IdSet | None = None) -> list[tuple[int, float]]:
        """The k nearest (id, score) pairs, among the ids in `only` when given."""
        without = None
        if self._tombstones:
            tombstones = np.fromiter(self._tombstones, dtype=np.int64, count=len(self._tombstones))
            if only is None:
                without = tombstones
            else:
                only = only.without(tombstones)
        if self.size == 0 or (only is not None and len(only) == 0):
            return []
        _search_on_one_thread()
        if self._graph and only is not None and len(only) <= EXACT_SUBSET:
            return self._exact_among(vector, k, only.ids)
        # The selector filters inside the search, so a filter never leaves a short top k.
        selector = _Selector(only, without)
        params = self._search_parameters(selector.selector)
        scores, ids = self._index.search(_as_matrix(vector.reshape(1, -1)), min(k, self._index.ntotal), params=params)
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0]) if i != -1]

    def vectors_of(self, ids: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
        """(ids, vectors) of those of these ids held and not removed."""
        held = np.asarray([i for i in ids if int(i) not in self._tombstones], dtype=np.int64)
        try:
            return held, self._index.reconstruct_batch(held).reshape(len(held), self.dimension)
        except RuntimeError:  # an id not held: look them up one by one
            found = [(int(i), v) for i, v in ((i, self._reconstruct(i)) for i in held) if v is not None]
            return (np.array([i for i, _ in found], dtype=np.int64),
                    np.array([v for _, v in found], dtype=np.float32).reshape(len(found), self.dimension))

    def _reconstruct(self, vector_id: int) -> np.ndarray | None:
        try:
            return self._index.reconstruct(int(vector_id))
        except RuntimeError:
            return None

    def save(self, path: Path) -> None:
        replace_atomically(path, lambda tmp: faiss.write_index(self._index, str(tmp)))

    def _exact_among(self, vector: np.ndarray, k: int, ids: np.ndarray) -> list[tuple[int, float]]:
        matrix = self._index.reconstruct_batch(np.asarray(ids, dtype=np.int64))
        scores = matrix @ vector.astype(np.float32)
        best = np.argsort(-scores)[:k]
        return [(int(ids[i]), float(scores[i])) for i in best]

    def _search_parameters(self, selector: faiss.IDSelector | None) -> faiss.SearchParameters | None:
        if self._graph:
            return faiss.SearchParametersHNSW(sel=selector, efSearch=self._ef_search) if selector else \
                faiss.SearchParametersHNSW(efSearch=self._ef_search)
        return faiss.SearchParameters(sel=selector) if selector is not None else None


class _Selector:
    """A FAISS id selector with the bitmap it reads, which must live as long as the search."""

    def __init__(self, only: IdSet | None, without: np.ndarray | None) -> None:
        self.bits = None
        self.selector = None
        if only is not None:
            # A bitmap over ids is read in constant time; a batch selector builds a hash set per
            # search, several times slower for a filter that allows most chunks.
            self.bits = only.bits
            self.selector = faiss.IDSelectorBitmap(len(self.bits), faiss.swig_ptr(self.bits))
        elif without is not None and len(without):
            self.selector = faiss.IDSelectorNot(faiss.IDSelectorBatch(without))


def _as_matrix(vectors: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(vectors, dtype=np.float32)
