"""One writer per index directory, across processes: an advisory lock on a file in it."""

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from index.errors import StoreLocked

LOCK_FILE = "writer.lock"


@contextmanager
def writer_lock(directory: Path) -> Iterator[None]:
    path = directory / LOCK_FILE
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "unknown"
            raise StoreLocked(
                f"another process (pid {holder}) is writing to the index at {directory}; "
                "wait for it to finish"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode("ascii"), 0)
        yield
    finally:
        # Closing the descriptor releases the lock, also when the process dies.
        os.close(fd)
