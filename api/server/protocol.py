"""uvicorn's HTTP protocol with the limits a server facing the network needs, which uvicorn lacks:
request headers larger than a limit are refused with 431 as soon as they pass it, and a request must
arrive whole (headers and body) within a deadline, or it gets 408 and its connection is closed.

Both happen before the app sees the request, so before any key check: the app only ever sees requests
whose headers fit the limit. httptools joins a header's pieces itself, at a cost that grows with the
square of the header's size (a 100 MB header cost 10.5 CPU-seconds), so the bytes are counted as they
arrive, not header by header. A request whose body has been read is no longer timed: how long the
answer takes is the app's business."""

import asyncio
import json
from typing import Any

import httptools
import uvicorn
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol


class _Refused(Exception):
    pass


class LimitedConfig(uvicorn.Config):
    """uvicorn's settings plus the limits below; pickled to every worker process with the rest."""

    def __init__(self, app: Any, *, max_header_bytes: int, read_timeout: float, **kwargs: Any) -> None:
        super().__init__(app, http=LimitedHttpProtocol, **kwargs)
        self.max_header_bytes = max_header_bytes
        self.read_timeout = read_timeout


class LimitedHttpProtocol(HttpToolsProtocol):
    def __init__(self, config: LimitedConfig, server_state: Any, app_state: dict[str, Any],
                 _loop: asyncio.AbstractEventLoop | None = None) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self._max_header_bytes = config.max_header_bytes
        self._read_timeout = config.read_timeout
        # Bytes received since the current request's headers began; the headers are complete once
        # the parser says so.
        self._reading_headers = True
        self._header_bytes = 0
        self._request_begun = False
        self._deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        # A connection that never sends a whole request is closed too.
        self._arm_deadline()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_deadline()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        """uvicorn's, with the bytes of unfinished headers counted, and a refusal told from a parse error."""
        if self.transport.is_closing():
            return  # refused already: what is still arriving is not read
        if self._reading_headers:
            self._header_bytes += len(data)
        self._unset_keepalive_if_required()
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserCallbackError as error:
            if not isinstance(error.__context__, _Refused):
                self._invalid_request()
            return
        except httptools.HttpParserError:
            self._invalid_request()
            return
        except httptools.HttpParserUpgrade:
            if self._should_upgrade():
                self.handle_websocket_upgrade()
            else:
                self._unsupported_upgrade_warning()
        if self._reading_headers and self._header_bytes > self._max_header_bytes:
            self._refuse_headers()

    def _invalid_request(self) -> None:
        message = "Invalid HTTP request received."
        self.logger.warning(message)
        self.send_400_response(message)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._request_begun = True
        if self._deadline is None:  # a kept-alive connection's next request
            self._arm_deadline()

    def on_headers_complete(self) -> None:
        # Headers that arrived whole in one read were not seen growing past the limit.
        size = len(self.url) + sum(len(name) + len(value) + 4 for name, value in self.headers)
        if size > self._max_header_bytes:
            self._refuse_headers()
            # Stops the parser, which reports it as a callback error (uvicorn's answer to those is a 400).
            raise _Refused
        self._reading_headers = False
        self._header_bytes = 0
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._disarm_deadline()
        self._reading_headers = True
        self._request_begun = False

    def _arm_deadline(self) -> None:
        self._disarm_deadline()
        self._deadline = self.loop.call_later(self._read_timeout, self._timed_out)

    def _disarm_deadline(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _timed_out(self) -> None:
        self._deadline = None
        if self.transport.is_closing():
            return
        answered = self.cycle is not None and self.cycle.response_started and not self._reading_headers
        if self._request_begun and not answered:
            self._refuse(408, "request_timeout",
                         f"the request did not arrive whole within {self._read_timeout:g} seconds")
        else:
            self.transport.close()

    def _refuse_headers(self) -> None:
        self._refuse(431, "headers_too_large", f"the request headers are larger than {self._max_header_bytes} bytes")

    def _refuse(self, status: int, code: str, message: str) -> None:
        """Answers with the error shape of the API and closes the connection; the app, if it was
        reading this request's body, is told the client left."""
        if self.cycle is not None and not self.cycle.response_complete and not self._reading_headers:
            self.cycle.disconnected = True
            self.cycle.message_event.set()
        body = json.dumps({"error": {"code": code, "message": message}}).encode()
        head = [STATUS_LINE[status]]
        head += [name + b": " + value + b"\r\n" for name, value in self.server_state.default_headers]
        head += [b"content-type: application/json\r\n", b"content-length: %d\r\n" % len(body),
                 b"connection: close\r\n\r\n"]
        self.transport.write(b"".join(head) + body)
        self.transport.close()
        self._disarm_deadline()
        self.logger.warning("refused a request from %s with %d: %s", _client(self.client), status, message)


def _client(address: tuple[str, int] | None) -> str:
    return "%s:%d" % address if address else "a client"
