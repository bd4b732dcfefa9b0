"""An index of format 8 (before the newsroom's fields and the sources followed) is upgraded in place: its
articles keep what they had, read as public and untagged, and the time each was stored is kept."""

import json
import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest

from index.files.manifest import FORMAT_VERSION, MANIFEST_FILE
from index.records import ChunkFilter, Newsroom
from index.sql.sqlite import DATABASE_FILE
from index.store import opening
from tests.contract.rows import DIM, article, chunks, put
from tests.index.sql.old_formats import ARTICLES_OF_FORMAT_8
from tests.index.store.test_store import open_store


def test_an_index_of_format_8_gains_the_newsroom_fields_and_sources_in_place(tmp_path: Path) -> None:
    put(open_store(tmp_path), (article("a", published="2024-03-01"), chunks("a", 1)))
    conn = sqlite3.connect(tmp_path / DATABASE_FILE)
    stored_at = conn.execute("SELECT stored_at FROM articles").fetchone()[0]
    conn.executescript(f"{ARTICLES_OF_FORMAT_8} UPDATE meta SET value = '8' WHERE key = 'format_version';")
    conn.close()
    manifest = json.loads((tmp_path / MANIFEST_FILE).read_text())
    (tmp_path / MANIFEST_FILE).write_text(json.dumps({**manifest, "format_version": 8}))
    reopened = open_store(tmp_path)
    kept = reopened.article("a")
    assert kept.newsroom == Newsroom() and kept.stored_at == stored_at and kept.published_at == "2024-03-01"
    put(reopened, (replace(article("b"), newsroom=Newsroom(section="sport", tags=("cup",))), chunks("b", 1)))
    assert [a.id for a in reopened.list_articles(10, None, ChunkFilter(tags=("cup",))).articles] == ["b"]
    assert reopened.source_registry.sources() == []
    conn = sqlite3.connect(tmp_path / DATABASE_FILE)
    assert dict(conn.execute("SELECT key, value FROM meta"))["format_version"] == str(FORMAT_VERSION) == "10"


@pytest.mark.integration
def test_a_postgresql_archive_of_format_8_is_migrated(tmp_path: Path, postgres_url: str) -> None:
    import psycopg

    from index.sql.postgres import MIGRATIONS

    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY)")
        for version, migration in enumerate(MIGRATIONS[:-2], start=1):
            if isinstance(migration, str):
                conn.execute(migration)
            else:
                migration(conn)
            conn.execute("INSERT INTO schema_migrations VALUES (%s)", (version,))
        conn.execute("INSERT INTO meta VALUES ('model', 'm'), ('dimension', %s), ('format_version', '8') "
                     "ON CONFLICT (key) DO UPDATE SET value = excluded.value", (str(DIM),))
        conn.execute("INSERT INTO articles(id, authors, text, content_hash, ingested_at, updated_at) "
                     "VALUES ('a', '[]', 'Alpha beta.', 'h', '2024-01-01T00:00:00Z', '2024-01-02T00:00:00Z')")
    store = opening.open_store(tmp_path, model="m", dimension=DIM, faiss_index="Flat", create=True,
                               database_url=postgres_url)
    try:
        kept = store.article("a")
        assert kept.stored_at == "2024-01-02T00:00:00Z" and kept.newsroom == Newsroom()
        put(store, (replace(article("b"), newsroom=Newsroom(language="fr", visibility="internal")), chunks("b", 1)))
        assert store.article("b").newsroom.visibility == "internal"
    finally:
        store.close()
    with psycopg.connect(postgres_url) as conn:
        assert conn.execute("SELECT value FROM meta WHERE key = 'format_version'").fetchone()[0] == str(FORMAT_VERSION)
