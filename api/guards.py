"""Requests refused before any work is done, in this order: no valid API key, a body that is not
plain JSON, a body too large, too many requests at once."""

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.auth import KeyRing
from api.errors import error_response
from qa.errors import QAError

BODY_METHODS = {"POST", "PUT", "PATCH"}


class RequestGuard:
    def __init__(self, app: ASGIApp, protected: tuple[str, ...], keys: KeyRing, max_body_bytes: int,
                 max_in_flight: int) -> None:
        self._app = app
        self._protected = protected
        self._keys = keys
        self._max_body_bytes = max_body_bytes
        self._max_in_flight = max_in_flight
        # One event loop serves every request, so a plain counter is safe.
        self._in_flight = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(self._protected):
            await self._app(scope, receive, send)
            return
        refusal = self._refusal(scope)
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        self._in_flight += 1
        try:
            await self._app(scope, self._counting(receive), send)
        finally:
            self._in_flight -= 1

    def _refusal(self, scope: Scope):
        headers = Headers(scope=scope)
        try:
            self._keys.check(scope["method"], scope["path"], headers)
        except QAError as error:
            return error_response(error.status, error.code, error.message, headers={"WWW-Authenticate": "Bearer"})
        if scope["method"] in BODY_METHODS:
            problem = _body_problem(headers, self._max_body_bytes)
            if problem is not None:
                return problem
        if self._in_flight >= self._max_in_flight:
            return error_response(
                429, "too_many_requests", f"more than {self._max_in_flight} requests at once; retry shortly",
                headers={"Retry-After": "1"},
            )
        return None

    def _counting(self, receive: Receive) -> Receive:
        """Stops a body sent without Content-Length (chunked) once it passes the limit."""
        received = 0

        async def receive_within_limit() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self._max_body_bytes:
                    raise HTTPException(413, f"the request body is larger than {self._max_body_bytes} bytes")
            return message

        return receive_within_limit


def _body_problem(headers: Headers, max_body_bytes: int):
    media_type, _, parameters = headers.get("content-type", "").partition(";")
    media_type = media_type.strip().lower()
    if media_type != "application/json" and not media_type.endswith("+json"):
        return _unsupported(f"send the body as application/json, not {media_type or 'without a Content-Type'}")
    charset = parameters.strip().lower().removeprefix("charset=").strip('"') if "charset" in parameters.lower() else "utf-8"
    if charset not in ("utf-8", "utf8"):
        return _unsupported(f"send the body in UTF-8, not {charset}")
    if headers.get("content-encoding", "identity").strip().lower() != "identity":
        return _unsupported("send the body uncompressed (no Content-Encoding)")
    length = headers.get("content-length", "")
    if length.isdigit() and int(length) > max_body_bytes:
        return error_response(413, "payload_too_large", f"the request body is larger than {max_body_bytes} bytes")
    return None


def _unsupported(message: str):
    return error_response(415, "unsupported_media_type", message)
