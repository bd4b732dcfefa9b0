"""Keeps kept-alive connections spread over `qa serve`'s processes.

A process answers one question at a time, and a kept-alive connection stays with the process that
accepted it: 8 clients connecting at once were often split 7 to 1, and the busy process's clients
waited several times longer than the other's. So every process posts how many requests it holds on
a board shared by all of them (a small memory-mapped file, a slot each), and a process holding two
or more requests than the least busy other one closes the connection after answering
(`Connection: close`). The client's next connection goes to whichever process accepts it first,
most often the less busy one, waiting in its event loop while the busy one is still answering (not
always: docs/benchmarks.md measures how often it helps)."""

import fcntl
import mmap
import os
import struct
from pathlib import Path

import numpy as np
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Set by `qa serve` for its worker processes: the board's file.
BOARD_FILE = "QA_LOAD_BOARD"
SLOTS = 64
FREE = -1
# A process closes a connection when it holds at least this many requests more than the least busy
# other: one more is the ordinary jitter of requests in transit, two is a real imbalance.
IMBALANCE = 2


def create_board(path: Path) -> None:
    """A board with every slot free, written before the worker processes start."""
    path.write_bytes(np.full(SLOTS, FREE, dtype=np.int32).tobytes())


class LoadBoard:
    """This process's slot on the board, claimed with a lock on its bytes: the lock ends with the
    process, however it ends, so a worker started to replace a dead one can take the slot."""

    def __init__(self, path: Path) -> None:
        self._fd = os.open(path, os.O_RDWR)
        self._map = mmap.mmap(self._fd, SLOTS * 4)
        self._counts = np.frombuffer(self._map, dtype=np.int32)
        self._slot = self._claim()
        self._counts[self._slot] = 0
        self._open = True

    def _claim(self) -> int:
        for slot in range(SLOTS):
            try:
                _lock(self._fd, slot * 4, 4)
                return slot
            except OSError:
                continue
        raise RuntimeError(f"more than {SLOTS} serving processes share one load board")

    def change(self, by: int) -> None:
        # Only this process writes its slot; the others read it, an aligned 4-byte word.
        if self._open:
            self._counts[self._slot] += by

    def overloaded(self) -> bool:
        """Whether this process holds IMBALANCE or more requests than the least busy other one."""
        others = np.delete(self._counts, self._slot)
        others = others[others != FREE]
        return bool(len(others)) and int(self._counts[self._slot]) - int(others.min()) >= IMBALANCE

    def close(self) -> None:
        """Frees the slot. The map stays readable: a request finishing late still finds it."""
        if self._open:
            self._open = False
            self._counts[self._slot] = FREE
            os.close(self._fd)  # releases the slot's lock


def _lock(fd: int, start: int, length: int) -> None:
    """An exclusive lock on these bytes, or OSError if another holder has it. On Linux an
    open-file-description lock, so two boards opened in one process (tests) exclude each other too;
    elsewhere a per-process lock, which is enough between serving processes."""
    ofd_lock = getattr(fcntl, "F_OFD_SETLK", None)
    if ofd_lock is None:
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, length, start)
        return
    # struct flock on 64-bit Linux: type, whence, start, length, pid (0 for these locks), padding.
    fcntl.fcntl(fd, ofd_lock, struct.pack("hhqqi4x", fcntl.F_WRLCK, os.SEEK_SET, start, length, 0))


class ConnectionBalance:
    """Counts the requests this process holds on the board; closes the connection after a response
    while this process is overloaded, so its client reconnects to a less busy one."""

    def __init__(self, app: ASGIApp, board: LoadBoard) -> None:
        self.app = app
        self._board = board

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_balanced(message: Message) -> None:
            if message["type"] == "http.response.start" and self._board.overloaded():
                message = {**message, "headers": [*message.get("headers", []), (b"connection", b"close")]}
            await send(message)

        self._board.change(+1)
        try:
            await self.app(scope, receive, send_balanced)
        finally:
            self._board.change(-1)
