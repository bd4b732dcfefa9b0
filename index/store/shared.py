"""The store for several replicas on shared engines: articles in PostgreSQL, vectors in Milvus.

PostgreSQL stays the truth. A write commits there first (with the generation and the change log),
then applies the same change to Milvus and records the generation Milvus has reached. Each replica
keeps its own catalog (filters and BM25, index.catalog.catalog), caught up from the change log before every
search, so it reads exactly the snapshot's generation. A write that
dies in between leaves Milvus behind, never ahead; the next write session (on any replica) or the
next start replays the change log into Milvus first. Milvus upserts and deletes by chunk id, so a
replayed change that had already reached it is harmless.
"""

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from index.catalog.keeper import CatalogKeeper
from index.files.checks import check_or_initialize
from index.store.cursor import article_page
from index.errors import StoreLocked, StoreUnavailable
from index.vectors.milvus import MilvusVectors, VectorRow
from index.sql.postgres import PostgresDatabase, open_postgres
from index.records import (
    ArticlePage, ArticleRecord, ChunkFilter, ChunkRecord, ChunkRef, ChunkView, SearchHits, SpeechRecord, Statement, StoredArticle,
    StoreStats, StoryCandidate,
)
from index.rwlock import ReadWriteLock
from index.store.store import KEPT_GENERATIONS, commit_batch, commit_delete, lead_cosines, lexical_hits, search_hits

MILVUS_GENERATION = "milvus_generation"
SYNC_BATCH = 1_000


