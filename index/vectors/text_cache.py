"""Vectors of the texts questions embed (the questions, their answers' candidate sentences), in a
small SQLite file beside the index: every process serving the index reads what another already
embedded, and a restarted service still has them. A first answer embeds about ten texts, 80 ms of
CPU on a small machine; reading their vectors back takes well under one.

It is a cache: entries are never wrong (a key is a hash of the model's identity and the text), the
oldest go once it holds MAX_ROWS, and when the file cannot be used questions are answered all the
same, embedding everything.
"""

import logging
import sqlite3
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

TEXT_VECTORS_FILE = "text-vectors.sqlite"
# About 1.6 kB a row for 384 dimensions: 50,000 rows take some 80 MB of disk.
MAX_ROWS = 50_000
# SQLite's limit on the variables of one statement is 32,766; stay far below.
KEYS_PER_QUERY = 500

log = logging.getLogger(__name__)


class TextVectors:
    def __init__(self, path: Path, dimension: int, max_rows: int = MAX_ROWS) -> None:
        self._path = path
        self._dimension = dimension
        self._max_rows = max_rows
        self._conn: sqlite3.Connection | None = None
        self._broken = False
        self._rows = 0  # counted when the file is opened, then kept up to date by this process
        self._lock = threading.Lock()

    def get(self, keys: Sequence[bytes]) -> dict[bytes, np.ndarray]:
        """The vectors held for these keys."""
        found: dict[bytes, np.ndarray] = {}
        with self._lock:
            conn = self._connection()
            if conn is None:
                return found
            try:
                for i in range(0, len(keys), KEYS_PER_QUERY):
                    part = list(keys[i : i + KEYS_PER_QUERY])
                    rows = conn.execute(f"SELECT key, vector FROM text_vectors WHERE key IN ({', '.join('?' * len(part))})",
                                        part).fetchall()
                    found.update((key, np.frombuffer(blob, dtype="<f4")) for key, blob in rows
                                 if len(blob) == 4 * self._dimension)
            except sqlite3.Error as error:
                self._give_up(error)
        return found

    def put(self, vectors: Mapping[bytes, np.ndarray]) -> None:
        """Keeps these vectors; the oldest rows go once there are more than `max_rows`."""
        if not vectors:
            return
        with self._lock:
            conn = self._connection()
            if conn is None:
                return
            try:
                with conn:
                    conn.executemany("INSERT OR IGNORE INTO text_vectors (key, vector) VALUES (?, ?)",
                                     [(key, np.ascontiguousarray(v, dtype="<f4").tobytes()) for key, v in vectors.items()])
                self._rows += len(vectors)
                if self._rows > self._max_rows:
                    self._trim(conn)
            except sqlite3.Error as error:
                self._give_up(error)

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def _trim(self, conn: sqlite3.Connection) -> None:
        """Down to 90% of `max_rows`, oldest first, so that trimming is rare."""
        self._rows = conn.execute("SELECT count(*) FROM text_vectors").fetchone()[0]
        if self._rows <= self._max_rows:
            return
        with conn:
            conn.execute("DELETE FROM text_vectors WHERE id <= (SELECT max(id) FROM text_vectors) - ?",
                         (int(self._max_rows * 0.9),))
        self._rows = conn.execute("SELECT count(*) FROM text_vectors").fetchone()[0]

    def _connection(self) -> sqlite3.Connection | None:
        if self._conn is None and not self._broken:
            try:
                conn = sqlite3.connect(self._path, timeout=1.0, check_same_thread=False)
                conn.execute("PRAGMA journal_mode=WAL")
                # Losing the last few rows to a power cut costs only their embedding again.
                conn.execute("PRAGMA synchronous=NORMAL")
                conn.execute("CREATE TABLE IF NOT EXISTS text_vectors "
                             "(id INTEGER PRIMARY KEY, key BLOB NOT NULL UNIQUE, vector BLOB NOT NULL)")
                self._rows = conn.execute("SELECT count(*) FROM text_vectors").fetchone()[0]
                self._conn = conn
            except sqlite3.Error as error:
                self._give_up(error)
        return self._conn

    def _give_up(self, error: sqlite3.Error) -> None:
        if isinstance(error, sqlite3.OperationalError) and "locked" in str(error):
            return  # another process held the file longer than the timeout: skip this once
        log.warning("not sharing question-time vectors through %s (%s); embedding them in each process",
                    self._path, error)
        self._broken = True
        if self._conn is not None:
            self._conn.close()
            self._conn = None
