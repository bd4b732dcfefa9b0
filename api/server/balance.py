"""Keeps kept-alive connections spread over `qa serve`'s processes.

A process answers one question at a time, and a kept-alive connection stays with the process that
accepted it: 8 clients connecting at once were often split 7 to 1, and the busy process's clients
waited several times longer than the other's. So every process posts on a board shared by all of
them (a small memory-mapped file, a slot each) how many clients it serves: connections that sent a
request within the last second. A process serving two or more clients more than the least busy
other one (a process with no request in that second serves none) closes the connection after
answering (`Connection: close`). The client's next connection goes to whichever process accepts it
first, most often the less busy one, waiting in its event loop while the busy one is answering.

Clients, not requests in progress, are what is balanced: a process answers on its event loop's one
thread, so it starts a request only when the previous one is done, and the requests waiting for it
sit unread in its connections, where no count of requests in progress sees them."""

import fcntl
import mmap
import os
import struct
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Set by `qa serve` for its worker processes: the board's file.
BOARD_FILE = "QA_LOAD_BOARD"
SLOTS = 64
FREE = -1
# A slot is (clients, when posted in ms of the system's monotonic clock); 8 bytes each, aligned,
# so a reader never sees half a number.
SLOT_BYTES = 16
# A connection that sent no request for this long is not a client being served.
ACTIVE_MS = 1000
# A process closes a connection when it serves at least this many clients more than the least
# busy other: one more is what an odd number of clients leaves, two is a real imbalance.
IMBALANCE = 2


def create_board(path: Path) -> None:
    """A board with every slot free, written before the worker processes start."""
    path.write_bytes(np.array([[FREE, 0]] * SLOTS, dtype=np.int64).tobytes())


def monotonic_ms() -> int:
    return time.monotonic_ns() // 1_000_000


class LoadBoard:
    """This process's slot on the board, claimed with a lock on its bytes: the lock ends with the
    process, however it ends, so a worker started to replace a dead one can take the slot."""

    def __init__(self, path: Path, clock: Callable[[], int] = monotonic_ms) -> None:
        self._clock = clock
        self._fd = os.open(path, os.O_RDWR)
        self._map = mmap.mmap(self._fd, SLOTS * SLOT_BYTES)
        self._slots = np.frombuffer(self._map, dtype=np.int64).reshape(SLOTS, 2)
        self._slot = self._claim()
        self._open = True
        self.post(0)

    def _claim(self) -> int:
        for slot in range(SLOTS):
            try:
                _lock(self._fd, slot * SLOT_BYTES, SLOT_BYTES)
                return slot
            except OSError:
                continue
        raise RuntimeError(f"more than {SLOTS} serving processes share one load board")

    def post(self, clients: int) -> None:
        # Only this process writes its slot; the others read it.
        if self._open:
            self._slots[self._slot, 1] = self._clock()
            self._slots[self._slot, 0] = clients

    def overloaded(self, clients: int) -> bool:
        """Whether this process, serving `clients`, serves IMBALANCE or more than the least busy other."""
        others = np.delete(self._slots, self._slot, axis=0)
        others = others[others[:, 0] != FREE]
        if not len(others):
            return False
        idle = self._clock() - others[:, 1] > ACTIVE_MS
        return clients - int(np.where(idle, 0, others[:, 0]).min()) >= IMBALANCE

    def close(self) -> None:
        """Frees the slot. The map stays readable: a request finishing late still finds it."""
        if self._open:
            self._slots[self._slot, 0] = FREE
            self._open = False
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


class ActiveClients:
    """The connections, by client address and port, that sent a request within ACTIVE_MS."""

    def __init__(self, clock: Callable[[], int] = monotonic_ms) -> None:
        self._clock = clock
        self._last: dict[object, int] = {}

    def __len__(self) -> int:
        return len(self._last)

    def saw(self, client: object) -> None:
        now = self._last[client] = self._clock()
        for gone in [c for c, last in self._last.items() if now - last > ACTIVE_MS]:
            del self._last[gone]

    def forget(self, client: object) -> None:
        self._last.pop(client, None)


class ConnectionBalance:
    """Posts how many clients this process serves; closes the connection after a response while
    this process serves too many, so its client reconnects to a less busy one."""

    def __init__(self, app: ASGIApp, board: LoadBoard) -> None:
        self.app = app
        self._board = board
        self._clients = ActiveClients()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # The peer's address and port name the connection; without them each request counts alone.
        client = tuple(scope["client"]) if scope.get("client") else object()
        self._clients.saw(client)
        self._board.post(len(self._clients))

        async def send_balanced(message: Message) -> None:
            if message["type"] == "http.response.start" and self._board.overloaded(len(self._clients)):
                self._clients.forget(client)
                self._board.post(len(self._clients))
                message = {**message, "headers": [*message.get("headers", []), (b"connection", b"close")]}
            await send(message)

        await self.app(scope, receive, send_balanced)
