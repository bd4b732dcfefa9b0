"""Spans recorded in memory, for the tests of tracing: the SDK's provider handed to qa.tracing, since
OpenTelemetry lets a process set its global provider only once. Needs opentelemetry-sdk (skips without)."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import pytest

from qa.tracing import use_tracer_provider

if TYPE_CHECKING:
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter


@contextmanager
def recorded_spans() -> Iterator["InMemorySpanExporter"]:
    pytest.importorskip("opentelemetry.sdk", reason="opentelemetry-sdk records the spans")
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    use_tracer_provider(provider)
    try:
        yield exporter
    finally:
        use_tracer_provider(None)
        provider.shutdown()
