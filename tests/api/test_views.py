"""A key limited to some visibilities or sources never sees, through any read route, an article outside
its view: not in answers, citations, passages, `also_reported_by`, search, quotes, article reads or the
listing; no caller is answered from an embargoed article before its time; and a limited key writes
only within its view."""

import hashlib
import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

FERRY_QUOTE = '"We will keep the ferry running," Mayor Ana Pérez said.'
ARTICLES = [
    {"id": "art-public", "source": "wire", "title": "Ferry timetable",
     "text": f"The harbour council approved the new ferry timetable on Monday. {FERRY_QUOTE}"},
    # A reprint of the public one, kept internal: collapsed beside it as `also_reported_by`.
    {"id": "art-internal-copy", "source": "daily", "visibility": "internal", "title": "Ferry timetable",
     "text": f"The harbour council approved the new ferry timetable on Monday. {FERRY_QUOTE}"},
    {"id": "art-internal", "source": "wire", "visibility": "internal", "title": "Terminal memo",
     "text": "The harbour council privately discussed closing the ferry terminal. "
             '"The terminal costs too much," Mayor Ana Pérez said.'},
    {"id": "art-desk", "source": "desk.example", "title": "Ferry fares",
     "text": "Harbour ferry fares rise next month, the desk reported."},
    {"id": "art-embargoed", "source": "wire", "embargo_until": "2099-01-01T09:00:00Z", "title": "Ferry merger",
     "text": "The harbour ferry merger will be announced at noon. " + FERRY_QUOTE},
]
KEYS = {  # name: (key, entry fields)
    "all": ("key-all", {"scope": "write"}),
    "public": ("key-public", {"visibility": ["public"]}),
    "wire": ("key-wire", {"sources": ["wire"]}),
    "cms": ("key-cms", {"scope": "write", "visibility": ["public"], "sources": ["wire"]}),
}
EVERY_ID = {a["id"] for a in ARTICLES}
# What each key may see (the embargoed article aside).
VIEWS = {
    "all": EVERY_ID - {"art-embargoed"},
    "public": {"art-public", "art-desk"},
    "wire": {"art-public", "art-internal"},
    "cms": {"art-public"},
}


def keys_file(folder: Path) -> Path:
    entries = []
    for name, (key, fields) in KEYS.items():
        lines = [f'name = "{name}"', f'sha256 = "{hashlib.sha256(key.encode()).hexdigest()}"']
        lines += [f"{field} = {json.dumps(value)}" for field, value in fields.items()]
        entries.append("[[keys]]\n" + "\n".join(lines))
    path = folder / "keys.toml"
    path.write_text("\n\n".join(entries), encoding="utf-8")
    return path


@pytest.fixture
def newsroom(make_client, tmp_path: Path) -> TestClient:
    client = make_client(keys_file=keys_file(tmp_path))
    response = client.post("/v1/articles", json=ARTICLES, headers=as_key("all"))
    assert response.status_code == 200, response.text
    return client


