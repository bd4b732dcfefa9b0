"""Keys' rate limits, and the access the guard leaves for the routes; on a minimal app with a fake clock."""

import json
import multiprocessing
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import SecretStr

from api.auth import Grant, HashedKey, KeyRing, Scope, digest_of
from api.dependencies import AccessDep
from api.guards import RequestGuard
from api.metrics import MULTIPROCESS_FOLDER
from api.rate_limit import SHARED_FILE, RateLimit, RateLimiter, serving_rate_limiter
from qa.access import Access
from tests.api.test_errors import assert_error_shape

SECOND = 1_000_000_000
PUBLIC_WIRE = Access(visibilities=("public",), sources=("wire",))


class Clock:
    def __init__(self) -> None:
        self.now = 1_000 * SECOND

    def __call__(self) -> int:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += int(seconds * SECOND)


def file_key(key: str, name: str, limit: str | None = None, access: Access = Access()) -> HashedKey:
    return HashedKey(digest_of(key), Grant(name, Scope.READ, access, RateLimit.parse(limit) if limit else None))


def guarded(keys: KeyRing, limiter: RateLimiter | None = None) -> TestClient:
    """A route answering with the access it is given, behind the request guard."""
    app = FastAPI()

    @app.get("/v1/access")
    async def access(caller: AccessDep) -> dict:
        return {"visibilities": caller.visibilities, "sources": caller.sources}

    app.add_middleware(RequestGuard, protected=("/v1",), keys=keys, max_body_bytes=1024, max_in_flight=4,
                       rate_limiter=limiter)
    return TestClient(app)


def as_key(key: str) -> dict[str, str]:
    return {"X-API-Key": key}


def test_the_guard_hands_the_routes_what_the_key_may_read() -> None:
    client = guarded(KeyRing([SecretStr("plain")], [], [file_key("limited", "partner", access=PUBLIC_WIRE)]))
    assert client.get("/v1/access", headers=as_key("limited")).json() == {"visibilities": ["public"],
                                                                          "sources": ["wire"]}
    assert client.get("/v1/access", headers=as_key("plain")).json() == {"visibilities": None, "sources": None}
    assert client.get("/v1/access").status_code == 401


def test_an_open_api_reads_everything() -> None:
    assert guarded(KeyRing([], [])).get("/v1/access").json() == {"visibilities": None, "sources": None}


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def limited(clock: Clock) -> TestClient:
    file_keys = [file_key("web", "web", "3/minute"), file_key("app", "app", "3/minute")]
    keys = KeyRing([SecretStr("unlimited")], [], file_keys)
    return guarded(keys, RateLimiter(clock=clock))


def test_a_key_over_its_limit_waits_for_its_next_token(limited: TestClient, clock: Clock) -> None:
    assert [limited.get("/v1/access", headers=as_key("web")).status_code for _ in range(3)] == [200] * 3
    refused = limited.get("/v1/access", headers=as_key("web"))
    assert refused.status_code == 429 and refused.headers["retry-after"] == "20"  # a token every 60/3 s
    assert_error_shape(refused.json(), "too_many_requests")
    assert "3/minute" in refused.json()["error"]["message"] and "'web'" in refused.json()["error"]["message"]
    clock.advance(19.9)
    assert limited.get("/v1/access", headers=as_key("web")).headers["retry-after"] == "1"
    clock.advance(0.1)
    assert limited.get("/v1/access", headers=as_key("web")).status_code == 200
    assert limited.get("/v1/access", headers=as_key("web")).status_code == 429


def test_other_keys_are_not_held_back(limited: TestClient) -> None:
    for _ in range(4):
        limited.get("/v1/access", headers=as_key("web"))
    assert [limited.get("/v1/access", headers=as_key("app")).status_code for _ in range(3)] == [200] * 3
    assert [limited.get("/v1/access", headers=as_key("unlimited")).status_code for _ in range(50)] == [200] * 50


