"""The store on PostgreSQL, as replicas share it: the same behaviour as on SQLite, and each replica
sees the others' writes. Runs against a real server the test set-up starts on loopback."""

from pathlib import Path

import pytest

from index.errors import StoreLocked
from index.records import ChunkFilter, ChunkRecord
from index.store.store import IndexStore
from tests.index.store.test_store import DIM, article, chunks, put, unit

pytestmark = pytest.mark.integration


def replica(folder: Path, url: str) -> IndexStore:
    return IndexStore.open(folder, model="m", dimension=DIM, faiss_index="Flat", create=True, database_url=url)


def test_put_search_filter_and_delete(tmp_path: Path, postgres_url: str) -> None:
    store = replica(tmp_path / "a", postgres_url)
    storm = "The harbour storm flooded the town."
    put(store, (article("a", text=storm, source="wire", published="2024-03-01"),
                [*chunks("a", 2), ChunkRecord(0, len(storm), "a-whole", "e-a-whole", unit(7))]),
        (article("b", text="The senate passed the budget.", source="daily"), chunks("b", 2, seed=1)))
    hits = store.search(unit(101), k=2, terms=["harbour", "storm"])
    assert hits.dense[0].article_id == "b"
    assert store.chunk_views([hits.dense[0].row_id])[0].text == "The senate passed the budget."[1:6]
    assert {v.article_id for v in hits.lexical} == {"a"} and hits.articles == ["a"]
    only_wire = store.search(unit(101), k=5, chunk_filter=ChunkFilter(sources=("wire",)))
    assert {v.article_id for v in only_wire.dense} == {"a"}
    assert store.stats().articles == 2 and store.stats().chunks == store.stats().vectors == 5
    assert [a.id for a in store.list_articles(10, None).articles] == ["a", "b"]
    with store.writing():
        assert store.delete("a")
    assert {v.article_id for v in store.search(unit(1), k=5).dense} == {"b"}
    store.close()


def test_a_replica_sees_what_another_wrote_and_deleted(tmp_path: Path, postgres_url: str) -> None:
    first, second = replica(tmp_path / "first", postgres_url), replica(tmp_path / "second", postgres_url)
    put(first, (article("a"), chunks("a", 2)))
    assert [v.article_id for v in second.search(unit(0), k=1).dense] == ["a"]
    put(first, (article("a", version="2"), chunks("a", 3, seed=5)))
    assert second.stats().chunks == second.stats().vectors == 3
    assert second.article("a").content_hash == "hash-2"
    with second.writing():
        second.delete("a")
    assert first.search(unit(0), k=5).dense == [] and first.stats().articles == 0
    first.close()
    second.close()


def test_one_writer_at_a_time_across_replicas(tmp_path: Path, postgres_url: str) -> None:
    first, second = replica(tmp_path / "first", postgres_url), replica(tmp_path / "second", postgres_url)
    with first.writing():
        with pytest.raises(StoreLocked, match="another replica is writing"):
            with second.writing():
                pass
    with second.writing():
        pass
    first.close()
    second.close()


def test_a_replica_started_later_builds_its_vectors_from_the_database(tmp_path: Path, postgres_url: str) -> None:
    first = replica(tmp_path / "first", postgres_url)
    put(first, (article("a"), chunks("a", 4)), (article("b"), chunks("b", 2, seed=1)))
    late = replica(tmp_path / "late", postgres_url)
    assert late.stats().vectors == 6 and [v.article_id for v in late.search(unit(101), k=1).dense] == ["b"]
    first.close()
    late.close()
