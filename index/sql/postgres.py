"""PostgreSQL in place of SQLite, for several replicas sharing one archive: the same tables, the same
generation and change log, the same queries (index.sql.database).

Differences that matter: the schema is created and upgraded by numbered migrations under an advisory
lock, so replicas starting together do not race; snapshots are REPEATABLE READ transactions. BM25 is
not here: Milvus has it where it has full-text search (2.5+: index.catalog.engines); else each replica
keeps it in memory (index.catalog.catalog).
"""

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from index.errors import StoreLocked, StoreUnavailable
from index.files.lock import wait_for
from index.sql.connections import ThreadConnections
from index.sql.database import SqlDatabase
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
    # Format 8: each article's entities (the articles kept have none until they are ingested again).
    """
    CREATE TABLE entities (
        article_id TEXT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
        start_char INTEGER NOT NULL,
        end_char INTEGER NOT NULL,
        label TEXT NOT NULL
    );
    CREATE INDEX entities_by_article ON entities(article_id, start_char);
    UPDATE meta SET value = '8' WHERE key = 'format_version';
    """,
    # Format 9: the newsroom's fields and the sources followed; the time the service stored a version
    # becomes `stored_at`.
    """
    ALTER TABLE articles RENAME COLUMN updated_at TO stored_at;
    ALTER TABLE articles ADD COLUMN section TEXT;
    ALTER TABLE articles ADD COLUMN tags TEXT NOT NULL DEFAULT '[]';
    ALTER TABLE articles ADD COLUMN language TEXT;
    ALTER TABLE articles ADD COLUMN updated_at TEXT;
    ALTER TABLE articles ADD COLUMN updated_ts BIGINT;
    ALTER TABLE articles ADD COLUMN embargo_until TEXT;
    ALTER TABLE articles ADD COLUMN embargo_ts BIGINT;
    ALTER TABLE articles ADD COLUMN visibility TEXT NOT NULL DEFAULT 'public';
    CREATE TABLE article_tags (article_id TEXT NOT NULL REFERENCES articles(id) ON DELETE CASCADE, tag TEXT NOT NULL);
    CREATE INDEX article_tags_by_tag ON article_tags(tag, article_id);
    CREATE INDEX article_tags_by_article ON article_tags(article_id);
    CREATE TABLE sources (
        id TEXT PRIMARY KEY, url TEXT NOT NULL UNIQUE, every_seconds BIGINT NOT NULL, visibility TEXT NOT NULL,
        added_at TEXT NOT NULL, next_due_ts BIGINT NOT NULL, last_run TEXT
    );
    CREATE TABLE fetched (
        source_id TEXT NOT NULL REFERENCES sources(id) ON DELETE CASCADE, url TEXT NOT NULL, etag TEXT,
        last_modified TEXT, listed_at TEXT, article_id TEXT, fetched_at TEXT NOT NULL, PRIMARY KEY (source_id, url)
    );
    UPDATE meta SET value = '9' WHERE key = 'format_version';
    """,
    # Format 10: each article's date copied into its speech rows, for a speaker's newest statements.
    """
    ALTER TABLE speech ADD COLUMN published_ts BIGINT;
    UPDATE speech s SET published_ts = a.published_ts FROM articles a WHERE a.id = s.article_id;
    DROP INDEX IF EXISTS speech_by_speaker;
    CREATE INDEX speech_by_speaker_newest ON speech(speaker_key, coalesce(published_ts, -4611686018427387904) DESC,
                                                    article_id, start_char);
    UPDATE meta SET value = '10' WHERE key = 'format_version';
    """,
]
# Any constant, the same in every replica: the keys of the advisory locks taken by migrations and by writers.
MIGRATION_LOCK = 7_305_117
WRITER_LOCK = 7_305_118


class PostgresDatabase(SqlDatabase):
    """One connection per thread, each in autocommit mode with explicit transactions."""

    # The expression the first migration indexes (the same number as index.records.UNDATED).
    NEWEST_FIRST_KEY = "coalesce(published_ts, -4611686018427387904)"

    def __init__(self, url: str) -> None:
        import psycopg  # only the scale-out mode needs it

        self._idle = psycopg.pq.TransactionStatus.IDLE
        self._connections = ThreadConnections(lambda: psycopg.connect(url, autocommit=True))
        self._migrate()

    @property
    def _conn(self):
        return self._connections.get()

    def release_thread(self) -> None:
        self._connections.release_thread()

    def close(self) -> None:
        self._connections.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        with self._conn.transaction():
            yield

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        conn = self._conn
        if conn.info.transaction_status != self._idle:
            yield
            return
        conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        try:
            yield
        finally:
            conn.execute("COMMIT")

    @contextmanager
    def setup_lock(self) -> Iterator[None]:
        conn = self._conn
        conn.execute("SELECT pg_advisory_lock(%s)", (MIGRATION_LOCK,))
        try:
            yield
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (MIGRATION_LOCK,))

    @contextmanager
    def writer_lock(self, wait: float = 0.0) -> Iterator[None]:
        """A session advisory lock, released if this process dies."""
        conn = self._conn
        if not wait_for(lambda: conn.execute("SELECT pg_try_advisory_lock(%s)", (WRITER_LOCK,)).fetchone()[0], wait):
            raise StoreLocked("another replica is writing to the archive; wait for it to finish")
        try:
            yield
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (WRITER_LOCK,))

    # The shared queries mark parameters with `?`; psycopg's mark is `%s` (no query holds a literal ? or %).
    def _execute(self, query: str, params: Sequence[Any] = ()) -> Any:
        return self._conn.execute(query.replace("?", "%s"), params)

    def _executemany(self, query: str, rows: Sequence[Sequence[Any]]) -> None:
        with self._conn.cursor() as cursor:
            cursor.executemany(query.replace("?", "%s"), rows)

    def _rows_in(self, query: str, values: Sequence[Any]) -> list[tuple]:
        return self._execute(query.replace("IN ({})", "= ANY(?)"), (list(values),)).fetchall()

    def _one_of(self, column: str, values: Sequence[str]) -> tuple[str, list[str]]:
        return f"{column} = ANY(?)", list(values)

    def _create_schema(self) -> None:
        pass  # the migrations made it when connecting

    def _lock_meta(self) -> None:
        self._conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))

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


def open_postgres(url: str) -> PostgresDatabase:
    import psycopg

    try:
        return PostgresDatabase(url)
    except (psycopg.OperationalError, psycopg.errors.InsufficientPrivilege) as error:
        raise StoreUnavailable(f"cannot use the PostgreSQL database: {error}") from None
