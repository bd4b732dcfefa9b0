import sqlite3
from pathlib import Path

import numpy as np

from index.vectors.text_cache import TextVectors


def vector(seed: int) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=4).astype(np.float32)


def test_vectors_read_back_as_written_and_survive_reopening(tmp_path: Path) -> None:
    path = tmp_path / "vectors.sqlite"
    store = TextVectors(path, dimension=4)
    assert store.get([b"a", b"b"]) == {}
    store.put({b"a": vector(1), b"b": vector(2)})
    store.put({b"a": vector(3)})  # a key keeps its first vector: the same text, the same model
    store.close()
    found = TextVectors(path, dimension=4).get([b"a", b"b", b"c"])
    assert set(found) == {b"a", b"b"}
    np.testing.assert_array_equal(found[b"a"], vector(1))


def test_the_oldest_go_once_the_file_is_full(tmp_path: Path) -> None:
    store = TextVectors(tmp_path / "vectors.sqlite", dimension=4, max_rows=10)
    for i in range(25):
        store.put({str(i).encode(): vector(i)})
    kept = store.get([str(i).encode() for i in range(25)])
    assert len(kept) <= 10 and b"24" in kept and b"0" not in kept
    store.close()
    reopened = TextVectors(tmp_path / "vectors.sqlite", dimension=4, max_rows=10)
    for i in range(25, 30):  # a process opening a full file trims it too
        reopened.put({str(i).encode(): vector(i)})
    assert len(reopened.get([str(i).encode() for i in range(30)])) <= 10


def test_a_vector_of_another_size_is_not_read(tmp_path: Path) -> None:
    TextVectors(tmp_path / "vectors.sqlite", dimension=4).put({b"a": vector(1)})
    assert TextVectors(tmp_path / "vectors.sqlite", dimension=8).get([b"a"]) == {}


def test_a_folder_that_cannot_hold_the_file_gives_nothing_and_takes_nothing(tmp_path: Path) -> None:
    store = TextVectors(tmp_path / "missing" / "vectors.sqlite", dimension=4)
    store.put({b"a": vector(1)})
    assert store.get([b"a"]) == {}


def test_a_file_another_process_holds_is_skipped_this_once(tmp_path: Path) -> None:
    path = tmp_path / "vectors.sqlite"
    store = TextVectors(path, dimension=4)
    store.put({b"a": vector(1)})
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process writing, for longer than the timeout
    store.put({b"b": vector(2)})
    other.execute("ROLLBACK")
    store.put({b"c": vector(3)})
    assert set(store.get([b"a", b"b", b"c"])) == {b"a", b"c"}
