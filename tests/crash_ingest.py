"""An ingest that kills itself with SIGKILL at a chosen point, for the crash-safety test.

    python -m tests.crash_ingest INDEX_DIR FEED.jsonl POINT

POINT is `none` (run to the end, or until killed from outside) or `PHASE:N`, the N-th time the
ingest reaches PHASE: `embed` (a batch is being embedded), `commit` (a batch's rows are written but
not committed), `faiss` (the new FAISS file is written but not yet moved into place), `faiss-half`
(half of the new FAISS file is written), `catalog` (the new catalog file is written but not yet
moved into place), `manifest` (the FAISS file is in place, the manifest not yet). Each phase reached is printed as it happens.
"""

import os
import signal
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import faiss
import numpy as np

import index.vectors.faiss
from index.sql.sqlite import SqliteDatabase
from qa.composition import open_service
from qa.settings import Settings
from tests.fakes import FakeEmbedder

seen: dict[str, int] = {}


def reached(phase: str, kill_at: tuple[str, int] | None) -> None:
    seen[phase] = seen.get(phase, 0) + 1
    print(phase, flush=True)
    if kill_at == (phase, seen[phase]):
        os.kill(os.getpid(), signal.SIGKILL)


class SlowFakeEmbedder(FakeEmbedder):
    """Embedding takes time, as with the real model, so kills from outside often land in it."""

    def __init__(self, kill_at: tuple[str, int] | None) -> None:
        super().__init__()
        self._kill_at = kill_at

    def embed(self, texts):
        reached("embed", self._kill_at)
        time.sleep(0.002 * len(texts))
        return super().embed(texts)


def instrument(kill_at: tuple[str, int] | None) -> None:
    transaction = SqliteDatabase.transaction
    write_index = faiss.write_index
    write_manifest = index.vectors.faiss.write_manifest

    @contextmanager
    def killable_transaction(self):
        with transaction(self):
            yield
            reached("commit", kill_at)

    def killable_write_index(vectors, path):
        write_index(vectors, path)
        if kill_at is not None and kill_at[0] == "faiss-half":
            os.truncate(path, os.path.getsize(path) // 2)  # as if killed while writing
            reached("faiss-half", kill_at)
        reached("faiss", kill_at)

    savez = np.savez

    def killable_savez(file, **arrays):
        savez(file, **arrays)
        file.flush()
        reached("catalog", kill_at)

    def killable_write_manifest(directory, manifest):
        reached("manifest", kill_at)
        write_manifest(directory, manifest)

    SqliteDatabase.transaction = killable_transaction
    faiss.write_index = killable_write_index
    np.savez = killable_savez
    index.vectors.faiss.write_manifest = killable_write_manifest


def main(index_dir: str, feed: str, point: str) -> None:
    kill_at = None
    if point != "none":
        phase, count = point.split(":")
        kill_at = (phase, int(count))
    instrument(kill_at)
    settings = Settings(index_dir=Path(index_dir), faiss_index="Flat", ingest_batch_articles=16)
    service = open_service(settings, SlowFakeEmbedder(kill_at))
    try:
        report = service.ingest_paths([Path(feed)])
    finally:
        service.close()
    print(f"done {len(report.added)} {len(report.updated)} {len(report.unchanged)}", flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:])
