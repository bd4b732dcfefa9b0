"""Hostile input over HTTP: huge and deeply nested bodies, invalid UTF-8, invisible and right-to-left
text, and paths that try to leave the folders the app serves. Each gets a clear 4xx or a correct result."""

import http.client
from pathlib import Path
from urllib.parse import quote, urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.api.test_errors import assert_error_shape
from tests.conftest import live_server

JSON = {"content-type": "application/json"}
FIFTY_MB = 50 * 1024 * 1024
DEEP = 100_000

# Zero-width space, non-joiner and joiner, word joiner, byte order mark, left-to-right and right-to-left
# marks, and a right-to-left override closed by its pop: characters a copy from a CMS carries unseen.
INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff\u200e\u200f\u202e\u202c"
RTL_ARTICLE = {
    "id": "\u05db\u05ea\u05d1\u05d4-7",  # "article-7" in Hebrew
    "title": "\u05d4\u05de\u05d2\u05d3\u05dc\u200f \u2014 lighthouse",
    "text": (
        "The harbour\u200b council approved the lighthouse\u200d repairs\u200c on Monday.\n\n"
        "\u202eThe mayor said the repairs would cost\u200e two million shekels.\u202c\n\n"
        "\u05d4\u05de\u05d5\u05e2\u05e6\u05d4 \u05d0\u05d9\u05e9\u05e8\u05d4\u200f \u05d0\u05ea "
        "\u05d4\u05ea\u05e7\u05e6\u05d9\u05d1. \u0627\u0644\u0645\u062c\u0644\u0633 \u0648\u0627\u0641\u0642 "
        "\u0639\u0644\u0649 \u0627\u0644\u0645\u064a\u0632\u0627\u0646\u064a\u0629.\ufeff\u2060"
    ),
}
RTL_QUESTIONS = [
    "What did the harbour\u200b council approve for the lighthouse\u200d?",
    "\u200fWhat did the harbour council approve\u200e for the lighthouse?\u200f",
    "\u202eWhat did the harbour council approve for the lighthouse?\u202c",
    "\u05de\u05d4 \u05d0\u05d9\u05e9\u05e8\u05d4 \u05d4\u05de\u05d5\u05e2\u05e6\u05d4\u200f? harbour council lighthouse",
]


def fifty_megabytes_in_chunks():
    yield b'{"id": "huge", "text": "'
    for _ in range(50):
        yield b"x" * (1024 * 1024)
    yield b'"}'


def test_a_50_mb_body_with_content_length_is_refused(loaded: TestClient) -> None:
    response = loaded.post("/v1/articles", content=b"x" * FIFTY_MB, headers=JSON)
    assert response.status_code == 413
    assert_error_shape(response.json(), "payload_too_large")
    assert loaded.get("/v1/articles/huge").status_code == 404


def test_a_50_mb_chunked_body_is_refused(loaded: TestClient) -> None:
    response = loaded.post("/v1/articles", content=fifty_megabytes_in_chunks(), headers=JSON)
    assert response.status_code == 413
    assert_error_shape(response.json(), "payload_too_large")
    assert loaded.get("/v1/articles/huge").status_code == 404


def test_a_real_server_refuses_50_mb_bodies_and_keeps_serving(settings, service) -> None:
    from api.app import create_app

    with live_server(create_app(settings, service)) as url, httpx.Client(base_url=url, timeout=60) as client:
        sized = client.post("/v1/articles", content=b"x" * FIFTY_MB, headers=JSON)
        assert sized.status_code == 413
        assert_error_shape(sized.json(), "payload_too_large")
        chunked = client.post("/v1/articles", content=fifty_megabytes_in_chunks(), headers=JSON)
        assert chunked.status_code == 413
        assert_error_shape(chunked.json(), "payload_too_large")
        assert client.get("/v1/articles/huge").status_code == 404
        assert client.get("/readyz").status_code == 200


