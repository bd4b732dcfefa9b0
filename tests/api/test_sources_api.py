"""/v1/sources over HTTP, against a newsroom served on loopback: a source is added (or changed), listed,
read, synced now with what the run did, and removed, its articles staying; keys limit who may write
sources and which ones a key sees."""

import hashlib
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.settings import ServerSettings
from tests.local_site import LocalSite
from tests.qa.sources.newsroom_site import publish, rss

RSS_TYPE = "application/rss+xml"
# The sync route takes no body, but every POST to /v1 is refused without a JSON Content-Type (see
# test_a_sync_needs_no_content_type).
JSON = {"content-type": "application/json"}
ISO_SECONDS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
SOURCE_FIELDS = {"id", "url", "every", "every_seconds", "visibility", "added_at", "next_due_at", "last_run"}
RUN_FIELDS = {"started_at", "finished_at", "counts", "error", "skipped"}


@pytest.fixture
def settings(settings: ServerSettings) -> ServerSettings:
    """The API tests' settings, fetching without waits, retries or long timeouts."""
    return settings.model_copy(update={"sync_host_delay_seconds": 0, "sync_retries": 0, "sync_timeout_seconds": 1.0})


@pytest.fixture
def site() -> Iterator[LocalSite]:
    with LocalSite() as site:
        yield site


def newsroom(site: LocalSite) -> None:
    """Two stories and a link to a page that is gone, in an RSS feed with an ETag."""
    publish(site, "/world/harbour-strike", "Harbour strike ends",
            "Dock workers ended the harbour strike on Monday after a pay deal with the port.", etag='"h1"')
    publish(site, "/world/river-flood", "River flood recedes",
            "The river flood receded overnight and the bridges opened again.", etag='"r1"')
    site.page("/feed.xml", rss([
        {"link": "/world/harbour-strike", "title": "Harbour strike ends", "date": "Tue, 10 Jun 2025 08:00:00 GMT"},
        {"link": "/world/river-flood", "title": "River flood recedes", "date": "Tue, 10 Jun 2025 06:00:00 GMT"},
        {"link": "/world/gone", "title": "A story taken down"},
    ]), content_type=RSS_TYPE, etag='"f1"')


def added(client: TestClient, url: str, headers: dict[str, str] | None = None, **fields) -> dict:
    response = client.post("/v1/sources", json={"url": url, **fields}, headers=headers)
    assert response.status_code in (200, 201), response.text
    return response.json()


def synced(client: TestClient, source_id: str, headers: dict[str, str] | None = None) -> dict:
    response = client.post(f"/v1/sources/{source_id}/sync", headers={**JSON, **(headers or {})})
    assert response.status_code == 200, response.text
    return response.json()


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def test_a_source_is_added_due_at_once_with_no_run_yet(client: TestClient, site: LocalSite) -> None:
    response = client.post("/v1/sources", json={"url": site.url("/feed.xml")})
    assert response.status_code == 201, response.text
    source = response.json()
    assert set(source) == SOURCE_FIELDS and re.fullmatch(r"[0-9a-f]{16}", source["id"])
    assert (source["url"], source["every"], source["every_seconds"], source["visibility"], source["last_run"]) == (
        site.url("/feed.xml"), "15m", 900, "public", None)
    assert ISO_SECONDS.match(source["added_at"]) and source["next_due_at"] == source["added_at"]
    assert client.get("/v1/sources").json() == {"sources": [source]}
    assert client.get(f"/v1/sources/{source['id']}").json() == source


def test_adding_a_followed_url_again_changes_it_and_answers_200(client: TestClient, site: LocalSite) -> None:
    first = added(client, site.url("/feed.xml"))
    response = client.post("/v1/sources", json={"url": f"  {site.url('/feed.xml')} ", "every": "1h30m"})
    assert response.status_code == 200, response.text
    changed = response.json()
    assert (changed["id"], changed["every"], changed["every_seconds"]) == (first["id"], "1h30m", 5400)
    assert changed["added_at"] == first["added_at"]
    assert [s["every"] for s in client.get("/v1/sources").json()["sources"]] == ["1h30m"]
    again = client.post("/v1/sources", json={"url": site.url("/feed.xml"), "every": 7200, "visibility": "Internal"})
    assert (again.status_code, again.json()["every"], again.json()["visibility"]) == (200, "2h", "internal")


