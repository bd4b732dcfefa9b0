"""One writer per index directory, across processes: an advisory lock on a file in it."""

import fcntl
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from index.errors import StoreLocked

LOCK_FILE = "writer.lock"


# How often a writer waiting for the lock tries again.
RETRY_SECONDS = 0.05


def wait_for(take: Callable[[], bool], wait: float) -> bool:
    """Tries `take` until it succeeds or `wait` seconds have passed; whether it succeeded."""
    deadline = time.monotonic() + wait
    while not take():
        if time.monotonic() >= deadline:
            return False
        time.sleep(RETRY_SECONDS)
    return True


@contextmanager
def writer_lock(directory: Path, wait: float = 0.0) -> Iterator[None]:
    """The directory's write lock, waiting up to `wait` seconds for another writer to finish (the
    API's processes take turns this way; a long ingest still makes them give up, with a clear error)."""
    path = directory / LOCK_FILE
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        if not wait_for(lambda: _try_lock(fd), wait):
            holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "unknown"
            raise StoreLocked(
                f"another process (pid {holder}) is writing to the index at {directory}; "
                "wait for it to finish"
            )
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode("ascii"), 0)
        yield
    finally:
        # Closing the descriptor releases the lock, also when the process dies.
        os.close(fd)


def _try_lock(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False
