"""Articles in PostgreSQL and vectors in Milvus, shared by replicas: on a real Milvus 2.3 server
(BM25 stays in PostgreSQL) and on Milvus Lite 3 (BM25 by Milvus's full-text search)."""

from pathlib import Path

import pytest

from index.errors import StoreLocked
from index.vectors.milvus import milvus_filter
from index.records import ChunkFilter, ChunkRecord
from index.store.shared import SharedStore
from tests.index.store.test_store import DIM, article, chunks, put, unit

pytestmark = pytest.mark.integration


@pytest.fixture(params=["server", "lite"])
def milvus_uri(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "lite":
        return str(tmp_path / "milvus-lite.db")
    return request.getfixturevalue("milvus_server")


def replica(tmp_path: Path, postgres_url: str, milvus_uri: str, collection: str) -> SharedStore:
    return SharedStore.open(tmp_path, database_url=postgres_url, milvus_uri=milvus_uri, milvus_token=None,
                            collection=collection, index_type="FLAT", model="m", dimension=DIM)


def test_write_search_filter_and_delete_across_replicas(tmp_path: Path, postgres_url: str, milvus_uri: str) -> None:
    name = "c" + Path(postgres_url).name
    first = replica(tmp_path, postgres_url, milvus_uri, name)
    second = replica(tmp_path, postgres_url, milvus_uri, name)
    storm = "The harbour storm flooded the town."
    put(first, (article("a", text=storm, source="wire", published="2024-03-01"),
                [*chunks("a", 2), ChunkRecord(0, len(storm), "a-whole", "e-a-whole", unit(7))]),
        (article("b", text="The senate passed the budget.", source="daily"), chunks("b", 2, seed=1)))
    hits = second.search(unit(101), k=2, terms=["harbour", "storm"])
    assert hits.dense[0].article_id == "b" and hits.cosines[hits.dense[0].row_id] == pytest.approx(1.0, abs=1e-5)
    assert "a" in {v.article_id for v in hits.lexical} and hits.articles == ["a"]
    wire = second.search(unit(101), k=5, chunk_filter=ChunkFilter(sources=("wire",)))
    assert {v.article_id for v in wire.dense} == {"a"}
    before_march = second.search(unit(101), k=5, chunk_filter=ChunkFilter(not_after=1_709_000_000))
    assert {v.article_id for v in before_march.dense} == {"b"}, "undated articles pass an as_of bound"
    assert second.stats().vectors == second.stats().chunks == 5
    with second.writing():
        assert second.delete("b")
    assert {v.article_id for v in first.search(unit(101), k=5).dense} == {"a"}
    with first.writing():
        with pytest.raises(StoreLocked):
            with second.writing():
                pass
    first.close()
    second.close()


def test_a_write_that_died_before_milvus_is_caught_up_by_the_next_writer(
    tmp_path: Path, postgres_url: str, milvus_uri: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    name = "d" + Path(postgres_url).name
    store = replica(tmp_path, postgres_url, milvus_uri, name)
    monkeypatch.setattr(store, "_apply", lambda *args: (_ for _ in ()).throw(ConnectionError("Milvus went away")))
    with pytest.raises(ConnectionError):
        put(store, (article("a"), chunks("a", 3)))
    monkeypatch.undo()
    assert store.stats().chunks == 3 and store.stats().vectors == 0
    with store.writing():
        pass
    assert store.stats().vectors == 3 and [v.article_id for v in store.search(unit(0), k=1).dense] == ["a"]
    store.close()


def test_filters_become_milvus_expressions_with_strings_quoted() -> None:
    expression = milvus_filter(ChunkFilter(sources=('Say "hi"',), article_ids=("a",), published_from=5, not_after=9))
    assert expression == ('source in ["Say \\"hi\\""] and article_id in ["a"] and published_ts >= 5 '
                          "and published_ts <= 9")


@pytest.mark.parametrize("version, full_text", [
    ("v2.3.5-lite", False), ("v2.4.9", False), ("v2.5.0", True), ("v2.6.1", True), ("milvus_lite-3.2.2", True),
    ("milvus_lite-2.4.10", False), ("something new", True),
])
def test_full_text_search_is_expected_from_milvus_2_5_and_lite_3(version: str, full_text: bool) -> None:
    from index.vectors.milvus import _has_full_text_search

    assert _has_full_text_search(version) is full_text
