"""The embedded default on disk: SQLite and FAISS files in one index folder, what opening them checks,
and how vectors and catalog files left by a crash are trusted, caught up or rebuilt. What every
backend must do is in tests/contract/."""

import json
import sqlite3
from pathlib import Path

import pytest

from index.catalog.keeper import CATALOG_FILE
from index.errors import IncompatibleStore, StoreNotFound
from index.files.manifest import FORMAT_VERSION, MANIFEST_FILE, read_manifest
from index.records import ArticleRecord, ChunkFilter, ChunkRecord
from index.sql.sqlite import DATABASE_FILE, SqliteDatabase
from index.store import opening
from index.store.store import Store
from index.vectors import faiss_index
from index.vectors.faiss import VECTORS_FILE, FaissVectors
from tests.contract.rows import DIM, article, chunks, nearest, put, unit, vector_ids
from tests.index.sql.old_formats import ARTICLES_OF_FORMAT_8


def open_store(directory: Path, *, model: str = "m", dimension: int = DIM, faiss_index: str = "Flat",
               create: bool = True) -> Store:
    return opening.open_store(directory, model=model, dimension=dimension, faiss_index=faiss_index, create=create)


def chunk_ids(directory: Path) -> list[int]:
    database = SqliteDatabase(directory / DATABASE_FILE)
    try:
        return sorted(database.all_chunk_ids().tolist())
    finally:
        database.close()


def test_state_survives_reopening_and_the_manifest_describes_it(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    put(store, (article("a"), chunks("a", 3)))
    store.close()
    manifest = read_manifest(tmp_path)
    assert (manifest.model, manifest.dimension, manifest.articles, manifest.chunks, manifest.vectors) == ("m", DIM, 1, 3, 3)
    reopened = open_store(tmp_path, create=False)
    assert reopened.stats().vectors == 3 and nearest(reopened, unit(2), 1)[0].key == "a-0-2"


def test_vectors_not_saved_after_a_commit_are_rebuilt_from_the_database(tmp_path: Path, monkeypatch) -> None:
    store = open_store(tmp_path)
    put(store, (article("a"), chunks("a", 2)))
    # A crash after the database commit and before the FAISS save: skip the save.
    monkeypatch.setattr(FaissVectors, "save", lambda self: None)
    put(store, (article("b"), chunks("b", 3, seed=1)))
    store.close()
    monkeypatch.undo()
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








def test_hnsw_index_supports_updates_by_rebuilding(tmp_path: Path) -> None:
    store = open_store(tmp_path, faiss_index="HNSW16")
    put(store, (article("a"), chunks("a", 3)))
    put(store, (article("a", version="2"), chunks("a", 1, seed=5)))
    assert store.stats().vectors == 1 and nearest(store, unit(500), 1)[0].key == "a-5-0"


@pytest.mark.parametrize("chunk_filter", [ChunkFilter(), ChunkFilter(sources=("wire",))])
def test_a_graph_search_skips_replaced_vectors_with_or_without_a_filter(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk_filter: ChunkFilter
) -> None:
    monkeypatch.setattr(faiss_index, "EXACT_SUBSET", 0)  # the graph walk, however few are allowed
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




def test_a_failed_commit_leaves_the_connection_usable(tmp_path: Path) -> None:
    database = SqliteDatabase(tmp_path / DATABASE_FILE)
    database.initialize({"format_version": "x"})
    conn = sqlite3.connect(tmp_path / DATABASE_FILE)
    conn.execute("CREATE TABLE guard (x INTEGER REFERENCES articles(id) DEFERRABLE INITIALLY DEFERRED)")
    conn.close()
    with pytest.raises(Exception, match="FOREIGN KEY"):
        database.upgrade("x", ["INSERT INTO guard VALUES ('missing')"], "y")  # fails only at COMMIT
    assert database.meta()["format_version"] == "x", "rolled back"
    database.set_meta("after", "yes")
    assert database.meta()["after"] == "yes"
    database.close()




def test_saved_vectors_older_than_the_database_are_caught_up_not_rebuilt(tmp_path: Path, caplog, monkeypatch) -> None:
    store = open_store(tmp_path)
    put(store, (article("a"), chunks("a", 2)))
    monkeypatch.setattr(FaissVectors, "save", lambda self: None)  # the next session ends without saving, as if killed
    put(store, (article("b"), chunks("b", 2, seed=1)))
    store.close()
    monkeypatch.undo()
    caplog.set_level("INFO")
    reopened = open_store(tmp_path)
    assert "rebuilding" not in caplog.text
    assert vector_ids(reopened) == chunk_ids(tmp_path) and reopened.stats().vectors == 4


def test_vectors_saved_without_their_manifest_are_not_doubled(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    put(store, (article("a"), chunks("a", 2)))
    old_manifest = (tmp_path / MANIFEST_FILE).read_text()
    put(store, (article("b"), chunks("b", 2, seed=1)), (article("a", version="2"), chunks("a", 1, seed=3)))
    store.close()
    # A crash after the vectors file was replaced but before the manifest was.
    (tmp_path / MANIFEST_FILE).write_text(old_manifest)
    reopened = open_store(tmp_path)
    assert vector_ids(reopened) == chunk_ids(tmp_path) and reopened.stats().vectors == 3




def open_auto(directory: Path, threshold: int = 6) -> Store:
    return opening.open_store(directory, model="m", dimension=DIM, faiss_index="auto", create=True,
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
    # The saved graph holds its tombstones: 2 of 20 is not yet enough to rebuild it.
    assert read_manifest(tmp_path).vectors == 20
    with store.writing():
        store.delete("x1")
    assert read_manifest(tmp_path).vectors == 16 == store.stats().vectors


def test_a_filtered_search_on_a_graph_index_finds_every_allowed_vector(tmp_path: Path) -> None:
    store = open_auto(tmp_path, threshold=4)
    put(store, *[(article(f"x{i}", source="rare" if i == 7 else "common"), chunks(f"x{i}", 2, seed=i))
                 for i in range(10)])
    found = nearest(store, unit(0), 5, ChunkFilter(sources=("rare",)))
    assert [v.article_id for v in found] == ["x7", "x7"]




def whole(record: ArticleRecord, seed: int = 0) -> tuple[ArticleRecord, list[ChunkRecord]]:
    """The article as one chunk of all its text."""
    return record, [ChunkRecord(0, len(record.text), f"{record.id}-{seed}-0", f"e-{record.id}-{seed}", unit(seed))]


def lexical_ids(store: Store, words: list[str], chunk_filter: ChunkFilter | None = None) -> list[str]:
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
    conn.executescript(ARTICLES_OF_FORMAT_8)
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
