"""Prometheus metrics: requests per route, ingest counters and the size of the index."""

import logging
import os
import time
from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from index.records import StoreStats
from qa.ingest.ingestion import IngestReport

KNOWN_METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

# prometheus_client's own variable: it must be set before the first metric is made in each process.
MULTIPROCESS_FOLDER = "PROMETHEUS_MULTIPROC_DIR"

log = logging.getLogger(__name__)


class Metrics:
    """One registry per app, so that several apps in one process (tests) keep separate counts. When
    `qa serve` runs several processes (PROMETHEUS_MULTIPROC_DIR set, see api.server.run), the counts are
    kept in that folder's files and every scrape, whichever process answers it, adds them all up."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self._exposed = self.registry
        folder = os.environ.get(MULTIPROCESS_FOLDER)
        if folder:
            self._exposed = CollectorRegistry()
            MultiProcessCollector(self._exposed, path=folder)
        self.requests = Counter(
            "qa_http_requests", "HTTP requests handled", ["method", "route", "status"], registry=self.registry
        )
        self.latency = Histogram(
            "qa_http_request_duration_seconds", "Time to handle an HTTP request", ["method", "route"],
            buckets=LATENCY_BUCKETS, registry=self.registry,
        )
        self.ingested = Counter(
            "qa_ingest_articles", "Articles received for ingest, by result", ["result"], registry=self.registry
        )
        self.chunks_embedded = Counter("qa_ingest_chunks_embedded", "Chunks embedded at ingest", registry=self.registry)
        self.dropped_citations = Counter(
            "qa_answer_dropped_citations", "Citations dropped because their quote no longer matched the article",
            registry=self.registry,
        )

    def watch_index(self, stats: Callable[[], StoreStats | None]) -> None:
        """`stats` gives None while there is no open index (the service is starting or stopping)."""
        self._exposed.register(_IndexCollector(stats))

    def record_ingest(self, report: IngestReport) -> None:
        for result, ids in (("added", report.added), ("updated", report.updated), ("unchanged", report.unchanged)):
            self.ingested.labels(result).inc(len(ids))
        self.chunks_embedded.inc(report.chunks_embedded)

    def record_dropped_citation(self, citation: object) -> None:
        self.dropped_citations.inc()

    def exposition(self) -> bytes:
        return generate_latest(self._exposed)


class MetricsMiddleware:
    def __init__(self, app: ASGIApp, metrics: Metrics, routes: list[BaseRoute]) -> None:
        self._app = app
        self._metrics = metrics
        self._routes = routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self._app(scope, receive, send_and_note)
        finally:
            method = scope["method"] if scope["method"] in KNOWN_METHODS else "other"
            route = self._route_template(scope)
            self._metrics.requests.labels(method, route, str(status)).inc()
            self._metrics.latency.labels(method, route).observe(time.perf_counter() - started)


    def _route_template(self, scope: Scope) -> str:
        """The route's template, not the raw path, so ids in paths do not multiply the labels. A
        request refused before routing (401, 413, 415, 429) is matched against the routes here."""
        route = next((r for r in self._routes if r.matches(scope)[0] is not Match.NONE), None)
        return getattr(route, "path", "unmatched")


class _IndexCollector(Collector):
    """The index gauges, left out of a scrape when there is no index to read, so that the scrape still
    succeeds with the request counters: a failed scrape would hide them exactly when they matter."""

    def __init__(self, stats: Callable[[], StoreStats | None]) -> None:
        self._stats = stats

    def describe(self):
        # Declared empty so registering does not call `collect` before the service exists.
        return []

    def collect(self):
        try:
            stats = self._stats()
        except Exception as error:  # e.g. the database server is down: the rest of the scrape is still good
            log.warning("index size left out of the metrics: %s: %s", type(error).__name__, error)
            return
        if stats is None:
            return
        for name, value in (("articles", stats.articles), ("chunks", stats.chunks), ("vectors", stats.vectors)):
            yield GaugeMetricFamily(f"qa_index_{name}", f"{name.capitalize()} in the index", value=value)
