"""The sync schedule in the background of `qa serve`: every little while, the sources that are due
are synced. When several processes or replicas serve one archive, the one holding the database's
lease does it, and renews the lease as it goes; if it dies, another takes over once the lease runs out."""

import logging
import os
import socket
import threading
from collections.abc import Callable
from datetime import datetime

from typing import TYPE_CHECKING

from index.ports import SourceRegistry
from qa.errors import QAError

if TYPE_CHECKING:
    from qa.sources.desk import SourceDesk

log = logging.getLogger(__name__)

LEASE = "sync"
# Long enough to ride out a slow page between renewals, short enough that another process soon takes
# over from one that died.
LEASE_SECONDS = 300


class SyncSchedule:
    def __init__(self, desk: "SourceDesk", registry: SourceRegistry, clock: Callable[[], datetime],
                 tick_seconds: float = 30.0) -> None:
        self._desk = desk
        self._registry = registry
        self._clock = clock
        self._tick = tick_seconds
        self._holder = f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="qa-sync", daemon=True)
        self._thread.start()

    def stop(self, wait: float = 30.0) -> None:
        """Stops after the page being read; what was stored stays, the rest waits for the next run."""
        self._stopped.set()
        if self._thread is not None:
            self._thread.join(wait)
        self._registry.release_lease(LEASE, self._holder)

    def run_due(self) -> int:
        """Syncs every source due now if this process holds the lease; returns how many it synced."""
        synced = 0
        for source in self._desk.due():
            if self._stopped.is_set() or not self._hold_lease():
                break
            try:
                result = self._desk.run(source, keep_going=self._renewing)
            except Exception:  # noqa: BLE001 - recorded with the source; the other sources go on
                log.exception("the sync of %s failed", source.url)
                continue
            synced += 1
            log.info("synced %s: %s%s", source.url, dict(result.run.counts),
                     f"; error: {result.run.error}" if result.run.error else "")
        return synced

    def _loop(self) -> None:
        while not self._stopped.is_set():
            try:
                self.run_due()
            except QAError as error:  # the database unavailable for a while: try again next tick
                log.warning("the sync schedule could not run: %s", error.message)
            except Exception:  # noqa: BLE001 - a background thread must outlive one bad run, and say why
                log.exception("the sync schedule failed; it tries again in %g s", self._tick)
            self._stopped.wait(self._tick)

    def _renewing(self) -> bool:
        """Between pages: goes on only while not stopped and still holding the lease."""
        return not self._stopped.is_set() and self._hold_lease()

    def _hold_lease(self) -> bool:
        now = int(self._clock().timestamp())
        return self._registry.take_lease(LEASE, self._holder, now + LEASE_SECONDS, now)
