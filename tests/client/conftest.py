"""A real server on a loopback port (the fake embedding model, a fresh index) and clients of it."""

import os
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager

import pytest

from api.app import create_app
from api.settings import ServerSettings
from news_qa_client import NewsQA
from qa.composition import open_service
from qa.settings import Settings
from tests.conftest import live_server
from tests.fakes import FakeEmbedder

ARTICLES = [
    {"id": "budget", "title": "Budget vote", "source": "wire", "published_at": "2024-03-01",
     "text": "The senate passed the budget on Tuesday by 51 votes to 49.\n\n"
             "The president is expected to sign the budget bill this week."},
    {"id": "storm", "title": "Coastal storm", "source": "daily", "published_at": "2024-05-10T08:00:00Z",
     "url": "https://daily.example/storm",
     "text": "A storm flooded the coastal town overnight.\n\nFishermen kept their boats in the harbour."},
    {"id": "netanyahu-putin", "title": "Netanyahu thanks Putin", "source": "wire", "published_at": "2023-12-10",
     "text": "Israeli Prime Minister Benjamin Netanyahu thanked Russian President Vladimir Putin on Sunday.\n\n"
             "Netanyahu thanked Putin for the release of Israeli citizens held by Hamas in Gaza, his office said."},
]
Server = Callable[..., AbstractContextManager[str]]


@pytest.fixture
def settings(settings: Settings) -> ServerSettings:
    return ServerSettings(**dict(settings))


@pytest.fixture
def serve(settings: ServerSettings, embedder: FakeEmbedder) -> Server:
    """Starts a server; keyword arguments change its settings."""

    @contextmanager
    def start(**overrides) -> Iterator[str]:
        configured = settings.model_copy(update=overrides)
        service = open_service(configured, embedder)
        try:
            with live_server(create_app(configured, service)) as url:
                yield url
        finally:
            service.close()

    return start


@pytest.fixture
def server(serve: Server) -> Iterator[str]:
    with serve() as url:
        yield url


@pytest.fixture
def client(server: str) -> Iterator[NewsQA]:
    with NewsQA(server) as client:
        yield client


@pytest.fixture(scope="session")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One server holding ARTICLES (posted through the client itself) for the tests that only read."""
    with pytest.MonkeyPatch.context() as environment:
        for name in [n for n in os.environ if n.startswith("QA_")]:
            environment.delenv(name)
        settings = ServerSettings(index_dir=tmp_path_factory.mktemp("archive") / "index", chunk_tokens=40,
                                  chunk_overlap_tokens=8)
    service = open_service(settings, FakeEmbedder())
    try:
        with live_server(create_app(settings, service)) as url:
            with NewsQA(url) as client:
                added = client.add_articles(ARTICLES)
            if added.added != len(ARTICLES):
                raise RuntimeError(f"the archive's articles were not all added: {added}")
            yield url
    finally:
        service.close()


@pytest.fixture
def reader(archive: str) -> Iterator[NewsQA]:
    with NewsQA(archive) as client:
        yield client
