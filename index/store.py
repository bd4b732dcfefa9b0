"""An index directory: the SQLite database (the truth), the FAISS vectors and the manifest.

Write order makes crashes harmless: a batch is committed to SQLite first (bumping its
generation), then FAISS is updated in memory; the FAISS file and then the manifest are saved
atomically when a write session ends. On open, a FAISS file whose manifest does not match the
database's generation and row count is not trusted: the vectors are rebuilt from the database.
"""

import base64
import binascii
import json
import logging
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from index.database import DATABASE_FILE, Database
from index.errors import IncompatibleStore, InvalidCursor, StoreLocked, StoreNotFound
from index.lock import writer_lock
from index.manifest import FORMAT_VERSION, MANIFEST_FILE, Manifest, read_manifest, write_manifest
from index.records import ArticlePage, ArticleRecord, ChunkFilter, ChunkRecord, ChunkView, StoredArticle, StoreStats
from index.vectors import VectorIndex

VECTORS_FILE = "vectors.faiss"

log = logging.getLogger(__name__)


class IndexStore:
    def __init__(self, directory: Path, database: Database, model: str, dimension: int, faiss_index: str) -> None:
        self._directory = directory
        self._db = database
        self._model = model
        self._dimension = dimension
        self._faiss_index = faiss_index
        # Held across a search and across a write, so a reader never sees half of a batch.
        self._state = threading.RLock()
        self._writer = threading.Lock()
        self._writing = False
        self._manifest_stamp: int | None = None
        self._load()

    @classmethod
    def open(cls, directory: Path, *, model: str, dimension: int, faiss_index: str, create: bool) -> "IndexStore":
        if not (directory / DATABASE_FILE).exists():
            if not create:
                raise StoreNotFound(f"no index at {directory}")
            try:
                directory.mkdir(parents=True, exist_ok=True)
            except OSError as error:
                raise IncompatibleStore(f"cannot make an index directory at {directory}: {error.strerror}") from None
        try:
            database = Database(directory / DATABASE_FILE)
        except (sqlite3.Error, OSError) as error:
            raise IncompatibleStore(f"cannot open the index database in {directory}: {error}") from None
        try:
            _check_or_initialize(database, directory, model, dimension)
            store = cls(directory, database, model, dimension, faiss_index)
        except sqlite3.DatabaseError as error:
            database.close()
            raise IncompatibleStore(f"{directory / DATABASE_FILE} is not an index database: {error}") from None
        except BaseException:
            database.close()
            raise
        store._persist_after_repair()
        return store

    @property
    def directory(self) -> Path:
        return self._directory

    def close(self) -> None:
        self._db.close()

    @contextmanager
    def writing(self) -> Iterator[None]:
        """A write session: one writer per directory across processes; saves vectors and manifest at the end."""
        with self._writer, writer_lock(self._directory):
            self._catch_up()
            self._writing = True
            try:
                yield
            finally:
                self._writing = False
                self._save()

    def put(self, items: Sequence[tuple[ArticleRecord, Sequence[ChunkRecord]]]) -> None:
        """Stores the articles with their chunks in one transaction, replacing earlier versions."""
        self._require_writing()
        ids = [article.id for article, _ in items]
        if len(set(ids)) != len(ids):
            raise ValueError("one batch must not hold the same article twice")
        removed: list[int] = []
        added: list[int] = []
        with self._state:
            with self._db.transaction():
                for article, chunks in items:
                    old_ids, new_ids = self._db.replace_article(article, chunks)
                    removed += old_ids
                    added += new_ids
                generation = self._db.bump_generation()
            vectors = [c.vector for _, chunks in items for c in chunks]
            self._apply(removed, added, vectors, generation)

    def delete(self, article_id: str) -> bool:
        self._require_writing()
        with self._state:
            with self._db.transaction():
                removed = self._db.delete_article(article_id)
                generation = self._db.bump_generation() if removed is not None else None
            if generation is None:
                return False
            self._apply(removed, [], [], generation)
            return True

    def search(self, vector: np.ndarray, k: int, chunk_filter: ChunkFilter | None = None) -> list[tuple[ChunkView, float]]:
        """The k chunks nearest to `vector` that pass the filter, with their cosine scores, best first."""
        with self._state:
            self._follow_other_writers()
            only, without = self._selection(chunk_filter or ChunkFilter())
            hits = self._vectors.search(vector, k, only=only, without=without)
            views = self._db.chunk_views([row_id for row_id, _ in hits])
        scores = dict(hits)
        return [(view, scores[view.row_id]) for view in views]

    def list_articles(self, limit: int, cursor: str | None) -> ArticlePage:
        rows = self._db.newest_articles(limit + 1, _decode_cursor(cursor) if cursor else None)
        more = len(rows) > limit
        rows = rows[:limit]
        next_cursor = _encode_cursor(rows[-1][0], rows[-1][1].id) if more else None
        return ArticlePage([article for _, article in rows], self._db.counts()[0], next_cursor)

    def article(self, article_id: str) -> StoredArticle | None:
        return self._db.article(article_id)

    def content_hashes(self, article_ids: Sequence[str]) -> dict[str, str]:
        return self._db.content_hashes(article_ids)

    def known_vectors(self, embed_hashes: Sequence[str]) -> dict[str, np.ndarray]:
        """Vectors already stored for these embedded texts, so unchanged text is never embedded twice."""
        return self._db.vectors_by_embed_hash(embed_hashes)

    def stats(self) -> StoreStats:
        with self._state:
            articles, chunks = self._db.counts()
            return StoreStats(articles, chunks, self._vectors.size, self._generation)

    def _selection(self, chunk_filter: ChunkFilter) -> tuple[np.ndarray | None, np.ndarray | None]:
        """(ids the search is limited to, ids it must skip); the smaller set the filter allows."""
        if chunk_filter.restricts:
            return self._db.chunk_ids_matching(chunk_filter), None
        if chunk_filter.not_after is not None:
            return None, self._db.chunk_ids_published_after(chunk_filter.not_after)
        return None, None

    def _follow_other_writers(self) -> None:
        """Another process that finished a write session left a newer manifest: move to its state."""
        try:
            stamp = (self._directory / MANIFEST_FILE).stat().st_mtime_ns
        except FileNotFoundError:
            return
        if stamp == self._manifest_stamp or self._writing:
            return
        self._manifest_stamp = stamp
        manifest = read_manifest(self._directory)
        if manifest is not None and manifest.generation != self._generation:
            log.info("index %s was changed by another process; loading generation %d", self._directory, manifest.generation)
            self._load()

    def _require_writing(self) -> None:
        if not self._writing:
            raise RuntimeError("writes must happen inside IndexStore.writing()")

    def _apply(self, removed: list[int], added: list[int], vectors: list[np.ndarray], generation: int) -> None:
        try:
            self._vectors.remove(np.array(removed, dtype=np.int64))
            if added:
                self._vectors.add(np.array(added, dtype=np.int64), np.vstack(vectors))
        except RuntimeError:
            # Index types such as HNSW cannot remove vectors: rebuild them from the database.
            self._vectors, generation = self._rebuild()
        self._generation = generation

    def _catch_up(self) -> None:
        """Another process may have written since we loaded: start from its saved state."""
        if self._db.generation() != self._generation:
            with self._state:
                self._load()

    def _load(self) -> None:
        """Loads the saved vectors if the manifest vouches for them, else rebuilds them from the database."""
        manifest = read_manifest(self._directory)
        path = self._directory / VECTORS_FILE
        with self._db.snapshot():
            self._generation = self._db.generation()
            _, chunks = self._db.counts()
            if _trustworthy(manifest, self._generation, chunks, self._faiss_index) and path.exists():
                vectors = _load_if_readable(path)
                if vectors is not None and vectors.size == chunks and vectors.dimension == self._dimension:
                    self._vectors, self._saved_generation = vectors, self._generation
                    return
            if chunks or manifest is not None:
                log.warning("vectors in %s do not match the database; rebuilding them from it", self._directory)
            self._vectors, self._saved_generation = self._rebuild_in_snapshot(), -1

    def _rebuild(self) -> tuple[VectorIndex, int]:
        with self._db.snapshot():
            return self._rebuild_in_snapshot(), self._db.generation()

    def _rebuild_in_snapshot(self) -> VectorIndex:
        vectors = VectorIndex.empty(self._dimension, self._faiss_index)
        for ids, matrix in self._db.iter_vectors():
            vectors.add(ids, matrix)
        return vectors

    def _persist_after_repair(self) -> None:
        """Save rebuilt vectors now, unless another process is writing (it will save them itself)."""
        if self._saved_generation == self._generation:
            return
        try:
            with self.writing():
                pass
        except StoreLocked:
            log.info("index %s is being written by another process; not saving the rebuilt vectors", self._directory)

    def _save(self) -> None:
        with self._state:
            if self._saved_generation == self._generation:
                return
            self._vectors.save(self._directory / VECTORS_FILE)
            articles, chunks = self._db.counts()
            write_manifest(
                self._directory,
                Manifest(
                    model=self._model, dimension=self._dimension, faiss_index=self._faiss_index,
                    generation=self._generation, articles=articles, chunks=chunks, vectors=self._vectors.size,
                ),
            )
            self._saved_generation = self._generation
            self._manifest_stamp = (self._directory / MANIFEST_FILE).stat().st_mtime_ns


