from fastapi.testclient import TestClient

from api.app import create_app
from qa.errors import StorageUnavailable


def test_health_and_readiness(loaded: TestClient) -> None:
    assert loaded.get("/healthz").json() == {"status": "ok"}
    ready = loaded.get("/readyz").json()
    assert ready["status"] == "ready" and ready["model"] == "fake/bag-of-words"
    assert ready["articles"] == 3 and ready["chunks"] == ready["vectors"] > 0


def test_metrics_count_requests_per_route_ingest_and_index_size(loaded: TestClient) -> None:
    loaded.get("/v1/articles/budget")
    loaded.get("/v1/articles/storm")
    loaded.post("/v1/ask", json={"question": "budget"})
    text = loaded.get("/metrics").text
    assert 'qa_http_requests_total{method="GET",route="/v1/articles/{article_id:path}",status="200"} 2.0' in text
    assert 'qa_http_request_duration_seconds_bucket{le="0.05",method="POST",route="/v1/ask"}' in text
    assert 'qa_ingest_articles_total{result="added"} 3.0' in text
    assert "qa_ingest_chunks_embedded_total" in text
    assert "qa_index_articles 3.0" in text and "qa_index_vectors" in text
    assert "qa_answer_dropped_citations_total 0.0" in text


def test_openapi_documents_every_schema_with_an_example(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    schemas = spec["components"]["schemas"]
    missing = [name for name, schema in schemas.items()
               if "examples" not in schema and "example" not in schema and not name.startswith(("HTTPValidationError", "ValidationError"))]
    assert missing == []
    assert {"/v1/ask", "/v1/ask/stream", "/v1/search", "/v1/articles", "/v1/articles/{article_id}"} <= set(spec["paths"])
    assert client.get("/docs").status_code == 200


def test_metrics_labels_stay_bounded(make_client) -> None:
    client = make_client(max_body_bytes=2048)
    client.request("FOO1", "/v1/ask")
    client.request("FOO2", "/v1/ask")
    client.post("/v1/articles", content=b"x" * 5000, headers={"content-type": "application/json"})
    text = client.get("/metrics").text
    assert "FOO1" not in text and 'method="other",route="/v1/ask"' in text
    assert 'qa_http_requests_total{method="POST",route="/v1/articles",status="413"} 1.0' in text, text


def test_metrics_are_served_while_the_service_starts_or_stops(settings, service) -> None:
    app = create_app(settings, service)
    starting = TestClient(app)  # not entered: the lifespan has not built the service yet
    assert starting.get("/readyz").status_code == 503
    before = starting.get("/metrics")
    assert before.status_code == 200
    assert 'qa_http_requests_total{method="GET",route="/readyz",status="503"} 1.0' in before.text
    assert "qa_index_" not in before.text
    with TestClient(app) as running:
        assert "qa_index_articles 0.0" in running.get("/metrics").text
    after = TestClient(app).get("/metrics")  # the lifespan has ended
    assert after.status_code == 200 and "qa_index_" not in after.text
    assert 'qa_http_requests_total{method="GET",route="/metrics",status="200"} 2.0' in after.text


def test_metrics_leave_out_the_index_size_when_storage_cannot_be_read(loaded: TestClient, monkeypatch) -> None:
    def unreachable():
        raise StorageUnavailable("cannot use the PostgreSQL database: connection refused")

    monkeypatch.setattr(loaded.app.state.service, "stats", unreachable)
    scrape = loaded.get("/metrics")
    assert scrape.status_code == 200 and "qa_index_" not in scrape.text
    assert 'qa_ingest_articles_total{result="added"} 3.0' in scrape.text
    ready = loaded.get("/readyz")
    assert ready.status_code == 503 and ready.json()["error"]["code"] == "storage_unavailable"
