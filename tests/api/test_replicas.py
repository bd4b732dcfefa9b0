"""Two API replicas sharing one PostgreSQL database, each with its own vectors: what one is given,
the other answers from; what one deletes, neither returns."""

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import ServerSettings
from qa.composition import open_service
from tests.api.conftest import ARTICLES
from tests.fakes import FakeEmbedder

pytestmark = pytest.mark.integration


def replica(tmp_path: Path, name: str, url: str) -> TestClient:
    settings = ServerSettings(index_dir=tmp_path / name, database_url=url, chunk_tokens=40, chunk_overlap_tokens=8)
    return TestClient(create_app(settings, open_service(settings, FakeEmbedder())))


def test_a_push_to_one_replica_is_answered_by_the_other(tmp_path: Path, postgres_url: str) -> None:
    with replica(tmp_path, "one", postgres_url) as one, replica(tmp_path, "two", postgres_url) as two:
        assert one.post("/v1/articles", json=ARTICLES).status_code == 200
        answer = two.post("/v1/ask", json={"question": "How many votes did the senate budget pass by?"}).json()
        assert answer["answerable"] and "51 votes to 49" in answer["answer"]
        assert two.get("/v1/articles/budget").json()["title"] == "Budget vote"
        assert one.delete("/v1/articles/budget").status_code == 200
        for client in (one, two):
            found = client.get("/v1/search", params={"q": "senate budget votes"}).json()
            assert "budget" not in {p["article_id"] for p in found["passages"]}
            assert client.get("/v1/articles/budget").status_code == 404


def test_replicas_on_postgresql_and_milvus(tmp_path: Path, postgres_url: str) -> None:
    lite = str(tmp_path / "milvus.db")  # Milvus Lite: the same client API as a Milvus server

    def shared(name: str) -> TestClient:
        settings = ServerSettings(index_dir=tmp_path / name, database_url=postgres_url, milvus_uri=lite,
                                  milvus_index_type="FLAT", chunk_tokens=40, chunk_overlap_tokens=8)
        return TestClient(create_app(settings, open_service(settings, FakeEmbedder())))

    with shared("one") as one, shared("two") as two:
        assert one.post("/v1/articles", json=ARTICLES).status_code == 200
        answer = two.post("/v1/ask", json={"question": "How many votes did the senate budget pass by?"}).json()
        assert answer["answerable"] and "51 votes to 49" in answer["answer"]
        assert two.delete("/v1/articles/budget").status_code == 200
        found = one.get("/v1/search", params={"q": "senate budget votes"}).json()
        assert "budget" not in {p["article_id"] for p in found["passages"]}


def test_unreachable_engines_are_a_clear_error(tmp_path: Path) -> None:
    from qa.errors import StorageUnavailable

    settings = ServerSettings(index_dir=tmp_path / "x", database_url="postgresql://nobody@127.0.0.1:1/none")
    with pytest.raises(StorageUnavailable, match="cannot use the PostgreSQL database"):
        open_service(settings, FakeEmbedder())
