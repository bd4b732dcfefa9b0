"""Requests refused before any work is done: wrong content type, body too large, too many at once."""

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import error_response

BODY_METHODS = {"POST", "PUT", "PATCH"}


class RequestGuard:
    def __init__(self, app: ASGIApp, prefix: str, max_body_bytes: int, max_in_flight: int) -> None:
        self._app = app
        self._prefix = prefix
        self._max_body_bytes = max_body_bytes
        self._max_in_flight = max_in_flight
        # One event loop serves every request, so a plain counter is safe.
        self._in_flight = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(self._prefix):
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

    def _refusal(self, scope: Scope):
        headers = Headers(scope=scope)
        if scope["method"] in BODY_METHODS:
            media_type = headers.get("content-type", "").split(";")[0].strip().lower()
            if media_type != "application/json" and not media_type.endswith("+json"):
                return error_response(
                    415, "unsupported_media_type",
                    f"send the body as application/json, not {media_type or 'without a Content-Type'}",
                )
            length = headers.get("content-length", "")
            if length.isdigit() and int(length) > self._max_body_bytes:
                return _too_large(self._max_body_bytes)
        if self._in_flight >= self._max_in_flight:
            return error_response(
                429, "too_many_requests", f"more than {self._max_in_flight} requests at once; retry shortly",
                headers={"Retry-After": "1"},
            )
        return None


def _too_large(limit: int):
    return error_response(413, "payload_too_large", f"the request body is larger than {limit} bytes")
