"""Speech rows as the databases keep them: speaker keys, and the upgrades that brought older indexes to them
(the rows themselves, on every backend, are in tests/contract/test_speech_and_stories.py)."""

import json
import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest

from index.sql.sqlite import DATABASE_FILE, SqliteDatabase
from index.files.manifest import FORMAT_VERSION, MANIFEST_FILE
from index.records import ArticleRecord, ChunkFilter, EntityRecord, SpeechRecord
from index.speakers import speaker_key
from index.store import opening
from tests.contract.rows import DIM, article, chunks, put, seconds
from tests.index.sql.old_formats import ARTICLES_OF_FORMAT_8, SPEECH_OF_FORMAT_9
from tests.index.store.test_store import open_store

BLINKEN = ("Secretary of State",)


def said(start: int, speaker: str | None, kind: str = "indirect") -> SpeechRecord:
    return SpeechRecord(start, start + 5, speaker, "said", BLINKEN if speaker else (), kind)


def quoting(record: ArticleRecord, *speech: SpeechRecord) -> tuple[ArticleRecord, list]:
    return replace(record, speech=speech), chunks(record.id, 1)


@pytest.mark.parametrize(
    ("name", "key"),
    [("Antony Blinken", "blinken"), ("Blinken's", "blinken"), ("Blinken’s,", "blinken"), ("Pérez", "perez"),
     ("Hannah-Beth Jackson", "jackson"), ("J.R. Ford", "ford"), ("BLINKEN", "blinken"), ("Ford —", "ford"),
     ("", ""), (" — ", "")],
)
def test_speaker_keys(name: str, key: str) -> None:
    assert speaker_key(name) == key


@pytest.mark.parametrize(("fields", "message"), [((0, 5, "Blinken", "said", (), "quoted"), "got 'quoted'"),
                                                 ((5, 5, "Blinken", "said"), "start=5 end=5")])
def test_a_speech_record_is_checked_on_construction(fields: tuple, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        SpeechRecord(*fields)


# The speech table as format 6 made it: every speaker named, no kind and no key.
FORMAT_6_SPEECH = """CREATE TABLE speech (
    article_id TEXT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    start_char INTEGER NOT NULL, end_char INTEGER NOT NULL, speaker TEXT NOT NULL, cue TEXT NOT NULL,
    titles TEXT NOT NULL
) STRICT"""


def test_an_index_of_format_6_is_upgraded_in_place_keeping_its_speech(tmp_path: Path) -> None:
    put(open_store(tmp_path), quoting(article("a", published="2022-01-01")))
    conn = sqlite3.connect(tmp_path / DATABASE_FILE)
    conn.executescript(f"{ARTICLES_OF_FORMAT_8} DROP TABLE speech; {FORMAT_6_SPEECH}; "
                       "CREATE INDEX speech_by_article ON speech(article_id, start_char);"
                       "UPDATE meta SET value = '6' WHERE key = 'format_version';")
    conn.execute("INSERT INTO speech VALUES ('a', 0, 5, 'Ana Pérez', 'said', ?)", (json.dumps(["minister"]),))
    conn.commit()
    conn.close()
    manifest = json.loads((tmp_path / MANIFEST_FILE).read_text())
    (tmp_path / MANIFEST_FILE).write_text(json.dumps({**manifest, "format_version": 6}))
    reopened = open_store(tmp_path)
    assert [s.speech for s in reopened.statements("perez", ChunkFilter())] == [
        SpeechRecord(0, 5, "Ana Pérez", "said", ("minister",), "indirect")
    ]
    put(reopened, quoting(article("b"), said(0, None, "direct")))
    assert reopened.speech(["b"]) == {"b": [said(0, None, "direct")]}
    conn = sqlite3.connect(tmp_path / DATABASE_FILE)
    assert dict(conn.execute("SELECT key, value FROM meta"))["format_version"] == str(FORMAT_VERSION) == "10"
    indexes = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE tbl_name = 'speech'")}
    assert indexes == {"speech", "speech_by_article", "speech_by_speaker_newest"}


def test_an_upgrade_another_process_made_first_is_not_made_again(tmp_path: Path) -> None:
    put(open_store(tmp_path), quoting(article("a"), said(0, "Blinken", "direct")))
    database = SqliteDatabase(tmp_path / DATABASE_FILE)
    database.upgrade("7", ["DELETE FROM speech"], "8")
    assert database.meta()["format_version"] == str(FORMAT_VERSION) and len(database.speech(["a"])["a"]) == 1
    database.close()


@pytest.mark.integration
def test_a_postgresql_archive_of_format_6_is_migrated_keeping_its_speech(tmp_path: Path, postgres_url: str) -> None:
    import psycopg

    from index.sql.postgres import MIGRATIONS

    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY)")
        for version, sql in enumerate(MIGRATIONS[:2], start=1):
            conn.execute(sql)
            conn.execute("INSERT INTO schema_migrations VALUES (%s)", (version,))
        conn.execute("INSERT INTO meta VALUES ('model', 'm'), ('dimension', %s), ('format_version', '6')", (str(DIM),))
        conn.execute("INSERT INTO articles(id, authors, text, content_hash, ingested_at, updated_at) "
                     "VALUES ('a', '[]', 'Alpha beta.', 'h', 'now', 'now')")
        conn.execute("INSERT INTO speech VALUES ('a', 0, 5, 'Ana Pérez', 'said', '[]')")
    store = opening.open_store(tmp_path, model="m", dimension=DIM, faiss_index="Flat", create=True, database_url=postgres_url)
    assert [s.speech for s in store.statements("perez", ChunkFilter())] == [SpeechRecord(0, 5, "Ana Pérez", "said")]
    put(store, quoting(article("b"), said(0, None, "mixed")))
    assert store.speech(["b"]) == {"b": [said(0, None, "mixed")]}
    store.close()
    with psycopg.connect(postgres_url) as conn:
        assert conn.execute("SELECT value FROM meta WHERE key = 'format_version'").fetchone()[0] == str(FORMAT_VERSION)




