"""Every failure is a NewsQAError with the HTTP status and the service's error code, or the client's own
code when no answer came (connection_error, timeout) or none was asked for (invalid_request)."""

import asyncio
import socket
from collections.abc import Iterator

import httpx
import pytest
from pydantic import SecretStr

from news_qa_client import AsyncNewsQA, NewsQA, NewsQAError
from news_qa_client.streaming import EventReader
from tests.client.conftest import ARTICLES, Server
from tests.servers import free_port

READ, WRITE = "reader-key-0123456789", "writer-key-0123456789"


def failure(call) -> NewsQAError:
    with pytest.raises(NewsQAError) as raised:
        call()
    return raised.value


def test_a_missing_article_is_article_not_found(reader: NewsQA) -> None:
    error = failure(lambda: reader.get_article("no-such-article"))

    assert (error.status, error.code, error.details) == (404, "article_not_found", {"article_id": "no-such-article"})
    assert "no-such-article" in error.message and str(error).startswith("article_not_found (404)")


def test_input_the_service_refuses_is_a_422_with_its_code(reader: NewsQA) -> None:
    empty = failure(lambda: reader.ask("   "))
    # The client leaves limits to the server: they are its settings, not the schema's types.
    too_many = failure(lambda: reader.search("storm", top_k=100_000))
    textless = failure(lambda: reader.add_articles({"id": "no-text"}))

    assert (empty.status, empty.code) == (422, "invalid_input")
    assert (too_many.status, too_many.code) == (422, "invalid_input") and "top_k" in too_many.message
    assert (textless.status, textless.code) == (422, "invalid_article")


def test_arguments_outside_the_schema_are_refused_before_sending(reader: NewsQA) -> None:
    misspelt = failure(lambda: reader.ask("storm", filters={"sources": "daily"}))
    undated = failure(lambda: reader.search("storm", published_after="last week"))

    assert (misspelt.status, misspelt.code) == (None, "invalid_request")
    assert misspelt.details == {"errors": [{"location": ["filters", "sources"], "message": "Extra inputs are not "
                                            "permitted", "type": "extra_forbidden"}]}
    assert (undated.code, undated.details["errors"][0]["location"][0]) == ("invalid_request", "published_after")
    with pytest.raises(TypeError, match="sources"):
        reader.search("storm", sources="daily")  # type: ignore[call-arg]


def test_keys_are_sent_as_bearer_tokens(serve: Server) -> None:
    keys = {"read_keys": [SecretStr(READ)], "write_keys": [SecretStr(WRITE)]}
    with serve(**keys) as url, NewsQA(url) as anonymous, NewsQA(url, api_key=READ) as reader, \
            NewsQA(url, api_key=WRITE) as writer:
        unauthorized = failure(lambda: anonymous.search("storm"))
        forbidden = failure(lambda: reader.add_articles(ARTICLES))

        assert writer.add_articles(ARTICLES).added == len(ARTICLES)
        assert reader.get_article("storm").title == "Coastal storm"
    assert (unauthorized.status, unauthorized.code) == (401, "unauthorized")
    assert (forbidden.status, forbidden.code) == (403, "forbidden")


def test_a_closed_port_is_a_connection_error() -> None:
    url = f"http://127.0.0.1:{free_port()}"

    async def ask_async() -> None:
        async with AsyncNewsQA(url) as client:
            await client.ask("anyone there?")

    with NewsQA(url) as client:
        refused = failure(lambda: client.ask("anyone there?"))
        streamed = failure(lambda: list(client.ask_stream("anyone there?")))
    refused_async = failure(lambda: asyncio.run(ask_async()))

    for error in (refused, streamed, refused_async):
        assert (error.status, error.code) == (None, "connection_error") and url in error.message


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts connections and never answers."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        yield listener.getsockname()[1]


def test_no_answer_in_time_is_a_timeout(silent_port: int) -> None:
    with NewsQA(f"http://127.0.0.1:{silent_port}", timeout=0.2) as client:
        error = failure(client.healthz)

    assert (error.status, error.code) == (None, "timeout")


def test_an_answer_in_none_of_the_services_shapes_is_an_invalid_response() -> None:
    gateway = httpx.MockTransport(lambda request: httpx.Response(502, text="<html>Bad Gateway</html>"))
    odd = httpx.MockTransport(lambda request: httpx.Response(200, json={"status": "fine"}))

    with NewsQA(http_client=httpx.Client(transport=gateway)) as client:
        proxied = failure(client.readyz)
    with NewsQA(http_client=httpx.Client(transport=odd)) as client:
        shapeless = failure(client.readyz)

    assert (proxied.status, proxied.code) == (502, "invalid_response") and "Bad Gateway" in proxied.message
    assert (shapeless.status, shapeless.code) == (200, "invalid_response")


def test_a_client_passed_in_is_used_with_the_key_and_left_open() -> None:
    sent: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, json={"status": "ok"})

    http = httpx.Client(transport=httpx.MockTransport(answer))
    with NewsQA("https://news.example/qa/", api_key="secret", http_client=http) as client:
        client.healthz()
        failure(lambda: client.get_article("press/notes 1"))  # answered with a HealthOut here

    assert not http.is_closed
    assert [str(r.url) for r in sent] == ["https://news.example/qa/healthz",
                                          "https://news.example/qa/v1/articles/press%2Fnotes%201"]
    assert sent[0].headers["authorization"] == "Bearer secret"
    assert "secret" not in repr(client.connection)


def test_an_error_event_in_the_stream_is_raised() -> None:
    reader = EventReader()
    lines = ["event: passages", 'data: {"passages": []}', "", "event: error",
             'data: {"error": {"code": "internal_error", "message": "the answer could not be composed"}}']

    assert [reader.feed(line) for line in lines][2].event == "passages"
    error = failure(lambda: reader.feed(""))
    assert (error.status, error.code) == (None, "internal_error")


def test_a_base_url_without_scheme_is_refused() -> None:
    with pytest.raises(ValueError, match="localhost:8000"):
        NewsQA("localhost:8000")
