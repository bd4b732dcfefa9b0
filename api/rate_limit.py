"""Rate limits of API keys ("120/minute"), counted in token buckets shared by all of `qa serve`'s processes.

Each limited key has a bucket of N tokens that refills at N per period; a request takes one, and a
request finding the bucket empty is refused with the time until the next token. A token bucket
rather than a sliding window: its state is one number per key (when its bucket will be full again),
so sharing it between processes is one small row, and a client that used up its tokens waits
period/N for the next one, not until a whole window has passed. What holds: in the long run a key
gets N requests per period; a key idle for a whole period may send N at once, so over any one
period it gets at most 2N - 1 (a full bucket, then what refills meanwhile).

What holds across processes: the buckets are rows of one SQLite file, and every request's take
runs in one write transaction, so all the processes of one `qa serve` count against the same N.
The file is put in the folder `qa serve` makes for the processes it runs (api.server.run sets
PROMETHEUS_MULTIPROC_DIR to it whenever there are several, whether or not the load board is kept);
one process alone counts in memory. Times are the system's monotonic clock, the same in every
process of one machine, read while the transaction holds the lock."""

import os
import re
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

PERIOD_SECONDS = {"second": 1, "minute": 60, "hour": 3600}
MAX_REQUESTS = 1_000_000
NS_PER_SECOND = 1_000_000_000
# Not a .db file: the metrics collector reads those of the folder.
SHARED_FILE = "rate-limits.sqlite"
# A take holds the lock for microseconds; a process waiting longer than this has found a stuck one.
LOCK_TIMEOUT_SECONDS = 2.0
LIMIT_FORMAT = re.compile(r"^\s*(\d+)\s*/\s*([a-z]+)\s*$")


@dataclass(frozen=True)
class RateLimit:
    requests: int
    period: str  # "second", "minute" or "hour"

    def __post_init__(self) -> None:
        if self.period not in PERIOD_SECONDS:
            raise ValueError(f"a rate limit's period is second, minute or hour, not {self.period!r}")
        if not 1 <= self.requests <= MAX_REQUESTS:
            raise ValueError(f"a rate limit allows 1 to {MAX_REQUESTS} requests per period, not {self.requests}")

    @classmethod
    def parse(cls, text: str) -> "RateLimit":
        """From the form the keys file uses: N/second, N/minute or N/hour, such as 120/minute."""
        match = LIMIT_FORMAT.match(text)
        if match is None:
            raise ValueError(f"a rate limit is N/second, N/minute or N/hour, not {text!r}")
        return cls(int(match[1]), match[2])

    @property
    def period_ns(self) -> int:
        return PERIOD_SECONDS[self.period] * NS_PER_SECOND

    def __str__(self) -> str:
        return f"{self.requests}/{self.period}"


class RateLimiter:
    """The keys' buckets, in the SQLite file `path` (shared by every limiter opening it) or, without
    one, in this limiter's memory. Used from one event loop, so its calls never overlap."""

    def __init__(self, path: Path | None = None, clock: Callable[[], int] = time.monotonic_ns) -> None:
        self._clock = clock
        self._db = sqlite3.connect(path or ":memory:", timeout=LOCK_TIMEOUT_SECONDS, isolation_level=None,
                                   check_same_thread=False)
        if path is not None:
            # Counts, not records: nothing need survive a crash, so nothing waits for the disk.
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=OFF")
        self._db.execute("CREATE TABLE IF NOT EXISTS buckets (name TEXT PRIMARY KEY, full_at INTEGER NOT NULL)")

    def take(self, name: str, limit: RateLimit) -> float:
        """Takes a token from the bucket of the key `name`: 0.0 if there was one, else the seconds
        until there will be (nothing is taken then)."""
        # One token refills in `interval`; the bucket is full again at `full_at`, so it is empty
        # while full_at is a whole period away. Rounded down, so N tokens never take more than the period.
        interval = limit.period_ns // limit.requests
        self._db.execute("BEGIN IMMEDIATE")
        try:
            now = self._clock()
            row = self._db.execute("SELECT full_at FROM buckets WHERE name = ?", (name,)).fetchone()
            full_at = max(row[0] if row else now, now) + interval
            wait = full_at - now - limit.period_ns
            if wait <= 0:
                self._db.execute("INSERT INTO buckets VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET "
                                 "full_at = excluded.full_at", (name, full_at))
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        return max(wait, 0) / NS_PER_SECOND

    def close(self) -> None:
        self._db.close()


def serving_rate_limiter() -> RateLimiter:
    """The limiter of this serving process: shared with the others of its `qa serve` when there are several."""
    from api.metrics import MULTIPROCESS_FOLDER  # here, so that reading the settings does not load the metrics

    folder = os.environ.get(MULTIPROCESS_FOLDER)
    return RateLimiter(Path(folder) / SHARED_FILE if folder else None)
