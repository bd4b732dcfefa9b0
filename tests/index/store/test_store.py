import json
import sqlite3
from datetime import datetime, timezone
from pathlib import Path

import faiss
import numpy as np
import pytest

from index.errors import IncompatibleStore, InvalidCursor, StoreLocked, StoreNotFound
from index.catalog.keeper import CATALOG_FILE
from index.sql.sqlite import DATABASE_FILE
from index.files.manifest import FORMAT_VERSION, MANIFEST_FILE, read_manifest
from index.records import ArticleRecord, ChunkFilter, ChunkRecord
from index.vectors import faiss as vectors_module
from index.store.store import VECTORS_FILE, IndexStore

DIM = 8


def open_store(directory: Path, *, model: str = "m", dimension: int = DIM, faiss_index: str = "Flat",
               create: bool = True) -> IndexStore:
    return IndexStore.open(directory, model=model, dimension=dimension, faiss_index=faiss_index, create=create)


def unit(seed: int) -> np.ndarray:
    vector = np.random.default_rng(seed).normal(size=DIM).astype(np.float32)
    return vector / np.linalg.norm(vector)


def article(article_id: str, text: str = "Alpha beta gamma delta.", version: str = "1", source: str | None = None,
            published: str | None = None) -> ArticleRecord:
    published_ts = int(datetime.fromisoformat(published).replace(tzinfo=timezone.utc).timestamp()) if published else None
    return ArticleRecord(article_id, text, f"Title {article_id}", None, source, (), published, published_ts, f"hash-{version}")


def chunks(article_id: str, count: int, seed: int = 0) -> list[ChunkRecord]:
    return [ChunkRecord(i, i + 5, f"{article_id}-{seed}-{i}", f"e-{article_id}-{seed}-{i}", unit(seed * 100 + i))
            for i in range(count)]


def nearest(store: IndexStore, vector: np.ndarray, k: int, chunk_filter: ChunkFilter | None = None) -> list:
    return store.chunk_views([ref.row_id for ref in store.search(vector, k, chunk_filter).dense])


def put(store: IndexStore, *items: tuple[ArticleRecord, list[ChunkRecord]]) -> None:
    with store.writing():
        store.put(list(items))


