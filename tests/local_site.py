"""A real web site on loopback for tests of what fetches over HTTP (pages, feeds, sitemaps, robots.txt).

    with LocalSite() as site:
        site.page("/feed.xml", rss, content_type="application/rss+xml", etag='"v1"')
        site.page("/robots.txt", "User-agent: *\\nDisallow: /private/\\n", content_type="text/plain")
        fetcher.fetch(site.url("/feed.xml"))
        site.change("/feed.xml", newer_rss, etag='"v2"')
        assert [r.status for r in site.requests_to("/feed.xml")] == [200, 200]

It serves HTTP/1.1 (keep-alive, chunked bodies) from a `ThreadingHTTPServer` on 127.0.0.1, a free port, in
a background thread. Only registered paths exist: anything else, robots.txt included, is a 404. A page
answers conditional requests as a server should (304 when If-None-Match matches its ETag, or, without
If-None-Match, when If-Modified-Since is not older than its Last-Modified), can gzip its body, wait before
answering, or answer a few given statuses first (503, 503, then the page). Every request is recorded.
`site.url(path, host="localhost")` reaches the same server under another host name."""

import email.utils
import gzip as gzip_module
import socket
import sys
import threading
import time
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType

CHUNK_BYTES = 16 * 1024


def http_date(when: datetime | float) -> str:
    """An HTTP date (for Last-Modified, If-Modified-Since, Retry-After) from a datetime or a Unix time."""
    seconds = when.timestamp() if isinstance(when, datetime) else when
    return email.utils.formatdate(seconds, usegmt=True)


@dataclass(frozen=True)
class Page:
    """What the site answers at one path. `statuses` are answered first, one per request, with a short body
    and the page's `headers` (so a Retry-After can go with a 503); then `status` with `body`."""

    body: bytes
    content_type: str = "text/html; charset=utf-8"
    status: int = 200
    statuses: tuple[int, ...] = ()
    delay: float = 0.0
    etag: str | None = None
    last_modified: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    gzip: bool = False
    chunked: bool = False


@dataclass(frozen=True)
class Request:
    """One request the site received: `path` as sent (with any query), header names lowercased, the status
    it was answered with, and when it arrived (time.monotonic())."""

    method: str
    path: str
    headers: Mapping[str, str]
    status: int
    received_at: float


