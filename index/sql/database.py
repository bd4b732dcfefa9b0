"""The article and chunk database, written once for both engines: every query of the `Database` port
(index.ports) lives here; `SqliteDatabase` and `PostgresDatabase` supply only what truly differs
(connections, transactions, locks, how a list of values is passed).

The database holds every chunk's vector as well, so that it alone is the truth: vectors elsewhere (a
FAISS file, a Milvus collection) are rebuilt from it rather than trusted. Every committed batch bumps
a generation number and logs which chunk ids it removed and added, so any holder of vectors or of a
catalog of an older generation catches up by replaying the log instead of rebuilding.

Queries are written with `?` for a parameter and `IN ({})` for a list of values; see `_rows_in`.
"""

import json
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from datetime import datetime, timezone
from typing import Any

import numpy as np

from index.catalog.catalog import CatalogArticle
from index.records import (
    ArticleRecord, ChunkFilter, ChunkRecord, ChunkRef, ChunkView, EntityRecord, SaidBy, SpeechRecord, Statement,
    StoredArticle, StoryCandidate,
)
from index.sql.sources import SourceTables
from index.sql.schema import (
    ARTICLE_COLUMNS, CATALOG_ARTICLE_COLUMNS, CATALOG_CHUNK_COLUMNS, CHUNK_COUNT, CHUNK_REF_COLUMNS, CHUNK_TEXT,
    CHUNK_VIEW_COLUMNS, ENTITY_INSERT, NEWSROOM_COLUMNS, SPEECH_COLUMNS, SPEECH_INSERT, STATEMENT_ARTICLE_COLUMNS,
    article_conditions, catalog_articles, chunk_views, entities_by_article, entity_rows, newsroom, newsroom_values,
    speech_by_article, speech_rows, speech_rows_kept, statements, statements_query,
)

GENERATION = "generation"
FORMAT_VERSION_KEY = "format_version"