def test_put_search_and_read_back(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    put(store, (article("a"), chunks("a", 3)), (article("b"), chunks("b", 2, seed=1)))
    hits = store.search(unit(101), k=2)
    view = store.chunk_views([hits.dense[0].row_id])[0]
    assert (view.article_id, view.key, view.start, view.end) == ("b", "b-1-1", 1, 6)
    assert view.text == "Alpha beta gamma delta."[1:6] and hits.cosines[view.row_id] == pytest.approx(1.0, abs=1e-5)
    assert store.stats().articles == 2 and store.stats().chunks == store.stats().vectors == 5
    assert store.article("a").title == "Title a"


def vector_ids(store: IndexStore) -> list[int]:
    return sorted(faiss.vector_to_array(store._vectors._index.id_map).tolist())


def chunk_ids(store: IndexStore) -> list[int]:
    return [row[0] for row in store._db._conn.execute("SELECT id FROM chunks ORDER BY id")]


def test_replacing_an_article_leaves_no_orphan_rows_or_vectors(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    put(store, (article("a"), chunks("a", 4)), (article("b"), chunks("b", 2, seed=1)))
    put(store, (article("a", version="2"), chunks("a", 2, seed=7)))
    stats = store.stats()
    assert (stats.articles, stats.chunks, stats.vectors) == (2, 4, 4)
    assert vector_ids(store) == chunk_ids(store)
    assert {v.key for v in nearest(store, unit(0), k=10) if v.article_id == "a"} == {"a-7-0", "a-7-1"}


def test_delete_removes_article_chunks_and_vectors(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    put(store, (article("a"), chunks("a", 3)), (article("b"), chunks("b", 1, seed=1)))
    with store.writing():
        assert store.delete("a") is True
        assert store.delete("a") is False
    stats = store.stats()
    assert (stats.articles, stats.chunks, stats.vectors) == (1, 1, 1)
    assert vector_ids(store) == chunk_ids(store)
    assert store.article("a") is None


def test_state_survives_reopening_and_the_manifest_describes_it(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    put(store, (article("a"), chunks("a", 3)))
    store.close()
    manifest = read_manifest(tmp_path)
    assert (manifest.model, manifest.dimension, manifest.articles, manifest.chunks, manifest.vectors) == ("m", DIM, 1, 3, 3)
    reopened = open_store(tmp_path, create=False)
    assert reopened.stats().vectors == 3 and nearest(reopened, unit(2), 1)[0].key == "a-0-2"


def test_vectors_not_saved_after_a_commit_are_rebuilt_from_the_database(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    put(store, (article("a"), chunks("a", 2)))
    # A crash after the database commit and before the FAISS save: skip the save.
    store._save = lambda: None
    put(store, (article("b"), chunks("b", 3, seed=1)))
    store.close()
    assert read_manifest(tmp_path).chunks == 2
    reopened = open_store(tmp_path)
    assert reopened.stats().vectors == 5 and nearest(reopened, unit(102), 1)[0].key == "b-1-2"
    assert read_manifest(tmp_path).vectors == 5, "the repaired vectors are saved"


def test_missing_or_foreign_vector_file_is_rebuilt(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    put(store, (article("a"), chunks("a", 2)))
    store.close()
    (tmp_path / VECTORS_FILE).unlink()
    assert open_store(tmp_path).stats().vectors == 2


def test_no_index_is_created_when_not_asked(tmp_path: Path) -> None:
    with pytest.raises(StoreNotFound):
        open_store(tmp_path / "nothing", create=False)
    assert not (tmp_path / "nothing").exists()


@pytest.mark.parametrize(("model", "dimension"), [("other-model", DIM), ("m", 16)])
def test_opening_with_another_model_is_refused(tmp_path: Path, model: str, dimension: int) -> None:
    open_store(tmp_path).close()
    with pytest.raises(IncompatibleStore, match="was built with model 'm' \\(8 dimensions\\)"):
        open_store(tmp_path, model=model, dimension=dimension)


def test_manifest_of_an_unknown_format_is_refused(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    put(store, (article("a"), chunks("a", 1)))
    store.close()
    manifest = json.loads((tmp_path / MANIFEST_FILE).read_text())
    (tmp_path / MANIFEST_FILE).write_text(json.dumps({**manifest, "format_version": 99}))
    with pytest.raises(IncompatibleStore, match="format version 99"):
        open_store(tmp_path)


def test_a_second_writer_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    first, second = open_store(tmp_path), open_store(tmp_path)
    with first.writing():
        with pytest.raises(StoreLocked, match="another process .* is writing to the index"):
            with second.writing():
                pass
    with second.writing():
        pass


def test_writes_outside_a_write_session_are_a_programming_error(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="inside IndexStore.writing"):
        open_store(tmp_path).put([(article("a"), chunks("a", 1))])


def test_a_failed_batch_changes_nothing(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    put(store, (article("a"), chunks("a", 2)))
    broken = ChunkRecord(0, 1, "k", "e", unit(9))
    object.__setattr__(broken, "start", "not an int")  # forces SQLite to fail on insert
    with pytest.raises(Exception), store.writing():
        store.put([(article("b"), chunks("b", 1, seed=3)), (article("c"), [broken])])
    stats = store.stats()
    assert (stats.articles, stats.chunks, stats.vectors) == (1, 2, 2)


def test_hnsw_index_supports_updates_by_rebuilding(tmp_path: Path) -> None:
    store = open_store(tmp_path, faiss_index="HNSW16")
    put(store, (article("a"), chunks("a", 3)))
    put(store, (article("a", version="2"), chunks("a", 1, seed=5)))
    assert store.stats().vectors == 1 and nearest(store, unit(500), 1)[0].key == "a-5-0"


@pytest.mark.parametrize("chunk_filter", [ChunkFilter(), ChunkFilter(sources=("wire",))])
def test_a_graph_search_skips_replaced_vectors_with_or_without_a_filter(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk_filter: ChunkFilter
) -> None:
    monkeypatch.setattr(vectors_module, "EXACT_SUBSET", 0)  # the graph walk, however few are allowed
    store = open_store(tmp_path, faiss_index="HNSW16")
    put(store, *((article(f"a{i}", source="wire" if i % 2 == 0 else "blog"), chunks(f"a{i}", 1, seed=i)) for i in range(40)))
    put(store, (article("a0", version="2", source="wire"), chunks("a0", 1, seed=77)))  # a tombstone, not a rebuild
    keys = [view.key for view in nearest(store, unit(0), 6, chunk_filter)]
    assert "a0-0-0" not in keys and len(keys) == 6
    assert nearest(store, unit(7700), 1, chunk_filter)[0].key == "a0-77-0"


def test_changing_the_index_type_rebuilds_the_vectors(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    put(store, (article("a"), chunks("a", 3)))
    store.close()
    reopened = open_store(tmp_path, faiss_index="HNSW16")
    assert reopened.stats().vectors == 3 and read_manifest(tmp_path).faiss_index == "HNSW16"


def test_an_invalid_index_type_is_refused(tmp_path: Path) -> None:
    with pytest.raises(IncompatibleStore, match="not a FAISS index factory string"):
        open_store(tmp_path, faiss_index="Nonsense")


def seconds(day: str) -> int:
    return int(datetime.fromisoformat(day).replace(tzinfo=timezone.utc).timestamp())


@pytest.fixture
def dated(tmp_path: Path) -> IndexStore:
    store = open_store(tmp_path)
    put(
        store,
        (article("old", source="wire", published="2022-01-01"), chunks("old", 2, seed=1)),
        (article("new", source="wire", published="2022-06-01"), chunks("new", 2, seed=2)),
        (article("other", source="blog", published="2022-03-01"), chunks("other", 2, seed=3)),
        (article("undated"), chunks("undated", 2, seed=4)),
    )
    return store


def found(store: IndexStore, chunk_filter: ChunkFilter, k: int = 3) -> set[str]:
    return {view.article_id for view in nearest(store, unit(101), k, chunk_filter)}


@pytest.mark.parametrize(
    ("chunk_filter", "expected"),
    [
        (ChunkFilter(), {"old", "new", "other", "undated"}),
        (ChunkFilter(sources=("wire",)), {"old", "new"}),
        (ChunkFilter(article_ids=("other", "undated")), {"other", "undated"}),
        (ChunkFilter(published_from=seconds("2022-02-01")), {"new", "other"}),
        (ChunkFilter(published_to=seconds("2022-03-01")), {"old", "other"}),
        (ChunkFilter(sources=("wire",), published_from=seconds("2022-02-01")), {"new"}),
        (ChunkFilter(not_after=seconds("2022-04-01")), {"old", "other", "undated"}),
        (ChunkFilter(sources=("nobody",)), set()),
    ],
)
def test_filters_apply_inside_the_search(dated: IndexStore, chunk_filter: ChunkFilter, expected: set[str]) -> None:
    # k is small: a filter applied after the search would come back short.
    assert found(dated, chunk_filter, k=8) == expected
    assert len(nearest(dated, unit(101), 2, chunk_filter)) == min(2, 2 * len(expected))


def test_articles_are_listed_newest_first_in_pages(dated: IndexStore) -> None:
    first = dated.list_articles(limit=3, cursor=None)
    assert [a.id for a in first.articles] == ["new", "other", "old"] and first.total == 4
    assert first.articles[0].chunks == 2
    rest = dated.list_articles(limit=3, cursor=first.next_cursor)
    assert [a.id for a in rest.articles] == ["undated"] and rest.next_cursor is None


@pytest.mark.parametrize("cursor", ["nonsense", "W10=", "WzEsIDJd", "\u00e9"])
def test_a_cursor_that_was_not_issued_is_refused(dated: IndexStore, cursor: str) -> None:
    with pytest.raises(InvalidCursor):
        dated.list_articles(limit=3, cursor=cursor)


def test_a_reader_moves_to_the_state_another_writer_saved(tmp_path: Path) -> None:
    reader, writer = open_store(tmp_path), open_store(tmp_path)
    put(writer, (article("a"), chunks("a", 2)))
    assert {v.article_id for v in nearest(reader, unit(0), 5)} == {"a"}


def test_an_unreadable_vector_file_is_rebuilt(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    put(store, (article("a"), chunks("a", 2)))
    store.close()
    path = tmp_path / VECTORS_FILE
    path.write_bytes(path.read_bytes()[:50])
    assert open_store(tmp_path).stats().vectors == 2


@pytest.mark.parametrize("damage", ["garbage database", "manifest is a folder", "manifest has wrong types"])
def test_a_damaged_index_is_a_clear_error(tmp_path: Path, damage: str) -> None:
    store = open_store(tmp_path)
    put(store, (article("a"), chunks("a", 1)))
    store.close()
    if damage == "garbage database":
        for name in ("metadata.sqlite", "metadata.sqlite-wal", "metadata.sqlite-shm"):
            (tmp_path / name).unlink(missing_ok=True)
        (tmp_path / "metadata.sqlite").write_bytes(b"not a database at all" * 100)
    elif damage == "manifest is a folder":
        (tmp_path / MANIFEST_FILE).unlink()
        (tmp_path / MANIFEST_FILE).mkdir()
    else:
        manifest = json.loads((tmp_path / MANIFEST_FILE).read_text())
        (tmp_path / MANIFEST_FILE).write_text(json.dumps({**manifest, "dimension": "8"}))
    with pytest.raises(IncompatibleStore):
        open_store(tmp_path)


def test_an_index_directory_that_is_a_file_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(IncompatibleStore, match="cannot make an index directory"):
        open_store(tmp_path / "file" / "index")


def test_one_batch_may_not_hold_an_article_twice(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    with pytest.raises(ValueError, match="the same article twice"), store.writing():
        store.put([(article("a"), chunks("a", 2)), (article("a", version="2"), chunks("a", 1, seed=2))])
    assert store.stats().vectors == store.stats().chunks == 0


def test_a_failed_commit_leaves_the_connection_usable(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    conn = store._db._conn
    conn.execute("CREATE TABLE guard (x INTEGER REFERENCES articles(id) DEFERRABLE INITIALLY DEFERRED)")
    with pytest.raises(Exception, match="FOREIGN KEY"), store._db.transaction():
        conn.execute("INSERT INTO guard VALUES ('missing')")  # fails only at COMMIT
    assert not conn.in_transaction
    put(store, (article("a"), chunks("a", 1)))
    assert store.stats().chunks == 1


def test_a_reader_sees_each_batch_another_process_commits_mid_session(tmp_path: Path) -> None:
    reader, writer = open_store(tmp_path), open_store(tmp_path)
    put(writer, (article("x"), chunks("x", 2, seed=1)), (article("y"), chunks("y", 1, seed=2)))
    assert {v.article_id for v in nearest(reader, unit(100), 5)} == {"x", "y"}
    with writer.writing():
        writer.put([(article("x", version="2"), chunks("x", 3, seed=5))])
        # The other writer's session is still open and its manifest not yet saved.
        keys = {v.key for v in nearest(reader, unit(500), 10)}
        assert {"x-5-0", "x-5-1", "x-5-2"} <= keys and not keys & {"x-1-0", "x-1-1"}
        writer.delete("y")
        assert {v.article_id for v in nearest(reader, unit(500), 10)} == {"x"}
    assert vector_ids(reader) == chunk_ids(reader)


def test_saved_vectors_older_than_the_database_are_caught_up_not_rebuilt(tmp_path: Path, caplog) -> None:
    store = open_store(tmp_path)
    put(store, (article("a"), chunks("a", 2)))
    store._save = lambda: None  # the next session ends without saving, as if killed
    put(store, (article("b"), chunks("b", 2, seed=1)))
    store.close()
    caplog.set_level("INFO")
    reopened = open_store(tmp_path)
    assert "rebuilding" not in caplog.text
    assert vector_ids(reopened) == chunk_ids(reopened) and reopened.stats().vectors == 4


def test_vectors_saved_without_their_manifest_are_not_doubled(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    put(store, (article("a"), chunks("a", 2)))
    old_manifest = (tmp_path / MANIFEST_FILE).read_text()
    put(store, (article("b"), chunks("b", 2, seed=1)), (article("a", version="2"), chunks("a", 1, seed=3)))
    store.close()
    # A crash after the vectors file was replaced but before the manifest was.
    (tmp_path / MANIFEST_FILE).write_text(old_manifest)
    reopened = open_store(tmp_path)
    assert vector_ids(reopened) == chunk_ids(reopened) and reopened.stats().vectors == 3


def test_a_reader_too_far_behind_the_change_log_rebuilds(tmp_path: Path) -> None:
    reader, writer = open_store(tmp_path), open_store(tmp_path)
    put(writer, (article("a"), chunks("a", 1)))
    reader.search(unit(0), 1)
    for version in range(3):
        put(writer, (article("a", version=str(version)), chunks("a", 1, seed=10 + version)))
    writer._db.forget_changes_before(writer._db.generation())
    assert [v.key for v in nearest(reader, unit(1200), 1)] == ["a-12-0"]
    assert vector_ids(reader) == chunk_ids(reader)


def open_auto(directory: Path, threshold: int = 6) -> IndexStore:
    return IndexStore.open(directory, model="m", dimension=DIM, faiss_index="auto", create=True,
                           graph_threshold=threshold, ef_search=32)


def test_auto_is_exact_below_the_threshold_and_a_graph_above(tmp_path: Path) -> None:
    store = open_auto(tmp_path)
    put(store, (article("a"), chunks("a", 3)))
    assert read_manifest(tmp_path).faiss_index == "Flat"
    put(store, (article("b"), chunks("b", 4, seed=1)))
    assert read_manifest(tmp_path).faiss_index == "HNSW32"
    assert nearest(store, unit(102), 1)[0].key == "b-1-2"


def test_a_graph_index_skips_removed_vectors_before_and_after_reopening(tmp_path: Path) -> None:
    store = open_auto(tmp_path, threshold=4)
    put(store, *[(article(f"x{i}"), chunks(f"x{i}", 3, seed=i)) for i in range(10)])
    with store.writing():
        store.delete("x3")
    assert "x3" not in {v.article_id for v in nearest(store, unit(300), 30)}
    assert store.stats().vectors == 27
    store.close()
    reopened = open_auto(tmp_path, threshold=4)
    assert "x3" not in {v.article_id for v in nearest(reopened, unit(300), 30)}
    assert reopened.stats().vectors == 27


def test_a_graph_index_is_rebuilt_once_tombstones_pile_up(tmp_path: Path) -> None:
    store = open_auto(tmp_path, threshold=4)
    put(store, *[(article(f"x{i}"), chunks(f"x{i}", 2, seed=i)) for i in range(10)])
    with store.writing():
        store.delete("x0")
        store.delete("x1")
    assert store._vectors.wasted_share == 0.0 and store.stats().vectors == 16


def test_a_filtered_search_on_a_graph_index_finds_every_allowed_vector(tmp_path: Path) -> None:
    store = open_auto(tmp_path, threshold=4)
    put(store, *[(article(f"x{i}", source="rare" if i == 7 else "common"), chunks(f"x{i}", 2, seed=i))
                 for i in range(10)])
    found = nearest(store, unit(0), 5, ChunkFilter(sources=("rare",)))
    assert [v.article_id for v in found] == ["x7", "x7"]


@pytest.mark.parametrize("allowed_every", [2, 10])  # most chunks pass the filter, or too few for the prefix
def test_lexical_hits_within_a_filter_are_the_best_of_those_it_allows(tmp_path: Path, allowed_every: int) -> None:
    store = open_store(tmp_path)
    items = []
    for n in range(40):
        text = "harbour " * (n + 1) + "filler words here"
        # The more "harbour" in it, the better it ranks; only every few is from the source asked for.
        record = article(f"a{n:02}", text=text, source="wire" if n % allowed_every == 0 else "other")
        items.append((record, [ChunkRecord(0, len(text), f"a{n:02}-0", f"e{n}", unit(n))]))
    put(store, *items)
    hits = store.search(unit(0), k=3, chunk_filter=ChunkFilter(sources=("wire",)), terms=["harbour"], dense=False)
    expected = [f"a{n:02}" for n in sorted(range(0, 40, allowed_every), reverse=True)[:3]]
    assert [v.article_id for v in hits.lexical] == expected


def whole(record: ArticleRecord, seed: int = 0) -> tuple[ArticleRecord, list[ChunkRecord]]:
    """The article as one chunk of all its text."""
    return record, [ChunkRecord(0, len(record.text), f"{record.id}-{seed}-0", f"e-{record.id}-{seed}", unit(seed))]


def lexical_ids(store: IndexStore, words: list[str], chunk_filter: ChunkFilter | None = None) -> list[str]:
    hits = store.search(unit(0), k=10, chunk_filter=chunk_filter, terms=words, dense=False)
    return [v.key for v in store.chunk_views([ref.row_id for ref in hits.lexical])] + hits.articles


def test_bm25_after_reopening_matches_bm25_before(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    put(store, whole(article("a", text="Harbour strike ends. Harbour reopens.")),
        whole(article("b", text="Storm closes the harbour."), seed=1))
    before = lexical_ids(store, ["harbour", "storm"])
    store.close()
    reopened = open_store(tmp_path)
    assert lexical_ids(reopened, ["harbour", "storm"]) == before and before


def test_a_catalog_file_older_than_the_database_is_caught_up(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    put(store, whole(article("a", text="Harbour strike ends.")))
    store.close()
    saved = (tmp_path / CATALOG_FILE).read_bytes()
    store = open_store(tmp_path)
    put(store, whole(article("b", text="Storm over the harbour."), seed=1))
    with store.writing():
        store.delete("a")
    store.close()
    (tmp_path / CATALOG_FILE).write_bytes(saved)  # as if the newer files had not been saved
    reopened = open_store(tmp_path)
    assert lexical_ids(reopened, ["harbour"]) == ["b-1-0", "b"]


@pytest.mark.parametrize("damage", [b"", b"not a zip file"])
def test_a_damaged_catalog_file_is_rebuilt_from_the_database(tmp_path: Path, damage: bytes) -> None:
    store = open_store(tmp_path)
    put(store, whole(article("a", text="Harbour strike ends.")))
    store.close()
    (tmp_path / CATALOG_FILE).write_bytes(damage)
    assert lexical_ids(open_store(tmp_path), ["strike"]) == ["a-0-0", "a"]


def test_an_index_of_the_previous_format_is_upgraded_in_place(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    put(store, whole(article("a", text="Harbour strike ends.")))
    store.close()
    conn = sqlite3.connect(tmp_path / DATABASE_FILE)
    conn.execute("UPDATE meta SET value = '5' WHERE key = 'format_version'")
    conn.execute("CREATE VIRTUAL TABLE chunk_terms USING fts5(title, body)")
    conn.commit()
    conn.close()
    (tmp_path / CATALOG_FILE).unlink()
    manifest = json.loads((tmp_path / MANIFEST_FILE).read_text())
    (tmp_path / MANIFEST_FILE).write_text(json.dumps({**manifest, "format_version": 5}))
    reopened = open_store(tmp_path)
    assert lexical_ids(reopened, ["harbour"]) == ["a-0-0", "a"] and reopened.stats().vectors == 1
    conn = sqlite3.connect(tmp_path / DATABASE_FILE)
    tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
    assert "chunk_terms" not in tables
    assert dict(conn.execute("SELECT key, value FROM meta"))["format_version"] == str(FORMAT_VERSION)