class SharedStore:
    def __init__(self, directory: Path, database: PostgresDatabase, vectors: MilvusVectors, ef_search: int) -> None:
        self._db = database
        self._vectors = vectors
        self._ef_search = ef_search
        self._writer = threading.Lock()
        self._writing = False
        self.write_wait = 0.0
        # Searches share the catalog; catching it up takes it alone.
        self._lock = ReadWriteLock()
        self._catalogs = CatalogKeeper(directory, database)
        with self._lock.writing():
            self._catalogs.load()

    @classmethod
    def open(cls, directory: Path, *, database_url: str, milvus_uri: str, milvus_token: str | None,
             collection: str, index_type: str, model: str, dimension: int, ef_search: int = 64,
             metric: str = "IP", write_wait: float = 0.0) -> "SharedStore":
        from pymilvus.exceptions import MilvusException

        database = open_postgres(database_url)
        try:
            check_or_initialize(database, directory, model, dimension)
            with database.setup_lock():
                vectors = MilvusVectors(milvus_uri, milvus_token, collection, dimension, index_type, metric)
        except MilvusException as error:
            database.close()
            raise StoreUnavailable(f"cannot use Milvus at {milvus_uri}: {error.message}") from None
        except BaseException:
            database.close()
            raise
        try:
            store = cls(directory, database, vectors, ef_search)
        except BaseException:
            database.close()
            vectors.close()
            raise
        try:
            with store.writing():  # catch Milvus up with whatever a failed write left behind
                pass
        except StoreLocked:
            pass  # another replica is writing; it catches Milvus up itself
        store.write_wait = write_wait
        return store

    def close(self) -> None:
        self._db.close()
        self._vectors.close()

    def release_thread(self) -> None:
        self._db.release_thread()

    @contextmanager
    def writing(self) -> Iterator[None]:
        with self._writer, self._db.writer_lock(self.write_wait):
            self._catch_up_vectors()
            self._writing = True
            try:
                yield
            finally:
                self._writing = False
                self._save_catalog()

    def put(self, items: Sequence[tuple[ArticleRecord, Sequence[ChunkRecord]]]) -> None:
        self._require_writing()
        removed, added, generation = commit_batch(self._db, items)
        self._apply(removed, added, generation)

    def delete(self, article_id: str) -> bool:
        self._require_writing()
        removed, generation = commit_delete(self._db, article_id)
        if removed is None:
            return False
        self._apply(removed, [], generation)
        return True

    def search(
        self, vector: np.ndarray, k: int, chunk_filter: ChunkFilter | None = None, terms: Sequence[str] = (),
        dense: bool = True, title_weight: float = 1.0,
    ) -> SearchHits:
        chunk_filter = chunk_filter or ChunkFilter()
        with self._db.snapshot():
            self._catch_up_catalog(self._db.generation())
            with self._lock.reading():
                catalog = self._catalogs.catalog
                allowed = catalog.allowed(chunk_filter)
                nearest = self._vectors.search(vector, k, chunk_filter, self._ef_search) if dense else []
                lexical, best_articles = lexical_hits(catalog, terms, k, allowed.chunks, allowed.articles, title_weight)
                if terms and self._vectors.full_text:
                    lexical = self._vectors.lexical(terms, k, chunk_filter)
                return search_hits(self._db.vectors_of, catalog, vector, nearest, lexical, best_articles)

    def list_articles(self, limit: int, cursor: str | None) -> ArticlePage:
        return article_page(self._db, limit, cursor)

    def chunk_views(self, row_ids: Sequence[int]) -> list[ChunkView]:
        return self._db.chunk_views(row_ids)

    def chunk_counts(self, article_ids: Sequence[str]) -> dict[str, int]:
        """How many chunks each of these articles has, for those still held."""
        with self._lock.reading():
            return self._catalogs.catalog.chunk_counts(article_ids)

    def leads(self, article_ids: Sequence[str], vector: np.ndarray) -> list[tuple[ChunkRef, float]]:
        with self._lock.reading():
            refs = self._catalogs.catalog.leads(article_ids)
        ids, vectors = self._db.vectors_of([r.row_id for r in refs])
        return lead_cosines(refs, ids, np.array(vectors), vector)

    def article(self, article_id: str) -> StoredArticle | None:
        return self._db.article(article_id)

    def article_texts(self, article_ids: Sequence[str]) -> dict[str, str]:
        return self._db.article_texts(article_ids)

    def content_hashes(self, article_ids: Sequence[str]) -> dict[str, str]:
        return self._db.content_hashes(article_ids)

    def known_vectors(self, embed_hashes: Sequence[str]) -> dict[str, np.ndarray]:
        return self._db.vectors_by_embed_hash(embed_hashes)

    def stats(self) -> StoreStats:
        with self._db.snapshot():
            articles, chunks = self._db.counts()
            generation = self._db.generation()
        return StoreStats(articles, chunks, self._vectors.count(), generation)

    def story_candidates(self, band_keys: Sequence[int]) -> list[StoryCandidate]:
        return self._db.story_candidates(band_keys)

    def speech(self, article_ids: Sequence[str]) -> dict[str, list[SpeechRecord]]:
        return self._db.speech(article_ids)

    def statements(self, speaker_key: str, chunk_filter: ChunkFilter, limit: int = 5000) -> list[Statement]:
        return self._db.statements(speaker_key, chunk_filter, limit)

    def _save_catalog(self) -> None:
        with self._db.snapshot():
            self._catch_up_catalog(self._db.generation())
        with self._lock.reading():
            self._catalogs.save_if_due()

    def _catch_up_catalog(self, generation: int) -> None:
        if self._catalogs.generation >= generation:
            return
        with self._lock.writing():
            if not self._catalogs.catch_up(generation):
                self._catalogs.rebuild()

    def _require_writing(self) -> None:
        if not self._writing:
            raise RuntimeError("writes must happen inside SharedStore.writing()")

    def _apply(self, removed: Sequence[int], added: Sequence[int], generation: int) -> None:
        """Brings Milvus to `generation`: removed chunks out, added ones (that still exist) in."""
        self._vectors.delete(removed)
        for start in range(0, len(added), SYNC_BATCH):
            self._vectors.upsert(self._rows(added[start : start + SYNC_BATCH]))
        with self._db.transaction():
            self._db.set_meta(MILVUS_GENERATION, str(generation))
            self._db.forget_changes_before(generation - KEPT_GENERATIONS)

    def _catch_up_vectors(self) -> None:
        reached = int(self._db.meta().get(MILVUS_GENERATION, "0"))
        generation = self._db.generation()
        if reached >= generation:
            return
        changes = self._db.changes_since(reached)
        if changes is None:  # the log no longer reaches back: every chunk is written again
            stale, added = np.array([], dtype=np.int64), self._db.all_chunk_ids()
        else:
            stale, added = changes
        self._apply(stale.tolist(), added.tolist(), generation)

    def _rows(self, chunk_ids: Sequence[int]) -> list[VectorRow]:
        views = {v.row_id: v for v in self._db.chunk_views(chunk_ids)}
        ids, vectors = self._db.vectors_of(chunk_ids)
        return [
            VectorRow(int(i), views[i].article_id, views[i].source, views[i].published_ts, views[i].cluster_id,
                      f"{views[i].headline}\n{views[i].text}", vector)
            for i, vector in zip(ids.tolist(), vectors) if i in views
        ]
