"""The one store: a database (the truth), a vector backend and the catalog (what searches need of
every chunk, BM25 included: index.catalog), kept at one generation of the database (index.ports).

Write order makes crashes harmless: a batch is committed to the database first (bumping its
generation and logging the chunk ids it removed and added), then applied to the vectors and the
catalog. Whoever holds vectors or a catalog of an older generation (this process after another one
wrote, or files older than the database) replays the change log up to the database's generation, or
rebuilds from the database when the log does not reach back far enough. A search reads the database
in one snapshot and uses vectors and catalog of exactly that snapshot's generation, so it sees each
committed batch whole or not at all.
"""

import logging
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from index.catalog.catalog import CatalogArticle
from index.catalog.keeper import CatalogKeeper
from index.errors import StoreLocked
from index.ports import Catalogs, Database, SourceRegistry, VectorBackend
from index.records import (
    ArticlePage, ArticleRecord, ChunkFilter, ChunkRecord, ChunkRef, ChunkView, EntityRecord, SearchHits, SpeechRecord,
    SaidBy, Statement, StoredArticle, StoreStats, StoryCandidate,
)
from index.rwlock import ReadWriteLock
from index.store.cursor import article_page

# Generations of change log kept after a write session; a reader further behind rebuilds from the database.
KEPT_GENERATIONS = 1000
OPTIMISTIC_SEARCHES = 5
# Threads calling remote engines at once, for all searches of this process together: as many as the
# API answers requests at once (anyio's worker threads), each making at most three calls.
CONCURRENT_CALLS = 120

log = logging.getLogger(__name__)


