"""A host's robots.txt (RFC 9309): where it is, what its answer means, and whether it lets us fetch a URL.
Fetching it is the Fetcher's work (paced and retried like anything else); keeping each host's copy, and
pacing the host by its Crawl-delay, are the pacing module's."""

from collections.abc import Callable
from dataclasses import dataclass

import httpx
from protego import Protego

from qa.sources.exchange import Failure, Response, status_reason

ROBOTS_CACHE_SECONDS = 3600.0
# RFC 9309 2.5: a crawler must read at least 500 KiB of a robots.txt and may ignore what follows.
MAX_ROBOTS_BYTES = 500 * 1024


@dataclass(frozen=True)
class Robots:
    """A host's robots.txt as read: its rules, no rules (everything allowed), or why it could not be read,
    which puts the whole host off limits (RFC 9309 2.3.1.4)."""

    rules: Protego | None = None
    unreadable: str | None = None

    def check(self, url: httpx.URL, agent: str) -> None:
        if self.unreadable is not None:
            raise Failure(f"robots.txt could not be read ({self.unreadable}), so the host is off limits for now",
                          retryable=True)
        if self.rules is not None and not self.rules.can_fetch(str(url), agent):
            raise Failure("robots.txt disallows it")

    def crawl_delay(self, agent: str) -> float:
        return (self.rules.crawl_delay(agent) if self.rules is not None else None) or 0.0


def read_robots(url: httpx.URL, get: Callable[[str], Response]) -> Robots:
    """The robots.txt of `url`'s host, fetched with `get` (which follows redirects and raises a Failure)."""
    robots_url = url.copy_with(path="/robots.txt", query=None, fragment=None, userinfo=b"")
    try:
        response = get(str(robots_url))
    except Failure as failure:
        return Robots(unreadable=failure.reason)
    if 200 <= response.status < 300:
        return Robots(rules=Protego.parse(response.body.decode("utf-8", "replace")))
    # RFC 9309 2.3.1: a server error bars the host. A 429 is read as one too (as Google does): the
    # server is asking for less, not saying there are no rules. Any other answer means no rules.
    if response.status == 429 or response.status >= 500:
        return Robots(unreadable=status_reason(response))
    return Robots()