class LocalSite:
    """The site: register pages, then point the code under test at `url(path)`; see the module's docstring."""

    def __init__(self) -> None:
        self._pages: dict[str, Page] = {}
        self._pending: dict[str, deque[int]] = {}
        self._requests: list[Request] = []
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def __enter__(self) -> "LocalSite":
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()

    def start(self) -> "LocalSite":
        self._closing.clear()
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.site = self
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="local-site", daemon=True)
        self._thread.start()
        return self

    def close(self) -> None:
        """Stops serving, ends open connections and waits for every thread of the server."""
        if self._server is None or self._thread is None:
            return
        self._closing.set()  # cuts short the pages that are waiting out a delay
        self._server.shutdown()
        self._server.end_connections()
        self._server.server_close()  # joins the request threads
        self._thread.join()
        self._server = self._thread = None

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the site is not started")
        return self._server.server_address[1]

    def url(self, path: str = "/", *, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    def page(self, path: str, body: bytes | str = b"", *, content_type: str = "text/html; charset=utf-8",
             status: int = 200, statuses: Iterable[int] = (), delay: float = 0.0, etag: str | None = None,
             last_modified: str | None = None, headers: Mapping[str, str] | None = None, gzip: bool = False,
             chunked: bool = False) -> None:
        """Serves `body` at `path` (matched with its query first, then without), replacing what was there.
        `gzip` encodes the body when the client accepts it; `chunked` sends it without a Content-Length."""
        body = body.encode("utf-8") if isinstance(body, str) else body
        page = Page(body, content_type, status, tuple(statuses), delay, etag, last_modified, dict(headers or {}),
                    gzip, chunked)
        with self._lock:
            self._pages[path] = page
            self._pending[path] = deque(page.statuses)

    def change(self, path: str, body: bytes | str, *, etag: str | None = None,
               last_modified: str | None = None) -> None:
        """A page that changed: a new body and new validators (None: that validator is no longer sent)."""
        body = body.encode("utf-8") if isinstance(body, str) else body
        with self._lock:
            self._pages[path] = replace(self._pages[path], body=body, etag=etag, last_modified=last_modified)

    def redirect(self, path: str, location: str, *, status: int = 302) -> None:
        self.page(path, b"", status=status, headers={"Location": location})

    def remove(self, path: str) -> None:
        with self._lock:
            self._pages.pop(path, None)

    @property
    def requests(self) -> list[Request]:
        with self._lock:
            return list(self._requests)

    def requests_to(self, path: str) -> list[Request]:
        """The requests for exactly `path` (a query, if any, included), oldest first."""
        return [request for request in self.requests if request.path == path]

    def statuses(self, path: str) -> list[int]:
        """What `path` was answered, oldest first: [200, 304] says the second fetch was a conditional hit."""
        return [request.status for request in self.requests_to(path)]

    def clear_requests(self) -> None:
        with self._lock:
            self._requests.clear()

    def _answer(self, handler: "_Handler") -> None:
        headers = {name.lower(): value for name, value in handler.headers.items()}
        page, status = self._page_and_status(handler.path)
        if page is not None and status == page.status == 200 and _unchanged(page, headers):
            status = 304
        with self._lock:
            self._requests.append(Request(handler.command, handler.path, headers, status, time.monotonic()))
        if page is not None and page.delay > 0:
            self._closing.wait(page.delay)
        _respond(handler, page, status, headers)

    def _page_and_status(self, path: str) -> tuple[Page | None, int]:
        with self._lock:
            key = path if path in self._pages else path.partition("?")[0]
            page = self._pages.get(key)
            if page is None:
                return None, 404
            pending = self._pending[key]
            return page, pending.popleft() if pending else page.status


def _unchanged(page: Page, headers: Mapping[str, str]) -> bool:
    """Whether a conditional GET may be answered 304 (RFC 9110 13.1.2, 13.1.3; If-None-Match wins)."""
    if "if-none-match" in headers:
        if page.etag is None:
            return False
        wanted = [tag.strip().removeprefix("W/") for tag in headers["if-none-match"].split(",")]
        return "*" in wanted or page.etag.removeprefix("W/") in wanted
    if "if-modified-since" in headers and page.last_modified is not None:
        try:
            since = email.utils.parsedate_to_datetime(headers["if-modified-since"])
            modified = email.utils.parsedate_to_datetime(page.last_modified)
        except (TypeError, ValueError):
            return False
        return modified <= since
    return False


def _respond(handler: "_Handler", page: Page | None, status: int, request_headers: Mapping[str, str]) -> None:
    # The page's own answer, or a status answered before it (a 503 of `statuses`) or for no page at all.
    own = page is not None and status in (page.status, 304)
    body, content_type = (page.body, page.content_type) if own else (_phrase(status), "text/plain; charset=utf-8")
    headers = dict(page.headers) if page is not None else {}
    if own:
        validators = {"ETag": page.etag, "Last-Modified": page.last_modified}
        headers.update({name: value for name, value in validators.items() if value is not None})
    if status == 304:
        body = b""
    elif own and page.gzip and "gzip" in request_headers.get("accept-encoding", ""):
        body = gzip_module.compress(body, mtime=0)
        headers.update({"Content-Encoding": "gzip", "Vary": "Accept-Encoding"})
    chunked = own and page.chunked and status != 304
    handler.send_response(status)
    if status != 304:
        headers["Content-Type"] = content_type
        headers.update({"Transfer-Encoding": "chunked"} if chunked else {"Content-Length": str(len(body))})
    for name, value in headers.items():
        handler.send_header(name, value)
    handler.end_headers()
    if handler.command == "HEAD" or not body and not chunked:
        return
    if not chunked:
        handler.wfile.write(body)
        return
    for start in range(0, len(body), CHUNK_BYTES):
        piece = body[start:start + CHUNK_BYTES]
        handler.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
    handler.wfile.write(b"0\r\n\r\n")


def _phrase(status: int) -> bytes:
    try:
        return HTTPStatus(status).phrase.encode()
    except ValueError:
        return b"Status %d" % status


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive and chunked bodies, as real servers send them
    timeout = 10  # an idle kept-alive connection does not hold its thread for ever
    server: "_Server"

    def do_GET(self) -> None:
        self.server.site._answer(self)

    def do_HEAD(self) -> None:
        self.server.site._answer(self)

    def log_message(self, format: str, *args: object) -> None:
        pass  # the site's record of requests says what the tests need


class _Server(ThreadingHTTPServer):
    # Request threads are joined on close, so none outlives the test that started the site.
    daemon_threads = False
    block_on_close = True
    site: LocalSite

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler]) -> None:
        super().__init__(address, handler)
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()

    def process_request(self, request: socket.socket, client_address: tuple[str, int]) -> None:  # type: ignore[override]
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: socket.socket) -> None:  # type: ignore[override]
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def end_connections(self) -> None:
        """Wakes every request thread still reading a kept-alive connection, so that it ends."""
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass  # already closed by the client

    def handle_error(self, request: socket.socket | tuple[bytes, socket.socket], client_address: object) -> None:
        # A client that gave up (a timeout in a test) leaves a broken pipe behind: that is expected.
        if not isinstance(sys.exc_info()[1], OSError):
            super().handle_error(request, client_address)