class Store:
    def __init__(self, directory: Path, database: Database, vectors: VectorBackend, write_wait: float = 0.0,
                 catalogs: Catalogs | None = None) -> None:
        """`directory` holds this process's files (the catalog, and FAISS's vectors); `catalogs` is the
        catalog kept in memory there unless given."""
        self._directory = directory
        self._db = database
        self._vectors = vectors
        # Searches share the vectors and the catalog; writes and catching up take them alone.
        self._lock = ReadWriteLock()
        self._writer = threading.Lock()
        self._writing = False
        # How long a write session waits for another process's to end (the API's processes take turns).
        self.write_wait = write_wait
        self._catalogs: Catalogs = catalogs or CatalogKeeper(directory, database)
        # Threads that call a remote engine, made at the first search that needs them.
        self._calls: ThreadPoolExecutor | None = None
        self._calls_made = threading.Lock()
        with self._lock.writing(), self._db.snapshot():
            self._catalogs.load()
            self._generation = self._db.generation()
            self._vectors.follow(self._generation)

    @property
    def directory(self) -> Path:
        return self._directory

    def close(self) -> None:
        if self._calls is not None:
            self._calls.shutdown()
        self._db.close()
        self._vectors.close()

    def release_thread(self) -> None:
        """Frees what this thread holds of the store (its database connection) before it ends."""
        self._db.release_thread()

    def save_after_repair(self) -> None:
        """Saves what opening rebuilt or caught up, unless another process is writing (it will save)."""
        if not (self._vectors.unsaved() or self._catalogs.save_due):
            return
        try:
            with self.writing():
                pass
        except StoreLocked:
            log.info("index %s is being written by another process; leaving the saving to it", self._directory)

    @contextmanager
    def writing(self) -> Iterator[None]:
        """A write session: one writer across processes; saves what should be kept at the end."""
        with self._writer, self._db.writer_lock(self.write_wait):
            with self._lock.writing():
                self._vectors.catch_up()  # outside a snapshot: a shared engine's catching up writes
                with self._db.snapshot():
                    self._follow(self._db.generation())
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
            matrix = np.vstack(vectors) if vectors else np.zeros((0, 0), dtype=np.float32)
            self._apply(removed, added, matrix, generation, _catalog_articles(items, added))

    def delete(self, article_id: str) -> bool:
        self._require_writing()
        with self._lock.writing():
            removed, generation = commit_delete(self._db, article_id)
            if removed is None:
                return False
            self._apply(removed, [], np.zeros((0, 0), dtype=np.float32), generation, [])
            return True

    def delete_matching(self, chunk_filter: ChunkFilter) -> list[str]:
        """Removes every article the filter lets through, in one transaction; returns their ids."""
        self._require_writing()
        with self._lock.writing():
            deleted, removed, generation = commit_delete_matching(self._db, chunk_filter)
            if deleted:
                self._apply(removed, [], np.zeros((0, 0), dtype=np.float32), generation, [])
            return deleted

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
                if generation > self._generation or self._vectors.lagging(generation):
                    with self._lock.writing():
                        self._follow(generation)
                with self._lock.reading():
                    if self._generation == generation:
                        return self._search_snapshot(vector, k, chunk_filter, terms, dense, title_weight)
            # Another thread moved the vectors past this snapshot: take a newer one.
        with self._lock.writing(), self._db.snapshot():
            self._follow(self._db.generation())
            return self._search_snapshot(vector, k, chunk_filter, terms, dense, title_weight)

    @property
    def source_registry(self) -> SourceRegistry:
        """The sources followed, kept in the database beside the articles."""
        return self._db

    def list_articles(self, limit: int, cursor: str | None, chunk_filter: ChunkFilter | None = None) -> ArticlePage:
        return article_page(self._db, limit, cursor, chunk_filter or ChunkFilter())

    def chunk_counts(self, article_ids: Sequence[str]) -> dict[str, int]:
        """How many chunks each of these articles has, for those still held."""
        with self._lock.reading():
            return self._catalogs.chunk_counts(article_ids)

    def leads(self, article_ids: Sequence[str], vector: np.ndarray) -> list[tuple[ChunkRef, float]]:
        """Each article's first chunk (its lead) with its cosine to `vector`, for those still held."""
        with self._lock.reading():
            refs = self._catalogs.leads(article_ids)
            ids, vectors = self._vectors.vectors_of([r.row_id for r in refs])
        cosines = _cosines(ids, vectors, vector)
        return [(ref, cosines[ref.row_id]) for ref in refs if ref.row_id in cosines]

    def chunks_at(self, places: Sequence[tuple[str, int, int]], vector: np.ndarray) -> list[tuple[ChunkView, float]]:
        """For each (article id, start, end) the chunk holding those characters (or, if none holds them
        all, the first), with its cosine to `vector`, each chunk once, in the order of the places;
        places of articles no longer stored are left out."""
        with self._db.snapshot():
            spans = self._db.chunk_spans(list(dict.fromkeys(article_id for article_id, _, _ in places)))
            holding = [_chunk_holding(spans, *place) for place in places]
            views = self.chunk_views(list(dict.fromkeys(row_id for row_id in holding if row_id is not None)))
        with self._lock.reading():
            ids, vectors = self._vectors.vectors_of([view.row_id for view in views])
        cosines = _cosines(ids, vectors, vector)
        return [(view, cosines[view.row_id]) for view in views if view.row_id in cosines]

    def chunk_views(self, row_ids: Sequence[int]) -> list[ChunkView]:
        """The chunks with these ids with their text and their article's fields, in the given order;
        chunks no longer stored (their article was replaced or deleted since) are left out."""
        return self._db.chunk_views(row_ids)

    def passages(self, row_ids: Sequence[int]) -> tuple[list[ChunkView], dict[str, str]]:
        """The chunks with these ids, as chunk_views gives them, and the texts of their articles, in one read."""
        return self._db.passages(row_ids)

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
                    self._follow(generation)
            with self._lock.reading():
                articles, chunks = self._db.counts()
                return StoreStats(articles, chunks, self._vectors.count(), self._generation)

    def story_candidates(self, band_keys: Sequence[int]) -> list[StoryCandidate]:
        return self._db.story_candidates(band_keys)

    def speech(self, article_ids: Sequence[str]) -> dict[str, list[SpeechRecord]]:
        return self._db.speech(article_ids)

    def entities(
        self, article_ids: Sequence[str], labels: Sequence[str] | None = None
    ) -> dict[str, list[EntityRecord]]:
        """Each article's entities of these kinds (all by default), in text order."""
        return self._db.entities(article_ids, labels)

    def statements(self, speaker_key: str, chunk_filter: ChunkFilter, limit: int = 5000,
                   keep: SaidBy | None = None) -> list[Statement]:
        """What the speaker with this key (index.speakers) says in the articles the filter lets through,
        newest first (undated last); at most `limit` rows read, those `keep` accepts returned, each with
        its sentence (`keep`: asked once for each speaker and titles the rows name)."""
        return self._db.statements(speaker_key, chunk_filter, limit, keep)

    def _search_snapshot(
        self, vector: np.ndarray, k: int, chunk_filter: ChunkFilter, terms: Sequence[str], dense: bool,
        title_weight: float,
    ) -> SearchHits:
        catalogs, engine = self._catalogs, self._vectors
        # What is asked over the network is asked while this thread does the rest: the calls of one
        # search that do not depend on each other overlap.
        nearest = (self._calling(engine.remote, engine.search, vector, k, catalogs.nearest_allowed(chunk_filter),
                                 chunk_filter) if dense else _done([]))
        chunks = (self._calling(catalogs.remote, catalogs.best_chunks, terms, k, chunk_filter, title_weight)
                  if terms else _done([]))
        articles = (self._calling(catalogs.remote, catalogs.best_articles, terms, k, chunk_filter, title_weight)
                    if terms else _done([]))
        lexical = chunks.result()
        # The lexical hits' vectors are read before the nearest are known (some are read for nothing)
        # when the engine is remote: one wait instead of two.
        cosines = _cosines(*engine.vectors_of([i for i, _ in lexical]), vector) if engine.remote and lexical else {}
        return self._hits(vector, nearest.result(), lexical, articles.result(), cosines)

    def _calling(self, remote: bool, call, *args) -> Future:
        """`call(*args)`, on a thread of its own when it goes over the network (`remote`), else now."""
        if not remote:
            return _done(call(*args))
        if self._calls is None:
            with self._calls_made:
                if self._calls is None:
                    self._calls = ThreadPoolExecutor(max_workers=CONCURRENT_CALLS, thread_name_prefix="engine")
        return self._calls.submit(call, *args)

    def _hits(self, vector: np.ndarray, nearest: list[tuple[int, float]], lexical: list[tuple[int, float]],
              articles: list[str], known: dict[int, float]) -> SearchHits:
        """The chunks found, as the catalog knows them, with every one's cosine to the query vector
        (`known`: some already worked out)."""
        cosines = {**known, **dict(nearest)}
        missing = [i for i, _ in lexical if i not in cosines]
        if missing:
            cosines.update(_cosines(*self._vectors.vectors_of(missing), vector))
        refs = {ref.row_id: ref for ref in self._catalogs.refs(list(dict.fromkeys(
            [i for i, _ in nearest] + [i for i, _ in lexical if i in cosines])))}
        return SearchHits(
            dense=[refs[i] for i, _ in nearest if i in refs],
            lexical=[refs[i] for i, _ in lexical if i in refs and i in cosines],
            cosines=cosines,
            articles=articles,
        )

    def _require_writing(self) -> None:
        if not self._writing:
            raise RuntimeError("writes must happen inside Store.writing()")

    def _follow(self, generation: int) -> None:
        """Brings vectors and catalog to `generation`, the current snapshot's; holds the write lock."""
        if (generation <= self._generation and self._catalogs.generation >= generation
                and not self._vectors.lagging(generation)):
            return
        self._vectors.follow(generation)
        if not self._catalogs.catch_up(generation):
            log.info("index %s is more than the change log behind; rebuilding the catalog", self._directory)
            self._catalogs.rebuild()
        self._generation = generation

    def _apply(self, removed: Sequence[int], added: Sequence[int], vectors: np.ndarray, generation: int,
               articles: Sequence[CatalogArticle]) -> None:
        """Brings vectors and catalog to the batch just committed as `generation`; holds the write lock."""
        removed_ids, added_ids = np.array(removed, dtype=np.int64), np.array(added, dtype=np.int64)
        self._vectors.apply(removed_ids, added_ids, vectors, generation)
        self._catalogs.update(list(removed), list(added), generation, articles)
        self._generation = generation

    def _save(self) -> None:
        """Saves the vectors and the catalog when enough changed; called by the writer, while searches go on."""
        with self._lock.reading():
            self._catalogs.save_if_due()
            self._vectors.save()
        self._db.forget_changes_before(self._generation - KEPT_GENERATIONS)