def test_a_refused_key_takes_no_token(limited: TestClient) -> None:
    assert limited.get("/v1/access", headers=as_key("wrong")).status_code == 401
    assert [limited.get("/v1/access", headers=as_key("web")).status_code for _ in range(3)] == [200] * 3


def test_retry_after_is_at_least_one_second(clock: Clock) -> None:
    client = guarded(KeyRing([], [], [file_key("fast", "fast", "10/second")]), RateLimiter(clock=clock))
    statuses = [client.get("/v1/access", headers=as_key("fast")) for _ in range(11)]
    assert [r.status_code for r in statuses] == [200] * 10 + [429] and statuses[-1].headers["retry-after"] == "1"
    clock.advance(0.1)
    assert client.get("/v1/access", headers=as_key("fast")).status_code == 200


def test_an_idle_key_gets_a_full_bucket_and_no_more(clock: Clock) -> None:
    limiter, limit = RateLimiter(clock=clock), RateLimit.parse("7/minute")  # 60/7 s does not divide evenly
    assert [limiter.take("k", limit) for _ in range(7)] == [0.0] * 7
    assert limiter.take("k", limit) == pytest.approx(60 / 7)
    clock.advance(3600)
    assert [limiter.take("k", limit) > 0 for _ in range(8)] == [False] * 7 + [True]


def test_limiters_sharing_a_file_share_the_limit(tmp_path: Path, clock: Clock) -> None:
    one, other = RateLimiter(tmp_path / SHARED_FILE, clock), RateLimiter(tmp_path / SHARED_FILE, clock)
    limit = RateLimit.parse("4/hour")
    assert [limiter.take("web", limit) for limiter in (one, other, one, other)] == [0.0] * 4
    assert one.take("web", limit) == other.take("web", limit) == pytest.approx(900)
    assert other.take("app", limit) == 0.0


def take_many(path: Path, times: int, admitted: "multiprocessing.Queue[int]") -> None:
    limiter = RateLimiter(path)
    admitted.put(sum(limiter.take("web", RateLimit.parse("100/hour")) == 0.0 for _ in range(times)))


def test_processes_taking_at_once_get_the_limit_between_them(tmp_path: Path) -> None:
    processes = multiprocessing.get_context("fork")
    admitted = processes.Queue()
    workers = [processes.Process(target=take_many, args=(tmp_path / SHARED_FILE, 60, admitted)) for _ in range(4)]
    for worker in workers:
        worker.start()
    counts = [admitted.get(timeout=30) for _ in workers]
    for worker in workers:
        worker.join(timeout=30)
    assert sum(counts) == 100


def test_serving_processes_share_a_file_in_their_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(MULTIPROCESS_FOLDER, str(tmp_path))
    one, other = serving_rate_limiter(), serving_rate_limiter()
    assert (tmp_path / SHARED_FILE).exists() and not list(tmp_path.glob("*.db"))  # the metrics read *.db
    limit = RateLimit.parse("1/hour")
    assert one.take("web", limit) == 0.0 and other.take("web", limit) > 0


@pytest.mark.parametrize(("text", "shown"), [("120/minute", "120/minute"), (" 5 / second ", "5/second"),
                                             ("1/hour", "1/hour")])
def test_rate_limits_read_as_written(text: str, shown: str) -> None:
    assert str(RateLimit.parse(text)) == shown


def test_the_app_limits_a_key_from_the_file(make_client: Callable[..., TestClient], tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    web = {"name": "web", "sha256": digest_of("web-key").hex(), "rate_limit": "2/hour"}
    path.write_text(json.dumps({"keys": [web]}))
    client = make_client(keys_file=path)
    searches = [client.get("/v1/search", params={"q": "budget"}, headers=as_key("web-key")) for _ in range(3)]
    assert [s.status_code for s in searches] == [200, 200, 429]
    assert 1790 <= int(searches[-1].headers["retry-after"]) <= 1800
    assert searches[-1].json()["error"]["details"] == {"rate_limit": "2/hour",
                                                       "retry_after_seconds": int(searches[-1].headers["retry-after"])}
