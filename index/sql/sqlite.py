"""SQLite holds the articles and chunks, including every chunk's vector, and a log of changes.

The vectors are kept here as well as in FAISS so that the database alone is the truth: a FAISS
file left behind by a crash is rebuilt from it rather than trusted. Every committed batch bumps a
generation number and logs which chunk ids it removed and added, so any process holding FAISS
vectors of an older generation can catch up by replaying the log instead of rebuilding.
"""

import json
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from index.sql.connections import ThreadConnections
from index.catalog.catalog import CatalogArticle
from index.files.lock import writer_lock
from index.records import (
    ArticleRecord, ChunkFilter, ChunkRecord, ChunkView, SpeechRecord, Statement, StoredArticle, StoryCandidate,
)
from index.sql.schema import (
    ARTICLE_COLUMNS, CATALOG_ARTICLE_COLUMNS, CATALOG_CHUNK_COLUMNS, CHUNK_COUNT, CHUNK_VIEW_COLUMNS, MAX_SQL_VARIABLES,
    NEWEST_FIRST_KEY, SCHEMA, SPEECH_COLUMNS, catalog_articles, chunk_views, speech_by_article, speech_insert,
    speech_rows, statements, statements_query,
)
from index.speakers import stored_key

DATABASE_FILE = "metadata.sqlite"