def _load_if_readable(path: Path) -> VectorIndex | None:
    try:
        return VectorIndex.load(path)
    except RuntimeError:
        log.warning("%s cannot be read", path)
        return None


def _trustworthy(manifest: Manifest | None, generation: int, chunks: int, faiss_index: str) -> bool:
    return (
        manifest is not None
        and manifest.generation == generation
        and manifest.chunks == chunks
        and manifest.vectors == chunks
        and manifest.faiss_index == faiss_index
    )


def _check_or_initialize(database: Database, directory: Path, model: str, dimension: int) -> None:
    meta = database.meta()
    if not meta:
        database.initialize({"model": model, "dimension": str(dimension), "format_version": str(FORMAT_VERSION)})
        # Another process may have initialized it first, for another model: read back what holds.
        meta = database.meta()
    if meta.get("format_version") != str(FORMAT_VERSION):
        raise IncompatibleStore(
            f"the index at {directory} has format version {meta.get('format_version')}; this version reads "
            f"{FORMAT_VERSION}: ingest the articles again into a new index directory"
        )
    _check_model(directory, meta["model"], int(meta["dimension"]), model, dimension)
    manifest = read_manifest(directory)
    if manifest is not None:
        _check_model(directory, manifest.model, manifest.dimension, model, dimension)


def _check_model(directory: Path, stored_model: str, stored_dimension: int, model: str, dimension: int) -> None:
    if (stored_model, stored_dimension) != (model, dimension):
        raise IncompatibleStore(
            f"the index at {directory} was built with model {stored_model!r} ({stored_dimension} dimensions), "
            f"but the configured model is {model!r} ({dimension} dimensions); use that model, or another "
            f"index directory for this one"
        )


def _encode_cursor(sort_key: int, article_id: str) -> str:
    return base64.urlsafe_b64encode(json.dumps([sort_key, article_id]).encode("utf-8")).decode("ascii")


def _decode_cursor(cursor: str) -> tuple[int, str]:
    try:
        sort_key, article_id = json.loads(base64.urlsafe_b64decode(cursor.encode("ascii")))
        if isinstance(sort_key, int) and isinstance(article_id, str):
            return sort_key, article_id
    except (ValueError, TypeError, binascii.Error, UnicodeError):
        pass
    raise InvalidCursor(f"cursor {cursor[:80]!r} is not one this listing returned")
