"""Fetching what newsrooms publish (feeds, sitemaps, article pages) over HTTP, politely: robots.txt is
obeyed, each host is asked at a measured pace, passing failures are retried with backoff, and bodies are
bounded in size. Everything the sources read comes through a Fetcher."""

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx
from protego import Protego

from qa.errors import CodedError

USER_AGENT = "news-qa/0.1 (+https://github.com/news-qa/news-qa; newsroom source sync)"
# Answers that mean "not now" rather than "no": asked again after a pause.
RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
MAX_BACKOFF_SECONDS = 60.0
ROBOTS_CACHE_SECONDS = 3600.0
# RFC 9309 2.5: a crawler must read at least 500 KiB of a robots.txt and may ignore what follows.
MAX_ROBOTS_BYTES = 500 * 1024
# The turn on a host is held while waiting, so a Crawl-delay of hours would stall a sync for hours.
MAX_CRAWL_DELAY_SECONDS = 60.0
DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True)
class FetchPolicy:
    """How politely and how patiently to fetch. `politeness_seconds` is the least time between two requests to
    one host (robots.txt included); `backoff_seconds` doubles with each retry, up to MAX_BACKOFF_SECONDS."""

    user_agent: str = USER_AGENT
    timeout_seconds: float = 20.0
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


class _Failure(Exception):
    """Why one step failed; `Fetcher.fetch` names the URL asked for and raises it as a FetchFailed."""

    def __init__(self, reason: str, *, status: int | None = None, retryable: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status
        self.retryable = retryable


@dataclass(frozen=True)
class _Response:
    url: httpx.URL
    status: int
    reason: str
    headers: httpx.Headers
    body: bytes


@dataclass(frozen=True)
class _Robots:
    """A host's robots.txt as read: its rules, no rules (everything allowed), or why it could not be read,
    which puts the whole host off limits (RFC 9309 2.3.1.4)."""

    rules: Protego | None = None
    unreadable: str | None = None

    def check(self, url: httpx.URL, agent: str) -> None:
        if self.unreadable is not None:
            raise _Failure(f"robots.txt could not be read ({self.unreadable}), so the host is off limits for now",
                           retryable=True)
        if self.rules is not None and not self.rules.can_fetch(str(url), agent):
            raise _Failure("robots.txt disallows it")

    def crawl_delay(self, agent: str) -> float:
        return (self.rules.crawl_delay(agent) if self.rules is not None else None) or 0.0


class _Host:
    """One scheme, host and port. `turn` is held for the whole of a request, so a host is asked one thing at a
    time, and `delay` after the previous answer ended."""

    def __init__(self, delay: float) -> None:
        self.turn = threading.Lock()
        self.robots_lock = threading.Lock()
        self.delay = delay
        self.last_answered_at: float | None = None
        self.robots: _Robots | None = None
        self.robots_expire_at = 0.0


class Fetcher:
    """Fetches URLs as `policy` says, with one HTTP client, from one thread or a few. `sleep` and `clock` are
    passed in so that tests of backoff and pacing need not wait."""

    def __init__(self, policy: FetchPolicy = FetchPolicy(), *, sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.monotonic, transport: httpx.BaseTransport | None = None) -> None:
        self.policy = policy
        self._sleep = sleep
        self._clock = clock
        # robots.txt groups are matched on the product token alone, so a word of the contact URL cannot match.
        self._agent_token = policy.user_agent.split()[0].split("/")[0]
        # Redirects are followed here, not by httpx, so that each hop asks robots.txt and waits its turn.
        self._client = httpx.Client(headers={"User-Agent": policy.user_agent}, timeout=policy.timeout_seconds,
                                    follow_redirects=False, transport=transport)
        self._hosts: dict[str, _Host] = {}
        self._hosts_lock = threading.Lock()

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
        except _Failure as failure:
            raise FetchFailed(url, failure.reason, status=failure.status, retryable=failure.retryable) from failure
        not_modified = response.status == 304
        if not (not_modified or 200 <= response.status < 300):
            raise FetchFailed(url, _status_reason(response), status=response.status,
                              retryable=response.status in RETRYABLE_STATUSES)
        content_type, charset = _parse_content_type(response.headers.get("content-type"))
        # A 304 need not repeat the validators; the ones the caller sent still hold then.
        return Fetched(str(response.url), response.status, not_modified, response.body,
                       response.headers.get("etag") or (etag if not_modified else None),
                       response.headers.get("last-modified") or (last_modified if not_modified else None),
                       content_type, charset)

    def _follow(self, url: str, headers: dict[str, str], *, check_robots: bool, limit: int,
                truncate: bool) -> _Response:
        hop = _http_url(url)
        for _ in range(self.policy.max_redirects + 1):
            if check_robots:
                self._robots_for(hop).check(hop, self._agent_token)
            response = self._with_retries(hop, headers, limit, truncate)
            location = response.headers.get("location")
            if response.status not in REDIRECT_STATUSES or location is None:
                return response
            hop = _redirect_target(hop, location)
        raise _Failure(f"too many redirects (more than {self.policy.max_redirects})")

    def _with_retries(self, url: httpx.URL, headers: dict[str, str], limit: int, truncate: bool) -> _Response:
        attempt = 0
        while True:
            try:
                response = self._exchange(url, headers, limit, truncate)
            except _Failure as failure:
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

    def _exchange(self, url: httpx.URL, headers: dict[str, str], limit: int, truncate: bool) -> _Response:
        host = self._host(url)
        with host.turn:
            if host.last_answered_at is not None:
                wait = host.last_answered_at + host.delay - self._clock()
                if wait > 0:
                    self._sleep(wait)
            try:
                return self._request(url, headers, limit, truncate)
            finally:
                host.last_answered_at = self._clock()

    def _request(self, url: httpx.URL, headers: dict[str, str], limit: int, truncate: bool) -> _Response:
        try:
            with self._client.stream("GET", url, headers=headers) as response:
                # Only a success's body is wanted; an error's is left unread, however large.
                body = _read_body(response, limit, truncate) if 200 <= response.status_code < 300 else b""
                return _Response(response.url, response.status_code, response.reason_phrase, response.headers, body)
        except httpx.TimeoutException as error:
            raise _Failure(f"timed out after {self.policy.timeout_seconds:g} s", retryable=True) from error
        except httpx.ConnectError as error:
            refused = "refused" in str(error).lower()
            raise _Failure("connection refused" if refused else f"could not connect ({error})",
                           retryable=True) from error
        except (httpx.ReadError, httpx.WriteError, httpx.RemoteProtocolError) as error:
            raise _Failure(f"the connection broke ({error})", retryable=True) from error
        except httpx.DecodingError as error:
            raise _Failure(f"the body's Content-Encoding could not be decoded ({error})") from error
        except httpx.HTTPError as error:
            raise _Failure(f"{type(error).__name__}: {error}") from error

    def _robots_for(self, url: httpx.URL) -> _Robots:
        host = self._host(url)
        with host.robots_lock:
            if host.robots is None or self._clock() >= host.robots_expire_at:
                host.robots = self._read_robots(url)
                host.robots_expire_at = self._clock() + ROBOTS_CACHE_SECONDS
                crawl_delay = min(host.robots.crawl_delay(self._agent_token), MAX_CRAWL_DELAY_SECONDS)
                host.delay = max(self.policy.politeness_seconds, crawl_delay)
            return host.robots

    def _read_robots(self, url: httpx.URL) -> _Robots:
        robots_url = url.copy_with(path="/robots.txt", query=None, fragment=None, userinfo=b"")
        try:
            response = self._follow(str(robots_url), {}, check_robots=False, limit=MAX_ROBOTS_BYTES, truncate=True)
        except _Failure as failure:
            return _Robots(unreadable=failure.reason)
        if 200 <= response.status < 300:
            return _Robots(rules=Protego.parse(response.body.decode("utf-8", "replace")))
        # RFC 9309 2.3.1: a server error bars the host. A 429 is read as one too (as Google does): the
        # server is asking for less, not saying there are no rules. Any other answer means no rules.
        if response.status == 429 or response.status >= 500:
            return _Robots(unreadable=_status_reason(response))
        return _Robots()

    def _host(self, url: httpx.URL) -> _Host:
        key = f"{url.scheme}://{url.host}:{url.port or DEFAULT_PORTS[url.scheme]}"
        with self._hosts_lock:
            host = self._hosts.get(key)
            if host is None:
                host = self._hosts[key] = _Host(self.policy.politeness_seconds)
            return host


def _http_url(text: str) -> httpx.URL:
    try:
        url = httpx.URL(text)
    except httpx.InvalidURL as error:
        raise _Failure(f"not a valid URL ({error})") from error
    if url.scheme not in DEFAULT_PORTS or not url.host:
        raise _Failure("not an http or https URL")
    return url


def _redirect_target(hop: httpx.URL, location: str) -> httpx.URL:
    try:
        target = hop.join(location)
    except httpx.InvalidURL as error:
        raise _Failure(f"redirected to an invalid URL {location!r} ({error})") from error
    if target.scheme not in DEFAULT_PORTS or not target.host:
        raise _Failure(f"redirected to {location!r}, not an http or https URL")
    return target


def _conditions(etag: str | None, last_modified: str | None) -> dict[str, str]:
    headers = {}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    return headers


def _read_body(response: httpx.Response, limit: int, truncate: bool) -> bytes:
    """The decoded body, refused (or for robots.txt cut) past `limit` bytes. Counted as it streams and after
    decompression, so neither a missing Content-Length nor a gzip bomb gets by."""
    if not truncate and _declared_length(response) > limit:
        raise _Failure(f"larger than {limit:,} bytes")
    chunks, size = [], 0
    for chunk in response.iter_bytes():
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            if not truncate:
                raise _Failure(f"larger than {limit:,} bytes")
            break
    return b"".join(chunks)[:limit]


def _declared_length(response: httpx.Response) -> int:
    # A Content-Length counts the encoded bytes: only without an encoding is it the body's size.
    if response.headers.get("content-encoding", "identity").strip().lower() != "identity":
        return 0
    declared = response.headers.get("content-length", "").strip()
    return int(declared) if declared.isdigit() else 0


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


def _status_reason(response: _Response) -> str:
    return f"HTTP {response.status} {response.reason or httpx.codes.get_reason_phrase(response.status)}".strip()


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