BAD_SOURCES = [
    # (what is wrong, the body, the error code, what the message says)
    ("an empty url", {"url": " "}, "invalid_input", "url is empty"),
    ("an ftp url", {"url": "ftp://news.example/feed.xml"}, "invalid_input", "http or https"),
    ("a url without a host", {"url": "http:///feed.xml"}, "invalid_input", "http or https"),
    ("a url too long", {"url": "http://news.example/" + "a" * 2100}, "invalid_request", "schema"),
    ("no url", {"every": "1h"}, "invalid_request", "schema"),
    ("a url that is no string", {"url": 42}, "invalid_request", "schema"),
    ("every too often", {"url": "http://news.example/feed", "every": "10s"}, "invalid_input", "between 1m and 30d"),
    ("every in seconds too often", {"url": "http://news.example/feed", "every": 5}, "invalid_input", "got 5"),
    ("every too rarely", {"url": "http://news.example/feed", "every": "31d"}, "invalid_input", "between 1m and 30d"),
    ("every unreadable", {"url": "http://news.example/feed", "every": "soon"}, "invalid_input", "'soon'"),
    ("every a boolean", {"url": "http://news.example/feed", "every": True}, "invalid_request", "schema"),
    ("a visibility of two words", {"url": "http://news.example/feed", "visibility": "Top Secret"}, "invalid_input",
     "'top secret'"),
    ("a visibility that is no string", {"url": "http://news.example/feed", "visibility": ["internal"]},
     "invalid_request", "schema"),
    ("an unknown field", {"url": "http://news.example/feed", "period": "1h"}, "invalid_request", "schema"),
]


@pytest.mark.parametrize(("body", "code", "said"), [b[1:] for b in BAD_SOURCES], ids=[b[0] for b in BAD_SOURCES])
def test_a_bad_source_is_refused_with_the_error_shape(client: TestClient, body: dict, code: str, said: str) -> None:
    response = client.post("/v1/sources", json=body)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == code and said in error["message"] and {"code", "message"} <= set(error)
    assert client.get("/v1/sources").json() == {"sources": []}


def test_an_unknown_source_is_404_everywhere(client: TestClient) -> None:
    for method, path in [("GET", "/v1/sources/0123456789abcdef"), ("POST", "/v1/sources/0123456789abcdef/sync"),
                         ("DELETE", "/v1/sources/0123456789abcdef")]:
        response = client.request(method, path, headers=JSON)
        assert response.status_code == 404, (method, response.text)
        assert response.json()["error"]["code"] == "source_not_found"
        assert "0123456789abcdef" in response.json()["error"]["message"]


def test_a_sync_stores_the_feeds_articles_and_reports_what_it_skipped(client: TestClient, site: LocalSite) -> None:
    newsroom(site)
    source = added(client, site.url("/feed.xml"))
    body = synced(client, source["id"])
    run = body["run"]
    assert set(body) == {"source", "run"} and set(run) == RUN_FIELDS and run["error"] is None
    assert {name: run["counts"][name] for name in ("listed", "fetched", "added", "failed")} == {
        "listed": 3, "fetched": 2, "added": 2, "failed": 1}
    assert run["skipped"] == [{"item": site.url("/world/gone"), "reason": "HTTP 404 Not Found"}]
    assert body["source"]["last_run"] == run and body["source"]["next_due_at"] > source["next_due_at"]
    assert ISO_SECONDS.match(run["started_at"]) and run["finished_at"] >= run["started_at"]
    assert client.get(f"/v1/sources/{source['id']}").json() == body["source"]
    answer = client.post("/v1/ask", json={"question": "Who ended the harbour strike?"}).json()
    assert answer["answerable"] and answer["citations"][0]["article_id"] == site.url("/world/harbour-strike")
    article = client.get(f"/v1/articles/{site.url('/world/harbour-strike')}")
    assert article.status_code == 200, article.text
    assert (article.json()["title"], article.json()["source"], article.json()["published_at"]) == (
        "Harbour strike ends", "127.0.0.1", "2025-06-10T08:00:00Z")
    assert "ended the harbour strike" in article.json()["text"]


