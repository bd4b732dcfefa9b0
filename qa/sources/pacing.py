"""Asking each host at a measured pace: one request at a time per scheme, host and port, and a pause between
the end of one answer and the next request, the policy's politeness delay or the Crawl-delay of the host's
robots.txt if that is longer. The robots.txt copy that sets the pace is kept here with the rest of what is
known of a host, and read again when it is an hour old."""

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import httpx

from qa.sources.exchange import DEFAULT_PORTS
from qa.sources.robots import ROBOTS_CACHE_SECONDS, Robots

# The turn on a host is held while waiting, so a Crawl-delay of hours would stall a sync for hours.
MAX_CRAWL_DELAY_SECONDS = 60.0


class Host:
    """One scheme, host and port. `turn` is held for the whole of a request, so a host is asked one thing at a
    time, and `delay` after the previous answer ended."""

    def __init__(self, delay: float) -> None:
        self.turn = threading.Lock()
        self.robots_lock = threading.Lock()
        self.delay = delay
        self.last_answered_at: float | None = None
        self.robots: Robots | None = None
        self.robots_expire_at = 0.0


class Hosts:
    """The hosts asked so far, shared by the threads of one Fetcher. Every host waits at least
    `politeness_seconds` between answer and request; `sleep` and `clock` are the Fetcher's, so tests need not
    wait."""

    def __init__(self, politeness_seconds: float, *, sleep: Callable[[float], None],
                 clock: Callable[[], float]) -> None:
        self._politeness_seconds = politeness_seconds
        self._sleep = sleep
        self._clock = clock
        self._hosts: dict[str, Host] = {}
        self._lock = threading.Lock()

    @contextmanager
    def turn(self, url: httpx.URL) -> Iterator[None]:
        """Holds `url`'s host for one request, once its delay since the previous answer has passed."""
        host = self._host(url)
        with host.turn:
            if host.last_answered_at is not None:
                wait = host.last_answered_at + host.delay - self._clock()
                if wait > 0:
                    self._sleep(wait)
            try:
                yield
            finally:
                host.last_answered_at = self._clock()

    def robots(self, url: httpx.URL, read: Callable[[httpx.URL], Robots], agent: str) -> Robots:
        """The robots.txt of `url`'s host, read with `read` unless a copy is younger than ROBOTS_CACHE_SECONDS.
        Each new copy sets the host's delay from its Crawl-delay for `agent`."""
        host = self._host(url)
        with host.robots_lock:
            if host.robots is None or self._clock() >= host.robots_expire_at:
                host.robots = read(url)
                host.robots_expire_at = self._clock() + ROBOTS_CACHE_SECONDS
                crawl_delay = min(host.robots.crawl_delay(agent), MAX_CRAWL_DELAY_SECONDS)
                host.delay = max(self._politeness_seconds, crawl_delay)
            return host.robots

    def _host(self, url: httpx.URL) -> Host:
        key = f"{url.scheme}://{url.host}:{url.port or DEFAULT_PORTS[url.scheme]}"
        with self._lock:
            host = self._hosts.get(key)
            if host is None:
                host = self._hosts[key] = Host(self._politeness_seconds)
            return host
