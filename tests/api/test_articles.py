from fastapi.testclient import TestClient

from tests.api.conftest import ARTICLES


def statuses(body: dict) -> list[dict]:
    return [{"id": r["id"], "status": r["status"]} for r in body["results"]]


def test_post_one_or_many_reports_what_happened_to_each(client: TestClient) -> None:
    first = client.post("/v1/articles", json=ARTICLES[0]).json()
    assert statuses(first) == [{"id": "budget", "status": "added"}]
    assert (first["added"], first["updated"], first["unchanged"]) == (1, 0, 0)
    changed = {**ARTICLES[0], "title": "Budget vote, updated"}
    body = client.post("/v1/articles", json=[changed, ARTICLES[1]]).json()
    assert statuses(body) == [{"id": "budget", "status": "updated"}, {"id": "storm", "status": "added"}]
    assert body["results"][0]["version"] != first["results"][0]["version"]
    again = client.post("/v1/articles", json=[changed]).json()
    assert again["results"] == [{**body["results"][0], "status": "unchanged"}]
    assert client.get("/v1/articles/budget").headers["etag"] == f'"{body["results"][0]["version"]}"'


def test_numeric_ids_and_body_are_accepted(client: TestClient) -> None:
    body = client.post("/v1/articles", json={"id": 17, "body": "Text given as body."}).json()
    assert statuses(body) == [{"id": "17", "status": "added"}]
    assert client.get("/v1/articles/17").json()["text"] == "Text given as body."


def test_an_invalid_article_rejects_the_whole_batch(client: TestClient) -> None:
    response = client.post("/v1/articles", json=[ARTICLES[0], {"id": "bad", "text": " "}, {**ARTICLES[1], "id": "budget"}])
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_article"
    assert error["details"]["errors"] == [
        {"index": 1, "message": "text is empty"},
        {"index": 2, "message": "duplicate id 'budget', first at index 0"},
    ]
    assert client.get("/v1/articles").json()["total"] == 0


def test_too_many_articles_in_one_request(make_client) -> None:
    client = make_client(max_articles_per_request=2)
    response = client.post("/v1/articles", json=ARTICLES)
    assert response.status_code == 413 and response.json()["error"]["code"] == "too_large"


def test_article_has_its_text_so_citations_can_be_checked(loaded: TestClient) -> None:
    article = loaded.get("/v1/articles/budget").json()
    assert article["text"] == ARTICLES[0]["text"] and article["chunks"] >= 1
    assert (article["title"], article["source"], article["published_at"]) == ("Budget vote", "wire", "2024-03-01")


def test_list_is_paginated_newest_first(loaded: TestClient) -> None:
    first = loaded.get("/v1/articles", params={"limit": 2}).json()
    assert [a["id"] for a in first["articles"]] == ["storm", "budget"] and first["total"] == 3
    assert "text" not in first["articles"][0]
    rest = loaded.get("/v1/articles", params={"limit": 2, "cursor": first["next_cursor"]}).json()
    assert [a["id"] for a in rest["articles"]] == ["undated"] and rest["next_cursor"] is None


def test_delete_removes_the_article_from_answers(loaded: TestClient) -> None:
    assert loaded.delete("/v1/articles/storm").json() == {"id": "storm", "status": "deleted"}
    assert loaded.get("/v1/articles/storm").status_code == 404
    passages = loaded.get("/v1/search", params={"q": "storm flooded harbour", "top_k": 10}).json()["passages"]
    assert all(p["article_id"] != "storm" for p in passages)
    assert loaded.delete("/v1/articles/storm").status_code == 404


def test_ids_with_slashes_and_spaces_work_in_paths(client: TestClient) -> None:
    client.post("/v1/articles", json={"id": "2024/03 budget", "text": "Slashes in ids."})
    assert client.get("/v1/articles/2024%2F03%20budget").json()["id"] == "2024/03 budget"
    assert client.get("/v1/articles/2024/03 budget").json()["id"] == "2024/03 budget"
    assert client.delete("/v1/articles/2024/03 budget").status_code == 200


def test_a_write_while_another_process_writes_gets_409_and_reads_go_on(loaded: TestClient, settings) -> None:
    from index.files.lock import writer_lock

    with writer_lock(settings.index_dir):  # as `qa ingest` in another process holds it
        response = loaded.post("/v1/articles", json={"id": "late", "text": "A late article."})
        assert response.status_code == 409 and response.json()["error"]["code"] == "index_busy"
        assert "is writing to the index" in response.json()["error"]["message"]
        assert loaded.get("/v1/search", params={"q": "budget"}).status_code == 200
    assert loaded.post("/v1/articles", json={"id": "late", "text": "A late article."}).status_code == 200
