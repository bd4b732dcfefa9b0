"""The composition root of the HTTP API: `create_app(settings, service)`. Nothing happens at import."""

import gc
import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from starlette.concurrency import run_in_threadpool

from api.auth import KeyRing, Scope
from api.keys_file import load_keys_file
from api.server.balance import BOARD_FILE, ConnectionBalance, LoadBoard
from api.dependencies import API_PREFIX, current_service
from api.errors import install_error_handlers
from api.guards import RequestGuard
from api.mcp_server.server import MCP_PATH, McpEndpoint
from api.metrics import Metrics, MetricsMiddleware
from api.openapi import document_limits
from api.pages import SecurityHeaders, install_pages
from api.request_log import ObservedFastAPI
from api.routes import articles, chat, health, questions, quotes, sources
from api.settings import ServerSettings
from index.records import StoreStats
from qa.composition import open_service
from qa.service import QAService

DESCRIPTION = """Answers questions from a newsroom's articles with the sentences that answer them, each cited
to the exact characters of its article (`text[start:end] == quote`). Errors always have the shape
`{"error": {"code", "message", "details"?}}`. When API keys are configured, send one as
`Authorization: Bearer KEY` or `X-API-Key: KEY`: reads need any key, writes a key with write scope.
`GET /v1/models` and `POST /v1/chat/completions` speak OpenAI's chat completions API, so a chat front end or
library that does can use the service as the model `news-qa`."""

log = logging.getLogger(__name__)


def create_app(settings: ServerSettings | None = None, service: QAService | None = None) -> FastAPI:
    """The app; it builds the service (loading the model once) at start-up unless one is given."""
    settings = settings or ServerSettings()
    metrics = Metrics()
    # Set by `qa serve` when it serves from several processes (see api.server.run).
    board = LoadBoard(Path(os.environ[BOARD_FILE])) if os.environ.get(BOARD_FILE) else None
    # The settings checked the keys file already; read again here, a mistake made since is an InvalidKeysFile.
    keys = KeyRing(settings.read_keys, settings.write_keys,
                   load_keys_file(settings.keys_file) if settings.keys_file else ())
    mcp = McpEndpoint(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = service is None
        app.state.service = service or await run_in_threadpool(open_service, settings)
        _one_blas_thread()
        # Writes wait their turn here, on the event loop, rather than each holding a worker thread.
        app.state.write_turn = anyio.Lock()
        app.state.service.on_ingest(metrics.record_ingest)
        app.state.service.on_dropped_citation(metrics.record_dropped_citation)
        _log_access_policy(keys)
        schedule = app.state.service.sources.schedule() if settings.sync_in_background else None
        try:
            _startup_objects_frozen()
            async with mcp.running():
                yield
        finally:
            gc.unfreeze()
            if schedule is not None:
                await run_in_threadpool(schedule.stop)
            # Unset before closing, so a request or a scrape arriving meanwhile gets "not ready", not a closed store.
            opened, app.state.service = app.state.service, None
            if owned:
                opened.close()
            if board is not None:
                board.close()

    # Each operation's id is its route function's name (`ask`, `search`, `get_article`): what a client
    # generated from the OpenAPI document calls its methods.
    # Request ids, the access record and the request's span are the outermost layer (api.request_log);
    # FastAPI's own request span is off, as it records query strings, where /v1/search has the question.
    app = ObservedFastAPI(title="news-qa", version="1.0.0", description=DESCRIPTION, lifespan=lifespan,
                          docs_url=None, redoc_url=None, generate_unique_id_function=lambda route: route.name,
                          telemetry={"tracing": False})
    app.state.settings = settings
    app.state.metrics = metrics
    metrics.watch_index(lambda: _index_stats(app))
    document_limits(app, settings)
    install_error_handlers(app)
    install_pages(app)
    # The quotes of an article before the article itself: its route would take ".../quotes" for an id.
    routers = [health.router, questions.router, quotes.router, articles.router, sources.router, chat.router]
    for router in routers:
        app.include_router(router)
    # The MCP tools for assistants (api.mcp_server), outside the OpenAPI document: they speak JSON-RPC.
    app.add_route(MCP_PATH, mcp, include_in_schema=False)
    app.add_middleware(
        RequestGuard, protected=(API_PREFIX, "/metrics", MCP_PATH), keys=keys,
        max_body_bytes=settings.max_body_bytes, max_in_flight=settings.max_concurrent_requests,
    )
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware, allow_origins=settings.cors_origins, allow_methods=["GET", "POST", "PUT", "DELETE"],
            allow_headers=["Authorization", "X-API-Key", "Content-Type", "If-Match", "X-Request-ID"],
            expose_headers=["ETag", "X-Request-ID"],
        )
    app.add_middleware(SecurityHeaders)
    app.add_middleware(MetricsMiddleware, metrics=metrics, routes=[r for router in routers for r in router.routes])
    if board is not None:
        app.add_middleware(ConnectionBalance, board=board)
    return app


def _one_blas_thread() -> None:
    """A serving process answers one question at a time, and there are as many processes as cores:
    a second BLAS thread (OpenBLAS starts one per core) only spins on another process's core. On a
    search as of a past day it doubled the CPU a search took (7 to 16 ms, docs/benchmarks.md)."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1, user_api="blas")


def _startup_objects_frozen() -> None:
    """Leaves what start-up made (the model, spaCy, the catalog's tables, the libraries) out of the
    garbage collector's full passes until shutdown: such a pass walks every container held, 60 to 80 ms
    in a serving process at a million chunks, during which the process answers nothing (the queued
    requests' p99 went from about 200 ms to 110, docs/benchmarks.md); after this, under a millisecond.
    What start-up made is still freed once no longer referenced; only cycles among it (and start-up's
    own garbage: not collected first, a pass that would slow every start of the app in the tests)
    wait for the shutdown's `gc.unfreeze`. Both act on the whole process: of two apps in one process
    (as in the tests), the first to stop unfreezes the other's objects too, which costs only time."""
    gc.freeze()


def _index_stats(app: FastAPI) -> StoreStats | None:
    service = current_service(app)
    return None if service is None else service.stats()


def _log_access_policy(keys: KeyRing) -> None:
    """How many keys of each kind, never a key, a digest or a name."""
    grants = keys.grants
    if not grants:
        log.warning("no API keys configured: the API is open to anyone who can reach it")
        return
    writing = sum(grant.scope is Scope.WRITE for grant in grants)
    log.info("API keys configured: %d (%d read, %d write); %d limited to some visibilities or sources, %d rate-limited",
             len(grants), len(grants) - writing, writing, sum(grant.access.limited for grant in grants),
             sum(grant.rate_limit is not None for grant in grants))
