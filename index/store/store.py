"""An index directory: the SQLite database (the truth), the FAISS vectors, the catalog (what searches
need of every chunk, BM25 included: index.catalog.catalog) and the manifest.

Write order makes crashes harmless: a batch is committed to SQLite first (bumping its generation
and logging the chunk ids it removed and added), then FAISS and the catalog are updated in memory;
the FAISS file, the catalog file and then the manifest are saved atomically when a write session
ends (the catalog only once enough has changed: it is caught up from the change log on opening). Whoever holds vectors of an
older generation (this process after another one wrote, or a file older than the database) replays
the change log up to the database's generation, or rebuilds from the database when the log does not
reach back far enough. A search reads the database in one snapshot and uses vectors and catalog of
exactly that snapshot's generation, so it sees each committed batch whole or not at all.
"""

import logging
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from index.catalog.catalog import Catalog, CatalogArticle
from index.catalog.keeper import CatalogKeeper
from index.store.cursor import article_page
from index.sql.sqlite import DATABASE_FILE, Database
from index.errors import IncompatibleStore, StoreLocked, StoreNotFound
from index.files.checks import check_or_initialize, describes, load_if_readable
from index.files.manifest import Manifest, read_manifest, write_manifest
from index.records import (
    ArticlePage, ArticleRecord, ChunkFilter, ChunkRecord, ChunkRef, ChunkView, SearchHits, SpeechRecord, Statement, StoredArticle,
    StoreStats, StoryCandidate,
)
from index.rwlock import ReadWriteLock
from index.vectors.faiss import VectorIndex
from index.catalog.terms import terms as analyzed

VECTORS_FILE = "vectors.faiss"
GRAPH_INDEX = "HNSW32"
# A graph index is rebuilt once this share of its vectors are tombstones.
MAX_TOMBSTONES = 0.1
# Generations of change log kept after a save; a reader further behind rebuilds from the database.
KEPT_GENERATIONS = 1000
OPTIMISTIC_SEARCHES = 5

log = logging.getLogger(__name__)


def commit_batch(database, items: Sequence[tuple[ArticleRecord, Sequence[ChunkRecord]]]) -> tuple[list[int], list[int], int]:
    """Stores the articles with their chunks in one transaction, as a new generation with its change
    log; returns (removed chunk ids, added chunk ids, generation)."""
    ids = [article.id for article, _ in items]
    if len(set(ids)) != len(ids):
        raise ValueError("one batch must not hold the same article twice")
    removed: list[int] = []
    added: list[int] = []
    with database.transaction():
        for article, chunks in items:
            old_ids, new_ids = database.replace_article(article, chunks)
            removed += old_ids
            added += new_ids
        generation = database.bump_generation()
        database.log_changes(generation, removed, added)
    return removed, added, generation


def commit_delete(database, article_id: str) -> tuple[list[int] | None, int]:
    """Removes the article in one transaction; (its chunk ids, the new generation), or (None, 0) if absent."""
    with database.transaction():
        removed = database.delete_article(article_id)
        if removed is None:
            return None, 0
        generation = database.bump_generation()
        database.log_changes(generation, removed, [])
    return removed, generation


def _catalog_articles(items: Sequence[tuple[ArticleRecord, Sequence[ChunkRecord]]], added: Sequence[int]) -> list[CatalogArticle]:
    """Catalog entries for a batch just committed; `added` are its new chunk ids, in the batch's order."""
    entries, ids = [], iter(added)
    for article, chunks in items:
        spans = tuple((next(ids), c.start, c.end) for c in chunks)
        cluster_id = article.story.cluster_id if article.story else None
        entries.append(CatalogArticle(article.id, article.title, article.url, article.text, article.source,
                                      article.published_ts, cluster_id, spans))
    return entries


def lexical_hits(
    catalog: Catalog, terms: Sequence[str], k: int, chunks: np.ndarray, articles: np.ndarray, title_weight: float
) -> tuple[list[tuple[int, float]], list[str]]:
    """The k best chunks and the k best whole articles by BM25 for the query's terms, within the filter."""
    words = list(dict.fromkeys(analyzed(" ".join(terms))))
    if not words:
        return [], []
    return catalog.best_chunks(words, k, chunks, title_weight), catalog.best_articles(words, k, articles, title_weight)


def lead_cosines(refs: list[ChunkRef], ids: np.ndarray, vectors: np.ndarray, vector: np.ndarray) -> list[tuple[ChunkRef, float]]:
    if not len(ids):
        return []
    cosines = dict(zip(ids.tolist(), (np.asarray(vectors, dtype=np.float32).reshape(len(ids), -1) @ vector).tolist()))
    return [(ref, cosines[ref.row_id]) for ref in refs if ref.row_id in cosines]


