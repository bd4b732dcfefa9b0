"""Every request's id: the client's `X-Request-ID` when it is a plausible id, else a new one. It is sent
back on every response and put on every log record made while the request is handled, so a client
reporting a failure and the server's log of it name the same request."""

import logging
import re
import uuid
from contextvars import ContextVar

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

HEADER = "X-Request-ID"
# What ids made by proxies and clients look like (uuids, hex, dotted or colon-separated trace ids); nothing
# that could forge a log line or carry markup, and short enough to keep in every record.
SANE_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")

current_request_id: ContextVar[str | None] = ContextVar("current_request_id", default=None)


def request_id_for(headers: Headers) -> str:
    sent = headers.get(HEADER)
    return sent if sent is not None and SANE_ID.fullmatch(sent) else uuid.uuid4().hex


class RequestIdFilter(logging.Filter):
    """Gives every record `request_id`: the id of the request being handled, or None outside one."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = current_request_id.get()
        return True


class RequestIds:
    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        request_id = request_id_for(Headers(scope=scope))
        header = (HEADER.lower().encode(), request_id.encode())

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), header]
            await send(message)

        token = current_request_id.set(request_id)
        await self._app(scope, receive, send_with_id)
        # Left set when the app raises: the server logs the traceback next, in this same task (which
        # ends with the request), and that record should carry the id too.
        current_request_id.reset(token)
