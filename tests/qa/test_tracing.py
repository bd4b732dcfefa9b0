from collections.abc import Iterator, Sequence

import pytest

import qa.tracing
from qa.answering.generation import AnswerWriter
from qa.composition import open_service
from qa.query import Query
from qa.settings import Settings
from qa.tracing import current_tracer, span
from tests.fakes import DecliningModel, FakeEmbedder
from tests.spans import recorded_spans

QUESTION = "How many votes did the senate budget pass by?"
ARTICLE = {"id": "budget", "title": "Budget vote", "published_at": "2024-03-01",
           "text": "The senate passed the budget on Tuesday by 51 votes to 49. The president will sign it."}


class ReversingReranker:
    def scores(self, question: str, texts: Sequence[str]) -> list[float]:
        return [float(n) for n in range(len(texts))]


@pytest.fixture
def spans():
    with recorded_spans() as exporter:
        yield exporter


@pytest.fixture
def traced_service(settings: Settings, embedder: FakeEmbedder) -> Iterator:
    service = open_service(settings, embedder, reranker=ReversingReranker(),
                           writer=AnswerWriter(DecliningModel(lambda: None)))
    service.add_articles([ARTICLE])
    yield service
    service.close()


def test_without_a_configured_provider_a_span_records_nothing() -> None:
    # The API's default provider makes spans that go nowhere: not even those are made.
    assert current_tracer() is None
    with span("retrieve", top_k=5) as stage:
        stage.set(passages=3)


def test_without_opentelemetry_a_span_is_a_no_op(spans, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(qa.tracing, "_opentelemetry_trace", lambda: None)
    with span("retrieve", top_k=5) as stage:
        stage.set(passages=3)
    assert spans.get_finished_spans() == ()


def test_a_span_has_its_attributes_named_in_our_namespace(spans) -> None:
    with span("outer"), span("retrieve", top_k=5) as stage:
        stage.set(passages=3)
    inner, outer = spans.get_finished_spans()
    assert (inner.name, dict(inner.attributes)) == ("retrieve", {"qa.top_k": 5, "qa.passages": 3})
    assert inner.parent.span_id == outer.context.span_id


def test_an_exception_is_recorded_on_the_span(spans) -> None:
    with pytest.raises(ValueError), span("answer"):
        raise ValueError("no answer")
    [failed] = spans.get_finished_spans()
    assert not failed.status.is_ok and failed.events[0].name == "exception"


def test_a_question_is_traced_stage_by_stage(spans, traced_service) -> None:
    spans.clear()
    answer = traced_service.ask(Query(QUESTION))
    recorded = {s.name: s for s in spans.get_finished_spans()}
    assert set(recorded) == {"retrieve", "rerank", "answer", "compose", "generate"}
    assert recorded["rerank"].parent.span_id == recorded["retrieve"].context.span_id
    for stage in ("compose", "generate"):
        assert recorded[stage].parent.span_id == recorded["answer"].context.span_id
    assert recorded["retrieve"].attributes["qa.top_k"] == 5
    assert recorded["retrieve"].attributes["qa.passages"] == len(answer.passages)
    assert recorded["answer"].attributes["qa.answerable"] is answer.answerable
    assert recorded["answer"].attributes["qa.citations"] == len(answer.citations)


def test_no_span_carries_the_question(spans, traced_service) -> None:
    traced_service.ask(Query(QUESTION))
    values = [str(v) for s in spans.get_finished_spans() for v in s.attributes.values()]
    assert values and not [v for v in values if "senate" in v or "votes" in v]
