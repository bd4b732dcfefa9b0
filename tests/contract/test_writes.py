"""Adding, replacing and deleting articles, and the write session around them, on every backend."""

import pytest

from index.errors import StoreLocked
from index.records import ChunkRecord
from tests.contract.rows import article, chunks, nearest, put, unit, vector_ids


def test_put_search_and_read_back(store) -> None:
    put(store, (article("a"), chunks("a", 3)), (article("b"), chunks("b", 2, seed=1)))
    hits = store.search(unit(101), k=2)
    view = store.chunk_views([hits.dense[0].row_id])[0]
    assert (view.article_id, view.key, view.start, view.end) == ("b", "b-1-1", 1, 6)
    assert view.text == "Alpha beta gamma delta."[1:6] and hits.cosines[view.row_id] == pytest.approx(1.0, abs=1e-5)
    stats = store.stats()
    assert (stats.articles, stats.chunks, stats.vectors) == (2, 5, 5)
    assert store.article("a").title == "Title a" and store.article("nobody") is None
    assert store.article_texts(["a", "nobody"]) == {"a": "Alpha beta gamma delta."}
    assert store.content_hashes(["b"]) == {"b": "hash-1"}
    assert store.chunk_counts(["a", "b", "nobody"]) == {"a": 3, "b": 2}


def test_chunks_are_read_with_their_articles_texts_in_one_read_cut_by_code_points(store) -> None:
    text = "Port 🚢 reopens — «ça va» 𝔘nion says."
    put(store, (article("a", text=text), [ChunkRecord(5, 16, "a-0", "e-a-0", unit(1)),
                                          ChunkRecord(17, len(text), "a-1", "e-a-1", unit(2))]),
        (article("b"), chunks("b", 2, seed=1)))
    ids = [ref.row_id for ref in store.search(unit(2), k=4).dense]
    views, texts = store.passages([*ids, 999_999])
    assert [v.key for v in views] == [v.key for v in store.chunk_views(ids)] and len(views) == 4
    assert {v.key: v.text for v in views if v.article_id == "a"} == {"a-0": text[5:16], "a-1": text[17:]}
    assert [v.text for v in store.chunk_views(ids) if v.article_id == "a"] == [v.text for v in views
                                                                               if v.article_id == "a"]
    assert texts == {"a": text, "b": "Alpha beta gamma delta."}


def test_unchanged_text_finds_its_stored_vector(store) -> None:
    put(store, (article("a"), chunks("a", 2)))
    known = store.known_vectors(["e-a-0-1", "e-unknown"])
    assert list(known) == ["e-a-0-1"] and known["e-a-0-1"] == pytest.approx(unit(1))


def test_replacing_an_article_leaves_no_orphan_rows_or_vectors(backend, store) -> None:
    put(store, (article("a"), chunks("a", 3)))
    put(store, (article("a", version="2"), chunks("a", 1, seed=5)))
    assert store.stats().chunks == store.stats().vectors == 1
    assert vector_ids(store) == sorted(backend.database().all_chunk_ids().tolist())
    assert nearest(store, unit(500), 1)[0].key == "a-5-0"


def test_delete_removes_article_chunks_and_vectors(store) -> None:
    put(store, (article("a"), chunks("a", 2)), (article("b"), chunks("b", 1, seed=1)))
    with store.writing():
        assert store.delete("a") and not store.delete("a")
    stats = store.stats()
    assert (stats.articles, stats.chunks, stats.vectors) == (1, 1, 1)
    assert {v.article_id for v in nearest(store, unit(0), 5)} == {"b"} and store.article("a") is None


def test_writes_outside_a_write_session_are_a_programming_error(store) -> None:
    with pytest.raises(RuntimeError, match="inside Store.writing"):
        store.put([(article("a"), chunks("a", 1))])


def test_one_batch_may_not_hold_an_article_twice(store) -> None:
    with pytest.raises(ValueError, match="the same article twice"), store.writing():
        store.put([(article("a"), chunks("a", 2)), (article("a", version="2"), chunks("a", 1, seed=2))])
    assert store.stats().vectors == store.stats().chunks == 0


def test_a_failed_batch_changes_nothing(store) -> None:
    put(store, (article("a"), chunks("a", 2)))
    broken = ChunkRecord(0, 1, "k", "e", unit(9))
    object.__setattr__(broken, "start", "not an int")  # the database refuses it on insert
    with pytest.raises(Exception), store.writing():
        store.put([(article("b"), chunks("b", 1, seed=3)), (article("c"), [broken])])
    stats = store.stats()
    assert (stats.articles, stats.chunks, stats.vectors) == (1, 2, 2)
    put(store, (article("b"), chunks("b", 1, seed=3)))
    assert store.stats().articles == 2


def test_one_writer_at_a_time_across_processes(backend) -> None:
    first, second = backend.open(), backend.open()
    with first.writing():
        with pytest.raises(StoreLocked, match="is writing to the"):
            with second.writing():
                pass
    with second.writing():
        second.put([(article("a"), chunks("a", 1))])
    assert first.stats().chunks == 1
