from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import ServerSettings
from qa.composition import open_service
from qa.settings import Settings
from tests.fakes import FakeEmbedder

ARTICLES = [
    {"id": "budget", "title": "Budget vote", "source": "wire", "published_at": "2024-03-01",
     "text": "The senate passed the budget on Tuesday by 51 votes to 49.\n\n"
             "The president is expected to sign the budget bill this week."},
    {"id": "storm", "title": "Coastal storm", "source": "daily", "published_at": "2024-05-10T08:00:00Z",
     "text": "A storm flooded the coastal town overnight.\n\nFishermen kept their boats in the harbour."},
    {"id": "undated", "text": "Archive note about the harbour and the old lighthouse keepers."},
]


@pytest.fixture
def settings(settings: Settings) -> ServerSettings:
    """The tests' service settings, with the server's own at their defaults."""
    return ServerSettings(**dict(settings))


@pytest.fixture
def make_client(settings: ServerSettings, embedder: FakeEmbedder) -> Iterator[Callable[..., TestClient]]:
    """A client for an app with the fake model; keyword arguments change its settings."""
    clients: list[TestClient] = []

    def make(**overrides) -> TestClient:
        configured = settings.model_copy(update=overrides)
        client = TestClient(create_app(configured, open_service(configured, embedder)))
        clients.append(client.__enter__())
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def client(make_client: Callable[..., TestClient]) -> TestClient:
    return make_client()


@pytest.fixture
def loaded(client: TestClient) -> TestClient:
    response = client.post("/v1/articles", json=ARTICLES)
    assert response.status_code == 200, response.text
    return client