NESTED_BODIES = {
    "arrays": b"[" * DEEP + b"]" * DEEP,
    "objects": b'{"a":' * DEEP + b"1" + b"}" * DEEP,
    "question": b'{"question": ' + b"[" * DEEP + b"]" * DEEP + b"}",
    "unclosed": b"[" * DEEP,
}


@pytest.mark.parametrize("path", ["/v1/ask", "/v1/ask/stream", "/v1/articles"])
@pytest.mark.parametrize("name", list(NESTED_BODIES))
def test_json_nested_100_000_deep_is_invalid_json(loaded: TestClient, path: str, name: str) -> None:
    response = loaded.post(path, content=NESTED_BODIES[name], headers=JSON)
    assert response.status_code == 400, response.text
    assert_error_shape(response.json(), "invalid_json")


def test_the_message_says_what_is_wrong_with_the_body(loaded: TestClient) -> None:
    nested = loaded.post("/v1/ask", content=NESTED_BODIES["arrays"], headers=JSON)
    assert nested.json()["error"]["message"] == "the request body is nested too deeply to be read as JSON"
    latin1 = loaded.post("/v1/ask", content=b'{"question": "caf\xe9"}', headers=JSON)
    assert latin1.json()["error"]["message"] == "the request body is not valid UTF-8 (at byte 17)"


INVALID_UTF8 = {
    "lone continuation byte": b'{"id": "u", "text": "caf\x80"}',
    "truncated sequence": b'{"id": "u", "text": "\xe2\x82"}',
    "overlong slash": b'{"id": "u", "text": "\xc0\xaf"}',
    "encoded surrogate": b'{"id": "u", "text": "\xed\xa0\x80"}',
    "beyond U+10FFFF": b'{"id": "u", "text": "\xf4\x90\x80\x80"}',
    "latin-1": b'{"id": "u", "text": "caf\xe9"}',
    "in a key": b'{"\xff": "u"}',
    "in an id": b'{"id": "\xfe\xfe", "text": "x"}',
}


@pytest.mark.parametrize("path", ["/v1/ask", "/v1/articles"])
@pytest.mark.parametrize("name", list(INVALID_UTF8))
def test_invalid_utf8_in_a_body_is_unsupported(loaded: TestClient, path: str, name: str) -> None:
    response = loaded.post(path, content=INVALID_UTF8[name], headers=JSON)
    assert response.status_code == 415, response.text
    assert_error_shape(response.json(), "unsupported_media_type")
    assert loaded.get("/v1/articles/u").status_code == 404


def test_invalid_utf8_in_a_path_or_query_is_not_a_server_error(loaded: TestClient) -> None:
    assert loaded.get("/v1/articles/%ff%fe").status_code == 404
    assert loaded.delete("/v1/articles/%c0%af").status_code == 404
    assert loaded.get("/v1/search?q=%ff%fe").status_code in (200, 422)


def test_invisible_and_right_to_left_text_is_stored_exactly(client: TestClient) -> None:
    assert client.post("/v1/articles", json=RTL_ARTICLE).json()["added"] == 1
    stored = client.get("/v1/articles/" + quote(RTL_ARTICLE["id"], safe="")).json()
    assert (stored["id"], stored["title"], stored["text"]) == (RTL_ARTICLE["id"], RTL_ARTICLE["title"], RTL_ARTICLE["text"])
    assert all(c in stored["text"] for c in INVISIBLE)
    listed = client.get("/v1/articles").json()["articles"]
    assert [a["id"] for a in listed] == [RTL_ARTICLE["id"]]


@pytest.mark.parametrize("question", RTL_QUESTIONS, ids=["zero-width", "marks", "override", "hebrew"])
def test_questions_with_invisible_and_right_to_left_text_are_answered_and_cited_exactly(
    client: TestClient, question: str
) -> None:
    client.post("/v1/articles", json=RTL_ARTICLE)
    text = client.get("/v1/articles/" + quote(RTL_ARTICLE["id"], safe="")).json()["text"]
    response = client.post("/v1/ask", json={"question": question})
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["question"] == question.strip()
    assert answer["answerable"] and answer["citations"]
    for citation in answer["citations"]:
        assert text[citation["start"] : citation["end"]] == citation["quote"]
    for passage in answer["passages"]:
        assert text[passage["start"] : passage["end"]] == passage["text"]
    # The offsets count the invisible characters: a quote holding them still matches its article.
    assert any(set(INVISIBLE) & set(c["quote"]) for c in answer["citations"])


