"""Opening a store: the database (SQLite in the index folder, or PostgreSQL) and the vector backend
(FAISS in this process, or Milvus) the settings name, checked against the model before use, with the
catalog searches need: in memory, or asked of the engines where they hold all of it."""

import sqlite3
from dataclasses import dataclass
from pathlib import Path

from index.catalog.engines import EngineCatalog
from index.errors import IncompatibleStore, StoreNotFound, StoreUnavailable
from index.files.checks import check_or_initialize
from index.ports import Database, VectorBackend
from index.sql.sqlite import DATABASE_FILE, SqliteDatabase
from index.store.store import Store
from index.vectors.faiss import FaissVectors


@dataclass(frozen=True)
class MilvusAddress:
    """Where the vectors live when Milvus holds them, and how its collection is built."""

    uri: str
    collection: str
    token: str | None = None
    index_type: str = "HNSW"
    metric: str = "IP"


def index_exists(directory: Path, on_database_server: bool = False) -> bool:
    """Whether there is an index to open: always on a database server; else its database file."""
    return on_database_server or (directory / DATABASE_FILE).exists()


def open_store(
    directory: Path, *, model: str, dimension: int, create: bool, faiss_index: str = "auto",
    graph_threshold: int = 50_000, ef_search: int = 64, database_url: str | None = None,
    milvus: MilvusAddress | None = None, write_wait: float = 0.0,
) -> Store:
    """With `database_url` the articles live in PostgreSQL, shared by replicas, and `directory` holds
    only this replica's files; with `milvus` the vectors live there, else in FAISS (`faiss_index` is a
    FAISS factory string, or "auto": exact below `graph_threshold` vectors, an HNSW graph above)."""
    database = _postgres(database_url, directory) if database_url else _sqlite(directory, create)
    try:
        check_or_initialize(database, directory, model, dimension)
        if milvus is None:
            vectors: VectorBackend = FaissVectors(directory, database, model, dimension, faiss_index, graph_threshold, ef_search)
        else:
            vectors = _milvus(database, milvus, dimension, ef_search)
    except sqlite3.DatabaseError as error:
        database.close()
        raise IncompatibleStore(f"{directory / DATABASE_FILE} is not an index database: {error}") from None
    except BaseException:
        database.close()
        raise
    try:
        # With an engine that has its own BM25 the replica keeps no catalog; else it keeps one in memory.
        catalogs = EngineCatalog(database, vectors) if vectors.full_text else None
        store = Store(directory, database, vectors, write_wait, catalogs)
    except BaseException:
        database.close()
        vectors.close()
        raise
    store.save_after_repair()
    return store


def _milvus(database: Database, address: MilvusAddress, dimension: int, ef_search: int) -> VectorBackend:
    from pymilvus.exceptions import MilvusException  # the scale-out mode's libraries load only when it is used

    from index.vectors.milvus import MilvusCollection, MilvusVectors

    try:
        with database.setup_lock():
            collection = MilvusCollection(address.uri, address.token, address.collection, dimension,
                                          address.index_type, address.metric)
            vectors = MilvusVectors(database, collection, ef_search)
            if collection.remade:
                vectors.refill()
            elif collection.articles_made:
                vectors.refill_articles()
    except MilvusException as error:
        raise StoreUnavailable(f"cannot use Milvus at {address.uri}: {error.message}") from None
    return vectors


def _sqlite(directory: Path, create: bool) -> SqliteDatabase:
    if not (directory / DATABASE_FILE).exists():
        if not create:
            raise StoreNotFound(f"no index at {directory}")
        _make_folder(directory)
    try:
        return SqliteDatabase(directory / DATABASE_FILE)
    except (sqlite3.Error, OSError) as error:
        raise IncompatibleStore(f"cannot open the index database in {directory}: {error}") from None


def _postgres(url: str, directory: Path) -> Database:
    from index.sql.postgres import open_postgres

    _make_folder(directory)
    return open_postgres(url)


def _make_folder(directory: Path) -> None:
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise IncompatibleStore(f"cannot make an index directory at {directory}: {error.strerror}") from None
