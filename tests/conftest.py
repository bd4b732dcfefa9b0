import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from qa.service import QAService, open_service
from qa.settings import Settings
from tests.fakes import FakeEmbedder

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