def test_an_index_of_format_7_gains_an_entities_table_in_place(tmp_path: Path) -> None:
    put(open_store(tmp_path), quoting(article("a")))
    conn = sqlite3.connect(tmp_path / DATABASE_FILE)
    conn.executescript(f"{ARTICLES_OF_FORMAT_8} DROP TABLE entities; "
                       "UPDATE meta SET value = '7' WHERE key = 'format_version';")
    conn.close()
    manifest = json.loads((tmp_path / MANIFEST_FILE).read_text())
    (tmp_path / MANIFEST_FILE).write_text(json.dumps({**manifest, "format_version": 7}))
    reopened = open_store(tmp_path)
    assert reopened.entities(["a"]) == {"a": []}
    put(reopened, (replace(article("b"), entities=(EntityRecord(0, 5, "PERSON"),)), chunks("b", 1)))
    assert reopened.entities(["b"]) == {"b": [EntityRecord(0, 5, "PERSON")]}


def test_an_index_of_format_9_dates_its_speech_rows_in_place(tmp_path: Path) -> None:
    put(open_store(tmp_path), quoting(article("old", published="2022-01-01"), said(0, "Blinken")),
        quoting(article("new", published="2023-01-01"), said(0, "Blinken")),
        quoting(article("undated"), said(0, "Blinken")))
    conn = sqlite3.connect(tmp_path / DATABASE_FILE)
    conn.executescript(f"{SPEECH_OF_FORMAT_9} UPDATE meta SET value = '9' WHERE key = 'format_version';")
    conn.close()
    manifest = json.loads((tmp_path / MANIFEST_FILE).read_text())
    (tmp_path / MANIFEST_FILE).write_text(json.dumps({**manifest, "format_version": 9}))
    reopened = open_store(tmp_path)
    assert [s.article_id for s in reopened.statements("blinken", ChunkFilter())] == ["new", "old", "undated"]
    assert [s.article_id for s in reopened.statements("blinken", ChunkFilter(not_after=seconds("2022-06-01")))] == [
        "old", "undated"]
    conn = sqlite3.connect(tmp_path / DATABASE_FILE)
    assert conn.execute("SELECT count(*) FROM speech WHERE published_ts IS NOT NULL").fetchone()[0] == 2
    plan = " ".join(str(row) for row in conn.execute(
        "EXPLAIN QUERY PLAN SELECT article_id FROM speech s WHERE speaker_key = 'blinken' "
        "ORDER BY coalesce(s.published_ts, -4611686018427387904) DESC, s.article_id, s.start_char LIMIT 2"))
    assert "speech_by_speaker_newest" in plan and "TEMP B-TREE" not in plan  # read in order, not sorted
