"""Every error, from every endpoint, has the one shape and the right status; bad input is never a 500."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from api.app import create_app
from api.auth import Forbidden, Unauthorized
from api.dependencies import NotReady
from api.errors import STATUS_BY_CODE
from api.settings import ServerSettings
from qa.answering.generation import AnswerWriter
from qa.errors import IndexBusy, IndexIncompatible, ModelUnavailable, QAError, StorageUnavailable
from qa.composition import open_service
from qa.service import QAService
from qa.settings import Settings
from tests.api.conftest import ARTICLES
from tests.error_codes import domain_error_codes
from tests.fakes import DecliningModel, FakeEmbedder

HUGE_QUESTION = "why " * 25_000  # 100 KB

BAD_REQUESTS = [
    # (method, path, keyword arguments, status, code)
    ("POST", "/v1/ask", {"json": {"question": ""}}, 422, "invalid_input"),
    ("POST", "/v1/ask", {"json": {"question": " \t\n "}}, 422, "invalid_input"),
    ("POST", "/v1/ask", {"json": {"question": HUGE_QUESTION}}, 422, "invalid_input"),
    ("POST", "/v1/ask", {"json": {"question": 42}}, 422, "invalid_request"),
    ("POST", "/v1/ask", {"json": {"question": "x", "top_k": "ten"}}, 422, "invalid_request"),
    ("POST", "/v1/ask", {"json": {"question": "x", "top_k": 0}}, 422, "invalid_request"),
    ("POST", "/v1/ask", {"json": {"question": "x", "top_k": 10_000}}, 422, "invalid_input"),
    ("POST", "/v1/ask", {"json": {"question": "x", "filters": {"sauce": "wire"}}}, 422, "invalid_request"),
    ("POST", "/v1/ask", {"json": {"question": "x", "filters": {"published_after": "last week"}}}, 422, "invalid_input"),
    ("POST", "/v1/ask", {"json": {"question": "x", "filters": {"published_after": "2024-05-01",
                                                                "published_before": "2024-04-01"}}}, 422, "invalid_input"),
    ("POST", "/v1/ask", {"json": {"question": "x", "as_of": "soon"}}, 422, "invalid_input"),
    ("POST", "/v1/ask", {"json": {"question": "x", "colour": "blue"}}, 422, "invalid_request"),
    ("POST", "/v1/ask", {"json": ["question"]}, 422, "invalid_request"),
    ("POST", "/v1/ask", {"content": b'{"question": ', "headers": {"content-type": "application/json"}}, 400, "invalid_json"),
    ("POST", "/v1/ask", {"content": b"\xff\xfe", "headers": {"content-type": "application/json"}}, 415, "unsupported_media_type"),
    ("POST", "/v1/ask", {"content": b'{"question": "x"}', "headers": {"content-type": "text/plain"}}, 415, "unsupported_media_type"),
    ("POST", "/v1/ask", {"content": b'{"question": "x"}'}, 415, "unsupported_media_type"),
    ("POST", "/v1/ask/stream", {"json": {"question": ""}}, 422, "invalid_input"),
    ("POST", "/v1/ask/stream", {"json": {}}, 422, "invalid_request"),
    ("GET", "/v1/search", {}, 422, "invalid_request"),
    ("GET", "/v1/search", {"params": {"q": " "}}, 422, "invalid_input"),
    ("GET", "/v1/search", {"params": {"q": "x", "top_k": "-1"}}, 422, "invalid_request"),
    ("GET", "/v1/search", {"params": {"q": "x", "top_k": "1000"}}, 422, "invalid_input"),
    ("GET", "/v1/search", {"params": {"q": "x", "published_before": "31/12/2024"}}, 422, "invalid_input"),
    ("POST", "/v1/articles", {"json": {"text": "no id"}}, 422, "invalid_request"),
    ("POST", "/v1/articles", {"json": {"id": "a", "text": "x", "published_at": "yesterday"}}, 422, "invalid_article"),
    ("POST", "/v1/articles", {"json": {"id": "a", "text": "x", "extra": 1}}, 422, "invalid_request"),
    ("POST", "/v1/articles", {"json": {"id": "a", "text": "nul \u0000 byte"}}, 422, "invalid_article"),
    ("POST", "/v1/articles", {"json": "just a string"}, 422, "invalid_request"),
    ("GET", "/v1/articles", {"params": {"limit": 0}}, 422, "invalid_request"),
    ("GET", "/v1/articles", {"params": {"cursor": "not-a-cursor"}}, 422, "invalid_input"),
    ("GET", "/v1/articles/unknown-id", {}, 404, "article_not_found"),
    ("GET", "/v1/articles/unknown-id/quotes", {}, 404, "article_not_found"),
    ("GET", "/v1/quotes", {}, 422, "invalid_request"),
    ("GET", "/v1/quotes", {"params": {"speaker": " "}}, 422, "invalid_input"),
    ("GET", "/v1/quotes", {"params": {"speaker": "x", "sort": "oldest"}}, 422, "invalid_request"),
    ("GET", "/v1/quotes", {"params": {"speaker": "x", "as_of": "soon"}}, 422, "invalid_input"),
    ("GET", "/v1/quotes", {"params": {"speaker": "x", "speakers": "y"}}, 422, "invalid_input"),
    ("DELETE", "/v1/articles/unknown-id", {}, 404, "article_not_found"),
    ("GET", "/v1/nothing-here", {}, 404, "not_found"),
    ("PUT", "/v1/ask", {"json": {}}, 405, "method_not_allowed"),
]


@pytest.mark.parametrize(("method", "path", "kwargs", "status", "code"), BAD_REQUESTS,
                         ids=[f"{m} {p} {s} {c}" for m, p, _, s, c in BAD_REQUESTS])
def test_bad_requests_get_a_clear_error_in_the_one_shape(
    loaded: TestClient, method: str, path: str, kwargs: dict, status: int, code: str
) -> None:
    response = loaded.request(method, path, **kwargs)
    assert response.status_code == status, response.text
    assert_error_shape(response.json(), code)


def test_a_body_over_the_limit_is_refused(make_client) -> None:
    client = make_client(max_body_bytes=2048)
    response = client.post("/v1/articles", json={"id": "big", "text": "x" * 5000})
    assert response.status_code == 413
    assert_error_shape(response.json(), "payload_too_large")


def test_a_chunked_body_over_the_limit_is_refused(make_client) -> None:
    client = make_client(max_body_bytes=2048)

    def body():
        yield b'{"id": "big", "text": "'
        yield b"x" * 5000
        yield b'"}'

    response = client.post("/v1/articles", content=body(), headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert_error_shape(response.json(), "payload_too_large")


def test_too_many_requests_at_once_get_429_with_retry_after(settings: Settings, embedder: FakeEmbedder) -> None:
    configured = settings.model_copy(update={"max_concurrent_requests": 1})
    writing, written = threading.Event(), threading.Event()
    # The one request allowed waits on the model writing its answer (in a worker thread, as such work runs).
    model = DecliningModel(meanwhile=lambda: writing.set() or written.wait(timeout=30))
    service = open_service(configured, embedder, writer=AnswerWriter(model))
    with TestClient(create_app(configured, service)) as client, ThreadPoolExecutor(1) as other_client:
        assert client.post("/v1/articles", json=ARTICLES).status_code == 200
        first = other_client.submit(client.post, "/v1/ask", json={"question": "How many votes did the budget pass by?"})
        try:
            assert writing.wait(timeout=30), "the first question reached the model"
            response = client.post("/v1/ask", json={"question": "x"})
        finally:
            written.set()
        assert first.result(timeout=30).status_code == 200
    service.close()
    assert response.status_code == 429 and response.headers["retry-after"] == "1"
    assert_error_shape(response.json(), "too_many_requests")


def assert_error_shape(body: dict, code: str) -> None:
    assert list(body) == ["error"]
    error = body["error"]
    assert set(error) <= {"code", "message", "details"} and {"code", "message"} <= set(error)
    assert error["code"] == code and isinstance(error["message"], str) and error["message"]
    assert "details" not in error or isinstance(error["details"], dict)


MORE_BAD_REQUESTS = [
    ("GET", "/v1/articles", {"params": {"cursor": "WzEwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMCwgImEiXQ=="}}, 422, "invalid_input"),
    ("GET", "/v1/articles", {"params": {"cursor": "WzEsIlx1ZDgwMCJd"}}, 422, "invalid_input"),
    ("GET", "/v1/articles", {"params": {"limit": 5, "page": 2}}, 422, "invalid_input"),
    ("POST", "/v1/ask", {"content": b'{"question": "budget", "filters": {"source": "\\ud800"}}',
                         "headers": {"content-type": "application/json"}}, 422, "invalid_input"),
    ("POST", "/v1/ask", {"content": b'{"question": "budget", "filters": {"article_ids": ["\\udfff"]}}',
                         "headers": {"content-type": "application/json"}}, 422, "invalid_input"),
    ("POST", "/v1/ask", {"json": {"question": "budget", "top_k": True}}, 422, "invalid_request"),
    ("POST", "/v1/ask", {"json": {"question": "budget", "top_k": "3"}}, 422, "invalid_request"),
    ("POST", "/v1/articles", {"json": {"id": True, "text": "x"}}, 422, "invalid_request"),
    ("POST", "/v1/articles", {"json": {"id": 5.0, "text": "x"}}, 422, "invalid_request"),
    ("GET", "/v1/search", {"params": {"q": "budget", "sources": "wire"}}, 422, "invalid_input"),
    ("POST", "/v1/ask", {"content": b'{"question": "x"}', "headers": {"content-type": "application/json; charset=latin-1"}}, 415, "unsupported_media_type"),
    ("POST", "/v1/ask", {"content": b'{"question": "x"}', "headers": {"content-type": "application/json", "content-encoding": "gzip"}}, 415, "unsupported_media_type"),
    ("POST", "/v1/ask", {"content": b'{"question": "caf\xe9"}', "headers": {"content-type": "application/json"}}, 415, "unsupported_media_type"),
]

QUESTION = '{"question": "How did the senate vote on the budget?"}'
# JSON in other encodings than UTF-8, which Python's parser would read; and types that only end in +json.
NOT_UTF8_JSON = {
    "utf-16": (QUESTION.encode("utf-16"), "application/json"),
    "utf-16-le": (QUESTION.encode("utf-16-le"), "application/json"),
    "utf-16-be": (QUESTION.encode("utf-16-be"), "application/json"),
    "utf-32": (QUESTION.encode("utf-32"), "application/json"),
    "utf-32-le": (QUESTION.encode("utf-32-le"), "application/json"),
    "utf-8 with a byte order mark": (QUESTION.encode("utf-8-sig"), "application/json"),
    "evil+json": (QUESTION.encode(), "application/evil+json"),
    "problem+json": (QUESTION.encode(), "application/problem+json"),
    "json-seq": (QUESTION.encode(), "application/json-seq"),
}


@pytest.mark.parametrize("name", list(NOT_UTF8_JSON))
@pytest.mark.parametrize("path", ["/v1/ask", "/v1/ask/stream", "/v1/articles"])
def test_json_not_in_utf8_or_not_json_is_unsupported(loaded: TestClient, path: str, name: str) -> None:
    body, media_type = NOT_UTF8_JSON[name]
    response = loaded.post(path, content=body, headers={"content-type": media_type})
    assert response.status_code == 415, response.text
    assert_error_shape(response.json(), "unsupported_media_type")


def test_utf8_json_with_its_charset_named_is_read(loaded: TestClient) -> None:
    response = loaded.post("/v1/ask", content=QUESTION.encode(), headers={"content-type": "application/json; charset=UTF-8"})
    assert response.status_code == 200, response.text


DATES_WITH_CONTROL_CHARACTERS = ["2024-01-01T00:00:00Z\u0000<script>", "2024-01-01\u0000zz", "2024-01-01\n",
                                 "2024-01-01T10:00:00\u001b[31m", "\t2024-01-01"]


@pytest.mark.parametrize("date", DATES_WITH_CONTROL_CHARACTERS)
def test_dates_with_control_characters_are_refused_everywhere(loaded: TestClient, date: str) -> None:
    refused = [
        loaded.post("/v1/articles", json={"id": "dated", "text": "x", "published_at": date}),
        loaded.post("/v1/ask", json={"question": "budget", "as_of": date}),
        loaded.post("/v1/ask", json={"question": "budget", "filters": {"published_after": date}}),
        loaded.post("/v1/ask", json={"question": "budget", "filters": {"published_before": date}}),
        loaded.post("/v1/ask/stream", json={"question": "budget", "as_of": date}),
        loaded.get("/v1/search", params={"q": "budget", "as_of": date}),
        loaded.get("/v1/search", params={"q": "budget", "published_after": date}),
        loaded.get("/v1/quotes", params={"speaker": "x", "as_of": date}),
    ]
    for response in refused:
        assert response.status_code == 422, (response.request.url, response.text)
    assert loaded.get("/v1/articles/dated").status_code == 404


@pytest.mark.parametrize("article_id", [".", ".."])
def test_ids_a_url_path_cannot_hold_are_refused(loaded: TestClient, article_id: str) -> None:
    response = loaded.post("/v1/articles", json={"id": article_id, "text": "x"})
    assert response.status_code == 422, response.text
    assert_error_shape(response.json(), "invalid_article")
    assert "a URL path cannot hold" in str(response.json()["error"]["details"])


@pytest.mark.parametrize(("method", "path", "kwargs", "status", "code"), MORE_BAD_REQUESTS,
                         ids=[f"{m} {p} {s} {c} {i}" for i, (m, p, _, s, c) in enumerate(MORE_BAD_REQUESTS)])
def test_more_bad_requests(loaded: TestClient, method: str, path: str, kwargs: dict, status: int, code: str) -> None:
    response = loaded.request(method, path, **kwargs)
    assert response.status_code == status, response.text
    assert_error_shape(response.json(), code)


def test_a_very_long_unknown_id_is_not_echoed_in_full(loaded: TestClient) -> None:
    response = loaded.get("/v1/articles/" + "x" * 20_000)
    assert response.status_code == 404 and len(response.content) < 1000


def test_an_unexpected_failure_while_streaming_ends_with_an_error_event(loaded: TestClient, monkeypatch) -> None:
    service = loaded.app.state.service

    def broken(retrieval):
        raise RuntimeError("boom")

    monkeypatch.setattr(service, "answer", broken)
    response = loaded.post("/v1/ask/stream", json={"question": "budget"})
    assert response.status_code == 200
    assert "event: error" in response.text and '"internal_error"' in response.text


# Every route that needs the service, with the service method it calls.
SERVICE_ROUTES = [
    ("POST", "/v1/ask", {"json": {"question": "budget"}}, "ask"),
    ("POST", "/v1/ask/stream", {"json": {"question": "budget"}}, "retrieve"),
    ("GET", "/v1/search", {"params": {"q": "budget"}}, "search"),
    ("POST", "/v1/articles", {"json": {"id": "new", "text": "A new story."}}, "add_articles"),
    ("GET", "/v1/articles", {}, "list_articles"),
    ("GET", "/v1/articles/budget", {}, "article"),
    ("DELETE", "/v1/articles/budget", {}, "delete"),
    ("GET", "/v1/quotes", {"params": {"speaker": "senate"}}, "quotes"),
    ("GET", "/v1/articles/budget/quotes", {}, "article_quotes"),
    ("GET", "/readyz", {}, "stats"),
]
SERVICE_ROUTE_IDS = [f"{m} {p}" for m, p, _, _ in SERVICE_ROUTES]


@pytest.mark.parametrize(("method", "path", "kwargs", "_"), SERVICE_ROUTES, ids=SERVICE_ROUTE_IDS)
def test_before_start_and_after_stop_every_route_is_not_ready(
    settings: ServerSettings, service: QAService, method: str, path: str, kwargs: dict, _: str
) -> None:
    app = create_app(settings, service)
    starting = TestClient(app)  # not entered: the lifespan has not built the service yet
    response = starting.request(method, path, **kwargs)
    assert response.status_code == 503, response.text
    assert_error_shape(response.json(), "not_ready")
    with TestClient(app):
        pass
    stopped = TestClient(app).request(method, path, **kwargs)
    assert stopped.status_code == 503
    assert_error_shape(stopped.json(), "not_ready")


@pytest.mark.parametrize("route", ["/v1/ask", "/v1/ask/stream", "/v1/search"])
def test_a_model_that_fails_while_serving_gives_503_model_unavailable(
    loaded: TestClient, embedder: FakeEmbedder, monkeypatch: pytest.MonkeyPatch, route: str
) -> None:
    def failing(texts):
        raise ModelUnavailable("the embedding model's session was lost")

    monkeypatch.setattr(embedder, "embed", failing)
    if route == "/v1/search":
        response = loaded.get(route, params={"q": "senate budget votes"})
    else:
        response = loaded.post(route, json={"question": "How many votes did the budget pass by?"})
    assert response.status_code == 503, response.text
    assert_error_shape(response.json(), "model_unavailable")


def test_an_ingest_whose_model_fails_stores_nothing(loaded: TestClient, embedder: FakeEmbedder, monkeypatch) -> None:
    def failing(texts):
        raise ModelUnavailable("the embedding model's session was lost")

    monkeypatch.setattr(embedder, "embed", failing)
    response = loaded.post("/v1/articles", json={"id": "new", "text": "A story no model could embed."})
    assert response.status_code == 503
    assert_error_shape(response.json(), "model_unavailable")
    assert loaded.get("/v1/articles/new").status_code == 404


STORAGE_FAILURES = [
    (StorageUnavailable("cannot use the PostgreSQL database: connection refused"), 503, "storage_unavailable"),
    (IndexIncompatible("the index was built with model 'other' (8 dimensions)"), 409, "index_incompatible"),
    (IndexBusy("another process is writing to the index"), 409, "index_busy"),
]


@pytest.mark.parametrize(("failure", "status", "code"), STORAGE_FAILURES, ids=[c for _, _, c in STORAGE_FAILURES])
@pytest.mark.parametrize(("method", "path", "kwargs", "called"), SERVICE_ROUTES, ids=SERVICE_ROUTE_IDS)
def test_storage_failures_while_serving_keep_their_status_and_the_one_shape(
    loaded: TestClient, monkeypatch: pytest.MonkeyPatch, method: str, path: str, kwargs: dict, called: str,
    failure: Exception, status: int, code: str,
) -> None:
    def fail(*args, **kwargs):
        raise failure

    # As a store raises once its database server goes away or another writer changes the index.
    monkeypatch.setattr(loaded.app.state.service, called, fail)
    response = loaded.request(method, path, **kwargs)
    assert response.status_code == status, response.text
    assert_error_shape(response.json(), code)


def test_an_index_built_with_another_model_stops_the_app_at_start(settings: ServerSettings) -> None:
    class OtherModel(FakeEmbedder):
        name = "fake/other"

    open_service(settings, FakeEmbedder()).close()  # an index built with the fake model
    app = create_app(settings, None)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("qa.composition.embedder_for", lambda settings: OtherModel())
        with pytest.raises(IndexIncompatible, match="built with model 'fake/bag-of-words'"):
            with TestClient(app):
                pass


@pytest.mark.parametrize(("method", "path", "kwargs", "_"), SERVICE_ROUTES[:-1], ids=SERVICE_ROUTE_IDS[:-1])
def test_missing_or_weak_keys_get_401_and_403_in_the_one_shape(
    make_client, method: str, path: str, kwargs: dict, _: str
) -> None:
    client = make_client(read_keys=[SecretStr("read-key")], write_keys=[SecretStr("write-key")])
    missing = client.request(method, path, **kwargs)
    assert missing.status_code == 401
    assert_error_shape(missing.json(), "unauthorized")
    if method in ("POST", "DELETE") and path.startswith("/v1/articles"):
        weak = client.request(method, path, headers={"X-API-Key": "read-key"}, **kwargs)
        assert weak.status_code == 403
        assert_error_shape(weak.json(), "forbidden")


def test_too_many_articles_at_once_get_413_too_large_in_the_one_shape(make_client) -> None:
    client = make_client(max_articles_per_request=1)
    response = client.post("/v1/articles", json=[{"id": "a", "text": "One."}, {"id": "b", "text": "Two."}])
    assert response.status_code == 413
    assert_error_shape(response.json(), "too_large")


def test_every_error_code_has_an_http_status() -> None:
    assert domain_error_codes() <= set(STATUS_BY_CODE)
    for own in (Unauthorized, Forbidden, NotReady):  # the HTTP edge's own errors, not the domain's
        assert own.code in STATUS_BY_CODE and not issubclass(own, QAError)
