"""Generations: what one process commits, every other sees whole, and a write that died half-way is
caught up; on every backend."""

import pytest

from index.records import ChunkRecord
from tests.contract.rows import article, chunks, nearest, put, unit, vector_ids


def test_a_process_sees_what_another_wrote_and_deleted(backend) -> None:
    reader, writer = backend.open(), backend.open()
    put(writer, (article("x"), chunks("x", 2, seed=1)), (article("y"), chunks("y", 1, seed=2)))
    assert {v.article_id for v in nearest(reader, unit(100), 5)} == {"x", "y"}
    with writer.writing():
        writer.put([(article("x", version="2"), chunks("x", 3, seed=5))])
        # The writer's session is still open: the reader sees each committed batch whole.
        keys = {v.key for v in nearest(reader, unit(500), 10)}
        assert {"x-5-0", "x-5-1", "x-5-2"} <= keys and not keys & {"x-1-0", "x-1-1"}
        writer.delete("y")
        assert {v.article_id for v in nearest(reader, unit(500), 10)} == {"x"}
    assert reader.stats().generation == writer.stats().generation
    assert vector_ids(reader) == sorted(backend.database().all_chunk_ids().tolist())


def test_a_process_started_later_holds_what_was_written_before(backend) -> None:
    first = backend.open()
    put(first, (article("a"), chunks("a", 2)), (article("b"), chunks("b", 1, seed=1)))
    with first.writing():
        first.delete("b")
    later = backend.open()
    stats = later.stats()
    assert (stats.articles, stats.chunks, stats.vectors) == (1, 2, 2)
    assert [v.key for v in nearest(later, unit(1), 1)] == ["a-0-1"]


def test_a_process_behind_the_change_log_rebuilds(backend) -> None:
    reader, writer = backend.open(), backend.open()
    put(writer, (article("a", text="Harbour strike."), chunks("a", 1)))
    reader.search(unit(0), 1)
    for version in range(3):
        put(writer, (article("a", text=f"Storm number {version}.", version=str(version)), chunks("a", 1, seed=10 + version)))
    database = backend.database()
    database.forget_changes_before(database.generation())
    assert [v.key for v in nearest(reader, unit(1200), 1)] == ["a-12-0"]
    assert [r.article_id for r in reader.search(unit(0), 5, terms=["storm"], dense=False).lexical] == ["a"]
    assert vector_ids(reader) == sorted(database.all_chunk_ids().tolist())


def test_a_write_that_died_after_its_commit_is_replayed(backend, monkeypatch: pytest.MonkeyPatch) -> None:
    store = backend.open()
    put(store, (article("a"), chunks("a", 1)))

    def dies(*args) -> None:
        raise ConnectionError("the process died here")

    monkeypatch.setattr(backend.vectors_class, "apply", dies)
    with pytest.raises(ConnectionError), store.writing():
        store.put([(article("b"), chunks("b", 3, seed=1))])
    monkeypatch.undo()
    store.close()
    # The database holds the batch; the vectors are caught up by whoever comes next.
    reopened = backend.open()
    with reopened.writing():
        pass
    stats = reopened.stats()
    assert (stats.articles, stats.chunks, stats.vectors) == (2, 4, 4)
    assert [v.key for v in nearest(reopened, unit(102), 1)] == ["b-1-2"]
    assert vector_ids(reopened) == sorted(backend.database().all_chunk_ids().tolist())


def test_a_delete_that_died_before_the_vectors_is_caught_up_even_past_the_change_log(
        backend, monkeypatch: pytest.MonkeyPatch) -> None:
    store = backend.open()
    # Chunks of whole words: an engine's BM25 reads the chunk's own characters.
    put(store, *((article(name, text=text), [ChunkRecord(0, len(text), name, f"e-{name}", unit(seed))])
                 for name, text, seed in (("a", "Harbour strike.", 1), ("b", "Harbour storm.", 2))))

    def dies(*args) -> None:
        raise ConnectionError("the process died here")

    monkeypatch.setattr(backend.vectors_class, "apply", dies)
    with pytest.raises(ConnectionError), store.writing():
        store.delete("b")
    monkeypatch.undo()
    store.close()
    database = backend.database()
    database.forget_changes_before(database.generation() + 1)
    reopened = backend.open()
    with reopened.writing():
        pass
    hits = reopened.search(unit(0), 5, terms=["harbour"], dense=False)
    assert [r.article_id for r in hits.lexical] == ["a"] and hits.articles == ["a"]