def as_key(name: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {KEYS[name][0]}"}


def ids_in(body: object) -> set[str]:
    """Every article id anywhere in a response: as `article_id`, `id`, or in `also_reported_by`."""
    found: set[str] = set()
    if isinstance(body, dict):
        for key, value in body.items():
            if key in ("article_id", "id") and value in EVERY_ID:
                found.add(value)
            found |= ids_in(value)
    elif isinstance(body, list):
        for item in body:
            found |= ids_in(item)
    return found


def stream_ids(client: TestClient, body: dict, headers: dict) -> set[str]:
    with client.stream("POST", "/v1/ask/stream", json=body, headers=headers) as response:
        assert response.status_code == 200
        events = [json.loads(line[len("data: "):]) for line in response.iter_lines() if line.startswith("data: ")]
    return set().union(*(ids_in(event) for event in events))


READS = {
    "ask": lambda c, h: ids_in(c.post("/v1/ask", json={"question": "What did the harbour council decide about "
                                                       "the ferry?", "top_k": 10}, headers=h).json()),
    "ask, as of after the embargo": lambda c, h: ids_in(c.post("/v1/ask", json={
        "question": "What about the harbour ferry merger?", "top_k": 10, "as_of": "2099-06-01"}, headers=h).json()),
    "stream": lambda c, h: stream_ids(c, {"question": "What did the harbour council decide about the ferry?",
                                          "top_k": 10}, h),
    "search": lambda c, h: ids_in(c.get("/v1/search", params={"q": "harbour ferry", "top_k": 10}, headers=h).json()),
    "quotes": lambda c, h: ids_in(c.get("/v1/quotes", params={"speaker": "Pérez", "top_k": 20}, headers=h).json()),
    "listing": lambda c, h: ids_in(c.get("/v1/articles", params={"limit": 100}, headers=h).json()),
    "article reads": lambda c, h: {i for i in EVERY_ID if c.get(f"/v1/articles/{i}", headers=h).status_code == 200},
    "article quotes": lambda c, h: {i for i in EVERY_ID
                                    if c.get(f"/v1/articles/{i}/quotes", headers=h).status_code == 200},
}


@pytest.mark.parametrize("read", READS)
@pytest.mark.parametrize("key", ["public", "wire", "cms"])
def test_a_limited_key_sees_nothing_outside_its_view_on_any_read_route(newsroom: TestClient, key: str, read: str) -> None:
    seen = READS[read](newsroom, as_key(key))
    allowed = VIEWS[key] | ({"art-embargoed"} if read in ("article reads", "listing") and key == "cms" else set())
    assert seen <= allowed
    assert seen, f"the {read} route shows {key!r} something within its view"


@pytest.mark.parametrize("read", [r for r in READS if r not in ("article reads", "listing")])
def test_no_one_is_answered_from_an_embargoed_article_before_its_time(newsroom: TestClient, read: str) -> None:
    assert "art-embargoed" not in READS[read](newsroom, as_key("all"))


def test_a_reprint_outside_the_view_is_not_listed_as_also_reported_by(newsroom: TestClient) -> None:
    unlimited = newsroom.get("/v1/search", params={"q": "ferry timetable"}, headers=as_key("all")).json()
    assert any(s["article_id"] == "art-internal-copy" for p in unlimited["passages"] for s in p["also_reported_by"])
    limited = newsroom.get("/v1/search", params={"q": "ferry timetable"}, headers=as_key("public")).json()
    assert limited["passages"] and "art-internal-copy" not in ids_in(limited)


def test_a_writer_reads_back_an_embargoed_record_and_readers_do_not(newsroom: TestClient) -> None:
    assert newsroom.get("/v1/articles/art-embargoed", headers=as_key("all")).status_code == 200
    assert newsroom.get("/v1/articles/art-embargoed", headers=as_key("wire")).status_code == 404
    assert newsroom.get("/v1/articles/art-embargoed/quotes", headers=as_key("all")).status_code == 404


def test_the_listing_counts_only_what_the_key_may_see(newsroom: TestClient) -> None:
    assert newsroom.get("/v1/articles", headers=as_key("public")).json()["total"] == 2
    assert newsroom.get("/v1/articles", headers=as_key("all")).json()["total"] == len(ARTICLES)


def test_a_limited_key_writes_only_within_its_view(newsroom: TestClient) -> None:
    cms = as_key("cms")
    inside = {"text": "The ferry runs again.", "source": "wire"}
    assert newsroom.put("/v1/articles/art-new", json=inside, headers=cms).status_code == 201
    outside = newsroom.put("/v1/articles/art-new-2", json={**inside, "visibility": "internal"}, headers=cms)
    assert outside.status_code == 403 and outside.json()["error"]["code"] == "not_permitted"
    over = newsroom.put("/v1/articles/art-internal", json=inside, headers=cms)
    assert over.status_code == 403, "an article outside its view is not replaced"
    batch = newsroom.post("/v1/articles", json=[{**inside, "id": "art-ok"}, {**inside, "id": "art-desk"}], headers=cms)
    assert batch.status_code == 403 and newsroom.get("/v1/articles/art-ok", headers=cms).status_code == 404
    assert newsroom.delete("/v1/articles/art-internal", headers=cms).status_code == 404
    deleted = newsroom.delete("/v1/articles", params={"source": ["wire", "desk.example"]}, headers=cms).json()
    assert set(deleted["ids"]) == {"art-public", "art-new", "art-embargoed"}
    assert newsroom.get("/v1/articles/art-internal", headers=as_key("all")).status_code == 200
