"""Fetching what newsrooms publish (feeds, sitemaps, article pages) over HTTP, politely: robots.txt is
obeyed, each host is asked at a measured pace, passing failures are retried with backoff, and bodies are
bounded in size. Everything the sources read comes through a Fetcher.

The Fetcher is here with its policy and what it answers; one GET and its bounded body are in `exchange`,
robots.txt in `robots`, the pace of each host in `pacing`."""

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx

from qa.errors import CodedError
from qa.sources.exchange import DEFAULT_PORTS, Failure, Response, get, status_reason
from qa.sources.pacing import MAX_CRAWL_DELAY_SECONDS, Hosts
from qa.sources.robots import MAX_ROBOTS_BYTES, ROBOTS_CACHE_SECONDS, Robots, read_robots

__all__ = [
    "DEFAULT_PORTS", "MAX_BACKOFF_SECONDS", "MAX_CRAWL_DELAY_SECONDS", "MAX_ROBOTS_BYTES", "REDIRECT_STATUSES",
    "RETRYABLE_STATUSES", "ROBOTS_CACHE_SECONDS", "USER_AGENT", "FetchFailed", "FetchPolicy", "Fetched", "Fetcher",
]

USER_AGENT = "news-qa/0.1 (+https://github.com/news-qa/news-qa; newsroom source sync)"
# Answers that mean "not now" rather than "no": asked again after a pause.
RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
MAX_BACKOFF_SECONDS = 60.0


@dataclass(frozen=True)
class FetchPolicy:
    """How politely and how patiently to fetch. `politeness_seconds` is the least time between two requests to
    one host (robots.txt included); `backoff_seconds` doubles with each retry, up to MAX_BACKOFF_SECONDS;
    `timeout_seconds` bounds each wait for the server, `response_seconds` a whole answer, so a server
    trickling its bytes just within the timeout cannot hold a sync."""

    user_agent: str = USER_AGENT
    timeout_seconds: float = 20.0
    response_seconds: float = 120.0
    max_bytes: int = 10_000_000
    politeness_seconds: float = 1.0
    retries: int = 3
    backoff_seconds: float = 1.0
    max_retry_after_seconds: float = 120.0
    respect_robots: bool = True
    max_redirects: int = 5

    def __post_init__(self) -> None:
        if not self.user_agent.strip() or any(c in self.user_agent for c in "\r\n\0"):
            raise ValueError(f"user_agent must be a non-empty single-line header value, got {self.user_agent!r}")
        _require_seconds("timeout_seconds", self.timeout_seconds, positive=True)
        _require_seconds("response_seconds", self.response_seconds, positive=True)
        _require_seconds("politeness_seconds", self.politeness_seconds)
        _require_seconds("backoff_seconds", self.backoff_seconds)
        _require_seconds("max_retry_after_seconds", self.max_retry_after_seconds)
        _require_count("max_bytes", self.max_bytes, minimum=1)
        _require_count("retries", self.retries, minimum=0)
        _require_count("max_redirects", self.max_redirects, minimum=0)


def _require_seconds(name: str, value: float, *, positive: bool = False) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number of seconds, got {value!r}")
    if positive and value <= 0:
        raise ValueError(f"{name} must be greater than 0, got {value!r}")
    if value < 0:
        raise ValueError(f"{name} must not be negative, got {value!r}")


def _require_count(name: str, value: int, *, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name} must be a whole number, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {value!r}")


@dataclass(frozen=True)
class Fetched:
    """What a fetch found at `url` (the address after redirects). When `not_modified` (a 304 to a conditional
    request) the body is empty: the copy the caller holds is still current."""

    url: str
    status: int
    not_modified: bool
    body: bytes = field(repr=False)
    etag: str | None = None
    last_modified: str | None = None
    content_type: str | None = None
    charset: str | None = None


class FetchFailed(CodedError):
    """A URL could not be fetched. `retryable` says whether asking again later may succeed (a timeout, a 503)
    or not (a 404, robots.txt saying no); `status` is the HTTP status when the server answered."""

    code = "fetch_failed"

    def __init__(self, url: str, reason: str, *, status: int | None = None, retryable: bool = False) -> None:
        # URLs come from feeds anyone writes: show a bounded part of one.
        shown = url if len(url) <= 300 else url[:300] + "…"
        details = {"url": url, "reason": reason, "status": status, "retryable": retryable}
        super().__init__(f"could not fetch {shown}: {reason}", details)
        self.url = url
        self.reason = reason
        self.status = status
        self.retryable = retryable