def search_hits(vectors_of, catalog: Catalog, vector: np.ndarray, nearest: list[tuple[int, float]],
                lexical: list[tuple[int, float]], articles: list[str]) -> SearchHits:
    """The chunks found, as the catalog knows them, with every one's cosine to the query vector;
    `vectors_of(ids)` gives (ids, vectors) of the chunks found by words only."""
    cosines = dict(nearest)
    missing = [i for i, _ in lexical if i not in cosines]
    if missing:
        ids, vectors = vectors_of(missing)
        cosines.update(zip(ids.tolist(), (np.asarray(vectors, dtype=np.float32) @ vector).tolist()))
    return SearchHits(
        dense=catalog.refs([i for i, _ in nearest]),
        lexical=catalog.refs([i for i, _ in lexical if i in cosines]),
        cosines=cosines,
        articles=articles,
    )


def _sqlite(directory: Path, create: bool) -> Database:
    if not (directory / DATABASE_FILE).exists():
        if not create:
            raise StoreNotFound(f"no index at {directory}")
        _make_folder(directory)
    try:
        return Database(directory / DATABASE_FILE)
    except (sqlite3.Error, OSError) as error:
        raise IncompatibleStore(f"cannot open the index database in {directory}: {error}") from None


def _postgres(url: str, directory: Path):
    from index.sql.postgres import open_postgres

    _make_folder(directory)
    return open_postgres(url)


def _make_folder(directory: Path) -> None:
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise IncompatibleStore(f"cannot make an index directory at {directory}: {error.strerror}") from None


