"""`back_up`: a copy that opens as exactly the committed state, made while a writer keeps writing."""

import threading
from pathlib import Path

import pytest

from index.store.backup import BackupRefused, back_up
from index.errors import StoreNotFound
from tests.contract.rows import article, chunks, put, unit
from tests.index.store.test_store import open_store


def test_the_copy_holds_every_article_and_searches_the_same(tmp_path: Path) -> None:
    store = open_store(tmp_path / "index")
    put(store, (article("a"), chunks("a", 3)), (article("b"), chunks("b", 2, seed=1)))
    report = back_up(tmp_path / "index", tmp_path / "copy", faiss_index="Flat")
    assert (report.articles, report.chunks) == (2, 5)
    copy = open_store(tmp_path / "copy", create=False)
    assert [v.row_id for v in copy.search(unit(101), k=2).dense] == [v.row_id for v in store.search(unit(101), k=2).dense]
    assert {"manifest.json", "metadata.sqlite", "vectors.faiss"} <= {p.name for p in (tmp_path / "copy").iterdir()}


def test_a_backup_during_writes_is_one_committed_state(tmp_path: Path) -> None:
    store = open_store(tmp_path / "index")
    stop = threading.Event()

    def keep_writing() -> None:
        n = 0
        while not stop.is_set():
            n += 1
            # Replacing "a" changes its chunks; adding one article a batch grows the count.
            put(store, (article("a", version=str(n)), chunks("a", 1 + n % 4, seed=n)), (article(f"x{n}"), chunks(f"x{n}", 2)))

    writer = threading.Thread(target=keep_writing)
    writer.start()
    try:
        reports = [back_up(tmp_path / "index", tmp_path / f"copy{i}", faiss_index="Flat") for i in range(5)]
    finally:
        stop.set()
        writer.join()
    for report in reports:
        copy = open_store(report.destination, create=False)
        stats = copy.stats()
        assert stats.chunks == stats.vectors == report.chunks
        a = copy.article("a")
        if a is not None:
            version = int(a.content_hash.split("-")[1])
            assert stats.articles == 1 + version and stats.chunks == 1 + version % 4 + 2 * version
        copy.close()


def test_refuses_a_folder_that_is_not_empty_and_a_missing_index(tmp_path: Path) -> None:
    put(open_store(tmp_path / "index"), (article("a"), chunks("a", 1)))
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "keep.txt").write_text("mine")
    with pytest.raises(BackupRefused, match="not an empty folder"):
        back_up(tmp_path / "index", tmp_path / "full")
    assert (tmp_path / "full" / "keep.txt").read_text() == "mine"
    with pytest.raises(StoreNotFound):
        back_up(tmp_path / "nothing", tmp_path / "copy")
    assert not (tmp_path / "copy").exists() and [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