def test_a_second_sync_with_nothing_changed_stores_nothing(client: TestClient, site: LocalSite) -> None:
    newsroom(site)
    source = added(client, site.url("/feed.xml"))
    synced(client, source["id"])
    listed = client.get("/v1/articles").json()
    site.clear_requests()
    again = synced(client, source["id"])["run"]
    assert again["counts"] == {"listings_unchanged": 1} and again["error"] is None and again["skipped"] == []
    assert [request.path for request in site.requests] == ["/feed.xml"] and site.statuses("/feed.xml") == [304]
    assert client.get("/v1/articles").json() == listed


def test_a_feed_turned_into_a_web_page_is_the_runs_error_and_its_articles_stay(
        client: TestClient, site: LocalSite) -> None:
    newsroom(site)
    source = added(client, site.url("/feed.xml"))
    synced(client, source["id"])
    site.change("/feed.xml", "<html><body>We moved our feed.</body></html>", etag='"f2"')
    failed = synced(client, source["id"])
    assert "neither an RSS or Atom feed nor a sitemap" in failed["run"]["error"]
    assert failed["run"]["counts"] == {} and failed["source"]["last_run"]["error"] == failed["run"]["error"]
    assert client.get("/v1/sources").json()["sources"][0]["last_run"]["error"] == failed["run"]["error"]
    assert client.get(f"/v1/articles/{site.url('/world/river-flood')}").json()["title"] == "River flood recedes"


def test_a_removed_source_is_gone_and_its_articles_stay(client: TestClient, site: LocalSite) -> None:
    newsroom(site)
    source = added(client, site.url("/feed.xml"))
    synced(client, source["id"])
    removed = client.delete(f"/v1/sources/{source['id']}")
    assert (removed.status_code, removed.json()) == (200, {"id": source["id"], "status": "removed"})
    assert client.get("/v1/sources").json() == {"sources": []}
    assert client.get(f"/v1/sources/{source['id']}").status_code == 404
    assert client.get(f"/v1/articles/{site.url('/world/harbour-strike')}").status_code == 200
    again = client.delete(f"/v1/sources/{source['id']}")
    assert again.status_code == 404 and again.json()["error"]["code"] == "source_not_found"


def test_a_sources_visibility_goes_to_its_articles(client: TestClient, site: LocalSite) -> None:
    newsroom(site)
    source = added(client, site.url("/feed.xml"), visibility="internal", every="30m")
    assert (source["visibility"], source["every"]) == ("internal", "30m")
    synced(client, source["id"])
    assert client.get(f"/v1/articles/{site.url('/world/harbour-strike')}").json()["visibility"] == "internal"


WRITE_KEY, READ_KEY, PUBLIC_KEY, PUBLIC_WRITE_KEY = "desk-write-0123", "desk-read-4567", "web-89ab", "cms-cdef"


def keys_file(folder: Path) -> Path:
    entries = [("desk", WRITE_KEY, {"scope": "write"}), ("reader", READ_KEY, {}),
               ("web", PUBLIC_KEY, {"visibility": ["public"]}),
               ("cms", PUBLIC_WRITE_KEY, {"scope": "write", "visibility": ["public"]})]
    path = folder / "keys.json"
    path.write_text(json.dumps({"keys": [{"name": name, "sha256": hashlib.sha256(key.encode()).hexdigest(), **fields}
                                         for name, key, fields in entries]}))
    return path


