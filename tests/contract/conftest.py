"""The backends every contract test runs on: SQLite + FAISS, PostgreSQL + FAISS, PostgreSQL + Milvus
(the 2.3 server: no full-text search, so each replica keeps a catalog) and PostgreSQL + Milvus Lite
(full-text search: replicas keep nothing, index.catalog.engines), on the real servers the integration
tests start (skipped, with the reason, where they cannot)."""

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from index.ports import Database, Store
from index.sql.sqlite import DATABASE_FILE, SqliteDatabase
from index.store.opening import MilvusAddress, open_store
from index.vectors.faiss import FaissVectors
from tests.contract.rows import DIM, article, chunks, put

BACKENDS = ["sqlite+faiss", pytest.param("postgres+faiss", marks=pytest.mark.integration),
            pytest.param("postgres+milvus", marks=pytest.mark.integration),
            pytest.param("postgres+milvus-lite", marks=pytest.mark.integration)]


@dataclass
class Backend:
    """Opens stores on one database (and collection), as separate processes would."""

    name: str
    folder: Path
    database_url: str | None = None
    milvus: MilvusAddress | None = None
    opened: list = field(default_factory=list)

    @property
    def vectors_class(self) -> type:
        if self.milvus is None:
            return FaissVectors
        from index.vectors.milvus import MilvusVectors

        return MilvusVectors

    def open(self, create: bool = True) -> Store:
        """A store on this backend; with PostgreSQL each one has its own folder, like a replica."""
        folder = self.folder if self.database_url is None else self.folder / f"replica-{len(self.opened)}"
        store = open_store(folder, model="m", dimension=DIM, faiss_index="Flat", create=create,
                           database_url=self.database_url, milvus=self.milvus)
        self.opened.append(store)
        return store

    def database(self) -> Database:
        """Another connection to the same database, for what no store does on its own."""
        if self.database_url is None:
            database: Database = SqliteDatabase(self.folder / DATABASE_FILE)
        else:
            from index.sql.postgres import open_postgres

            database = open_postgres(self.database_url)
        self.opened.append(database)
        return database


@pytest.fixture(scope="session")
def milvus_collection(milvus_server: str) -> MilvusAddress:
    """One collection for every contract test: making one takes seconds, emptying it a fraction of one."""
    return MilvusAddress(milvus_server, f"contract_{uuid.uuid4().hex[:12]}", index_type="FLAT")


@pytest.fixture(scope="session")
def milvus_lite_collection(tmp_path_factory: pytest.TempPathFactory) -> MilvusAddress:
    """A Milvus Lite collection, which has full-text search, for every contract test."""
    return MilvusAddress(str(tmp_path_factory.mktemp("milvus-lite") / "milvus.db"), "contract", index_type="FLAT")


def emptied(address: MilvusAddress) -> MilvusAddress:
    from pymilvus import MilvusClient

    from index.vectors.milvus import ARTICLES_SUFFIX

    client = MilvusClient(uri=address.uri)
    try:
        for collection in (address.collection, address.collection + ARTICLES_SUFFIX):
            if client.has_collection(collection):
                client.delete(collection, filter="id >= 0")
    finally:
        client.close()
    return address


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    if request.param == "sqlite+faiss":
        opened = Backend(request.param, tmp_path)
    else:
        url = request.getfixturevalue("postgres_url")  # a new, empty database for each test
        collection = {"postgres+milvus": "milvus_collection", "postgres+milvus-lite": "milvus_lite_collection"}
        milvus = emptied(request.getfixturevalue(collection[request.param])) if request.param in collection else None
        opened = Backend(request.param, tmp_path, url, milvus)
    yield opened
    for thing in reversed(opened.opened):
        thing.close()


@pytest.fixture
def store(backend: Backend) -> Store:
    return backend.open()


@pytest.fixture
def dated(store: Store) -> Store:
    """Four articles: two from the wire months apart, one from a blog between them, one undated."""
    put(
        store,
        (article("old", source="wire", published="2022-01-01"), chunks("old", 2, seed=1)),
        (article("new", source="wire", published="2022-06-01"), chunks("new", 2, seed=2)),
        (article("other", source="blog", published="2022-03-01"), chunks("other", 1, seed=3)),
        (article("undated"), chunks("undated", 2, seed=4)),
    )
    return store
