import os
import subprocess
import socket
import threading
import time
from contextlib import contextmanager
from collections.abc import Iterator
from pathlib import Path

import pytest

from api.settings import ServerSettings
from qa.embedding.embedder import SentenceTransformerEmbedder, embedder_for, load_embedder
from qa.composition import open_service
from qa.service import QAService
from qa.settings import PACKAGED_MODEL, Settings
from tests.fakes import FakeEmbedder
from tests.servers import free_port

SHARED = Path(__file__).resolve().parents[2] / "shared"
SEEDS = Path(__file__).resolve().parents[1] / "seeds"


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> None:
    """Unit tests must never reach the network; loopback stays open for tests that start servers."""
    real_connect = socket.socket.connect

    def guarded_connect(sock: socket.socket, address) -> None:
        host = address[0] if isinstance(address, tuple) else None
        if sock.family in (socket.AF_INET, socket.AF_INET6) and host not in ("127.0.0.1", "::1", "localhost"):
            raise RuntimeError(f"network access in a test: {address}")
        return real_connect(sock, address)

    monkeypatch.setattr(socket.socket, "connect", guarded_connect)


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Settings come from QA_* variables; a developer's own must not change what tests see."""
    for name in [n for n in os.environ if n.startswith("QA_")]:
        monkeypatch.delenv(name)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    # Small chunks, so that short test articles still produce several.
    return Settings(index_dir=tmp_path / "index", chunk_tokens=40, chunk_overlap_tokens=8)


@pytest.fixture
def embedder() -> FakeEmbedder:
    return FakeEmbedder()


@pytest.fixture
def service(settings: Settings, embedder: FakeEmbedder) -> Iterator[QAService]:
    service = open_service(settings, embedder)
    yield service
    service.close()


@pytest.fixture(scope="session")
def real_embedder() -> SentenceTransformerEmbedder:
    """The packaged all-MiniLM-L6-v2 on torch, loaded once for all the tests that need it (marked
    integration); the reference the ONNX backends are compared to."""
    return load_embedder(PACKAGED_MODEL, batch_size=32)


@pytest.fixture(scope="session")
def shipped_embedder() -> SentenceTransformerEmbedder:
    """The model as the default settings load it, on the backend the service ships with. Its ONNX
    export goes to the default model cache, outside the test run's temporary folders, so a machine
    (or a CI cache of that folder) makes it once rather than on every run."""
    with pytest.MonkeyPatch.context() as environment:
        for name in [n for n in os.environ if n.startswith("QA_")]:
            environment.delenv(name)
        defaults = Settings()
    return embedder_for(defaults)


@contextmanager
def live_server(app, settings: ServerSettings | None = None, log_level: str = "warning") -> Iterator[str]:
    """Serves `app` with uvicorn on a free loopback port in a thread, as `qa serve` does (its HTTP
    limits from `settings`, else the defaults); yields its base URL."""
    import uvicorn

    from api.server.run import uvicorn_config

    port = free_port()
    limits = (settings or ServerSettings.model_construct()).model_copy(update={"host": "127.0.0.1", "port": port})
    server = uvicorn.Server(uvicorn_config(limits, app, log_level=log_level))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    from tests.servers import postgres

    try:
        server = postgres()
        url = server.__enter__()
    except (FileNotFoundError, subprocess.CalledProcessError) as error:
        pytest.skip(f"no PostgreSQL server to test with: {error}")
    yield url
    server.__exit__(None, None, None)


@pytest.fixture
def postgres_url(postgres_server: str) -> str:
    """A new, empty database on the test server, for one test."""
    import uuid

    import psycopg

    name = f"test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_server, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return postgres_server.rsplit("/", 1)[0] + f"/{name}"


@pytest.fixture(scope="session")
def milvus_server() -> Iterator[str]:
    from tests.servers import milvus

    try:
        server = milvus()
        uri = server.__enter__()
    except (FileNotFoundError, RuntimeError) as error:
        pytest.skip(f"no Milvus server to test with: {error}")
    yield uri
    server.__exit__(None, None, None)