class Database:
    """One SQLite connection per thread, so readers never wait for each other (WAL mode)."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._connections = ThreadConnections(self._connect)
        self._conn.execute("PRAGMA journal_mode=WAL")

    @property
    def _conn(self) -> sqlite3.Connection:
        return self._connections.get()

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
        # FULL: a committed batch survives a power cut, not only a process crash.
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA busy_timeout=10000")
        # The upgrade to format 7 keys the speech rows it keeps with the very function that keys new ones.
        conn.create_function("speaker_key", 1, stored_key, deterministic=True)
        return conn

    def release_thread(self) -> None:
        """Closes this thread's connection, for a thread that is about to end."""
        self._connections.release_thread()

    def close(self) -> None:
        self._connections.close()

    def initialize(self, meta: dict[str, str]) -> None:
        with self.transaction():
            for statement in SCHEMA.split(";"):
                self._conn.execute(statement)
            self._conn.executemany("INSERT OR IGNORE INTO meta(key, value) VALUES (?, ?)", sorted(meta.items()))

    def upgrade(self, version: str, statements: Sequence[str], new_version: str) -> None:
        """Runs schema statements that bring format `version` to `new_version` and records it, in one
        transaction; does nothing when another process has upgraded the index meanwhile."""
        with self.transaction():
            if self.meta().get("format_version") != version:
                return
            for statement in statements:
                self._conn.execute(statement)
            self._conn.execute("UPDATE meta SET value = ? WHERE key = 'format_version'", (new_version,))

    def meta(self) -> dict[str, str]:
        row = self._conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").fetchone()
        return dict(self._conn.execute("SELECT key, value FROM meta").fetchall()) if row else {}

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """A write transaction: all of it is committed or none of it."""
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            yield
            self._conn.execute("COMMIT")
        except BaseException:
            # Also when COMMIT itself fails (disk full): the connection must not stay mid-transaction.
            if self._conn.in_transaction:
                self._conn.execute("ROLLBACK")
            raise

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """A read transaction: every read inside sees the same committed state. Nests."""
        if self._conn.in_transaction:
            yield
            return
        self._conn.execute("BEGIN")
        try:
            yield
        finally:
            self._conn.execute("COMMIT")

    def writer_lock(self, wait: float = 0.0):
        """One writer at a time across processes: a lock on a file in the index folder."""
        return writer_lock(self._path.parent, wait)

    def generation(self) -> int:
        row = self._conn.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()
        return int(row[0]) if row else 0

    def bump_generation(self) -> int:
        generation = self.generation() + 1
        self._conn.execute(
            "INSERT INTO meta(key, value) VALUES ('generation', ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (str(generation),),
        )
        return generation

    def log_changes(self, generation: int, removed: Sequence[int], added: Sequence[int]) -> None:
        self._conn.executemany(
            "INSERT INTO changes(generation, chunk_id, added) VALUES (?, ?, ?)",
            [(generation, i, 0) for i in removed] + [(generation, i, 1) for i in added],
        )

    def changes_since(self, generation: int) -> tuple[np.ndarray, np.ndarray] | None:
        """(removed ids, added ids) after `generation`; None when the log no longer reaches back that far."""
        oldest = self._conn.execute("SELECT min(generation) FROM changes").fetchone()[0]
        if generation < self.generation() and (oldest is None or oldest > generation + 1):
            return None
        rows = self._conn.execute("SELECT chunk_id, added FROM changes WHERE generation > ?", (generation,)).fetchall()
        removed = np.fromiter((i for i, added in rows if not added), dtype=np.int64)
        added = np.fromiter((i for i, added in rows if added), dtype=np.int64)
        return removed, added

    def forget_changes_before(self, generation: int) -> None:
        self._conn.execute("DELETE FROM changes WHERE generation < ?", (generation,))

    def counts(self) -> tuple[int, int]:
        """(articles, chunks)."""
        articles = self._conn.execute("SELECT count(*) FROM articles").fetchone()[0]
        chunks = self._conn.execute("SELECT count(*) FROM chunks").fetchone()[0]
        return articles, chunks

    def content_hashes(self, article_ids: Sequence[str]) -> dict[str, str]:
        return dict(self._select_in("SELECT id, content_hash FROM articles WHERE id IN ({})", article_ids))

    def vectors_by_embed_hash(self, embed_hashes: Sequence[str]) -> dict[str, np.ndarray]:
        rows = self._select_in("SELECT embed_hash, vector FROM chunks WHERE embed_hash IN ({})", embed_hashes)
        return {h: np.frombuffer(blob, dtype="<f4") for h, blob in rows}

    def vectors_of(self, chunk_ids: Sequence[int]) -> tuple[np.ndarray, list[np.ndarray]]:
        """(ids, vectors) of those chunks that still exist."""
        rows = self._select_in("SELECT id, vector FROM chunks WHERE id IN ({})", [int(i) for i in chunk_ids])
        return np.array([r[0] for r in rows], dtype=np.int64), [np.frombuffer(r[1], dtype="<f4") for r in rows]

    def replace_article(self, article: ArticleRecord, chunks: Sequence[ChunkRecord]) -> tuple[list[int], list[int]]:
        """Upsert the article and swap its chunks; returns (removed chunk ids, added chunk ids)."""
        removed = self._chunk_ids(article.id)
        self._conn.execute("DELETE FROM chunks WHERE article_id = ?", (article.id,))
        self._upsert_article(article)
        self._conn.executemany(
            "INSERT INTO chunks(article_id, seq, start_char, end_char, chunk_key, embed_hash, vector) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                (article.id, seq, c.start, c.end, c.key, c.embed_hash, vector_bytes(c.vector))
                for seq, c in enumerate(chunks)
            ],
        )
        added = self._chunk_ids(article.id)
        self._remember_story(article)
        self._conn.execute("DELETE FROM speech WHERE article_id = ?", (article.id,))
        self._conn.executemany(speech_insert("?"), speech_rows(article))
        return removed, added

    def delete_article(self, article_id: str) -> list[int] | None:
        """Removes the article and its chunks; returns the removed chunk ids, None if it was absent."""
        removed = self._chunk_ids(article_id)
        cursor = self._conn.execute("DELETE FROM articles WHERE id = ?", (article_id,))
        return removed if cursor.rowcount else None

    def speech(self, article_ids: Sequence[str]) -> dict[str, list[SpeechRecord]]:
        """Who speaks in which sentence, for each of these articles."""
        query = f"SELECT article_id, {SPEECH_COLUMNS} FROM speech WHERE article_id IN ({{}}) ORDER BY start_char"
        return speech_by_article(self._select_in(query, article_ids), article_ids)

    def statements(self, speaker_key: str, chunk_filter: ChunkFilter, limit: int = 5000) -> list[Statement]:
        """What the speaker with this key (index.speakers) says in the articles the filter lets through:
        newest first (undated last), then by article and place in it; at most `limit`."""
        query, params = statements_query(speaker_key, chunk_filter, limit, "?", _one_of)
        return statements(self._conn.execute(query, params).fetchall())

    def story_candidates(self, band_keys: Sequence[int]) -> list[StoryCandidate]:
        """Stored articles sharing a fingerprint band with these keys."""
        rows = self._select_in(
            "SELECT DISTINCT a.id, a.cluster_id, a.fingerprint FROM story_bands b "
            "JOIN articles a ON a.id = b.article_id WHERE b.band_key IN ({})",
            band_keys,
        )
        return [StoryCandidate(*row) for row in rows if row[2] is not None]

    def article(self, article_id: str) -> StoredArticle | None:
        row = self._conn.execute(
            f"SELECT {ARTICLE_COLUMNS}, {CHUNK_COUNT} FROM articles WHERE id = ?", (article_id,)
        ).fetchone()
        return stored_article(row) if row else None

    def newest_articles(self, limit: int, after: tuple[int, str] | None) -> list[tuple[int, StoredArticle]]:
        """Up to `limit` articles newest first, each with its sort key, starting after the (key, id) given."""
        where, params = "", []
        if after is not None:
            where = f"WHERE {NEWEST_FIRST_KEY} < ? OR ({NEWEST_FIRST_KEY} = ? AND id > ?)"
            params = [after[0], after[0], after[1]]
        query = (
            f"SELECT {ARTICLE_COLUMNS}, {CHUNK_COUNT}, {NEWEST_FIRST_KEY} FROM articles {where} "
            f"ORDER BY {NEWEST_FIRST_KEY} DESC, id LIMIT ?"
        )
        rows = self._conn.execute(query, [*params, limit]).fetchall()
        return [(row[-1], stored_article(row[:-1])) for row in rows]

    def all_chunk_ids(self) -> np.ndarray:
        rows = self._conn.execute("SELECT id FROM chunks").fetchall()
        return np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))

    def chunk_views(self, row_ids: Sequence[int]) -> list[ChunkView]:
        """The chunks with these ids, in the given order; ids no longer stored are left out."""
        with self.snapshot():  # the chunks and their articles' texts of one version
            rows = self._select_in(f"SELECT {CHUNK_VIEW_COLUMNS} FROM chunks c JOIN articles a ON a.id = c.article_id "
                                   "WHERE c.id IN ({})", row_ids)
            return chunk_views(rows, self.article_texts(sorted({row[2] for row in rows})), row_ids)

    def article_texts(self, article_ids: Sequence[str]) -> dict[str, str]:
        return dict(self._select_in("SELECT id, text FROM articles WHERE id IN ({})", list(article_ids)))

    def articles_of_chunks(self, chunk_ids: Sequence[int]) -> list[str]:
        """Ids of the articles these chunks (those still stored) belong to."""
        rows = self._select_in("SELECT DISTINCT article_id FROM chunks WHERE id IN ({})", [int(i) for i in chunk_ids])
        return sorted({row[0] for row in rows})

    def all_article_ids(self) -> list[str]:
        return [row[0] for row in self._conn.execute("SELECT id FROM articles ORDER BY id").fetchall()]

    def catalog_articles(self, article_ids: Sequence[str]) -> list[CatalogArticle]:
        """These articles, with all their chunks, as the in-memory catalog needs them."""
        spans = self._select_in(f"SELECT {CATALOG_CHUNK_COLUMNS} FROM chunks WHERE article_id IN ({{}})", article_ids)
        fields = self._select_in(f"SELECT {CATALOG_ARTICLE_COLUMNS} FROM articles WHERE id IN ({{}})", article_ids)
        return catalog_articles(spans, fields)

    def iter_vectors(self, batch_size: int = 10_000) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """All (ids, vectors) in batches; call inside `snapshot()` for a consistent view."""
        last_id = 0
        while True:
            rows = self._conn.execute(
                "SELECT id, vector FROM chunks WHERE id > ? ORDER BY id LIMIT ?", (last_id, batch_size)
            ).fetchall()
            if not rows:
                return
            ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
            yield ids, np.vstack([np.frombuffer(r[1], dtype="<f4") for r in rows])
            last_id = rows[-1][0]

    def _remember_story(self, article: ArticleRecord) -> None:
        self._conn.execute("DELETE FROM story_bands WHERE article_id = ?", (article.id,))
        if article.story is not None:
            self._conn.executemany(
                "INSERT INTO story_bands(band_key, article_id) VALUES (?, ?)",
                [(key, article.id) for key in article.story.band_keys],
            )

    def _chunk_ids(self, article_id: str) -> list[int]:
        rows = self._conn.execute("SELECT id FROM chunks WHERE article_id = ? ORDER BY seq", (article_id,))
        return [r[0] for r in rows.fetchall()]

    def _upsert_article(self, a: ArticleRecord) -> None:
        now = datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")
        story = a.story
        self._conn.execute(
            f"INSERT INTO articles({ARTICLE_COLUMNS}, fingerprint) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT(id) DO UPDATE SET text = excluded.text, title = excluded.title, "
            "url = excluded.url, source = excluded.source, authors = excluded.authors, "
            "published_at = excluded.published_at, published_ts = excluded.published_ts, "
            "content_hash = excluded.content_hash, cluster_id = excluded.cluster_id, "
            "fingerprint = excluded.fingerprint, updated_at = excluded.updated_at",
            (a.id, a.text, a.title, a.url, a.source, json.dumps(list(a.authors), ensure_ascii=False),
             a.published_at, a.published_ts, a.content_hash, story.cluster_id if story else None, now, now,
             story.fingerprint if story else None),
        )

    def _select_in(self, query: str, values: Sequence, after: Sequence = ()) -> list[tuple]:
        """Runs `query` with its `IN ({})` filled, in slices that stay under SQLite's variable limit;
        `after` are the parameters that follow the list."""
        rows: list[tuple] = []
        step = max(100, MAX_SQL_VARIABLES - len(after))
        for i in range(0, len(values), step):
            part = list(values[i : i + step])
            rows += self._conn.execute(query.format(", ".join("?" * len(part))), [*part, *after]).fetchall()
        return rows


def _one_of(column: str, values: Sequence[str]) -> tuple[str, str]:
    # One JSON parameter rather than one per value: a long list stays under SQLite's variable limit.
    return f"{column} IN (SELECT value FROM json_each(?))", json.dumps(list(values))


def vector_bytes(vector: np.ndarray) -> bytes:
    return np.ascontiguousarray(vector, dtype="<f4").tobytes()


def stored_article(row: tuple) -> StoredArticle:
    (article_id, text, title, url, source, authors, published_at, published_ts,
     content_hash, cluster_id, ingested_at, updated_at, chunks) = row
    return StoredArticle(
        id=article_id, text=text, title=title, url=url, source=source, authors=tuple(json.loads(authors)),
        published_at=published_at, published_ts=published_ts, content_hash=content_hash, cluster_id=cluster_id,
        ingested_at=ingested_at, updated_at=updated_at, chunks=chunks,
    )
