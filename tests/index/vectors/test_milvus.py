"""Milvus as the vector backend: filters as Milvus expressions, and BM25 by Milvus's full-text search
where it has one (Milvus Lite 3). What every backend must do, Milvus included, is in tests/contract/."""

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from index.ports import Store
from index.records import ChunkFilter, ChunkRecord
from index.store.opening import MilvusAddress, open_store
from index.vectors.milvus import MILVUS_GENERATION, MILVUS_TIMESTAMP, _reading, milvus_filter
from tests.contract.rows import DIM, article, chunks, put, unit


@pytest.mark.integration
def test_bm25_is_milvus_s_own_where_ithas_full_text_search(tmp_path: Path, postgres_url: str) -> None:
    store = open_store(tmp_path, model="m", dimension=DIM, create=True, database_url=postgres_url,
                       milvus=MilvusAddress(str(tmp_path / "milvus-lite.db"), "lite", index_type="FLAT"))
    storm = "The harbour storm flooded the town."
    put(store, (article("a", text=storm), [ChunkRecord(0, len(storm), "a-whole", "e-a-whole", unit(7))]),
        (article("b", text="The senate passed the budget."), chunks("b", 2, seed=1)))
    hits = store.search(unit(101), k=2, terms=["harbour", "storm"])
    assert [v.article_id for v in hits.lexical] == ["a"] and hits.articles == ["a"]
    assert hits.cosines[hits.lexical[0].row_id] == pytest.approx(float(unit(7) @ unit(101)), abs=1e-5)
    store.close()


@pytest.mark.integration
def test_replicas_on_milvus_with_full_text_search_keep_no_catalog(tmp_path: Path, postgres_url: str) -> None:
    from index.catalog.keeper import CATALOG_FILE

    address = MilvusAddress(str(tmp_path / "milvus-lite.db"), "lite", index_type="FLAT")
    writer, reader = (open_store(tmp_path / name, model="m", dimension=DIM, create=True, database_url=postgres_url,
                                 milvus=address) for name in ("writer", "reader"))
    try:
        storm = "The harbour storm flooded the town."
        put(writer, (article("a", text=storm), [ChunkRecord(0, 17, "a-0", "e-a-0", unit(7)),
                                                ChunkRecord(18, len(storm), "a-1", "e-a-1", unit(8))]),
            (article("b", text="The senate passed the budget."), chunks("b", 2, seed=1)))
        hits = reader.search(unit(7), k=2, terms=["flooded"])
        assert [ref.article_id for ref in hits.lexical] == ["a"] and hits.articles == ["a"]
        assert [ref.row_id for ref, _ in reader.leads(["a"], unit(7))] == [hits.dense[0].row_id]
        assert reader.chunk_counts(["a", "b", "nobody"]) == {"a": 2, "b": 2}
        assert not (tmp_path / "writer" / CATALOG_FILE).exists() and not (tmp_path / "reader" / CATALOG_FILE).exists()
    finally:
        writer.close()
        reader.close()


@pytest.mark.integration
def test_a_collection_made_before_the_articles_collection_gets_one_filled_from_the_database(
        tmp_path: Path, postgres_url: str) -> None:
    from pymilvus import MilvusClient

    from index.vectors.milvus import ARTICLES_SUFFIX

    address = MilvusAddress(str(tmp_path / "milvus-lite.db"), "lite", index_type="FLAT")
    store = open_store(tmp_path, model="m", dimension=DIM, create=True, database_url=postgres_url, milvus=address)
    put(store, (article("a", text="The harbour storm flooded the town."), chunks("a", 1)))
    store.close()
    client = MilvusClient(uri=address.uri)
    client.drop_collection("lite" + ARTICLES_SUFFIX)
    client.close()
    reopened = open_store(tmp_path, model="m", dimension=DIM, create=True, database_url=postgres_url, milvus=address)
    try:
        assert reopened.search(unit(0), k=2, terms=["flooded"], dense=False).articles == ["a"]
    finally:
        reopened.close()


def test_filters_become_milvus_expressions_with_strings_quoted() -> None:
    expression = milvus_filter(ChunkFilter(sources=('Say "hi"',), article_ids=("a",), published_from=5, not_after=9))
    assert expression == ('source in ["Say \\"hi\\""] and article_id in ["a"] and published_ts >= 5 '
                          "and published_ts <= 9")


def test_newsroom_filters_and_a_keys_view_become_milvus_expressions() -> None:
    expression = milvus_filter(ChunkFilter(sections=("sport",), tags=("a", "b"), readable_sources=(),
                                           readable_visibilities=("public",), updated_from=3, released_by=7))
    assert expression == ('section in ["sport"] and id < 0 and visibility in ["public"] and '
                          'array_contains_any(tags, ["a", "b"]) and updated_ts >= 3 and embargo_ts <= 7')


@pytest.mark.parametrize("version, full_text", [
    ("v2.3.5-lite", False), ("v2.4.9", False), ("v2.5.0", True), ("v2.6.1", True), ("milvus_lite-3.2.2", True),
    ("milvus_lite-2.4.10", False), ("something new", True),
])
def test_full_text_search_is_expected_from_milvus_2_5_and_lite_3(version: str, full_text: bool) -> None:
    from index.vectors.milvus import has_full_text_search

    assert has_full_text_search(version) is full_text


