"""Logs, request ids and the request's span, seen from outside: what `qa serve` writes, what a client gets."""

import io
import json
import logging
import logging.config
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import datetime, timezone

import httpx
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from api.app import create_app
from api.server.logs import logging_config
from api.settings import ServerSettings
from qa.composition import open_service
from qa.service import QAService
from tests.api.conftest import ARTICLES
from tests.conftest import live_server
from tests.fakes import FakeEmbedder
from tests.readme_examples import readme_example
from tests.spans import recorded_spans

KEY = "read-key-5f2c91"
QUESTION = "Which harbour did the lighthouse keepers guard?"
NEW_ID = re.compile(r"[0-9a-f]{32}")
LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access", "qa", "index", "api", "api.access")


@pytest.fixture
def restored_logging() -> Iterator[None]:
    """Puts the logging configuration back as it was (pytest's capture included) after a test applies ours."""
    loggers = [logging.getLogger(), *map(logging.getLogger, LOGGERS)]
    saved = [(logger, logger.handlers[:], logger.level, logger.propagate, logger.disabled) for logger in loggers]
    yield
    for logger, handlers, level, propagate, disabled in saved:
        logger.handlers[:] = handlers
        logger.setLevel(level)
        logger.propagate, logger.disabled = propagate, disabled


@pytest.fixture
def log_to(restored_logging) -> Callable[..., io.StringIO]:
    """Applies `logging_config(...)`, as uvicorn does, with every handler writing to the stream returned."""

    def configure(log_format: str = "json", log_questions: bool = False) -> io.StringIO:
        stream = io.StringIO()
        config = logging_config(log_format, log_questions)
        for handler in config["handlers"].values():
            handler["stream"] = stream
        logging.config.dictConfig(config)
        return stream

    return configure