class SqlDatabase(SourceTables, ABC):
    # The sort key of the newest-first listing: each engine's schema builds an index on exactly this
    # expression, which the query must repeat for the index to be used.
    NEWEST_FIRST_KEY: str

    # --- what each engine supplies -------------------------------------------------------------

    @abstractmethod
    def _execute(self, query: str, params: Sequence[Any] = ()) -> Any:
        """Runs one statement on this thread's connection; returns its cursor."""

    @abstractmethod
    def _executemany(self, query: str, rows: Sequence[Sequence[Any]]) -> None: ...

    @abstractmethod
    def _rows_in(self, query: str, values: Sequence[Any]) -> list[tuple]:
        """Runs `query`, whose `IN ({})` takes the list `values`, and returns every row."""

    @abstractmethod
    def _one_of(self, column: str, values: Sequence[str]) -> tuple[str, Any]:
        """A condition that `column` is one of `values`, with its one parameter (a statement may hold several)."""

    @abstractmethod
    def _create_schema(self) -> None:
        """Creates the tables, inside `initialize`'s transaction, where the engine does so itself."""

    @abstractmethod
    def _lock_meta(self) -> None:
        """Inside a transaction, keeps other processes from changing what the meta table holds for all
        of them (the format in an upgrade, a lease) at the same time."""

    @abstractmethod
    def transaction(self) -> AbstractContextManager[None]:
        """A write transaction: all of it is committed or none of it."""

    @abstractmethod
    def snapshot(self) -> AbstractContextManager[None]:
        """A read transaction: every read inside sees one committed state. Nests, also inside a write."""

    @abstractmethod
    def writer_lock(self, wait: float = 0.0) -> AbstractContextManager[None]:
        """One writer at a time across processes, waiting up to `wait` seconds for another to finish."""

    @abstractmethod
    def setup_lock(self) -> AbstractContextManager[None]:
        """Processes starting together set up shared things (a Milvus collection) one at a time."""

    @abstractmethod
    def release_thread(self) -> None:
        """Closes this thread's connection, for a thread that is about to end."""

    @abstractmethod
    def close(self) -> None: ...

    # --- meta, generations and the change log -------------------------------------------------

    def initialize(self, meta: dict[str, str]) -> None:
        """Creates the schema where needed and records `meta`, keeping what another process recorded first."""
        with self.transaction():
            self._create_schema()
            self._executemany("INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT DO NOTHING", sorted(meta.items()))

    def upgrade(self, version: str, statements: Sequence[str], new_version: str) -> None:
        """Runs schema statements that bring format `version` to `new_version` and records it, in one
        transaction; does nothing when another process has upgraded the index meanwhile."""
        with self.transaction():
            self._lock_meta()
            if self.meta().get(FORMAT_VERSION_KEY) != version:
                return
            for statement in statements:
                self._execute(statement)
            self.set_meta(FORMAT_VERSION_KEY, new_version)

    def meta(self) -> dict[str, str]:
        return dict(self._execute("SELECT key, value FROM meta").fetchall())

    def set_meta(self, key: str, value: str) -> None:
        self._execute(
            "INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    def generation(self) -> int:
        row = self._execute("SELECT value FROM meta WHERE key = ?", (GENERATION,)).fetchone()
        return int(row[0]) if row else 0

    def bump_generation(self) -> int:
        generation = self.generation() + 1
        self.set_meta(GENERATION, str(generation))
        return generation

    def log_changes(self, generation: int, removed: Sequence[int], added: Sequence[int]) -> None:
        self._executemany(
            "INSERT INTO changes(generation, chunk_id, added) VALUES (?, ?, ?)",
            [(generation, int(i), False) for i in removed] + [(generation, int(i), True) for i in added],
        )

    def changes_since(self, generation: int) -> tuple[np.ndarray, np.ndarray] | None:
        """(removed ids, added ids) after `generation`; None when the log no longer reaches back that far."""
        oldest = self._execute("SELECT min(generation) FROM changes").fetchone()[0]
        if generation < self.generation() and (oldest is None or oldest > generation + 1):
            return None
        rows = self._execute("SELECT chunk_id, added FROM changes WHERE generation > ?", (generation,)).fetchall()
        removed = np.fromiter((i for i, added in rows if not added), dtype=np.int64)
        added = np.fromiter((i for i, added in rows if added), dtype=np.int64)
        return removed, added

    def forget_changes_before(self, generation: int) -> None:
        self._execute("DELETE FROM changes WHERE generation < ?", (generation,))

    # --- writing articles ----------------------------------------------------------------------

    def replace_article(self, article: ArticleRecord, chunks: Sequence[ChunkRecord]) -> tuple[list[int], list[int]]:
        """Upsert the article and swap its chunks, story bands, speech and entities; returns (removed chunk
        ids, added chunk ids)."""
        removed = self._chunk_ids(article.id)
        self._execute("DELETE FROM chunks WHERE article_id = ?", (article.id,))
        self._upsert_article(article)
        self._executemany(
            "INSERT INTO chunks(article_id, seq, start_char, end_char, chunk_key, embed_hash, vector) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            [(article.id, seq, c.start, c.end, c.key, c.embed_hash, vector_bytes(c.vector)) for seq, c in enumerate(chunks)],
        )
        added = self._chunk_ids(article.id)
        self._execute("DELETE FROM story_bands WHERE article_id = ?", (article.id,))
        if article.story is not None:
            self._executemany("INSERT INTO story_bands(band_key, article_id) VALUES (?, ?)",
                              [(key, article.id) for key in article.story.band_keys])
        self._execute("DELETE FROM speech WHERE article_id = ?", (article.id,))
        self._executemany(SPEECH_INSERT, speech_rows(article))
        self._execute("DELETE FROM entities WHERE article_id = ?", (article.id,))
        self._executemany(ENTITY_INSERT, entity_rows(article))
        self._execute("DELETE FROM article_tags WHERE article_id = ?", (article.id,))
        self._executemany("INSERT INTO article_tags(article_id, tag) VALUES (?, ?)",
                          [(article.id, tag) for tag in article.newsroom.tags])
        return removed, added

    def delete_article(self, article_id: str) -> list[int] | None:
        """Removes the article and its chunks; returns the removed chunk ids, None if it was absent."""
        removed = self._chunk_ids(article_id)
        cursor = self._execute("DELETE FROM articles WHERE id = ?", (article_id,))
        return removed if cursor.rowcount else None

    # --- reading ---------------------------------------------------------------------------------

    def counts(self) -> tuple[int, int]:
        """(articles, chunks)."""
        row = self._execute("SELECT (SELECT count(*) FROM articles), (SELECT count(*) FROM chunks)").fetchone()
        return row[0], row[1]

    def content_hashes(self, article_ids: Sequence[str]) -> dict[str, str]:
        return dict(self._rows_in("SELECT id, content_hash FROM articles WHERE id IN ({})", list(article_ids)))

    def vectors_by_embed_hash(self, embed_hashes: Sequence[str]) -> dict[str, np.ndarray]:
        rows = self._rows_in("SELECT embed_hash, vector FROM chunks WHERE embed_hash IN ({})", list(embed_hashes))
        return {h: np.frombuffer(blob, dtype="<f4") for h, blob in rows}

    def vectors_of(self, chunk_ids: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
        """(ids, vectors) of those chunks that still exist, the vectors as one matrix."""
        rows = self._rows_in("SELECT id, vector FROM chunks WHERE id IN ({})", [int(i) for i in chunk_ids])
        return _ids_and_matrix(rows)

    def iter_vectors(self, batch_size: int = 10_000) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """All (ids, vectors) in batches; call inside `snapshot()` for a consistent view."""
        last_id = 0
        while rows := self._execute(
            "SELECT id, vector FROM chunks WHERE id > ? ORDER BY id LIMIT ?", (last_id, batch_size)
        ).fetchall():
            yield _ids_and_matrix(rows)
            last_id = rows[-1][0]

    def all_chunk_ids(self) -> np.ndarray:
        rows = self._execute("SELECT id FROM chunks").fetchall()
        return np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))

    def all_article_ids(self) -> list[str]:
        return [row[0] for row in self._execute("SELECT id FROM articles ORDER BY id").fetchall()]

    def articles_of_chunks(self, chunk_ids: Sequence[int]) -> list[str]:
        """Ids of the articles these chunks (those still stored) belong to."""
        rows = self._rows_in("SELECT DISTINCT article_id FROM chunks WHERE id IN ({})", [int(i) for i in chunk_ids])
        return sorted({row[0] for row in rows})

    def article(self, article_id: str) -> StoredArticle | None:
        row = self._execute(f"SELECT {ARTICLE_COLUMNS}, {CHUNK_COUNT} FROM articles WHERE id = ?", (article_id,)).fetchone()
        return stored_article(row) if row else None

    def article_texts(self, article_ids: Sequence[str]) -> dict[str, str]:
        return dict(self._rows_in("SELECT id, text FROM articles WHERE id IN ({})", list(article_ids)))

    def newest_articles(
        self, limit: int, after: tuple[int, str] | None, chunk_filter: ChunkFilter | None = None
    ) -> list[tuple[int, StoredArticle]]:
        """Up to `limit` articles the filter lets through, newest first, each with its sort key, starting
        after the (key, id) given."""
        key = self.NEWEST_FIRST_KEY
        after_key = [(f"({key} < ? OR ({key} = ? AND id > ?))", [after[0], after[0], after[1]])] if after else []
        where, params = self._where(chunk_filter or ChunkFilter(), *after_key)
        rows = self._execute(
            f"SELECT {ARTICLE_COLUMNS}, {CHUNK_COUNT}, {key} FROM articles {where} ORDER BY {key} DESC, id LIMIT ?",
            [*params, limit],
        ).fetchall()
        return [(row[-1], stored_article(row[:-1])) for row in rows]

    def count_articles(self, chunk_filter: ChunkFilter) -> int:
        """How many articles the filter lets through."""
        where, params = self._where(chunk_filter)
        return self._execute(f"SELECT count(*) FROM articles {where}", params).fetchone()[0]

    def matching_article_ids(self, chunk_filter: ChunkFilter) -> list[str]:
        """Ids of the articles the filter lets through, in id order."""
        where, params = self._where(chunk_filter)
        return [row[0] for row in self._execute(f"SELECT id FROM articles {where} ORDER BY id", params).fetchall()]

    def chunk_views(self, row_ids: Sequence[int]) -> list[ChunkView]:
        """The chunks with these ids, in the given order; ids no longer stored are left out."""
        return chunk_views(self._rows_in(f"SELECT {CHUNK_VIEW_COLUMNS}, {CHUNK_TEXT} FROM chunks c "
                                         "JOIN articles a ON a.id = c.article_id WHERE c.id IN ({})",
                                         [int(i) for i in row_ids]), row_ids)

    def passages(self, row_ids: Sequence[int]) -> tuple[list[ChunkView], dict[str, str]]:
        """The chunks with these ids, as chunk_views, and their articles' texts, in one query (a
        search's passages are widened from their articles' texts)."""
        rows = self._rows_in(f"SELECT {CHUNK_VIEW_COLUMNS}, a.text FROM chunks c "
                             "JOIN articles a ON a.id = c.article_id WHERE c.id IN ({})", [int(i) for i in row_ids])
        return chunk_views(rows, row_ids, whole=True), {row[2]: row[-1] for row in rows}

    def chunk_refs(self, row_ids: Sequence[int]) -> list[ChunkRef]:
        """What ranking needs of the chunks with these ids, in the given order; ids no longer stored are left out."""
        rows = self._rows_in(f"SELECT {CHUNK_REF_COLUMNS} FROM chunks c JOIN articles a ON a.id = c.article_id "
                             "WHERE c.id IN ({})", [int(i) for i in row_ids])
        by_id = {row[0]: ChunkRef(*row) for row in rows}
        return [by_id[i] for i in row_ids if i in by_id]

    def lead_refs(self, article_ids: Sequence[str]) -> list[ChunkRef]:
        """Each of these articles' first chunk, as chunk_refs gives it, in the given order; articles not
        stored are left out."""
        rows = self._rows_in(f"SELECT {CHUNK_REF_COLUMNS} FROM chunks c JOIN articles a ON a.id = c.article_id "
                             "WHERE c.seq = 0 AND c.article_id IN ({})", list(article_ids))
        by_article = {row[1]: ChunkRef(*row) for row in rows}
        return [by_article[a] for a in article_ids if a in by_article]

    def chunk_counts(self, article_ids: Sequence[str]) -> dict[str, int]:
        """How many chunks each of these articles has, for those stored."""
        query = "SELECT article_id, count(*) FROM chunks WHERE article_id IN ({}) GROUP BY article_id"
        return dict(self._rows_in(query, list(article_ids)))

    def chunk_spans(self, article_ids: Sequence[str]) -> list[tuple[int, str, int, int]]:
        """(chunk id, article id, start, end) of every chunk of these articles."""
        query = f"SELECT {CATALOG_CHUNK_COLUMNS} FROM chunks WHERE article_id IN ({{}})"
        return self._rows_in(query, list(article_ids))

    def catalog_articles(self, article_ids: Sequence[str]) -> list[CatalogArticle]:
        """These articles, with all their chunks, as the in-memory catalog needs them."""
        spans = self.chunk_spans(article_ids)
        fields = self._rows_in(f"SELECT {CATALOG_ARTICLE_COLUMNS} FROM articles WHERE id IN ({{}})", list(article_ids))
        return catalog_articles(spans, fields)

    def story_candidates(self, band_keys: Sequence[int]) -> list[StoryCandidate]:
        """Stored articles sharing a fingerprint band with these keys."""
        rows = self._rows_in(
            "SELECT DISTINCT a.id, a.cluster_id, a.fingerprint FROM story_bands b "
            "JOIN articles a ON a.id = b.article_id WHERE b.band_key IN ({})", list(band_keys),
        )
        return [StoryCandidate(row[0], row[1], bytes(row[2])) for row in rows if row[2] is not None]

    def speech(self, article_ids: Sequence[str]) -> dict[str, list[SpeechRecord]]:
        """Who speaks in which sentence, for each of these articles."""
        query = f"SELECT article_id, {SPEECH_COLUMNS} FROM speech WHERE article_id IN ({{}}) ORDER BY article_id, start_char"
        return speech_by_article(self._rows_in(query, list(article_ids)), article_ids)

    def entities(
        self, article_ids: Sequence[str], labels: Sequence[str] | None = None
    ) -> dict[str, list[EntityRecord]]:
        """The named things of each of these articles, of these kinds (all by default), in text order."""
        if labels is None:
            query = ("SELECT article_id, start_char, end_char, label FROM entities WHERE article_id IN ({}) "
                     "ORDER BY article_id, start_char")
            return entities_by_article(self._rows_in(query, list(article_ids)), article_ids)
        (of_articles, ids), (of_labels, kinds) = self._one_of("article_id", article_ids), self._one_of("label", labels)
        query = (f"SELECT article_id, start_char, end_char, label FROM entities WHERE {of_articles} AND {of_labels} "
                 "ORDER BY article_id, start_char")
        return entities_by_article(self._execute(query, (ids, kinds)).fetchall(), article_ids)

    def statements(self, speaker_key: str, chunk_filter: ChunkFilter, limit: int = 5000,
                   keep: SaidBy | None = None) -> list[Statement]:
        """What the speaker with this key (index.speakers) says in the articles the filter lets through:
        newest first (undated last), then by article and place in it; at most `limit` rows read, those
        `keep` accepts (all by default) returned with their sentences."""
        query, params = statements_query(speaker_key, chunk_filter, limit, self._one_of)
        with self.snapshot():  # the sentences cut from the texts the rows were read with
            rows = speech_rows_kept(self._execute(query, params).fetchall(), keep)
            articles = self._rows_in(f"SELECT {STATEMENT_ARTICLE_COLUMNS} FROM articles WHERE id IN ({{}})",
                                     list(dict.fromkeys(article_id for article_id, _ in rows)))
        return statements(rows, articles)

    def _where(self, chunk_filter: ChunkFilter, *more: tuple[str, list]) -> tuple[str, list]:
        """A WHERE clause on the articles table for what the filter lets through (and `more` conditions
        with their parameters), with its parameters; empty when nothing is left out."""
        conditions, params = article_conditions(chunk_filter, self._one_of, alias="articles")
        for condition, values in more:
            conditions.append(condition)
            params += values
        return (f"WHERE {' AND '.join(conditions)}" if conditions else ""), params

    def _chunk_ids(self, article_id: str) -> list[int]:
        rows = self._execute("SELECT id FROM chunks WHERE article_id = ? ORDER BY seq", (article_id,))
        return [r[0] for r in rows.fetchall()]

    def _upsert_article(self, a: ArticleRecord) -> None:
        now = datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")
        story = a.story
        replaced = ("text", "title", "url", "source", "authors", "published_at", "published_ts", "content_hash",
                    "cluster_id", "fingerprint", "stored_at", *NEWSROOM_COLUMNS)
        values = (a.id, a.text, a.title, a.url, a.source, json.dumps(list(a.authors), ensure_ascii=False),
                  a.published_at, a.published_ts, a.content_hash, story.cluster_id if story else None, now, now,
                  *newsroom_values(a.newsroom), story.fingerprint if story else None)
        self._execute(
            f"INSERT INTO articles({ARTICLE_COLUMNS}, fingerprint) VALUES ({', '.join('?' * len(values))}) "
            f"ON CONFLICT(id) DO UPDATE SET {', '.join(f'{c} = excluded.{c}' for c in replaced)}",
            values,
        )


def _ids_and_matrix(rows: Sequence[tuple]) -> tuple[np.ndarray, np.ndarray]:
    ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
    if not rows:
        return ids, np.zeros((0, 0), dtype=np.float32)
    return ids, np.vstack([np.frombuffer(r[1], dtype="<f4") for r in rows])


def vector_bytes(vector: np.ndarray) -> bytes:
    return np.ascontiguousarray(vector, dtype="<f4").tobytes()


def stored_article(row: tuple) -> StoredArticle:
    """An article from a row of ARTICLE_COLUMNS and its chunk count."""
    (article_id, text, title, url, source, authors, published_at, published_ts,
     content_hash, cluster_id, ingested_at, stored_at, *fields, chunks) = row
    return StoredArticle(
        id=article_id, text=text, title=title, url=url, source=source, authors=tuple(json.loads(authors)),
        published_at=published_at, published_ts=published_ts, content_hash=content_hash, cluster_id=cluster_id,
        ingested_at=ingested_at, stored_at=stored_at, chunks=chunks, newsroom=newsroom(fields),
    )