@pytest.mark.integration
def test_a_collection_made_before_the_newsroom_fields_is_made_again_from_the_database(
        tmp_path: Path, postgres_url: str, milvus_server: str) -> None:
    from dataclasses import replace

    from pymilvus import DataType, MilvusClient

    from index.records import Newsroom

    address = MilvusAddress(milvus_server, "before_newsroom", index_type="FLAT")
    store = open_store(tmp_path, model="m", dimension=DIM, create=True, database_url=postgres_url, milvus=address)
    put(store, (replace(article("a"), newsroom=Newsroom(tags=("ports",))), chunks("a", 2)),
        (article("b"), chunks("b", 2, seed=1)))
    store.close()
    client = MilvusClient(uri=milvus_server)  # the collection as it was made before: no newsroom fields
    client.drop_collection("before_newsroom")
    schema = client.create_schema(auto_id=False)
    schema.add_field("id", DataType.INT64, is_primary=True)
    for name in ("article_id", "source", "cluster_id"):
        schema.add_field(name, DataType.VARCHAR, max_length=256)
    schema.add_field("published_ts", DataType.INT64)
    schema.add_field("vector", DataType.FLOAT_VECTOR, dim=DIM)
    index = client.prepare_index_params()
    index.add_index("vector", index_type="FLAT", metric_type="IP")
    client.create_collection("before_newsroom", schema=schema, index_params=index)
    client.close()
    reopened = open_store(tmp_path, model="m", dimension=DIM, create=True, database_url=postgres_url, milvus=address)
    try:
        assert reopened.stats().vectors == 4
        assert {r.article_id for r in reopened.search(unit(0), 10, ChunkFilter(tags=("ports",))).dense} == {"a"}
    finally:
        reopened.close()


@dataclass
class Replicas:
    """Two stores on one archive, as two replicas: the reader's Milvus searches' options are recorded."""

    writer: Store
    reader: Store
    asked: list[dict]


@pytest.fixture
def replicas(tmp_path: Path, postgres_url: str, milvus_server: str) -> Iterator[Replicas]:
    address = MilvusAddress(milvus_server, f"replicas_{uuid.uuid4().hex[:12]}", index_type="FLAT")
    writer, reader = (open_store(tmp_path / name, model="m", dimension=DIM, create=True, database_url=postgres_url,
                                 milvus=address) for name in ("writer", "reader"))
    client = reader._vectors._collection._client
    asked: list[dict] = []
    search = client.search
    client.search = lambda *args, **kwargs: asked.append(kwargs) or search(*args, **kwargs)
    try:
        yield Replicas(writer, reader, asked)
    finally:
        writer.close()
        reader.close()


@pytest.mark.integration
def test_a_replica_reads_another_s_write_at_once_without_waiting_for_milvus_s_next_tick(replicas: Replicas) -> None:
    put(replicas.writer, (article("a"), chunks("a", 2)))
    written = int(replicas.writer._db.meta()[MILVUS_TIMESTAMP])
    assert written > 0
    assert {v.article_id for v in replicas.reader.search(unit(0), 10).dense} == {"a"}
    # Read as of the writer's last write, not at the server's newest timestamp.
    assert replicas.asked[-1]["consistency_level"] == "Customized"
    assert replicas.asked[-1]["guarantee_timestamp"] == written


@pytest.mark.integration
def test_a_replica_that_reads_while_a_write_is_reaching_milvus_reads_strongly_then_as_of_that_write(
        replicas: Replicas) -> None:
    writer, reader, asked = replicas.writer, replicas.reader, replicas.asked
    collection = writer._vectors._collection
    upsert = collection.upsert

    def searched_first(rows) -> None:  # the reader searches after the database holds the write, before Milvus
        reader.search(unit(0), 10)
        upsert(rows)

    collection.upsert = searched_first
    put(writer, (article("a"), chunks("a", 2)))
    assert asked[-1]["consistency_level"] == "Strong"
    written = int(writer._db.meta()[MILVUS_TIMESTAMP])
    assert {v.article_id for v in reader.search(unit(0), 10).dense} == {"a"}
    assert asked[-1]["consistency_level"] == "Customized" and asked[-1]["guarantee_timestamp"] == written


def test_a_read_asks_for_the_last_write_s_timestamp_or_strong_when_none_is_known() -> None:
    assert _reading(0) == {"consistency_level": "Strong"}
    assert _reading(451_000_000_000_000_000) == {"consistency_level": "Customized",
                                                 "guarantee_timestamp": 451_000_000_000_000_000}


@pytest.mark.integration
def test_a_write_session_that_only_deletes_is_read_as_of_its_timestamp_or_strongly(replicas: Replicas) -> None:
    store, reader, asked = replicas.writer, replicas.reader, replicas.asked
    put(store, (article("a"), chunks("a", 2)), (article("b"), chunks("b", 2, seed=1)))
    written = int(store._db.meta()[MILVUS_TIMESTAMP])
    assert {v.article_id for v in reader.search(unit(0), 10).dense} == {"a", "b"}
    with store.writing():
        assert store.delete("a")
    meta = store._db.meta()
    recorded = int(meta[MILVUS_TIMESTAMP])
    assert int(meta[MILVUS_GENERATION]) == store.stats().generation
    # Milvus 2.3 gives a delete no timestamp: nothing vouches for it but a strong read.
    assert recorded == 0 or recorded > written
    assert {v.article_id for v in reader.search(unit(0), 10).dense} == {"b"}
    assert asked[-1]["consistency_level"] == ("Strong" if recorded == 0 else "Customized")
