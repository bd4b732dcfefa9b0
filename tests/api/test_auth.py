"""With keys configured: reads need any key, writes a write key; every route is checked."""

import logging

import pytest
from fastapi.testclient import TestClient

from api.auth import KeyRing, Scope
from pydantic import SecretStr

READ, WRITE = "read-key-123", "write-key-456"

ROUTES = [
    # (method, path, keyword arguments, scope needed)
    ("POST", "/v1/ask", {"json": {"question": "budget"}}, Scope.READ),
    ("POST", "/v1/ask/stream", {"json": {"question": "budget"}}, Scope.READ),
    ("GET", "/v1/search", {"params": {"q": "budget"}}, Scope.READ),
    ("GET", "/v1/articles", {}, Scope.READ),
    ("GET", "/v1/articles/a", {}, Scope.READ),
    ("GET", "/metrics", {}, Scope.READ),
    ("POST", "/v1/articles", {"json": {"id": "b", "text": "New story."}}, Scope.WRITE),
    ("DELETE", "/v1/articles/a", {}, Scope.WRITE),
]


@pytest.fixture
def secured(make_client) -> TestClient:
    client = make_client(read_keys=[SecretStr(READ)], write_keys=[SecretStr(WRITE)])
    client.post("/v1/articles", json={"id": "a", "text": "The budget passed."}, headers=bearer(WRITE))
    return client


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@pytest.mark.parametrize(("method", "path", "kwargs", "scope"), ROUTES, ids=[f"{m} {p}" for m, p, _, _ in ROUTES])
def test_every_route_checks_its_key(secured: TestClient, method: str, path: str, kwargs: dict, scope: Scope) -> None:
    missing = secured.request(method, path, **kwargs)
    assert missing.status_code == 401 and missing.json()["error"]["code"] == "unauthorized"
    wrong = secured.request(method, path, headers=bearer("guess"), **kwargs)
    assert wrong.status_code == 401
    with_read = secured.request(method, path, headers={"X-API-Key": READ}, **kwargs)
    assert with_read.status_code == (200 if scope is Scope.READ else 403)
    if scope is Scope.WRITE:
        assert with_read.json()["error"]["code"] == "forbidden"
    assert secured.request(method, path, headers=bearer(WRITE), **kwargs).status_code == 200


@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/openapi.json", "/docs"])
def test_probes_and_docs_stay_open(secured: TestClient, path: str) -> None:
    assert secured.get(path).status_code == 200


def test_without_keys_everything_is_open(loaded: TestClient) -> None:
    assert loaded.post("/v1/articles", json={"id": "z", "text": "Open."}).status_code == 200


def test_keys_are_never_logged(make_client, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    client = make_client(read_keys=[SecretStr(READ)], write_keys=[SecretStr(WRITE)])
    client.get("/v1/articles", headers=bearer(READ))
    client.get("/v1/articles", headers=bearer("wrong-key-789"))
    assert READ not in caplog.text and WRITE not in caplog.text and "wrong-key-789" not in caplog.text
    assert READ not in repr(client.app.state.settings)


def test_an_open_api_says_so_in_the_log(make_client, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    make_client()
    assert "no API keys configured: the API is open" in caplog.text


def test_a_key_in_both_lists_has_write_scope() -> None:
    keys = KeyRing([SecretStr("k")], [SecretStr("k")])
    assert keys.scope_of("k") is Scope.WRITE and keys.scope_of("other") is None


def test_keys_are_checked_before_the_body_is_read(secured: TestClient) -> None:
    response = secured.post("/v1/ask", content=b"{", headers={"content-type": "application/json"})
    assert response.status_code == 401


def test_openapi_documents_the_keys_when_they_are_required(secured: TestClient) -> None:
    spec = secured.get("/openapi.json").json()
    assert set(spec["components"]["securitySchemes"]) == {"bearer", "apiKey"}
    assert spec["paths"]["/v1/ask"]["post"]["security"] == [{"bearer": []}, {"apiKey": []}]


def test_cors_is_closed_unless_origins_are_listed(make_client) -> None:
    preflight = {"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"}
    closed = make_client()
    assert "access-control-allow-origin" not in closed.options("/v1/ask", headers=preflight).headers
    assert "access-control-allow-origin" not in closed.get("/healthz", headers={"Origin": "https://evil.example"}).headers
    opened = make_client(cors_origins=["https://newsroom.example"])
    allowed = opened.options("/v1/ask", headers={**preflight, "Origin": "https://newsroom.example"})
    assert allowed.headers["access-control-allow-origin"] == "https://newsroom.example"
    assert "access-control-allow-origin" not in opened.options("/v1/ask", headers=preflight).headers