class IndexStore:
    def __init__(
        self, directory: Path, database: Database, model: str, dimension: int, faiss_index: str,
        graph_threshold: int = 50_000, ef_search: int = 64,
    ) -> None:
        self._directory = directory
        self._db = database
        self._model = model
        self._dimension = dimension
        self._faiss_index = faiss_index
        self._graph_threshold = graph_threshold
        self._ef_search = ef_search
        # Searches share the vectors; writes and catching up take them alone.
        self._lock = ReadWriteLock()
        self._writer = threading.Lock()
        self._writing = False
        # How long a write session waits for another process's to end (the API's processes take turns).
        self.write_wait = 0.0
        self._built_with = self._factory_for(0, None)
        self._vectors = VectorIndex.empty(dimension, self._built_with, ef_search)
        self._generation = 0
        self._saved_generation = -1
        self._catalogs = CatalogKeeper(directory, database)
        self._load()

    @classmethod
    def open(
        cls, directory: Path, *, model: str, dimension: int, faiss_index: str, create: bool,
        graph_threshold: int = 50_000, ef_search: int = 64, database_url: str | None = None, write_wait: float = 0.0,
    ) -> "IndexStore":
        """`faiss_index` is a FAISS factory string, or "auto": exact search below `graph_threshold`
        vectors, an HNSW graph (searched with `ef_search`) above. With `database_url` the articles
        live in PostgreSQL, shared by replicas, and `directory` holds only this replica's vectors."""
        database = _postgres(database_url, directory) if database_url else _sqlite(directory, create)
        try:
            check_or_initialize(database, directory, model, dimension)
            store = cls(directory, database, model, dimension, faiss_index, graph_threshold, ef_search)
        except sqlite3.DatabaseError as error:
            database.close()
            raise IncompatibleStore(f"{directory / DATABASE_FILE} is not an index database: {error}") from None
        except BaseException:
            database.close()
            raise
        store._persist_after_repair()  # without waiting: a writer at work saves them itself
        store.write_wait = write_wait
        return store

    @property
    def directory(self) -> Path:
        return self._directory

    def close(self) -> None:
        self._db.close()

    def release_thread(self) -> None:
        """Frees what this thread holds of the store (its database connection) before it ends."""
        self._db.release_thread()

    @contextmanager
    def writing(self) -> Iterator[None]:
        """A write session: one writer per directory across processes; saves vectors and manifest at the end."""
        with self._writer, self._db.writer_lock(self.write_wait):
            with self._lock.writing(), self._db.snapshot():
                self._move_to(self._db.generation())
            self._writing = True
            try:
                yield
            finally:
                self._writing = False
                self._save()

    def put(self, items: Sequence[tuple[ArticleRecord, Sequence[ChunkRecord]]]) -> None:
        """Stores the articles with their chunks in one transaction, replacing earlier versions."""
        self._require_writing()
        vectors = [c.vector for _, chunks in items for c in chunks]
        with self._lock.writing():
            removed, added, generation = commit_batch(self._db, items)
            self._apply(np.array(removed, dtype=np.int64), np.array(added, dtype=np.int64), vectors, generation,
                        replay=False, articles=_catalog_articles(items, added))

    def delete(self, article_id: str) -> bool:
        self._require_writing()
        with self._lock.writing():
            removed, generation = commit_delete(self._db, article_id)
            if removed is None:
                return False
            self._apply(np.array(removed, dtype=np.int64), np.array([], dtype=np.int64), [], generation, replay=False)
            return True

    def search(
        self, vector: np.ndarray, k: int, chunk_filter: ChunkFilter | None = None, terms: Sequence[str] = (),
        dense: bool = True, title_weight: float = 1.0,
    ) -> SearchHits:
        """Up to k chunks nearest to `vector` (unless not `dense`), k best for `terms` by BM25 (the title
        counting `title_weight` times the body) and k whole articles by BM25, within the filter; with
        every chunk's cosine."""
        chunk_filter = chunk_filter or ChunkFilter()
        for _ in range(OPTIMISTIC_SEARCHES):
            with self._db.snapshot():
                generation = self._db.generation()
                if generation > self._generation:
                    with self._lock.writing():
                        self._move_to(generation)
                with self._lock.reading():
                    if self._generation == generation:
                        return self._search_snapshot(vector, k, chunk_filter, terms, dense, title_weight)
            # Another thread moved the vectors past this snapshot: take a newer one.
        with self._lock.writing(), self._db.snapshot():
            self._move_to(self._db.generation())
            return self._search_snapshot(vector, k, chunk_filter, terms, dense, title_weight)

    def list_articles(self, limit: int, cursor: str | None) -> ArticlePage:
        return article_page(self._db, limit, cursor)

    def chunk_counts(self, article_ids: Sequence[str]) -> dict[str, int]:
        """How many chunks each of these articles has, for those still held."""
        with self._lock.reading():
            return self._catalogs.catalog.chunk_counts(article_ids)

    def leads(self, article_ids: Sequence[str], vector: np.ndarray) -> list[tuple[ChunkRef, float]]:
        """Each article's first chunk (its lead) with its cosine to `vector`, for those still held."""
        with self._lock.reading():
            refs = self._catalogs.catalog.leads(article_ids)
            ids, vectors = self._vectors.vectors_of([r.row_id for r in refs])
        return lead_cosines(refs, ids, vectors, vector)

    def chunk_views(self, row_ids: Sequence[int]) -> list[ChunkView]:
        """The chunks with these ids with their text and their article's fields, in the given order;
        chunks no longer stored (their article was replaced or deleted since) are left out."""
        return self._db.chunk_views(row_ids)

    def article(self, article_id: str) -> StoredArticle | None:
        return self._db.article(article_id)

    def article_texts(self, article_ids: Sequence[str]) -> dict[str, str]:
        """The text of each of these articles that is stored."""
        return self._db.article_texts(article_ids)

    def content_hashes(self, article_ids: Sequence[str]) -> dict[str, str]:
        return self._db.content_hashes(article_ids)

    def known_vectors(self, embed_hashes: Sequence[str]) -> dict[str, np.ndarray]:
        """Vectors already stored for these embedded texts, so unchanged text is never embedded twice."""
        return self._db.vectors_by_embed_hash(embed_hashes)

    def stats(self) -> StoreStats:
        with self._db.snapshot():
            generation = self._db.generation()
            if generation > self._generation:  # another process wrote: count the vectors it added
                with self._lock.writing():
                    self._move_to(generation)
            with self._lock.reading():
                articles, chunks = self._db.counts()
                return StoreStats(articles, chunks, self._vectors.size, self._generation)

    def story_candidates(self, band_keys: Sequence[int]) -> list[StoryCandidate]:
        return self._db.story_candidates(band_keys)

    def speech(self, article_ids: Sequence[str]) -> dict[str, list[SpeechRecord]]:
        return self._db.speech(article_ids)

    def statements(self, speaker_key: str, chunk_filter: ChunkFilter, limit: int = 5000) -> list[Statement]:
        """What the speaker with this key (index.speakers) says in the articles the filter lets through,
        newest first (undated last); at most `limit`."""
        return self._db.statements(speaker_key, chunk_filter, limit)

    def _search_snapshot(
        self, vector: np.ndarray, k: int, chunk_filter: ChunkFilter, terms: Sequence[str], dense: bool,
        title_weight: float,
    ) -> SearchHits:
        catalog = self._catalogs.catalog
        allowed = catalog.allowed(chunk_filter)
        nearest = self._vectors.search(vector, k, only=allowed.ids) if dense else []
        lexical, best_articles = lexical_hits(catalog, terms, k, allowed.chunks, allowed.articles, title_weight)
        return search_hits(self._vectors.vectors_of, catalog, vector, nearest, lexical, best_articles)

    def _require_writing(self) -> None:
        if not self._writing:
            raise RuntimeError("writes must happen inside IndexStore.writing()")

    def _apply(
        self, removed: np.ndarray, added: np.ndarray, vectors: list[np.ndarray], generation: int, replay: bool = True,
        articles: Sequence[CatalogArticle] | None = None,
    ) -> None:
        """Brings vectors and catalog to `generation`; called holding the write lock. Replayed changes
        may already be in a file saved just before a crash, and are applied so that this is harmless."""
        if replay:
            self._vectors.replay(removed, added, vectors)
        else:
            self._vectors.remove(removed)
            if len(added):
                self._vectors.add(added, np.vstack(vectors))
        self._catalogs.update(removed.tolist(), added.tolist(), generation, articles)
        self._generation = generation
        expected = self._factory_for(self._vectors.size, self._built_with)
        if expected != self._built_with or self._vectors.wasted_share > MAX_TOMBSTONES:
            log.info("rebuilding the vectors of %s as %s", self._directory, expected)
            self._rebuild()

    def _move_to(self, generation: int) -> None:
        """Catches the vectors up to `generation`, the current snapshot's; holds the write lock."""
        if generation <= self._generation:
            return
        changes = self._db.changes_since(self._generation)
        if changes is None:
            log.info("index %s is more than the change log behind; rebuilding the vectors", self._directory)
            self._rebuild()
            self._catalogs.rebuild()
            return
        removed, added = changes
        present, vectors = self._db.vectors_of(added)
        self._apply(removed, present, vectors, generation)

    def _load(self) -> None:
        """Starts from the saved vectors when they can be trusted, replaying newer changes; else rebuilds."""
        manifest = read_manifest(self._directory)
        path = self._directory / VECTORS_FILE
        with self._lock.writing(), self._db.snapshot():
            generation = self._db.generation()
            _, chunks = self._db.counts()
            self._catalogs.load()
            expected = self._factory_for(chunks, manifest.faiss_index if manifest else None)
            saved = load_if_readable(path, self._ef_search) if describes(manifest, expected) and path.exists() else None
            if saved is not None and saved.stored == manifest.vectors and saved.dimension == self._dimension:
                self._vectors, self._generation, self._built_with = saved, manifest.generation, expected
                self._move_to(generation)
                # A graph index keeps removed vectors until rebuilt; the file does not say which.
                self._vectors.remove(np.setdiff1d(self._vectors.ids(), self._db.all_chunk_ids()))
                if self._vectors.size == chunks and self._generation == generation:
                    self._saved_generation = manifest.generation
                    return
            if chunks or manifest is not None:
                log.warning("vectors in %s do not match the database; rebuilding them from it", self._directory)
            self._rebuild()
            self._saved_generation = -1

    def _rebuild(self) -> None:
        """New vectors from the database's, of the type its size calls for; holds the write lock."""
        with self._db.snapshot():
            _, chunks = self._db.counts()
            factory = self._factory_for(chunks, None)
            vectors = VectorIndex.empty(self._dimension, factory, self._ef_search)
            for ids, matrix in self._db.iter_vectors():
                vectors.add(ids, matrix)
            self._vectors, self._generation, self._built_with = vectors, self._db.generation(), factory

    def _factory_for(self, count: int, current: str | None) -> str:
        """The configured index type; for "auto", exact below the threshold and a graph above, keeping
        a graph until the index shrinks to half the threshold so it does not flip back and forth."""
        if self._faiss_index != "auto":
            return self._faiss_index
        if current == GRAPH_INDEX and count >= self._graph_threshold // 2:
            return GRAPH_INDEX
        return GRAPH_INDEX if count >= self._graph_threshold else "Flat"

    def _persist_after_repair(self) -> None:
        """Save vectors that were rebuilt or caught up, unless another process is writing (it will save)."""
        if self._saved_generation == self._generation and not self._catalogs.save_due:
            return
        try:
            with self.writing():
                pass
        except StoreLocked:
            log.info("index %s is being written by another process; not saving the rebuilt vectors", self._directory)

    def _save(self) -> None:
        """Writes the vectors, the catalog when enough changed, and then the manifest; called by the
        writer, while searches go on."""
        with self._lock.reading():
            self._catalogs.save_if_due()
            if self._saved_generation == self._generation:
                return
            self._vectors.save(self._directory / VECTORS_FILE)
            with self._db.snapshot():
                articles, chunks = self._db.counts()
            manifest = Manifest(
                model=self._model, dimension=self._dimension, faiss_index=self._built_with,
                generation=self._generation, articles=articles, chunks=chunks, vectors=self._vectors.stored,
            )
            write_manifest(self._directory, manifest)
            self._saved_generation = self._generation
        self._db.forget_changes_before(self._generation - KEPT_GENERATIONS)