def commit_batch(database: Database, items: Sequence[tuple[ArticleRecord, Sequence[ChunkRecord]]]) -> tuple[list[int], list[int], int]:
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


def commit_delete(database: Database, article_id: str) -> tuple[list[int] | None, int]:
    """Removes the article in one transaction; (its chunk ids, the new generation), or (None, 0) if absent."""
    with database.transaction():
        removed = database.delete_article(article_id)
        if removed is None:
            return None, 0
        generation = database.bump_generation()
        database.log_changes(generation, removed, [])
    return removed, generation


def commit_delete_matching(database: Database, chunk_filter: ChunkFilter) -> tuple[list[str], list[int], int]:
    """Removes every article the filter lets through in one transaction; (their ids, their chunk ids,
    the new generation), or nothing and generation 0 when none matches."""
    with database.transaction():
        deleted = database.matching_article_ids(chunk_filter)
        removed = [chunk_id for article_id in deleted for chunk_id in database.delete_article(article_id) or []]
        if not deleted:
            return [], [], 0
        generation = database.bump_generation()
        database.log_changes(generation, removed, [])
    return deleted, removed, generation


def _catalog_articles(items: Sequence[tuple[ArticleRecord, Sequence[ChunkRecord]]], added: Sequence[int]) -> list[CatalogArticle]:
    """Catalog entries for a batch just committed; `added` are its new chunk ids, in the batch's order."""
    entries, ids = [], iter(added)
    for article, chunks in items:
        spans = tuple((next(ids), c.start, c.end) for c in chunks)
        cluster_id = article.story.cluster_id if article.story else None
        entries.append(CatalogArticle(article.id, article.title, article.url, article.text, article.source,
                                      article.published_ts, cluster_id, spans, newsroom=article.newsroom))
    return entries


def _chunk_holding(spans: Sequence[tuple[int, str, int, int]], article_id: str, start: int, end: int) -> int | None:
    """The chunk among `spans` (chunk id, article id, start, end) that holds start..end, else the first
    that holds `start`."""
    around = sorted((first, row_id, last) for row_id, article, first, last in spans
                    if article == article_id and first <= start < last)
    return next((row_id for _, row_id, last in around if end <= last), around[0][1] if around else None)


def _done(result) -> Future:
    future: Future = Future()
    future.set_result(result)
    return future


def _cosines(ids: np.ndarray, vectors: np.ndarray, vector: np.ndarray) -> dict[int, float]:
    if not len(ids):
        return {}
    matrix = np.asarray(vectors, dtype=np.float32).reshape(len(ids), -1)
    return dict(zip(ids.tolist(), (matrix @ vector).tolist()))
