"""SQLite in the index folder: the embedded default. WAL mode and one connection per thread, so readers
never wait for each other; a lock file lets one process write at a time."""

import json
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

from index.files.lock import writer_lock
from index.sql.connections import ThreadConnections
from index.sql.database import SqlDatabase
from index.sql.schema import NEWEST_FIRST_KEY, SCHEMA
from index.speakers import stored_key

DATABASE_FILE = "metadata.sqlite"
# SQLite refuses a statement with more parameters than this (999 in older builds): long lists go in slices.
MAX_SQL_VARIABLES = 900


class SqliteDatabase(SqlDatabase):
    NEWEST_FIRST_KEY = NEWEST_FIRST_KEY

    def __init__(self, path: Path) -> None:
        self._path = path
        self._connections = ThreadConnections(self._connect)
        self._conn.execute("PRAGMA journal_mode=WAL")

    @property
    def _conn(self) -> sqlite3.Connection:
        return self._connections.get()

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
        # FULL: a committed batch survives a power cut, not only a process crash.
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA busy_timeout=10000")
        # The upgrade to format 7 keys the speech rows it keeps with the very function that keys new ones.
        conn.create_function("speaker_key", 1, stored_key, deterministic=True)
        return conn

    def release_thread(self) -> None:
        self._connections.release_thread()

    def close(self) -> None:
        self._connections.close()

    def meta(self) -> dict[str, str]:
        # A database file just created has no tables yet.
        row = self._conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").fetchone()
        return super().meta() if row else {}

    @contextmanager
    def transaction(self) -> Iterator[None]:
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            yield
            self._conn.execute("COMMIT")
        except BaseException:
            # Also when COMMIT itself fails (disk full): the connection must not stay mid-transaction.
            if self._conn.in_transaction:
                self._conn.execute("ROLLBACK")
            raise

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        if self._conn.in_transaction:
            yield
            return
        self._conn.execute("BEGIN")
        try:
            yield
        finally:
            self._conn.execute("COMMIT")

    def writer_lock(self, wait: float = 0.0):
        return writer_lock(self._path.parent, wait)

    def setup_lock(self):
        return nullcontext()  # the writer lock and SQLite's own locking already keep processes apart

    def _execute(self, query: str, params: Sequence[Any] = ()) -> sqlite3.Cursor:
        return self._conn.execute(query, params)

    def _executemany(self, query: str, rows: Sequence[Sequence[Any]]) -> None:
        self._conn.executemany(query, rows)

    def _rows_in(self, query: str, values: Sequence[Any]) -> list[tuple]:
        rows: list[tuple] = []
        for i in range(0, len(values), MAX_SQL_VARIABLES):
            part = list(values[i : i + MAX_SQL_VARIABLES])
            rows += self._conn.execute(query.format(", ".join("?" * len(part))), part).fetchall()
        return rows

    def _one_of(self, column: str, values: Sequence[str]) -> tuple[str, str]:
        # One JSON parameter rather than one per value: a long list stays under SQLite's variable limit.
        return f"{column} IN (SELECT value FROM json_each(?))", json.dumps(list(values))

    def _create_schema(self) -> None:
        for statement in SCHEMA.split(";"):
            self._conn.execute(statement)

    def _lock_meta(self) -> None:
        pass  # BEGIN IMMEDIATE already holds SQLite's write lock
