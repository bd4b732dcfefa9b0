"""PostgreSQL in place of SQLite, for several replicas sharing one archive: the same tables, the same
generation and change log, the same methods as `index.sql.sqlite.Database`.

Differences that matter: the schema is created and upgraded by numbered migrations under an advisory
lock, so replicas starting together do not race; snapshots are REPEATABLE READ transactions. BM25 is
not here: each replica keeps it in memory (index.catalog.catalog), unless the vector engine provides it (Milvus 2.5+).
"""

import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timezone

import numpy as np

from index.records import (
    ArticleRecord, ChunkFilter, ChunkRecord, ChunkView, SpeechRecord, Statement, StoredArticle, StoryCandidate,
)
from index.sql.connections import ThreadConnections
from index.sql.sqlite import stored_article, vector_bytes
from index.catalog.catalog import CatalogArticle
from index.sql.schema import (
    CATALOG_ARTICLE_COLUMNS, CATALOG_CHUNK_COLUMNS, CHUNK_VIEW_COLUMNS, SPEECH_COLUMNS, catalog_articles, chunk_views,
    speech_by_article, speech_insert, speech_rows, statements, statements_query,
)
from index.speakers import stored_key


def _key_kept_speakers(conn) -> None:
    """Keys the speech rows kept from before format 7 with the function that keys new ones: SQL alone
    cannot fold accents the same way."""
    speakers = [row[0] for row in conn.execute("SELECT DISTINCT speaker FROM speech WHERE speaker IS NOT NULL")]
    with conn.cursor() as cursor:
        cursor.executemany("UPDATE speech SET speaker_key = %s WHERE speaker = %s", [(stored_key(s), s) for s in speakers])


# Each entry upgrades the schema by one version, as SQL or as a function of the connection; entries
# are only ever appended.
MIGRATIONS: list[str | Callable] = [
    """
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE articles (
        id TEXT PRIMARY KEY,
        title TEXT,
        url TEXT,
        source TEXT,
        authors TEXT NOT NULL,
        published_at TEXT,
        published_ts BIGINT,
        text TEXT NOT NULL,
        content_hash TEXT NOT NULL,
        cluster_id TEXT,
        fingerprint BYTEA,
        ingested_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        terms TSVECTOR NOT NULL
    );
    CREATE TABLE chunks (
        id BIGSERIAL PRIMARY KEY,
        article_id TEXT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
        seq INTEGER NOT NULL,
        start_char INTEGER NOT NULL,
        end_char INTEGER NOT NULL,
        chunk_key TEXT NOT NULL,
        embed_hash TEXT NOT NULL,
        vector BYTEA NOT NULL,
        terms TSVECTOR NOT NULL
    );
    CREATE TABLE story_bands (band_key BIGINT NOT NULL, article_id TEXT NOT NULL REFERENCES articles(id) ON DELETE CASCADE);
    CREATE TABLE speech (
        article_id TEXT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
        start_char INTEGER NOT NULL,
        end_char INTEGER NOT NULL,
        speaker TEXT NOT NULL,
        cue TEXT NOT NULL,
        titles TEXT NOT NULL
    );
    CREATE TABLE changes (generation BIGINT NOT NULL, chunk_id BIGINT NOT NULL, added BOOLEAN NOT NULL);
    CREATE INDEX articles_by_source ON articles(source);
    CREATE INDEX articles_by_published ON articles(published_ts);
    CREATE INDEX articles_newest_first ON articles((coalesce(published_ts, -4611686018427387904)) DESC, id);
    CREATE INDEX articles_terms ON articles USING GIN (terms);
    CREATE INDEX chunks_by_article ON chunks(article_id, seq);
    CREATE INDEX chunks_by_embed_hash ON chunks(embed_hash);
    CREATE INDEX chunks_terms ON chunks USING GIN (terms);
    CREATE INDEX story_bands_by_key ON story_bands(band_key);
    CREATE INDEX story_bands_by_article ON story_bands(article_id);
    CREATE INDEX speech_by_article ON speech(article_id, start_char);
    CREATE INDEX changes_by_generation ON changes(generation);
    """,
    # BM25 moved into each replica's memory (index.catalog.catalog): the full-text columns are no longer read.
    """
    ALTER TABLE articles DROP COLUMN terms;
    ALTER TABLE chunks DROP COLUMN terms;
    """,
    # Format 7: unnamed speakers, each row's kind, and the key a speaker is looked up by. The rows kept
    # count as indirect speech (the default kind) until their articles are ingested again. Recording
    # the format here keeps the SQLite upgrades (index.files.checks) from ever running on this schema.
    """
    ALTER TABLE speech ALTER COLUMN speaker DROP NOT NULL;
    ALTER TABLE speech ADD COLUMN kind TEXT NOT NULL DEFAULT 'indirect';
    ALTER TABLE speech ALTER COLUMN kind DROP DEFAULT;
    ALTER TABLE speech ADD COLUMN speaker_key TEXT;
    CREATE INDEX speech_by_speaker ON speech(speaker_key);
    UPDATE meta SET value = '7' WHERE key = 'format_version';
    """,
    _key_kept_speakers,
]
# Any constant, the same in every replica: the key of the advisory lock migrations take.
MIGRATION_LOCK = 7_305_117
WRITER_LOCK = 7_305_118
ARTICLE_COLUMNS = (
    "id, text, title, url, source, authors, published_at, published_ts, content_hash, cluster_id, "
    "ingested_at, updated_at"
)
CHUNK_COUNT = "(SELECT count(*) FROM chunks c WHERE c.article_id = articles.id)"
NEWEST_FIRST_KEY = "coalesce(published_ts, -4611686018427387904)"


