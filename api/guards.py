"""Requests refused before any work is done, in this order: no valid API key, a key over its rate
limit (counted across all of `qa serve`'s processes, see api.rate_limit), a body that is not UTF-8
JSON or is too large, too many requests at once. What the caller's key may read is left in the
request's state (`request.state.access`) for the routes.

A body is read whole here (it is bounded by the size limit) before the request counts as in flight:
a client sending its body slowly holds only its own connection, until the server's read deadline
(api.server.protocol) closes it, never a slot other clients' requests need. The bodies held at once,
read or being read, are bounded as they were when only requests in flight read them: at most
`max_in_flight` full bodies' worth; past that, a request gets 429."""

import math
from collections.abc import Awaitable, Callable

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.auth import Forbidden, Grant, KeyRing, Unauthorized
from api.errors import coded_error_response, error_response
from api.rate_limit import RateLimiter, serving_rate_limiter

BODY_METHODS = {"POST", "PUT", "PATCH"}
# JSON is UTF-8 (RFC 8259); a text in UTF-16 or UTF-32 begins with a NUL in its first four bytes,
# since a JSON text begins with an ASCII character.
NUL = 0
UTF8_BOM = b"\xef\xbb\xbf"

Refusal = Callable[[Scope, Receive, Send], Awaitable[None]]


class RequestGuard:
    def __init__(self, app: ASGIApp, protected: tuple[str, ...], keys: KeyRing, max_body_bytes: int,
                 max_in_flight: int, rate_limiter: RateLimiter | None = None) -> None:
        self._app = app
        self._protected = protected
        self._keys = keys
        if rate_limiter is None and any(grant.rate_limit for grant in keys.grants):
            rate_limiter = serving_rate_limiter()
        self._rate_limiter = rate_limiter
        self._max_body_bytes = max_body_bytes
        self._max_in_flight = max_in_flight
        # One event loop serves every request, so plain counters are safe.
        self._in_flight = 0
        self._body_bytes_held = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(self._protected):
            await self._app(scope, receive, send)
            return
        held = _Held()
        try:
            await self._guarded(scope, receive, send, held)
        finally:
            self._body_bytes_held -= held.bytes

    async def _guarded(self, scope: Scope, receive: Receive, send: Send, held: "_Held") -> None:
        refusal = self._refusal(scope)
        if refusal is None and scope["method"] in BODY_METHODS:
            read = await self._read_body(receive, held)
            if read is None:
                return  # the client left, or its request timed out: nobody to answer
            if isinstance(read, bytes):
                refusal = _encoding_problem(read)
                receive = _replaying(read, receive)
            else:
                refusal = read
        if refusal is None and self._in_flight >= self._max_in_flight:
            refusal = _too_many(f"more than {self._max_in_flight} requests at once; retry shortly")
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        self._in_flight += 1
        try:
            await self._app(scope, receive, send)
        finally:
            self._in_flight -= 1

    def _refusal(self, scope: Scope) -> Refusal | None:
        headers = Headers(scope=scope)
        try:
            grant = self._keys.check(scope["method"], scope["path"], headers)
        except (Unauthorized, Forbidden) as error:
            return coded_error_response(error, headers={"WWW-Authenticate": "Bearer"})
        # Where Starlette's `request.state` reads from (api.dependencies.caller_access).
        scope.setdefault("state", {})["access"] = grant.view
        refusal = self._over_rate_limit(grant)
        if refusal is None and scope["method"] in BODY_METHODS and _sends_a_body(headers):
            return _header_problem(headers, self._max_body_bytes)
        return refusal

    def _over_rate_limit(self, grant: Grant) -> Refusal | None:
        limiter, limit = self._rate_limiter, grant.rate_limit
        wait = limiter.take(grant.name, limit) if limiter is not None and limit is not None else 0.0
        if not wait:
            return None
        # Whole seconds, rounded up: a client retrying when told finds a token waiting.
        seconds = max(1, math.ceil(wait))
        message = f"the API key {grant.name!r} is over its rate limit of {limit}; retry in {seconds} s"
        details = {"rate_limit": str(limit), "retry_after_seconds": seconds}
        return error_response(429, "too_many_requests", message, details, headers={"Retry-After": str(seconds)})

    async def _read_body(self, receive: Receive, held: "_Held") -> bytes | Refusal | None:
        """The whole body; a 413 as soon as it passes the limit (a body sent chunked has no length
        to check beforehand), a 429 when the bodies held at once would pass theirs; None if the
        client is gone. What is read is counted in `held` until the request is done."""
        chunks = []
        received = 0
        budget = self._max_in_flight * self._max_body_bytes
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            chunk = message.get("body", b"")
            received += len(chunk)
            if received > self._max_body_bytes:
                return _too_large(self._max_body_bytes)
            if self._body_bytes_held + len(chunk) > budget:
                return _too_many("too many request bodies are arriving at once; retry shortly")
            self._body_bytes_held += len(chunk)
            held.bytes += len(chunk)
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)


class _Held:
    """The body bytes one request holds."""

    def __init__(self) -> None:
        self.bytes = 0


def _replaying(body: bytes, receive: Receive) -> Receive:
    """Gives the app the body read already, then whatever the connection says next (a disconnect)."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


def _sends_a_body(headers: Headers) -> bool:
    """Whether the request says it carries a body: a POST that only asks for an action (sync a source
    now) needs no Content-Type."""
    return "transfer-encoding" in headers or headers.get("content-length", "0").strip() != "0"


def _header_problem(headers: Headers, max_body_bytes: int) -> Refusal | None:
    media_type, _, parameters = headers.get("content-type", "").partition(";")
    media_type = media_type.strip().lower()
    if media_type != "application/json":
        return _unsupported(f"send the body as application/json, not {media_type or 'without a Content-Type'}")
    charset = "utf-8"
    if "charset" in parameters.lower():
        charset = parameters.strip().lower().removeprefix("charset=").strip('"')
    if charset not in ("utf-8", "utf8"):
        return _unsupported(f"send the body in UTF-8, not {charset}")
    if headers.get("content-encoding", "identity").strip().lower() != "identity":
        return _unsupported("send the body uncompressed (no Content-Encoding)")
    length = headers.get("content-length", "")
    if length.isdigit() and int(length) > max_body_bytes:
        return _too_large(max_body_bytes)
    return None


def _encoding_problem(body: bytes) -> Refusal | None:
    """Python's JSON parser would read UTF-16, UTF-32 and a byte order mark; the API takes UTF-8 only."""
    if body.startswith(UTF8_BOM):
        return _unsupported("the request body starts with a byte order mark: send UTF-8 without one")
    if NUL in body[:4]:
        return _unsupported("the request body is in UTF-16 or UTF-32: send it in UTF-8")
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as problem:
        return _unsupported(f"the request body is not valid UTF-8 (at byte {problem.start})")
    return None


def _too_large(max_body_bytes: int) -> Refusal:
    return error_response(413, "payload_too_large", f"the request body is larger than {max_body_bytes} bytes")


def _too_many(message: str) -> Refusal:
    return error_response(429, "too_many_requests", message, headers={"Retry-After": "1"})


def _unsupported(message: str) -> Refusal:
    return error_response(415, "unsupported_media_type", message)