@pytest.fixture
def keyed(make_client: Callable[..., TestClient], tmp_path: Path) -> TestClient:
    return make_client(keys_file=keys_file(tmp_path))


def test_a_read_key_lists_sources_and_may_not_write_them(keyed: TestClient, site: LocalSite) -> None:
    newsroom(site)
    source = added(keyed, site.url("/feed.xml"), bearer(WRITE_KEY))
    assert keyed.get("/v1/sources").status_code == 401
    assert [s["id"] for s in keyed.get("/v1/sources", headers=bearer(READ_KEY)).json()["sources"]] == [source["id"]]
    assert keyed.get(f"/v1/sources/{source['id']}", headers={"X-API-Key": READ_KEY}).status_code == 200
    refusals = [
        keyed.post("/v1/sources", json={"url": site.url("/other.xml")}, headers=bearer(READ_KEY)),
        keyed.post(f"/v1/sources/{source['id']}/sync", headers={**JSON, **bearer(READ_KEY)}),
        keyed.delete(f"/v1/sources/{source['id']}", headers=bearer(READ_KEY)),
    ]
    assert [(r.status_code, r.json()["error"]["code"]) for r in refusals] == [(403, "forbidden")] * 3
    assert site.requests == []
    assert [s["id"] for s in keyed.get("/v1/sources", headers=bearer(WRITE_KEY)).json()["sources"]] == [source["id"]]
    assert keyed.delete(f"/v1/sources/{source['id']}", headers=bearer(WRITE_KEY)).status_code == 200


def test_a_key_limited_to_public_sees_only_public_sources(keyed: TestClient, site: LocalSite) -> None:
    public = added(keyed, site.url("/feed.xml"), bearer(WRITE_KEY))
    internal = added(keyed, site.url("/internal.xml"), bearer(WRITE_KEY), visibility="internal")
    listed = keyed.get("/v1/sources", headers=bearer(PUBLIC_KEY))
    assert [s["id"] for s in listed.json()["sources"]] == [public["id"]]
    hidden = keyed.get(f"/v1/sources/{internal['id']}", headers=bearer(PUBLIC_KEY))
    assert hidden.status_code == 404 and hidden.json()["error"]["code"] == "source_not_found"
    assert keyed.get(f"/v1/sources/{public['id']}", headers=bearer(PUBLIC_KEY)).status_code == 200
    everything = keyed.get("/v1/sources", headers=bearer(READ_KEY)).json()["sources"]
    assert {s["id"] for s in everything} == {public["id"], internal["id"]}


def test_a_sync_needs_no_content_type(client: TestClient, site: LocalSite) -> None:
    newsroom(site)
    source = added(client, site.url("/feed.xml"))
    response = client.post(f"/v1/sources/{source['id']}/sync")
    assert response.status_code == 200, response.text


def test_a_key_limited_to_public_may_not_add_an_internal_source(keyed: TestClient, site: LocalSite) -> None:
    refused = keyed.post("/v1/sources", json={"url": site.url("/feed.xml"), "visibility": "internal"},
                         headers=bearer(PUBLIC_WRITE_KEY))
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "not_permitted"


def test_a_key_limited_to_public_may_not_sync_or_remove_a_source_it_cannot_see(
        keyed: TestClient, site: LocalSite) -> None:
    newsroom(site)
    internal = added(keyed, site.url("/feed.xml"), bearer(WRITE_KEY), visibility="internal")
    assert keyed.get(f"/v1/sources/{internal['id']}", headers=bearer(PUBLIC_WRITE_KEY)).status_code == 404
    sync = keyed.post(f"/v1/sources/{internal['id']}/sync", headers={**JSON, **bearer(PUBLIC_WRITE_KEY)})
    removal = keyed.delete(f"/v1/sources/{internal['id']}", headers=bearer(PUBLIC_WRITE_KEY))
    assert (sync.status_code, removal.status_code) == (404, 404)


def test_the_openapi_document_names_the_source_schemas_plainly(client: TestClient) -> None:
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    assert not [name for name in schemas if "__" in name]
