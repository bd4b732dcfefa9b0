"""The HTTP edge on a real uvicorn server on loopback, served as `qa serve` serves: request headers over
the limit, headers and bodies sent slowly or never finished, and clients asking meanwhile."""

import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

import httpx
import pytest
from pydantic import SecretStr

from api.app import create_app
from api.settings import ServerSettings
from qa.composition import open_service
from tests.conftest import live_server
from tests.fakes import FakeEmbedder

KEY = "write-key-456"
MiB = 1024 * 1024
READ_TIMEOUT = 2.0
SLOTS = 4
ARTICLE = {"id": "budget", "title": "Budget vote",
           "text": "The senate passed the budget on Tuesday by 51 votes to 49."}


@contextmanager
def serving(settings: ServerSettings, embedder: FakeEmbedder, **overrides) -> Iterator[str]:
    configured = settings.model_copy(update={
        "write_keys": [SecretStr(KEY)], "max_concurrent_requests": SLOTS, "request_read_timeout_seconds": READ_TIMEOUT,
        **overrides,
    })
    service = open_service(configured, embedder)
    service.add_articles([ARTICLE])
    try:
        with live_server(create_app(configured, service), configured) as url:
            yield url
    finally:
        service.close()


@pytest.fixture
def edge(settings: ServerSettings, embedder: FakeEmbedder) -> Iterator[str]:
    with serving(settings, embedder) as url:
        yield url


def connect(url: str) -> socket.socket:
    parts = urlsplit(url)
    return socket.create_connection((parts.hostname, parts.port), timeout=30)


def read_until_closed(sock: socket.socket) -> bytes:
    """All the server sends before it closes; b"" if it closes with a reset instead."""
    received = b""
    try:
        while chunk := sock.recv(65536):
            received += chunk
    except ConnectionResetError:
        pass
    return received


def error_code(response: bytes) -> str:
    return json.loads(response.partition(b"\r\n\r\n")[2])["error"]["code"]


def keyed_get(url: str) -> httpx.Response:
    return httpx.get(f"{url}/v1/articles/budget", headers={"Authorization": f"Bearer {KEY}"}, timeout=30)


def test_headers_just_over_the_limit_get_431(edge: str) -> None:
    with connect(edge) as sock:
        sock.sendall(b"GET /v1/articles HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + b"A" * 40_000 + b"\r\n\r\n")
        response = read_until_closed(sock)
    assert response.startswith(b"HTTP/1.1 431 "), response[:200]
    assert error_code(response) == "headers_too_large"
    assert keyed_get(edge).status_code == 200


def attack_with_a_huge_header(url: str, sent: list[int]) -> None:
    """The attack of the report: an Authorization header of 100 MiB, a MiB at a time."""
    total = 0
    with connect(url) as sock:
        try:
            sock.sendall(b"GET /v1/articles HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ")
            for _ in range(100):
                sock.sendall(b"A" * MiB)
                total += MiB
            sock.sendall(b"\r\n\r\n")
            read_until_closed(sock)
        except (BrokenPipeError, ConnectionResetError):
            pass
    sent.append(total)


def test_a_huge_header_is_cut_off_early_and_keyed_requests_are_answered_meanwhile(edge: str) -> None:
    sent: list[int] = []
    attackers = [threading.Thread(target=attack_with_a_huge_header, args=(edge, sent)) for _ in range(2)]
    for attacker in attackers:
        attacker.start()
    answered = [keyed_get(edge).status_code for _ in range(20)]
    for attacker in attackers:
        attacker.join(timeout=60)
    assert answered == [200] * 20
    # The server stopped reading at the limit: the rest could not be sent (what the kernels buffer aside).
    assert len(sent) == 2 and all(total < 20 * MiB for total in sent), sent


def slow_body(url: str) -> socket.socket:
    """A write request announcing 100,000 bytes of body and sending one."""
    sock = connect(url)
    sock.sendall(b"POST /v1/articles HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                 b"Authorization: Bearer " + KEY.encode() + b"\r\nContent-Length: 100000\r\n\r\n{")
    return sock


def test_slow_bodies_hold_no_slot_and_time_out(edge: str) -> None:
    drippers = [slow_body(edge) for _ in range(3 * SLOTS)]
    try:
        # More bodies are arriving than there are slots, and still a keyed request is answered.
        asked = httpx.post(f"{edge}/v1/ask", json={"question": "How did the senate vote?"},
                           headers={"Authorization": f"Bearer {KEY}"}, timeout=30)
        assert asked.status_code == 200, asked.text
        assert keyed_get(edge).status_code == 200
        for sock in drippers:
            response = read_until_closed(sock)
            assert response.startswith(b"HTTP/1.1 408 "), response[:200]
            assert error_code(response) == "request_timeout"
    finally:
        for sock in drippers:
            sock.close()
    assert keyed_get(edge).status_code == 200


def test_unfinished_headers_time_out(edge: str) -> None:
    with connect(edge) as sock:
        sock.sendall(b"GET /v1/articles HTTP/1.1\r\nHost: x\r\n")
        response = read_until_closed(sock)
    assert response.startswith(b"HTTP/1.1 408 "), response[:200]
    assert error_code(response) == "request_timeout"


def test_a_connection_that_sends_nothing_is_closed(edge: str) -> None:
    with connect(edge) as sock:
        assert read_until_closed(sock) == b""


def test_a_request_sent_whole_is_answered_however_slowly_its_connection_began(edge: str) -> None:
    """The deadline is for receiving a request; a kept-alive connection's next request gets its own."""
    with httpx.Client(base_url=edge, headers={"Authorization": f"Bearer {KEY}"}, timeout=30) as client:
        for _ in range(3):
            assert client.get("/v1/articles/budget").status_code == 200


def test_bodies_held_at_once_are_bounded_as_when_only_requests_in_flight_read_them(
    settings: ServerSettings, embedder: FakeEmbedder
) -> None:
    """Room for SLOTS whole bodies: bodies arriving fast beyond that get 429, reads go on."""
    limit = 64 * 1024
    with serving(settings, embedder, max_body_bytes=limit) as url:
        senders = []
        for _ in range(SLOTS):
            sock = connect(url)
            sock.sendall(b"POST /v1/ask HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nAuthorization: "
                         b"Bearer " + KEY.encode() + b"\r\nContent-Length: %d\r\n\r\n" % limit + b" " * (limit - 100))
            senders.append(sock)
        assert keyed_get(url).status_code == 200  # by then the server has read what was sent
        one_more = httpx.post(f"{url}/v1/ask", content=b" " * (limit - 100) + b'{"question": "budget"}',
                              headers={"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"}, timeout=30)
        assert one_more.status_code == 429, one_more.text
        for sock in senders:
            sock.sendall(b'{"question": "How did the senate vote?"}'.ljust(100))
            response = sock.recv(65536)
            assert response.startswith(b"HTTP/1.1 200 "), response[:200]
            sock.close()
        answered = httpx.post(f"{url}/v1/ask", json={"question": "How did the senate vote?"},
                              headers={"Authorization": f"Bearer {KEY}"}, timeout=30)
        assert answered.status_code == 200