def test_a_search_with_invisible_text_finds_the_passages_exactly(client: TestClient) -> None:
    client.post("/v1/articles", json=RTL_ARTICLE)
    found = client.get("/v1/search", params={"q": "\u200bharbour\u200f council\u202e"})
    assert found.status_code == 200
    for passage in found.json()["passages"]:
        assert RTL_ARTICLE["text"][passage["start"] : passage["end"]] == passage["text"]


# Paths that would reach a file outside the served folders if a route joined them to a server path:
# api/app.py sits next to api/static, /etc/passwd is on every machine.
ESCAPES = [
    "/static/..%2f..%2fetc/passwd",
    "/static/..%2F..%2F..%2F..%2F..%2Fetc%2Fpasswd",
    "/static/..%2fapp.py",
    "/static/%2e%2e/app.py",
    "/static/%2e%2e%2fapp.py",
    "/static/%252e%252e%252fapp.py",
    "/static/..%5capp.py",
    "/static/%c0%ae%c0%ae/app.py",
    "/static/%c0%ae%c0%ae%c0%afapp.py",
    "/static//etc/passwd",
    "/static/%2fetc%2fpasswd",
    "/static/%2F%2Fetc%2Fpasswd",
    "/static/app.js%00/../../app.py",
    "/docs-assets/..%2f..%2f..%2f..%2f..%2f..%2fetc/passwd",
    "/docs-assets/%2e%2e%2f__init__.py",
    "/..%2f..%2fetc/passwd",
    "/%2e%2e/%2e%2e/etc/passwd",
    "/v1/articles/..%2f..%2fetc%2fpasswd",
    "/v1/articles/%2fetc%2fpasswd",
    "/v1/articles/file:%2f%2f%2fetc%2fpasswd",
]
RAW_ESCAPES = ["/static/../app.py", "/static/../../../../../../etc/passwd", "/docs-assets/../../../../etc/passwd",
               "/../../etc/passwd", "/static/./../app.py"]
SECRETS = ("root:", "create_app", "import ")


@pytest.mark.parametrize("path", ESCAPES)
def test_no_route_reads_a_server_path_given_by_the_client(loaded: TestClient, path: str) -> None:
    response = loaded.get(path)
    assert response.status_code == 404, response.text
    assert response.json()["error"]["code"] in ("not_found", "article_not_found")
    assert not any(secret in response.text for secret in SECRETS)


def test_dot_segments_sent_as_they_are_reach_no_file(settings, service) -> None:
    """httpx resolves `..` before sending; a raw request line keeps it, as an attacker's would."""
    from api.app import create_app

    assert (Path(__file__).resolve().parents[2] / "api" / "app.py").exists()
    with live_server(create_app(settings, service)) as url:
        for path in RAW_ESCAPES + ESCAPES:
            connection = http.client.HTTPConnection(urlsplit(url).hostname, urlsplit(url).port, timeout=30)
            connection.request("GET", path)
            response = connection.getresponse()
            body = response.read().decode("utf-8", "replace")
            connection.close()
            assert response.status in (400, 404), (path, response.status)
            assert not any(secret in body for secret in SECRETS), path


def test_an_article_pointing_at_a_server_file_stores_only_its_own_text(client: TestClient) -> None:
    pushed = {"id": "pointer", "url": "file:///etc/passwd", "text": "A short story."}
    assert client.post("/v1/articles", json=pushed).status_code == 200
    assert client.get("/v1/articles/pointer").json()["text"] == "A short story."
    refused = client.post("/v1/articles", json={"id": "path", "path": "/etc/passwd"})
    assert refused.status_code == 422
    assert_error_shape(refused.json(), "invalid_request")
