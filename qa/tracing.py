"""Spans for a question's stages (retrieve, rerank, answer, compose, generate), recorded when OpenTelemetry
is installed and a tracer provider is configured (`opentelemetry-instrument`, or an application setting
one); otherwise `span` hands back a no-op and costs next to nothing. Spans carry counts and choices,
never a question's text: a trace store is read by more people than the newsroom's logs."""

import functools
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager, nullcontext
from types import ModuleType
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from opentelemetry.trace import Span, Tracer, TracerProvider

TRACER_NAME = "news-qa"
# Our attributes' namespace, so that they never collide with OpenTelemetry's conventional ones.
NAMESPACE = "qa"

AttributeValue = str | bool | int | float


class Stage(Protocol):
    def set(self, **attributes: AttributeValue) -> None:
        """Adds attributes to the stage's span, each named `qa.NAME`."""


class _Unrecorded:
    def set(self, **attributes: AttributeValue) -> None:
        pass


class _Recorded:
    def __init__(self, span: "Span") -> None:
        self._span = span

    def set(self, **attributes: AttributeValue) -> None:
        self._span.set_attributes(_named(attributes))


_UNRECORDED = nullcontext(_Unrecorded())

# None: OpenTelemetry's global provider. Set by tests, which cannot set the global one twice.
_provider: "TracerProvider | None" = None


def span(name: str, **attributes: AttributeValue) -> AbstractContextManager[Stage]:
    """A span named `name` with these attributes (each named `qa.NAME`), child of the current one (the
    HTTP request's, under `qa serve`), current while the block runs; an exception escaping the block
    is recorded on it. A no-op when nothing records spans."""
    tracer = current_tracer()
    if tracer is None:
        return _UNRECORDED
    return _recorded(tracer, name, attributes)


def current_tracer() -> "Tracer | None":
    """The tracer to record with, or None when nothing would record: OpenTelemetry is not installed,
    or no provider is configured (the API's default provider would make spans that go nowhere)."""
    trace = _opentelemetry_trace()
    if trace is None:
        return None
    provider = _provider or trace.get_tracer_provider()
    if isinstance(provider, (trace.ProxyTracerProvider, trace.NoOpTracerProvider)):
        return None
    return _tracer_of(provider)


def use_tracer_provider(provider: "TracerProvider | None") -> None:
    """Records with `provider` instead of the global one (None: the global one again)."""
    global _provider
    _provider = provider


@functools.cache
def _opentelemetry_trace() -> ModuleType | None:
    # Imported on the first span, not at import: a process that never answers never pays for it.
    try:
        from opentelemetry import trace
    except ImportError:
        return None
    return trace


@functools.lru_cache(maxsize=4)
def _tracer_of(provider: "TracerProvider") -> "Tracer":
    return provider.get_tracer(TRACER_NAME)


@contextmanager
def _recorded(tracer: "Tracer", name: str, attributes: Mapping[str, AttributeValue]) -> Iterator[Stage]:
    with tracer.start_as_current_span(name, attributes=_named(attributes)) as current:
        yield _Recorded(current)


def _named(attributes: Mapping[str, AttributeValue]) -> dict[str, AttributeValue]:
    return {f"{NAMESPACE}.{key}": value for key, value in attributes.items()}
