"""One access record per request, with its route's template (never the raw path's ids or the query
string, where a reader's question or a mistaken key may be), its status and how long it took; and,
when tracing is configured (qa.tracing), a server span `METHOD route` around the request, whose
children are the question's stages.

The span is ours rather than FastAPI's own (turned off in api.app): FastAPI's records the query string,
and `GET /v1/search?q=...` carries the reader's question."""

import logging
import time
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

from fastapi import FastAPI
from starlette.datastructures import Headers
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.request_ids import RequestIds, current_request_id
from qa.tracing import current_tracer

if TYPE_CHECKING:
    from opentelemetry.trace import Span

access_log = logging.getLogger("api.access")


class ObservedFastAPI(FastAPI):
    """FastAPI with request ids, the access record and the request's span as its outermost layer, outside
    even Starlette's ServerErrorMiddleware, which `add_middleware` cannot wrap: a 500 carries its
    X-Request-ID too, and its access record and span its status."""

    def build_middleware_stack(self) -> ASGIApp:
        return RequestIds(RequestLog(super().build_middleware_stack(), list(_each_route(self.routes))))


class RequestLog:
    def __init__(self, app: ASGIApp, routes: Sequence[BaseRoute]) -> None:
        self._app = app
        self._routes = routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        tracer = current_tracer()
        if tracer is None:
            await self._logged(scope, receive, send, None)
            return
        from opentelemetry import propagate
        from opentelemetry.trace import SpanKind

        # A client sending `traceparent` (another traced service) gets this request's span as its child.
        parent = propagate.extract(dict(Headers(scope=scope)))
        with tracer.start_as_current_span(scope["method"], context=parent, kind=SpanKind.SERVER,
                                          attributes=_request_attributes(scope)) as span:
            await self._logged(scope, receive, send, span)

    async def _logged(self, scope: Scope, receive: Receive, send: Send, span: "Span | None") -> None:
        started = time.perf_counter()
        status = 500  # what the client is told when the app raises before answering

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self._app(scope, receive, send_and_note)
        finally:
            route = route_template(scope, self._routes)
            if span is not None:
                _describe(span, scope["method"], route, status)
            _log_access(scope["method"], route, status, (time.perf_counter() - started) * 1000)


def route_template(scope: Scope, routes: Sequence[BaseRoute]) -> str | None:
    """The template of the route that handled the request (`/v1/articles/{article_id}`); a request
    refused before routing (401, 413, 429) is matched here. None: no route matches."""
    route = scope.get("route") or next((r for r in routes if r.matches(scope)[0] is not Match.NONE), None)
    return getattr(route, "path_format", None)


def _each_route(routes: Sequence[BaseRoute]) -> Iterator[BaseRoute]:
    """The routes themselves: FastAPI lists a router's routes as one entry of its own (`original_router`)."""
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is None:
            yield route
        else:
            yield from _each_route(included.routes)


def _request_attributes(scope: Scope) -> dict[str, str]:
    return {"http.request.method": scope["method"], "url.path": scope["path"],
            "url.scheme": scope.get("scheme", "http"), "request.id": current_request_id.get() or ""}


def _describe(span: "Span", method: str, route: str | None, status: int) -> None:
    from opentelemetry.trace import StatusCode

    if route is not None:
        span.update_name(f"{method} {route}")
        span.set_attribute("http.route", route)
    span.set_attribute("http.response.status_code", status)
    if status >= 500:
        span.set_status(StatusCode.ERROR)


def _log_access(method: str, route: str | None, status: int, duration_ms: float) -> None:
    access_log.info("%s %s %d %.1f ms", method, route or "(no route)", status, duration_ms,
                    extra={"method": method, "route": route, "status": status, "duration_ms": round(duration_ms, 1),
                           "request_id": current_request_id.get()})
