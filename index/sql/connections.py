"""One database connection per thread, so readers never wait for each other; closed together."""

import threading
from collections.abc import Callable
from typing import Any


class ThreadConnections:
    def __init__(self, connect: Callable[[], Any]) -> None:
        self._connect = connect
        self._local = threading.local()
        self._all: list[Any] = []
        self._lock = threading.Lock()

    def __len__(self) -> int:
        """How many connections are open."""
        return len(self._all)

    def get(self) -> Any:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._connect()
            self._local.conn = conn
            with self._lock:
                self._all.append(conn)
        return conn

    def release_thread(self) -> None:
        """Closes this thread's connection, for a thread that is about to end."""
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            with self._lock:
                self._all.remove(conn)
            conn.close()
            self._local.conn = None

    def close(self) -> None:
        with self._lock:
            for conn in self._all:
                conn.close()
            self._all.clear()
        self._local = threading.local()
