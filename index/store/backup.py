"""A consistent copy of an index directory, made while servers read it and a writer writes to it.

The files are copied in the reverse of the order a write session saves them: the manifest first,
then the FAISS file and the catalog file, then a snapshot of the database (SQLite's online backup,
one read transaction). So the copy's database is never older than its vectors and catalog, which
the store already knows how to bring up to date (replaying the change log, or rebuilding from the
database). The copy is then opened
once, which does exactly that and checks it, in a temporary folder renamed into place at the end:
a backup is complete or absent.
"""

import os
import shutil
import sqlite3
import tempfile
from dataclasses import dataclass
from pathlib import Path

from index.catalog.keeper import CATALOG_FILE
from index.sql.sqlite import DATABASE_FILE
from index.errors import StoreError, StoreNotFound
from index.files.manifest import MANIFEST_FILE
from index.store.opening import open_store
from index.vectors.faiss import VECTORS_FILE


class BackupRefused(StoreError):
    pass


@dataclass(frozen=True)
class BackupReport:
    destination: Path
    articles: int
    chunks: int
    generation: int


def back_up(directory: Path, destination: Path, faiss_index: str = "auto") -> BackupReport:
    source = directory / DATABASE_FILE
    if not source.exists():
        raise StoreNotFound(f"no index at {directory}")
    if destination.exists() and (not destination.is_dir() or any(destination.iterdir())):
        raise BackupRefused(f"{destination} already exists and is not an empty folder; choose a new one")
    parent = destination.resolve().parent
    if not parent.is_dir():
        raise BackupRefused(f"{parent} does not exist")
    work = Path(tempfile.mkdtemp(prefix=f".{destination.name}.", dir=parent))
    try:
        for name in (MANIFEST_FILE, VECTORS_FILE, CATALOG_FILE):
            _copy_if_present(directory / name, work / name)
        _snapshot_database(source, work / DATABASE_FILE)
        meta = _meta(work / DATABASE_FILE)
        store = open_store(work, model=meta["model"], dimension=int(meta["dimension"]),
                           faiss_index=faiss_index, create=False)
        try:
            stats = store.stats()
        finally:
            store.close()
        (work / "writer.lock").unlink(missing_ok=True)
        if destination.exists():
            destination.rmdir()
        os.replace(work, destination)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return BackupReport(destination, stats.articles, stats.chunks, stats.generation)


def _copy_if_present(source: Path, target: Path) -> None:
    # Both files are replaced atomically by their writer: an open file is one whole version.
    try:
        with open(source, "rb") as reading, open(target, "wb") as writing:
            shutil.copyfileobj(reading, writing, 1 << 20)
    except FileNotFoundError:
        pass


def _snapshot_database(source: Path, target: Path) -> None:
    reading = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    writing = sqlite3.connect(target)
    try:
        reading.execute("PRAGMA busy_timeout=10000")
        reading.backup(writing)  # all pages in one step: one snapshot, whatever writers do meanwhile
    except sqlite3.Error as error:
        raise BackupRefused(f"cannot read the index database {source}: {error}") from None
    finally:
        writing.close()
        reading.close()


def _meta(path: Path) -> dict[str, str]:
    conn = sqlite3.connect(path)
    try:
        return dict(conn.execute("SELECT key, value FROM meta").fetchall())
    finally:
        conn.close()
