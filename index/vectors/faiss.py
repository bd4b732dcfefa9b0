"""The vectors in FAISS, in this process, saved in the index folder: the embedded default.

Each process holds its own copy and follows every generation it reads, replaying the database's
change log (or rebuilding from the database when the log does not reach back far enough). The
writer saves the vectors and then the manifest when a write session ends; on opening, a saved file
is trusted only when the manifest vouches for it, and is caught up from the change log.
"""

import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from index.files.manifest import Manifest, read_manifest, write_manifest
from index.ports import Database
from index.records import ChunkFilter, IdSet
from index.vectors.faiss_index import VectorIndex

VECTORS_FILE = "vectors.faiss"
GRAPH_INDEX = "HNSW32"
# A graph index is rebuilt once this share of its vectors are tombstones.
MAX_TOMBSTONES = 0.1

log = logging.getLogger(__name__)


class FaissVectors:
    remote = False
    full_text = False

    def __init__(self, directory: Path, database: Database, model: str, dimension: int, faiss_index: str,
                 graph_threshold: int = 50_000, ef_search: int = 64) -> None:
        """`faiss_index` is a FAISS factory string, or "auto": exact search below `graph_threshold`
        vectors, an HNSW graph (searched with `ef_search`) above."""
        self._directory = directory
        self._db = database
        self._model = model
        self._dimension = dimension
        self._faiss_index = faiss_index
        self._graph_threshold = graph_threshold
        self._ef_search = ef_search
        self._built_with = self._factory_for(0, None)
        self._index = VectorIndex.empty(dimension, self._built_with, ef_search)
        self._generation = 0
        self._saved_generation = -1
        self._load()

    def generation(self) -> int:
        return self._generation

    def follow(self, generation: int) -> None:
        if generation <= self._generation:
            return
        changes = self._db.changes_since(self._generation)
        if changes is None:
            log.info("index %s is more than the change log behind; rebuilding the vectors", self._directory)
            self._rebuild()
            return
        removed, added = changes
        present, vectors = self._db.vectors_of(added)
        # Replayed changes may already be in a file saved just before a crash: replaying is harmless.
        self._index.replay(removed, present, vectors)
        self._moved_to(generation)

    def lagging(self, generation: int) -> bool:
        return False  # follow() brings this process's vectors to the generation itself

    def catch_up(self) -> None:
        with self._db.snapshot():
            self.follow(self._db.generation())

    def apply(self, removed: np.ndarray, added: np.ndarray, vectors: np.ndarray, generation: int) -> None:
        self._index.remove(removed)
        if len(added):
            self._index.add(added, vectors)
        self._moved_to(generation)

    def search(self, vector: np.ndarray, k: int, allowed: IdSet | None, chunk_filter: ChunkFilter) -> list[tuple[int, float]]:
        return self._index.search(vector, k, only=allowed)

    def lexical(self, terms: Sequence[str], k: int, chunk_filter: ChunkFilter) -> None:
        return None  # BM25 is the catalog's

    def lexical_articles(self, terms: Sequence[str], k: int, chunk_filter: ChunkFilter) -> None:
        return None

    def vectors_of(self, ids: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
        return self._index.vectors_of(ids)

    def count(self) -> int:
        return self._index.size

    def unsaved(self) -> bool:
        return self._saved_generation != self._generation

    def save(self) -> None:
        """Writes the vectors and then the manifest, which vouches for them; searches go on meanwhile."""
        if not self.unsaved():
            return
        self._index.save(self._directory / VECTORS_FILE)
        with self._db.snapshot():
            articles, chunks = self._db.counts()
        write_manifest(self._directory, Manifest(
            model=self._model, dimension=self._dimension, faiss_index=self._built_with,
            generation=self._generation, articles=articles, chunks=chunks, vectors=self._index.stored,
        ))
        self._saved_generation = self._generation

    def close(self) -> None:
        pass

    def _moved_to(self, generation: int) -> None:
        self._generation = generation
        expected = self._factory_for(self._index.size, self._built_with)
        if expected != self._built_with or self._index.wasted_share > MAX_TOMBSTONES:
            log.info("rebuilding the vectors of %s as %s", self._directory, expected)
            self._rebuild()

    def _load(self) -> None:
        """Starts from the saved vectors when they can be trusted, replaying newer changes; else rebuilds."""
        manifest = read_manifest(self._directory)
        path = self._directory / VECTORS_FILE
        with self._db.snapshot():
            generation = self._db.generation()
            _, chunks = self._db.counts()
            expected = self._factory_for(chunks, manifest.faiss_index if manifest else None)
            saved = _load_if_readable(path, self._ef_search) if _describes(manifest, expected) and path.exists() else None
            if saved is not None and saved.stored == manifest.vectors and saved.dimension == self._dimension:
                self._index, self._generation, self._built_with = saved, manifest.generation, expected
                self.follow(generation)
                # A graph index keeps removed vectors until rebuilt; the file does not say which.
                self._index.remove(np.setdiff1d(self._index.ids(), self._db.all_chunk_ids()))
                if self._index.size == chunks and self._generation == generation:
                    self._saved_generation = manifest.generation
                    return
            if chunks or manifest is not None:
                log.warning("vectors in %s do not match the database; rebuilding them from it", self._directory)
            self._rebuild()
            self._saved_generation = -1

    def _rebuild(self) -> None:
        """New vectors from the database's, of the type its size calls for."""
        with self._db.snapshot():
            _, chunks = self._db.counts()
            factory = self._factory_for(chunks, None)
            index = VectorIndex.empty(self._dimension, factory, self._ef_search)
            for ids, matrix in self._db.iter_vectors():
                index.add(ids, matrix)
            self._index, self._generation, self._built_with = index, self._db.generation(), factory

    def _factory_for(self, count: int, current: str | None) -> str:
        """The configured index type; for "auto", exact below the threshold and a graph above, keeping
        a graph until the index shrinks to half the threshold so it does not flip back and forth."""
        if self._faiss_index != "auto":
            return self._faiss_index
        if current == GRAPH_INDEX and count >= self._graph_threshold // 2:
            return GRAPH_INDEX
        return GRAPH_INDEX if count >= self._graph_threshold else "Flat"


def _load_if_readable(path: Path, ef_search: int) -> VectorIndex | None:
    try:
        return VectorIndex.load(path, ef_search)
    except RuntimeError:
        log.warning("%s cannot be read", path)
        return None


def _describes(manifest: Manifest | None, faiss_index: str) -> bool:
    """Whether a manifest vouches for a vectors file of the index type wanted now."""
    return manifest is not None and manifest.faiss_index == faiss_index