class Fetcher:
    """Fetches URLs as `policy` says, with one HTTP client, from one thread or a few. `sleep` and `clock` are
    passed in so that tests of backoff and pacing need not wait."""

    def __init__(self, policy: FetchPolicy = FetchPolicy(), *, sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.monotonic, transport: httpx.BaseTransport | None = None) -> None:
        self.policy = policy
        self._sleep = sleep
        # robots.txt groups are matched on the product token alone, so a word of the contact URL cannot match.
        self._agent_token = policy.user_agent.split()[0].split("/")[0]
        # Redirects are followed here, not by httpx, so that each hop asks robots.txt and waits its turn.
        self._client = httpx.Client(headers={"User-Agent": policy.user_agent}, timeout=policy.timeout_seconds,
                                    follow_redirects=False, transport=transport)
        self._hosts = Hosts(policy.politeness_seconds, sleep=sleep, clock=clock)

    def __enter__(self) -> "Fetcher":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self._client.close()

    def fetch(self, url: str, *, etag: str | None = None, last_modified: str | None = None) -> Fetched:
        """GETs `url`; with the `etag` or `last_modified` of a copy held, asks only for a newer one."""
        try:
            response = self._follow(url, _conditions(etag, last_modified), check_robots=self.policy.respect_robots,
                                    limit=self.policy.max_bytes, truncate=False)
        except Failure as failure:
            raise FetchFailed(url, failure.reason, status=failure.status, retryable=failure.retryable) from failure
        not_modified = response.status == 304
        if not (not_modified or 200 <= response.status < 300):
            raise FetchFailed(url, status_reason(response), status=response.status,
                              retryable=response.status in RETRYABLE_STATUSES)
        content_type, charset = _parse_content_type(response.headers.get("content-type"))
        # A 304 need not repeat the validators; the ones the caller sent still hold then.
        return Fetched(str(response.url), response.status, not_modified, response.body,
                       response.headers.get("etag") or (etag if not_modified else None),
                       response.headers.get("last-modified") or (last_modified if not_modified else None),
                       content_type, charset)

    def _follow(self, url: str, headers: dict[str, str], *, check_robots: bool, limit: int,
                truncate: bool) -> Response:
        hop = _http_url(url)
        for _ in range(self.policy.max_redirects + 1):
            if check_robots:
                self._hosts.robots(hop, self._read_robots, self._agent_token).check(hop, self._agent_token)
            response = self._with_retries(hop, headers, limit, truncate)
            location = response.headers.get("location")
            if response.status not in REDIRECT_STATUSES or location is None:
                return response
            hop = _redirect_target(hop, location)
        raise Failure(f"too many redirects (more than {self.policy.max_redirects})")

    def _with_retries(self, url: httpx.URL, headers: dict[str, str], limit: int, truncate: bool) -> Response:
        attempt = 0
        while True:
            try:
                response = self._exchange(url, headers, limit, truncate)
            except Failure as failure:
                if not failure.retryable or attempt == self.policy.retries:
                    raise
                delay = self._backoff(attempt)
            else:
                if response.status not in RETRYABLE_STATUSES or attempt == self.policy.retries:
                    return response
                delay = self._retry_delay(response.headers.get("retry-after"), attempt)
            if delay > 0:
                self._sleep(delay)
            attempt += 1

    def _backoff(self, attempt: int) -> float:
        return min(self.policy.backoff_seconds * 2**attempt, MAX_BACKOFF_SECONDS)

    def _retry_delay(self, retry_after: str | None, attempt: int) -> float:
        asked = _retry_after_seconds(retry_after)
        return self._backoff(attempt) if asked is None else min(asked, self.policy.max_retry_after_seconds)

    def _exchange(self, url: httpx.URL, headers: dict[str, str], limit: int, truncate: bool) -> Response:
        with self._hosts.turn(url):
            return get(self._client, url, headers, limit=limit, truncate=truncate,
                       timeout_seconds=self.policy.timeout_seconds, response_seconds=self.policy.response_seconds)

    def _read_robots(self, url: httpx.URL) -> Robots:
        return read_robots(url, self._get_robots_txt)

    def _get_robots_txt(self, robots_url: str) -> Response:
        # robots.txt is not asked about itself, and past its bound it is cut rather than refused.
        return self._follow(robots_url, {}, check_robots=False, limit=MAX_ROBOTS_BYTES, truncate=True)


def _http_url(text: str) -> httpx.URL:
    try:
        url = httpx.URL(text)
    except httpx.InvalidURL as error:
        raise Failure(f"not a valid URL ({error})") from error
    if url.scheme not in DEFAULT_PORTS or not url.host:
        raise Failure("not an http or https URL")
    return url


def _redirect_target(hop: httpx.URL, location: str) -> httpx.URL:
    try:
        target = hop.join(location)
    except httpx.InvalidURL as error:
        raise Failure(f"redirected to an invalid URL {location!r} ({error})") from error
    if target.scheme not in DEFAULT_PORTS or not target.host:
        raise Failure(f"redirected to {location!r}, not an http or https URL")
    return target


def _conditions(etag: str | None, last_modified: str | None) -> dict[str, str]:
    headers = {}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    return headers


def _retry_after_seconds(value: str | None) -> float | None:
    """Retry-After as seconds from now: given as seconds, or as an HTTP date (RFC 9110 10.2.3)."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _parse_content_type(header: str | None) -> tuple[str | None, str | None]:
    """The media type, lowercased and without parameters, and the charset parameter, if any."""
    if header is None:
        return None, None
    media_type, _, parameters = header.partition(";")
    charset = None
    for parameter in parameters.split(";"):
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset":
            charset = value.strip().strip('"').strip().lower() or None
    return media_type.strip().lower() or None, charset