def records(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def access_records(stream: io.StringIO) -> list[dict]:
    return [r for r in records(stream) if r["logger"] == "api.access"]


def failing_answers(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(service: QAService, retrieval: object) -> None:
        raise RuntimeError("the composer broke")

    monkeypatch.setattr(QAService, "answer", fail)


# --- X-Request-ID


def test_a_sane_request_id_is_echoed(client: TestClient) -> None:
    sent = "edge-7f3a.b2:9_x"
    assert client.get("/healthz", headers={"X-Request-ID": sent}).headers["X-Request-ID"] == sent


@pytest.mark.parametrize("sent", [None, "", "a" * 129, "two words", "id\u00e9", "<script>", "a\tb"])
def test_a_missing_or_insane_request_id_is_replaced_by_a_new_one(client: TestClient, sent: str | None) -> None:
    headers = {} if sent is None else {"X-Request-ID": sent.encode("utf-8")}
    made = client.get("/healthz", headers=headers).headers["X-Request-ID"]
    assert NEW_ID.fullmatch(made)


def test_each_request_gets_its_own_id(client: TestClient) -> None:
    assert len({client.get("/healthz").headers["X-Request-ID"] for _ in range(3)}) == 3


def test_every_kind_of_response_carries_an_id(make_client) -> None:
    client = make_client(read_keys=[SecretStr(KEY)], max_body_bytes=1024)
    refused = client.get("/v1/articles")
    assert refused.status_code == 401 and NEW_ID.fullmatch(refused.headers["X-Request-ID"])
    # The error's shape is unchanged: the id is in the header only.
    assert set(refused.json()) == {"error"}
    too_large = client.post("/v1/ask", content=b"[" + b" " * 2048 + b"]", headers={
        "Authorization": f"Bearer {KEY}", "Content-Type": "application/json", "X-Request-ID": "big-1"})
    assert too_large.status_code == 413 and too_large.headers["X-Request-ID"] == "big-1"
    for path in ("/v1/articles/nothing-here", "/nowhere"):
        missing = client.get(path, headers={"Authorization": f"Bearer {KEY}"})
        assert missing.status_code == 404 and NEW_ID.fullmatch(missing.headers["X-Request-ID"])
    page = client.get("/", headers={"X-Request-ID": "page-1"})
    assert page.status_code == 200 and page.headers["X-Request-ID"] == "page-1"


def test_an_unexpected_error_carries_an_id_too(settings: ServerSettings, embedder: FakeEmbedder,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    failing_answers(monkeypatch)
    app = create_app(settings, open_service(settings, embedder))
    with TestClient(app, raise_server_exceptions=False) as client:
        failed = client.post("/v1/ask", json={"question": QUESTION}, headers={"X-Request-ID": "boom-1"})
    assert failed.status_code == 500 and failed.headers["X-Request-ID"] == "boom-1"


def test_cors_lets_a_page_read_the_id(make_client) -> None:
    client = make_client(cors_origins=["https://desk.example"])
    response = client.get("/healthz", headers={"Origin": "https://desk.example"})
    assert "x-request-id" in response.headers["Access-Control-Expose-Headers"].lower()


# --- JSON logs


def test_a_request_makes_one_json_access_record(loaded: TestClient, log_to) -> None:
    stream = log_to("json")
    loaded.post("/v1/ask", json={"question": QUESTION}, headers={"X-Request-ID": "ask-1"})
    [record] = access_records(stream)
    assert {k: record[k] for k in ("level", "request_id", "method", "route", "status")} == {
        "level": "INFO", "request_id": "ask-1", "method": "POST", "route": "/v1/ask", "status": 200}
    assert isinstance(record["duration_ms"], float) and record["duration_ms"] >= 0
    assert record["time"].endswith("Z")
    assert datetime.fromisoformat(record["time"]).tzinfo == timezone.utc


def test_the_access_record_names_the_route_not_the_path(loaded: TestClient, log_to) -> None:
    stream = log_to("json")
    loaded.get("/v1/articles/storm")
    loaded.get("/v1/articles/no-such-article")
    loaded.get("/nowhere")
    assert [(r.get("route"), r["status"]) for r in access_records(stream)] == [
        ("/v1/articles/{article_id}", 200), ("/v1/articles/{article_id}", 404), (None, 404)]
    assert "storm" not in stream.getvalue() and "no-such-article" not in stream.getvalue()


def test_records_made_while_handling_a_request_carry_its_id(loaded: TestClient, log_to,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    stream = log_to("json")
    failing_answers(monkeypatch)
    loaded.post("/v1/ask/stream", json={"question": QUESTION}, headers={"X-Request-ID": "stream-1"})
    [failure] = [r for r in records(stream) if r["logger"] == "api.routes.questions"]
    assert failure["request_id"] == "stream-1" and failure["level"] == "ERROR"
    # The traceback is a field of the one line, not lines of its own.
    assert "RuntimeError: the composer broke" in failure["exception"]
    assert stream.getvalue().count("\n") == len(records(stream))


def test_keys_and_questions_never_reach_the_log(make_client, log_to, monkeypatch: pytest.MonkeyPatch) -> None:
    stream = log_to("json")
    client = make_client(read_keys=[SecretStr(KEY)])
    headers = {"Authorization": f"Bearer {KEY}"}
    client.post("/v1/ask", json={"question": QUESTION}, headers=headers)
    client.get("/v1/search", params={"q": QUESTION, "api_key": KEY}, headers=headers)
    client.get("/v1/articles", headers={"X-API-Key": KEY + "-wrong"})
    failing_answers(monkeypatch)
    client.post("/v1/ask/stream", json={"question": QUESTION}, headers=headers)
    logged = stream.getvalue()
    assert len(access_records(stream)) == 4
    assert KEY not in logged and "lighthouse" not in logged and "harbour" not in logged


def test_questions_are_logged_when_the_settings_say_so(loaded: TestClient, log_to,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    stream = log_to("json", log_questions=True)
    failing_answers(monkeypatch)
    loaded.post("/v1/ask/stream", json={"question": QUESTION})
    [failure] = [r for r in records(stream) if r["logger"] == "api.routes.questions"]
    assert failure["question"] == QUESTION and QUESTION not in failure["message"]


def test_text_format_keeps_uvicorns_lines_without_query_strings(log_to) -> None:
    stream = log_to("text")
    logging.getLogger("uvicorn.access").info('%s - "%s %s HTTP/%s" %d', "127.0.0.1:5000", "GET",
                                             f"/v1/search?q={QUESTION}", "1.1", 422)
    logging.getLogger("api.access").info("GET /v1/search 422 1.0 ms")
    logging.getLogger("qa.anything").warning("answering failed", extra={"question": QUESTION})
    lines = stream.getvalue().splitlines()
    assert lines == ['INFO:     127.0.0.1:5000 - "GET /v1/search?[query left out] HTTP/1.1" 422 Unprocessable Entity',
                     "qa: answering failed"]


def test_text_format_shows_the_question_when_the_settings_say_so(log_to) -> None:
    stream = log_to("text", log_questions=True)
    logging.getLogger("qa.anything").warning("answering failed", extra={"question": QUESTION})
    assert stream.getvalue() == f"qa: answering failed (question: {QUESTION!r})\n"


def test_a_live_server_logs_json_lines_one_access_record_a_request(
        settings: ServerSettings, embedder: FakeEmbedder, restored_logging, capsys: pytest.CaptureFixture[str]) -> None:
    configured = settings.model_copy(update={"write_keys": [SecretStr(KEY)]})
    service = open_service(configured, embedder)
    try:
        with live_server(create_app(configured, service), configured, log_level="info") as url, \
                httpx.Client(base_url=url, timeout=30, headers={"Authorization": f"Bearer {KEY}"}) as client:
            assert client.post("/v1/articles", json=ARTICLES).status_code == 200
            asked = client.post("/v1/ask", json={"question": QUESTION}, headers={"X-Request-ID": "live-1"})
            assert asked.headers["X-Request-ID"] == "live-1"
            client.get("/v1/search", params={"q": QUESTION})
    finally:
        service.close()
    logged = capsys.readouterr().err
    lines = [json.loads(line) for line in logged.splitlines()]
    access = [line for line in lines if line["logger"] == "api.access"]
    assert [(a["method"], a["route"], a["status"]) for a in access] == [
        ("POST", "/v1/articles", 200), ("POST", "/v1/ask", 200), ("GET", "/v1/search", 200)]
    assert access[1]["request_id"] == "live-1"
    assert not [line for line in lines if line["logger"] == "uvicorn.access"]
    assert any(line["message"].startswith("Uvicorn running on") for line in lines)
    assert KEY not in logged and "lighthouse" not in logged


# --- The request's span


def test_a_question_is_traced_under_its_request(loaded: TestClient) -> None:
    parent_trace = "4bf92f3577b34da6a3ce929d0e0e4736"
    with recorded_spans() as spans:
        loaded.post("/v1/ask", json={"question": QUESTION}, headers={
            "X-Request-ID": "traced-1", "traceparent": f"00-{parent_trace}-00f067aa0ba902b7-01"})
        recorded = {s.name: s for s in spans.get_finished_spans()}
    request = recorded["POST /v1/ask"]
    assert request.kind.name == "SERVER" and request.context.trace_id == int(parent_trace, 16)
    assert {k: request.attributes[k] for k in ("http.route", "http.response.status_code", "request.id")} == {
        "http.route": "/v1/ask", "http.response.status_code": 200, "request.id": "traced-1"}
    for stage in ("retrieve", "answer"):
        assert recorded[stage].parent.span_id == request.context.span_id
    assert not [v for s in recorded.values() for v in s.attributes.values() if "lighthouse" in str(v)]


def test_a_refused_request_is_traced_with_its_status(make_client) -> None:
    client = make_client(read_keys=[SecretStr(KEY)])
    with recorded_spans() as spans:
        client.get("/v1/search", params={"q": QUESTION})
        [request] = spans.get_finished_spans()
    assert request.name == "GET /v1/search" and request.attributes["http.response.status_code"] == 401
    assert "url.query" not in request.attributes


def test_the_readme_example_runs(settings: ServerSettings, embedder: FakeEmbedder, restored_logging) -> None:
    service = open_service(settings, embedder)
    try:
        with live_server(create_app(settings, service), settings) as url:
            code = readme_example("request-id", url)
            run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    finally:
        service.close()
    assert run.returncode == 0, run.stderr
    assert run.stdout == "desk-42\n"