class PostgresDatabase:
    """One connection per thread, each in autocommit mode with explicit transactions."""

    def __init__(self, url: str) -> None:
        import psycopg  # only the scale-out mode needs it

        self._psycopg = psycopg
        self._connections = ThreadConnections(lambda: psycopg.connect(url, autocommit=True))
        self._migrate()

    @property
    def _conn(self):
        return self._connections.get()

    def release_thread(self) -> None:
        self._connections.release_thread()

    def close(self) -> None:
        self._connections.close()

    def initialize(self, meta: dict[str, str]) -> None:
        with self.transaction():
            with self._conn.cursor() as cursor:
                cursor.executemany(
                    "INSERT INTO meta(key, value) VALUES (%s, %s) ON CONFLICT DO NOTHING", sorted(meta.items())
                )

    def upgrade(self, version: str, statements: Sequence[str], new_version: str) -> None:
        """Runs schema statements that bring format `version` to `new_version` and records it, in one
        transaction; does nothing when another replica has upgraded the archive meanwhile."""
        with self.transaction():
            self._conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
            if self.meta().get("format_version") != version:
                return
            for statement in statements:
                self._conn.execute(statement)
            self._conn.execute("UPDATE meta SET value = %s WHERE key = 'format_version'", (new_version,))

    def meta(self) -> dict[str, str]:
        return dict(self._conn.execute("SELECT key, value FROM meta").fetchall())

    @contextmanager
    def transaction(self) -> Iterator[None]:
        with self._conn.transaction():
            yield

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """A read transaction seeing one committed state. Nests, also inside a write transaction."""
        conn = self._conn
        if conn.info.transaction_status != self._psycopg.pq.TransactionStatus.IDLE:
            yield
            return
        conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        try:
            yield
        finally:
            conn.execute("COMMIT")

    @contextmanager
    def setup_lock(self) -> Iterator[None]:
        """Replicas starting together set up shared things (the schema, a Milvus collection) one at a time."""
        conn = self._conn
        conn.execute("SELECT pg_advisory_lock(%s)", (MIGRATION_LOCK,))
        try:
            yield
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (MIGRATION_LOCK,))

    @contextmanager
    def writer_lock(self, wait: float = 0.0) -> Iterator[None]:
        """One writer at a time across every replica: a session advisory lock, released if we die;
        waits up to `wait` seconds for another to finish."""
        from index.errors import StoreLocked
        from index.files.lock import wait_for

        conn = self._conn
        if not wait_for(lambda: conn.execute("SELECT pg_try_advisory_lock(%s)", (WRITER_LOCK,)).fetchone()[0], wait):
            raise StoreLocked("another replica is writing to the archive; wait for it to finish")
        try:
            yield
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (WRITER_LOCK,))

    def generation(self) -> int:
        row = self._conn.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()
        return int(row[0]) if row else 0

    def bump_generation(self) -> int:
        generation = self.generation() + 1
        self.set_meta("generation", str(generation))
        return generation

    def set_meta(self, key: str, value: str) -> None:
        self._conn.execute(
            "INSERT INTO meta(key, value) VALUES (%s, %s) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    def log_changes(self, generation: int, removed: Sequence[int], added: Sequence[int]) -> None:
        with self._conn.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO changes(generation, chunk_id, added) VALUES (%s, %s, %s)",
                [(generation, i, False) for i in removed] + [(generation, i, True) for i in added],
            )

    def changes_since(self, generation: int) -> tuple[np.ndarray, np.ndarray] | None:
        oldest = self._conn.execute("SELECT min(generation) FROM changes").fetchone()[0]
        if generation < self.generation() and (oldest is None or oldest > generation + 1):
            return None
        rows = self._conn.execute("SELECT chunk_id, added FROM changes WHERE generation > %s", (generation,)).fetchall()
        removed = np.fromiter((i for i, added in rows if not added), dtype=np.int64)
        added = np.fromiter((i for i, added in rows if added), dtype=np.int64)
        return removed, added

    def forget_changes_before(self, generation: int) -> None:
        self._conn.execute("DELETE FROM changes WHERE generation < %s", (generation,))

    def counts(self) -> tuple[int, int]:
        row = self._conn.execute("SELECT (SELECT count(*) FROM articles), (SELECT count(*) FROM chunks)").fetchone()
        return row[0], row[1]

    def content_hashes(self, article_ids: Sequence[str]) -> dict[str, str]:
        return dict(self._conn.execute(
            "SELECT id, content_hash FROM articles WHERE id = ANY(%s)", (list(article_ids),)
        ).fetchall())

    def vectors_by_embed_hash(self, embed_hashes: Sequence[str]) -> dict[str, np.ndarray]:
        rows = self._conn.execute(
            "SELECT embed_hash, vector FROM chunks WHERE embed_hash = ANY(%s)", (list(embed_hashes),)
        ).fetchall()
        return {h: np.frombuffer(blob, dtype="<f4") for h, blob in rows}

    def vectors_of(self, chunk_ids: Sequence[int]) -> tuple[np.ndarray, list[np.ndarray]]:
        rows = self._conn.execute(
            "SELECT id, vector FROM chunks WHERE id = ANY(%s)", ([int(i) for i in chunk_ids],)
        ).fetchall()
        return np.array([r[0] for r in rows], dtype=np.int64), [np.frombuffer(r[1], dtype="<f4") for r in rows]

    def replace_article(self, article: ArticleRecord, chunks: Sequence[ChunkRecord]) -> tuple[list[int], list[int]]:
        removed = self._chunk_ids(article.id)
        self._conn.execute("DELETE FROM chunks WHERE article_id = %s", (article.id,))
        self._upsert_article(article)
        with self._conn.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO chunks(article_id, seq, start_char, end_char, chunk_key, embed_hash, vector) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s)",
                [
                    (article.id, seq, c.start, c.end, c.key, c.embed_hash, vector_bytes(c.vector))
                    for seq, c in enumerate(chunks)
                ],
            )
            self._conn.execute("DELETE FROM story_bands WHERE article_id = %s", (article.id,))
            if article.story is not None:
                cursor.executemany(
                    "INSERT INTO story_bands(band_key, article_id) VALUES (%s, %s)",
                    [(key, article.id) for key in article.story.band_keys],
                )
            self._conn.execute("DELETE FROM speech WHERE article_id = %s", (article.id,))
            cursor.executemany(speech_insert("%s"), speech_rows(article))
        return removed, self._chunk_ids(article.id)

    def delete_article(self, article_id: str) -> list[int] | None:
        removed = self._chunk_ids(article_id)
        cursor = self._conn.execute("DELETE FROM articles WHERE id = %s", (article_id,))
        return removed if cursor.rowcount else None

    def speech(self, article_ids: Sequence[str]) -> dict[str, list[SpeechRecord]]:
        rows = self._conn.execute(
            f"SELECT article_id, {SPEECH_COLUMNS} FROM speech WHERE article_id = ANY(%s) ORDER BY article_id, start_char",
            (list(article_ids),),
        ).fetchall()
        return speech_by_article(rows, article_ids)

    def statements(self, speaker_key: str, chunk_filter: ChunkFilter, limit: int = 5000) -> list[Statement]:
        query, params = statements_query(speaker_key, chunk_filter, limit, "%s", _one_of)
        return statements(self._conn.execute(query, params).fetchall())

    def story_candidates(self, band_keys: Sequence[int]) -> list[StoryCandidate]:
        rows = self._conn.execute(
            "SELECT DISTINCT a.id, a.cluster_id, a.fingerprint FROM story_bands b "
            "JOIN articles a ON a.id = b.article_id WHERE b.band_key = ANY(%s)", (list(band_keys),),
        ).fetchall()
        return [StoryCandidate(row[0], row[1], bytes(row[2])) for row in rows if row[2] is not None]

    def article(self, article_id: str) -> StoredArticle | None:
        row = self._conn.execute(
            f"SELECT {ARTICLE_COLUMNS}, {CHUNK_COUNT} FROM articles WHERE id = %s", (article_id,)
        ).fetchone()
        return stored_article(row) if row else None

    def newest_articles(self, limit: int, after: tuple[int, str] | None) -> list[tuple[int, StoredArticle]]:
        where, params = "", []
        if after is not None:
            where = f"WHERE {NEWEST_FIRST_KEY} < %s OR ({NEWEST_FIRST_KEY} = %s AND id > %s)"
            params = [after[0], after[0], after[1]]
        rows = self._conn.execute(
            f"SELECT {ARTICLE_COLUMNS}, {CHUNK_COUNT}, {NEWEST_FIRST_KEY} FROM articles {where} "
            f"ORDER BY {NEWEST_FIRST_KEY} DESC, id LIMIT %s", [*params, limit],
        ).fetchall()
        return [(row[-1], stored_article(row[:-1])) for row in rows]

    def all_chunk_ids(self) -> np.ndarray:
        rows = self._conn.execute("SELECT id FROM chunks").fetchall()
        return np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))

    def chunk_views(self, row_ids: Sequence[int]) -> list[ChunkView]:
        with self.snapshot():  # the chunks and their articles' texts of one version
            rows = self._conn.execute(
                f"SELECT {CHUNK_VIEW_COLUMNS} FROM chunks c JOIN articles a ON a.id = c.article_id WHERE c.id = ANY(%s)",
                ([int(i) for i in row_ids],),
            ).fetchall()
            return chunk_views(rows, self.article_texts(sorted({row[2] for row in rows})), row_ids)

    def article_texts(self, article_ids: Sequence[str]) -> dict[str, str]:
        return dict(self._conn.execute("SELECT id, text FROM articles WHERE id = ANY(%s)", (list(article_ids),)).fetchall())

    def articles_of_chunks(self, chunk_ids: Sequence[int]) -> list[str]:
        rows = self._conn.execute(
            "SELECT DISTINCT article_id FROM chunks WHERE id = ANY(%s)", ([int(i) for i in chunk_ids],)
        ).fetchall()
        return sorted(row[0] for row in rows)

    def all_article_ids(self) -> list[str]:
        return [row[0] for row in self._conn.execute("SELECT id FROM articles ORDER BY id").fetchall()]

    def catalog_articles(self, article_ids: Sequence[str]) -> list[CatalogArticle]:
        spans = self._conn.execute(
            f"SELECT {CATALOG_CHUNK_COLUMNS} FROM chunks WHERE article_id = ANY(%s)", (list(article_ids),)
        ).fetchall()
        fields = self._conn.execute(
            f"SELECT {CATALOG_ARTICLE_COLUMNS} FROM articles WHERE id = ANY(%s)", (list(article_ids),)
        ).fetchall()
        return catalog_articles(spans, fields)

    def iter_vectors(self, batch_size: int = 10_000) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        last_id = 0
        while True:
            rows = self._conn.execute(
                "SELECT id, vector FROM chunks WHERE id > %s ORDER BY id LIMIT %s", (last_id, batch_size)
            ).fetchall()
            if not rows:
                return
            ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
            yield ids, np.vstack([np.frombuffer(r[1], dtype="<f4") for r in rows])
            last_id = rows[-1][0]

    def _chunk_ids(self, article_id: str) -> list[int]:
        rows = self._conn.execute("SELECT id FROM chunks WHERE article_id = %s ORDER BY seq", (article_id,))
        return [r[0] for r in rows.fetchall()]

    def _upsert_article(self, a: ArticleRecord) -> None:
        now = datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")
        story = a.story
        self._conn.execute(
            f"INSERT INTO articles({ARTICLE_COLUMNS}, fingerprint) VALUES "
            "(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) "
            "ON CONFLICT(id) DO UPDATE SET text = excluded.text, title = excluded.title, "
            "url = excluded.url, source = excluded.source, authors = excluded.authors, "
            "published_at = excluded.published_at, published_ts = excluded.published_ts, "
            "content_hash = excluded.content_hash, cluster_id = excluded.cluster_id, "
            "fingerprint = excluded.fingerprint, updated_at = excluded.updated_at",
            (a.id, a.text, a.title, a.url, a.source, json.dumps(list(a.authors), ensure_ascii=False),
             a.published_at, a.published_ts, a.content_hash, story.cluster_id if story else None, now, now,
             story.fingerprint if story else None),
        )

    def _migrate(self) -> None:
        conn = self._conn
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
            conn.execute("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY)")
            done = {row[0] for row in conn.execute("SELECT version FROM schema_migrations").fetchall()}
            for version, migration in enumerate(MIGRATIONS, start=1):
                if version not in done:
                    if isinstance(migration, str):
                        conn.execute(migration)
                    else:
                        migration(conn)
                    conn.execute("INSERT INTO schema_migrations(version) VALUES (%s)", (version,))


def _one_of(column: str, values: Sequence[str]) -> tuple[str, list[str]]:
    return f"{column} = ANY(%s)", list(values)


def open_postgres(url: str) -> PostgresDatabase:
    import psycopg

    from index.errors import StoreUnavailable

    try:
        return PostgresDatabase(url)
    except (psycopg.OperationalError, psycopg.errors.InsufficientPrivilege) as error:
        raise StoreUnavailable(f"cannot use the PostgreSQL database: {error}") from None
