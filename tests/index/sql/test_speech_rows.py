"""Who said what, as the index stores it: speech rows with their kind and speaker key, read back by
article and by speaker within a filter, on SQLite, on PostgreSQL, and on PostgreSQL with Milvus."""

import json
import sqlite3
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from index.sql.sqlite import DATABASE_FILE, Database
from index.files.manifest import FORMAT_VERSION, MANIFEST_FILE
from index.records import ArticleRecord, ChunkFilter, SpeechRecord, Statement
from index.speakers import speaker_key
from index.store.store import IndexStore
from tests.index.store.test_store import DIM, article, chunks, open_store, put, seconds

BLINKEN = ("Secretary of State",)


def said(start: int, speaker: str | None, kind: str = "indirect") -> SpeechRecord:
    return SpeechRecord(start, start + 5, speaker, "said", BLINKEN if speaker else (), kind)


def quoting(record: ArticleRecord, *speech: SpeechRecord) -> tuple[ArticleRecord, list]:
    return replace(record, speech=speech), chunks(record.id, 1)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.integration),
                        pytest.param("shared", marks=pytest.mark.integration)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator:
    if request.param == "sqlite":
        opened = open_store(tmp_path)
    elif request.param == "postgres":
        opened = IndexStore.open(tmp_path, model="m", dimension=DIM, faiss_index="Flat", create=True,
                                 database_url=request.getfixturevalue("postgres_url"))
    else:
        from index.store.shared import SharedStore

        opened = SharedStore.open(tmp_path, database_url=request.getfixturevalue("postgres_url"),
                                  milvus_uri=str(tmp_path / "milvus-lite.db"), milvus_token=None, collection="speech",
                                  index_type="FLAT", model="m", dimension=DIM)
    yield opened
    opened.close()


@pytest.fixture
def quoted(store):
    put(
        store,
        quoting(article("old", source="wire", published="2022-01-01"), said(0, "Blinken", "direct"), said(6, None)),
        quoting(article("new", source="wire", published="2022-06-01"), said(6, "Antony Blinken"),
                said(0, "Blinken", "mixed")),
        quoting(article("other", source="blog", published="2022-03-01"), said(0, "Pérez"), said(11, "Blinken’s")),
        quoting(article("undated"), said(0, "Mr. Blinken")),
    )
    return store


def found(store, chunk_filter: ChunkFilter = ChunkFilter(), key: str = "blinken", limit: int = 5000) -> list:
    return [(s.article_id, s.speech.start) for s in store.statements(key, chunk_filter, limit)]


def test_kinds_and_unnamed_speakers_read_back_as_written(quoted) -> None:
    assert quoted.speech(["old", "missing"]) == {
        "old": [SpeechRecord(0, 5, "Blinken", "said", BLINKEN, "direct"), SpeechRecord(6, 11, None, "said", (), "indirect")],
        "missing": [],
    }


def test_statements_come_newest_first_undated_last_then_by_article_and_place(quoted) -> None:
    assert found(quoted) == [("new", 0), ("new", 6), ("other", 11), ("old", 0), ("undated", 0)]
    assert found(quoted, limit=2) == [("new", 0), ("new", 6)]
    assert found(quoted, key="perez") == [("other", 0)]


def test_a_statement_carries_its_article_fields(quoted) -> None:
    assert quoted.statements("blinken", ChunkFilter(article_ids=("other",))) == [Statement(
        "other", SpeechRecord(11, 16, "Blinken’s", "said", BLINKEN), "Title other", None, "blog", "2022-03-01",
        seconds("2022-03-01"), "gamma",
    )]


def test_a_statement_carries_its_sentence_cut_by_characters_not_bytes(store) -> None:
    text = "Él dijo: “Über alles.” José Pérez said the toll would rise."
    start = text.index("José")
    put(store, quoting(replace(article("accents"), text=text), SpeechRecord(start, len(text), "José Pérez", "said")))
    [statement] = store.statements("perez", ChunkFilter())
    assert statement.quote == text[start:] == "José Pérez said the toll would rise."


@pytest.mark.parametrize(
    ("chunk_filter", "expected"),
    [
        (ChunkFilter(sources=("wire",)), [("new", 0), ("new", 6), ("old", 0)]),
        (ChunkFilter(article_ids=("other", "undated")), [("other", 11), ("undated", 0)]),
        (ChunkFilter(published_from=seconds("2022-02-01")), [("new", 0), ("new", 6), ("other", 11)]),
        (ChunkFilter(published_to=seconds("2022-03-01")), [("other", 11), ("old", 0)]),
        (ChunkFilter(not_after=seconds("2022-04-01")), [("other", 11), ("old", 0), ("undated", 0)]),
        (ChunkFilter(sources=("wire",), published_to=seconds("2022-02-01")), [("old", 0)]),
        (ChunkFilter(sources=("nobody",)), []),
    ],
)
def test_statements_keep_to_the_filter(quoted, chunk_filter: ChunkFilter, expected: list) -> None:
    assert found(quoted, chunk_filter) == expected


def test_nobody_is_found_by_an_empty_key_and_the_limit_must_be_positive(quoted) -> None:
    assert found(quoted, key="") == []
    with pytest.raises(ValueError, match="limit must be at least 1, got 0"):
        quoted.statements("blinken", ChunkFilter(), limit=0)


def test_a_replaced_article_has_only_its_new_rows_and_a_deleted_one_none(quoted) -> None:
    put(quoted, quoting(article("new", source="wire", published="2022-06-01", version="2"), said(3, "Pérez", "direct")))
    assert found(quoted, key="perez") == [("new", 3), ("other", 0)]
    assert ("new", 0) not in found(quoted)
    with quoted.writing():
        quoted.delete("old")
    assert found(quoted) == [("other", 11), ("undated", 0)]
    assert quoted.speech(["old"]) == {"old": []}


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
    conn.executescript(f"DROP TABLE speech; {FORMAT_6_SPEECH}; CREATE INDEX speech_by_article ON speech(article_id, start_char);"
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
    assert dict(conn.execute("SELECT key, value FROM meta"))["format_version"] == str(FORMAT_VERSION) == "7"
    indexes = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE tbl_name = 'speech'")}
    assert indexes == {"speech", "speech_by_article", "speech_by_speaker"}


def test_an_upgrade_another_process_made_first_is_not_made_again(tmp_path: Path) -> None:
    put(open_store(tmp_path), quoting(article("a"), said(0, "Blinken", "direct")))
    database = Database(tmp_path / DATABASE_FILE)
    database.upgrade("6", ["DELETE FROM speech"], "7")
    assert database.meta()["format_version"] == "7" and len(database.speech(["a"])["a"]) == 1
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
    store = IndexStore.open(tmp_path, model="m", dimension=DIM, faiss_index="Flat", create=True, database_url=postgres_url)
    assert [s.speech for s in store.statements("perez", ChunkFilter())] == [SpeechRecord(0, 5, "Ana Pérez", "said")]
    put(store, quoting(article("b"), said(0, None, "mixed")))
    assert store.speech(["b"]) == {"b": [said(0, None, "mixed")]}
    store.close()
    with psycopg.connect(postgres_url) as conn:
        assert conn.execute("SELECT value FROM meta WHERE key = 'format_version'").fetchone()[0] == "7"


def test_chunk_counts_tell_a_short_article_from_a_long_one(store) -> None:
    put(store, (article("short"), chunks("short", 1)), (article("long"), chunks("long", 3, seed=1)))
    assert store.chunk_counts(["short", "long", "missing"]) == {"short": 1, "long": 3}
