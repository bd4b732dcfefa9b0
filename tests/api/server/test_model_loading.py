"""The embedding model is loaded once per process, when the app starts, and serves every request after."""

import os

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import ServerSettings
from qa.cli import main as cli
from tests.api.conftest import ARTICLES
from tests.conftest import free_port
from tests.fakes import FakeEmbedder


@pytest.fixture
def loads(monkeypatch: pytest.MonkeyPatch) -> list[FakeEmbedder]:
    """Every model load, counted where the model is read from disk, below the settings' own factory."""
    loaded: list[FakeEmbedder] = []

    def load(*args, **kwargs) -> FakeEmbedder:
        loaded.append(FakeEmbedder())
        return loaded[-1]

    monkeypatch.setattr("qa.embedding.embedder.load_embedder", load)
    return loaded


def exercise(client: TestClient) -> None:
    """One of each request that embeds something: an ingest, an update, questions, a stream, a search."""
    assert client.post("/v1/articles", json=ARTICLES).status_code == 200
    assert client.post("/v1/articles", json={**ARTICLES[0], "text": ARTICLES[0]["text"] + " Late news."}).status_code == 200
    for question in ("How did the senate vote on the budget?", "What did the storm flood?", "Who kept the lighthouse?"):
        assert client.post("/v1/ask", json={"question": question}).status_code == 200
    assert client.post("/v1/ask/stream", json={"question": "budget vote"}).status_code == 200
    assert client.get("/v1/search", params={"q": "harbour"}).status_code == 200
    assert client.get("/readyz").json()["model"] == FakeEmbedder.name


def test_the_app_loads_the_model_once_at_start(settings: ServerSettings, loads: list[FakeEmbedder]) -> None:
    app = create_app(settings)
    assert loads == []  # nothing heavy happens when the app is made
    with TestClient(app) as client:
        assert len(loads) == 1
        exercise(client)
        exercise(client)
    assert len(loads) == 1 and loads[0].texts_embedded > 0


def test_qa_serve_loads_the_model_once(settings: ServerSettings, loads: list[FakeEmbedder], monkeypatch) -> None:
    served = []

    def serve_in_process(server, sockets) -> None:  # stands in for uvicorn: the same app, the same lifespan
        with TestClient(server.config.app) as client:
            exercise(client)
        served.append((server.config, [sock.getsockname() for sock in sockets]))

    monkeypatch.setattr("uvicorn.Server.run", serve_in_process)
    port = free_port()
    assert cli.main(["serve", "--index-dir", str(settings.index_dir), "--port", str(port), "--workers", "1"]) == 0
    (config, sockets), = served
    assert config.port == port and sockets == [("127.0.0.1", port)]
    assert len(loads) == 1 and loads[0].texts_embedded > 0


def test_qa_serve_with_workers_checks_once_then_lets_each_worker_load_its_own(
    settings: ServerSettings, loads: list[FakeEmbedder], monkeypatch
) -> None:
    started = []

    class Supervisor:  # stands in for uvicorn's process manager
        def __init__(self, config, sockets) -> None:
            self.config = config

        def run(self) -> None:
            started.append((self.config, dict(os.environ)))

    monkeypatch.setattr("uvicorn.supervisors.Multiprocess", Supervisor)
    port = free_port()
    for name in ("QA_INDEX_DIR", "QA_HOST", "QA_PORT", "PROMETHEUS_MULTIPROC_DIR", "QA_LOAD_BOARD"):
        monkeypatch.setenv(name, "")  # so that it is put back as it was after the test, whatever serve sets
        monkeypatch.delenv(name)
    assert cli.main(["serve", "--index-dir", str(settings.index_dir), "--port", str(port), "--workers", "3"]) == 0
    (config, environment), = started
    assert config.app == "api.app:create_app" and config.factory and config.workers == 3
    # Each worker builds its app from the environment, which carries what the command line said.
    assert environment["QA_INDEX_DIR"] == str(settings.index_dir) and environment["QA_PORT"] == str(port)
    assert environment["PROMETHEUS_MULTIPROC_DIR"]
    assert environment["QA_LOAD_BOARD"], "the workers share a board to keep connections spread"
    assert "QA_LOAD_BOARD" not in os.environ, "the board went with the server"
    assert loads == [], "the model and the index were opened once, to fail early, in a child process"
    assert (settings.index_dir / "metadata.sqlite").exists()


def test_qa_serve_without_connection_balance_shares_no_board(settings: ServerSettings, monkeypatch) -> None:
    started = []
    class Supervisor:
        def __init__(self, config, sockets) -> None:
            pass

        def run(self) -> None:
            started.append(dict(os.environ))

    monkeypatch.setattr("uvicorn.supervisors.Multiprocess", Supervisor)
    for name in ("QA_INDEX_DIR", "QA_HOST", "QA_PORT", "QA_LOAD_BOARD", "QA_BALANCE_CONNECTIONS"):
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)
    monkeypatch.setenv("QA_BALANCE_CONNECTIONS", "false")
    assert cli.main(["serve", "--index-dir", str(settings.index_dir), "--port", str(free_port()), "--workers", "2"]) == 0
    (environment,) = started
    assert "QA_LOAD_BOARD" not in environment


def test_qa_serve_with_workers_stops_with_the_error_that_stops_the_service(
    settings: ServerSettings, monkeypatch, capsys
) -> None:
    from qa.errors import IndexIncompatible

    def incompatible(*args, **kwargs):
        raise IndexIncompatible("the index at X was built with model 'other'")

    monkeypatch.setattr("qa.composition.open_service", incompatible)
    monkeypatch.setattr("uvicorn.supervisors.Multiprocess", lambda *args, **kwargs: pytest.fail("no worker may start"))
    assert cli.main(["serve", "--index-dir", str(settings.index_dir), "--port", str(free_port()), "--workers", "2"]) != 0
    assert "was built with model 'other'" in capsys.readouterr().err
