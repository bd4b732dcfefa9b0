"""A newsroom's CMS keeping the index in step: PUT by id with versions, dates as CMSs send them, the
newsroom's metadata and the filters on it, deleting by filter, and embargoes."""

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from tests.api.test_errors import assert_error_shape

STORY = {"title": "Ferry budget", "source": "wire", "text": "The harbour council approved the ferry budget."}
# Every article has the harbour and the mayor saying something about it, so every one is found and quoted
# unless a filter or an embargo leaves it out.
COUNCIL = {"id": "council", "title": "Harbour council", "source": "wire", "published_at": "2024-01-05",
           "section": "politics", "tags": ["budget", "council"], "language": "en",
           "updated_at": "2025-01-10T10:00:00Z",
           "text": "The harbour council approved the ferry budget on Monday. "
                   '"We will rebuild the harbour," Mayor Ana Pérez said.'}
REGATTA = {"id": "regatta", "title": "Harbour regatta", "source": "daily", "published_at": "2024-02-01",
           "section": "sports", "tags": "sailing", "language": "FR", "updated_at": "2025-03-01T10:00:00Z",
           "visibility": "internal",
           "text": "The harbour regatta drew sailors from every coast. "
                   '"We will rebuild the harbour pier," Mayor Ana Pérez said.'}
MUSEUM = {"id": "museum", "title": "Harbour museum", "source": "wire", "published_at": "2023-06-01",
          "section": "culture", "tags": ["museum", "budget"], "language": "en",
          "text": "The harbour museum reopened its maritime gallery. "
                  '"We will rebuild the harbour museum," Mayor Ana Pérez said.'}
NEWSROOM = [COUNCIL, REGATTA, MUSEUM]
QUESTION = "Who will rebuild the harbour?"
FUTURE, PAST = "2099-01-01T00:00:00Z", "2020-01-01T00:00:00Z"
SEALED = {"id": "sealed", "title": "Harbour tunnel", "source": "wire", "published_at": "2024-04-01",
          "embargo_until": FUTURE,
          "text": "The harbour tunnel contract went to Norland Works. "
                  '"We will rebuild the harbour tunnel," Mayor Ana Pérez said.'}
RELEASED = {"id": "released", "title": "Harbour lights", "source": "wire", "published_at": "2024-04-02",
            "embargo_until": PAST,
            "text": "The harbour lights were replaced by Norland Works. "
                    '"We will rebuild the harbour lights," Mayor Ana Pérez said.'}


def put(client: TestClient, article_id: str, headers: dict | None = None, **fields):
    return client.put(f"/v1/articles/{article_id}", json={**STORY, **fields}, headers=headers or {})


def conflict(response) -> dict:
    assert response.status_code == 409, response.text
    assert_error_shape(response.json(), "version_conflict")
    return response.json()["error"]["details"]


def refused(response, code: str) -> str:
    assert response.status_code == 422, response.text
    assert_error_shape(response.json(), code)
    return response.json()["error"]["message"]


@pytest.fixture
def newsroom(client: TestClient) -> TestClient:
    response = client.post("/v1/articles", json=NEWSROOM)
    assert response.status_code == 200, response.text
    return client


@pytest.fixture
def embargoed(client: TestClient) -> TestClient:
    response = client.post("/v1/articles", json=[SEALED, RELEASED])
    assert response.status_code == 200, response.text
    return client


# PUT /v1/articles/{id}


def test_put_creates_then_replaces_then_changes_nothing(client: TestClient) -> None:
    created = put(client, "ferry")
    assert created.status_code == 201 and created.json()["status"] == "added"
    assert set(created.json()) == {"id", "status", "version"} and created.json()["id"] == "ferry"
    assert created.headers["etag"] == f'"{created.json()["version"]}"'
    replaced = put(client, "ferry", text="The harbour council rejected the ferry budget.")
    assert replaced.status_code == 200 and replaced.json()["status"] == "updated"
    assert replaced.json()["version"] != created.json()["version"]
    again = put(client, "ferry", text="The harbour council rejected the ferry budget.")
    assert again.status_code == 200 and again.json() == {**replaced.json(), "status": "unchanged"}
    assert again.headers["etag"] == replaced.headers["etag"]


def test_get_has_the_etag_and_version_a_put_returned(client: TestClient) -> None:
    version = put(client, "ferry").json()["version"]
    article = client.get("/v1/articles/ferry")
    assert article.headers["etag"] == f'"{version}"' and article.json()["version"] == version
    assert article.json()["text"] == STORY["text"]


def test_if_match_on_the_current_version_replaces(client: TestClient) -> None:
    etag = put(client, "ferry").headers["etag"]
    response = put(client, "ferry", {"If-Match": etag}, text="The ferry budget was cut.")
    assert response.status_code == 200 and response.json()["status"] == "updated"
    assert client.get("/v1/articles/ferry").json()["text"] == "The ferry budget was cut."


def test_if_match_on_another_version_is_a_conflict_naming_the_stored_one(client: TestClient) -> None:
    version = put(client, "ferry").json()["version"]
    details = conflict(put(client, "ferry", {"If-Match": '"0123abcd"'}, text="The ferry budget was cut."))
    assert details["stored_version"] == version
    assert client.get("/v1/articles/ferry").json()["text"] == STORY["text"]


def test_if_match_star_needs_an_article_already_stored(client: TestClient) -> None:
    assert conflict(put(client, "ferry", {"If-Match": "*"}))["stored_version"] is None
    assert client.get("/v1/articles/ferry").status_code == 404
    put(client, "ferry")
    response = put(client, "ferry", {"If-Match": "*"}, text="The ferry budget was cut.")
    assert response.status_code == 200 and response.json()["status"] == "updated"


@pytest.mark.parametrize("header", ['W/"{v}"', '"0123abcd", "{v}"', 'W/"0123abcd", W/"{v}"', "{v}"])
def test_if_match_takes_weak_tags_and_lists(client: TestClient, header: str) -> None:
    version = put(client, "ferry").json()["version"]
    response = put(client, "ferry", {"If-Match": header.format(v=version)}, text="The ferry budget was cut.")
    assert response.status_code == 200 and response.json()["status"] == "updated"


def test_a_later_updated_at_replaces(client: TestClient) -> None:
    put(client, "ferry", updated_at="2025-06-10T08:00:00Z")
    response = put(client, "ferry", updated_at="2025-06-10T09:00:00Z", text="The ferry budget was cut.")
    assert response.status_code == 200 and response.json()["status"] == "updated"
    assert client.get("/v1/articles/ferry").json()["updated_at"] == "2025-06-10T09:00:00Z"


def test_an_older_updated_at_is_refused_and_the_newer_article_stands(client: TestClient) -> None:
    version = put(client, "ferry", updated_at="2025-06-10T09:00:00Z").json()["version"]
    details = conflict(put(client, "ferry", updated_at="2025-06-10T08:00:00Z", text="An older draft."))
    assert details == {"stored_version": version, "stored_updated_at": "2025-06-10T09:00:00Z"}
    stored = client.get("/v1/articles/ferry").json()
    assert (stored["text"], stored["version"]) == (STORY["text"], version)


def test_an_updated_at_older_by_a_fraction_of_a_second_is_refused(client: TestClient) -> None:
    put(client, "ferry", updated_at="2025-06-10T09:00:00.900Z")
    conflict(put(client, "ferry", updated_at="2025-06-10T09:00:00.100Z", text="An older draft."))
    assert client.get("/v1/articles/ferry").json()["text"] == STORY["text"]


def test_an_equal_updated_at_is_accepted(client: TestClient) -> None:
    put(client, "ferry", updated_at="2025-06-10T09:00:00Z")
    # The same moment, written as RFC 822 with an offset.
    response = put(client, "ferry", updated_at="Tue, 10 Jun 2025 11:00:00 +0200", text="The ferry budget was cut.")
    assert response.status_code == 200 and response.json()["status"] == "updated"


def test_a_body_id_other_than_the_paths_is_refused(client: TestClient) -> None:
    message = refused(put(client, "ferry", id="bridge"), "invalid_article")
    assert "'bridge'" in message and "'ferry'" in message
    assert client.get("/v1/articles/ferry").status_code == 404
    assert client.get("/v1/articles/bridge").status_code == 404


def test_the_same_id_in_the_body_and_a_numeric_id_are_accepted(client: TestClient) -> None:
    assert put(client, "ferry", id="ferry").status_code == 201
    assert put(client, "42", id=42).status_code == 201
    assert put(client, "43").json()["id"] == "43"
    assert client.get("/v1/articles/42").json()["id"] == "42"


def test_put_and_get_an_id_with_slashes(client: TestClient) -> None:
    response = put(client, "wire/2024/001")
    assert response.status_code == 201 and response.json()["id"] == "wire/2024/001"
    article = client.get("/v1/articles/wire/2024/001")
    assert article.json()["id"] == "wire/2024/001" and article.headers["etag"] == response.headers["etag"]
    replaced = put(client, "wire/2024/001", {"If-Match": response.headers["etag"]}, text="Cut.")
    assert replaced.json()["status"] == "updated"


# Dates as CMSs send them


@pytest.mark.parametrize(
    ("sent", "stored"),
    [
        ("Tue, 10 Jun 2025 08:00:00 GMT", "2025-06-10T08:00:00Z"),
        ("Tue, 10 Jun 2025 10:00:00 +0200", "2025-06-10T08:00:00Z"),
        ("2025-06-10T10:00:00+02:00", "2025-06-10T08:00:00Z"),
        ("2025-06-10", "2025-06-10"),
    ],
)
@pytest.mark.parametrize("field", ["published_at", "updated_at", "embargo_until"])
def test_dates_in_iso_8601_or_rfc_822_are_stored_in_utc(client: TestClient, field: str, sent: str,
                                                        stored: str) -> None:
    assert client.post("/v1/articles", json={**STORY, "id": "posted", field: sent}).status_code == 200
    assert put(client, "put", **{field: sent}).status_code == 201
    assert client.get("/v1/articles/posted").json()[field] == stored
    assert client.get("/v1/articles/put").json()[field] == stored


@pytest.mark.parametrize("field", ["published_at", "updated_at", "embargo_until"])
def test_a_bad_date_is_refused_naming_its_field(client: TestClient, field: str) -> None:
    posted = client.post("/v1/articles", json={**STORY, "id": "x", field: "next Tuesday"})
    refused(posted, "invalid_article")
    assert field in posted.json()["error"]["details"]["errors"][0]["message"]
    assert field in refused(put(client, "x", **{field: "32 Jun 2025"}), "invalid_article")
    assert client.get("/v1/articles/x").status_code == 404


# The newsroom's metadata


def test_the_newsrooms_metadata_is_stored_and_read_back(client: TestClient) -> None:
    put(client, "ferry", section=" politics ", tags=[" budget", "ferry", "budget ", ""], language="EN-GB",
        updated_at="Tue, 10 Jun 2025 08:00:00 GMT", embargo_until=PAST, visibility="Internal")
    article = client.get("/v1/articles/ferry").json()
    assert {k: article[k] for k in ("section", "tags", "language", "updated_at", "embargo_until", "visibility")} == {
        "section": "politics", "tags": ["budget", "ferry"], "language": "en-gb", "updated_at": "2025-06-10T08:00:00Z",
        "embargo_until": PAST, "visibility": "internal"}
    assert article["stored_at"] and article["ingested_at"] and article["version"]


def test_a_single_tag_and_the_default_visibility(client: TestClient) -> None:
    client.post("/v1/articles", json={**STORY, "id": "ferry", "tags": " budget "})
    article = client.get("/v1/articles/ferry").json()
    assert (article["tags"], article["visibility"], article["section"], article["language"]) == (
        ["budget"], "public", None, None)
    assert (article["updated_at"], article["embargo_until"]) == (None, None)


def test_the_listing_has_the_metadata_without_the_text(newsroom: TestClient) -> None:
    listed = {a["id"]: a for a in newsroom.get("/v1/articles").json()["articles"]}
    for article_id, summary in listed.items():
        whole = newsroom.get(f"/v1/articles/{article_id}").json()
        assert "text" not in summary and summary == {k: v for k, v in whole.items() if k != "text"}
    assert (listed["regatta"]["tags"], listed["regatta"]["language"], listed["regatta"]["visibility"]) == (
        ["sailing"], "fr", "internal")
    assert (listed["council"]["section"], listed["council"]["updated_at"]) == ("politics", "2025-01-10T10:00:00Z")


@pytest.mark.parametrize("visibility", ["Top Secret", "-internal", "pub/lic", "x" * 65])
def test_a_bad_visibility_is_refused(client: TestClient, visibility: str) -> None:
    assert "visibility" in refused(put(client, "ferry", visibility=visibility), "invalid_article")
    posted = client.post("/v1/articles", json={**STORY, "id": "ferry", "visibility": visibility})
    refused(posted, "invalid_article")
    assert "visibility" in posted.json()["error"]["details"]["errors"][0]["message"]
    assert client.get("/v1/articles/ferry").status_code == 404


# Filters on the newsroom's fields: (ask's filters, the query parameters of the other routes, the articles let through)
NEWSROOM_FILTERS = [
    ({"section": "politics"}, {"section": "politics"}, {"council"}),
    ({"section": ["politics", "sports"]}, {"section": ["politics", "sports"]}, {"council", "regatta"}),
    ({"tags": "budget"}, {"tag": "budget"}, {"council", "museum"}),
    ({"tags": ["sailing", "museum"]}, {"tag": ["sailing", "museum"]}, {"regatta", "museum"}),
    ({"language": "FR"}, {"language": "fr"}, {"regatta"}),
    ({"visibility": "internal"}, {"visibility": "internal"}, {"regatta"}),
    ({"visibility": ["public"]}, {"visibility": "public"}, {"council", "museum"}),
    ({"updated_after": "2025-02-01"}, {"updated_after": "2025-02-01"}, {"regatta"}),
    ({"updated_before": "2025-02-01"}, {"updated_before": "2025-02-01"}, {"council"}),
    ({"updated_after": "2025-01-10", "updated_before": "2025-01-10"},
     {"updated_after": "2025-01-10", "updated_before": "2025-01-10"}, {"council"}),
    ({"section": "culture", "tags": "budget"}, {"section": "culture", "tag": "budget"}, {"museum"}),
    ({"section": "politics", "language": "fr"}, {"section": "politics", "language": "fr"}, set()),
]
FILTER_IDS = [" ".join(f"{k}={v}" for k, v in params.items()) for _, params, _ in NEWSROOM_FILTERS]


def test_every_article_is_found_without_a_filter(newsroom: TestClient) -> None:
    body = newsroom.post("/v1/ask", json={"question": QUESTION, "top_k": 10}).json()
    assert {p["article_id"] for p in body["passages"]} == {"council", "regatta", "museum"}
    found = newsroom.get("/v1/quotes", params={"speaker": "Pérez", "top_k": 10}).json()["quotes"]
    assert {q["article_id"] for q in found} == {"council", "regatta", "museum"}


@pytest.mark.parametrize(("filters", "_", "expected"), NEWSROOM_FILTERS, ids=FILTER_IDS)
def test_ask_answers_only_from_articles_within_the_filters(newsroom: TestClient, filters: dict, _: dict,
                                                           expected: set[str]) -> None:
    response = newsroom.post("/v1/ask", json={"question": QUESTION, "top_k": 10, "filters": filters})
    assert response.status_code == 200, response.text
    body = response.json()
    assert {p["article_id"] for p in body["passages"]} == expected
    assert {c["article_id"] for c in body["citations"]} <= expected
    assert all(r["article_id"] in expected for p in body["passages"] for r in p["also_reported_by"])
    assert body["answerable"] is bool(expected)


@pytest.mark.parametrize(("_", "params", "expected"), NEWSROOM_FILTERS, ids=FILTER_IDS)
def test_search_finds_only_articles_within_the_filters(newsroom: TestClient, _: dict, params: dict,
                                                       expected: set[str]) -> None:
    response = newsroom.get("/v1/search", params={"q": QUESTION, "top_k": 10, **params})
    assert response.status_code == 200, response.text
    assert {p["article_id"] for p in response.json()["passages"]} == expected


@pytest.mark.parametrize(("_", "params", "expected"), NEWSROOM_FILTERS, ids=FILTER_IDS)
def test_quotes_come_only_from_articles_within_the_filters(newsroom: TestClient, _: dict, params: dict,
                                                           expected: set[str]) -> None:
    response = newsroom.get("/v1/quotes", params={"speaker": "Ana Pérez", "top_k": 10, **params})
    assert response.status_code == 200, response.text
    found = response.json()["quotes"]
    assert {q["article_id"] for q in found} == expected
    assert all(q["speaker"] == "Ana Pérez" and "rebuild the harbour" in q["quote"] for q in found)


@pytest.mark.parametrize(("_", "params", "expected"), NEWSROOM_FILTERS, ids=FILTER_IDS)
def test_the_listing_holds_and_counts_only_articles_within_the_filters(newsroom: TestClient, _: dict, params: dict,
                                                                      expected: set[str]) -> None:
    response = newsroom.get("/v1/articles", params=params)
    assert response.status_code == 200, response.text
    body = response.json()
    assert {a["id"] for a in body["articles"]} == expected and body["total"] == len(expected)


def test_the_filtered_listing_pages_through_the_matches_only(newsroom: TestClient) -> None:
    first = newsroom.get("/v1/articles", params={"tag": "budget", "limit": 1}).json()
    assert [a["id"] for a in first["articles"]] == ["council"] and first["total"] == 2
    rest = newsroom.get("/v1/articles", params={"tag": "budget", "limit": 1, "cursor": first["next_cursor"]}).json()
    assert [a["id"] for a in rest["articles"]] == ["museum"] and rest["next_cursor"] is None


# Date filters work to the second, as articles' dates are kept: a bound within the second of an article's
# date lets it through.
@pytest.mark.parametrize("bound", [{"updated_after": "2025-01-10T10:00:01Z"},
                                   {"updated_before": "2025-01-10T09:59:59Z"}])
def test_an_updated_bound_a_second_away_leaves_the_article_out(client: TestClient, bound: dict) -> None:
    client.put("/v1/articles/council", json={**COUNCIL, "updated_at": "2025-01-10T10:00:00.100Z"})
    assert client.get("/v1/articles", params=bound).json()["total"] == 0


@pytest.mark.parametrize(("route", "params"), [("/v1/search", {"q": "harbour"}), ("/v1/quotes", {"speaker": "Pérez"}),
                                             ("/v1/articles", {})])
def test_a_bad_updated_bound_in_the_query_is_refused_naming_it(newsroom: TestClient, route: str, params: dict) -> None:
    assert "updated_after" in refused(newsroom.get(route, params={**params, "updated_after": "soon"}), "invalid_input")


def test_ask_refuses_a_bad_updated_bound_naming_it(newsroom: TestClient) -> None:
    response = newsroom.post("/v1/ask", json={"question": QUESTION, "filters": {"updated_before": "soon"}})
    assert "filters.updated_before" in refused(response, "invalid_input")


# DELETE /v1/articles?filters

OLD_WIRE = {"id": "old-wire", "source": "wire", "published_at": "2019-05-01", "section": "politics",
            "tags": ["budget"], "text": "An old wire story about the budget."}
NEW_WIRE = {"id": "new-wire", "source": "wire", "published_at": "2024-05-01", "section": "politics",
            "text": "A new wire story about the harbour."}
OLD_DAILY = {"id": "old-daily", "source": "daily", "published_at": "2019-06-01", "section": "sports",
             "tags": ["budget", "sailing"], "text": "An old daily story about sailing."}
OLD_SEALED = {"id": "old-sealed", "source": "wire", "published_at": "2019-07-01", "section": "sports",
              "embargo_until": FUTURE, "text": "An old wire story still under embargo."}


@pytest.fixture
def archive(client: TestClient) -> TestClient:
    response = client.post("/v1/articles", json=[OLD_WIRE, NEW_WIRE, OLD_DAILY, OLD_SEALED])
    assert response.status_code == 200, response.text
    return client


def remaining(client: TestClient) -> set[str]:
    ids = {"old-wire", "new-wire", "old-daily", "old-sealed"}
    return {i for i in ids if client.get(f"/v1/articles/{i}").status_code == 200}


@pytest.mark.parametrize(
    ("params", "deleted"),
    [
        ({"source": "wire", "published_before": "2020-01-01"}, {"old-wire", "old-sealed"}),
        ({"section": "sports"}, {"old-daily", "old-sealed"}),
        ({"tag": "budget"}, {"old-wire", "old-daily"}),
        ({"tag": "budget", "source": "daily"}, {"old-daily"}),
        ({"published_after": "2024-01-01"}, {"new-wire"}),
    ],
)
def test_delete_by_filter_removes_exactly_the_matching_articles(archive: TestClient, params: dict,
                                                                deleted: set[str]) -> None:
    response = archive.delete("/v1/articles", params=params)
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"deleted", "ids"} and body["deleted"] == len(deleted) and set(body["ids"]) == deleted
    assert remaining(archive) == {"old-wire", "new-wire", "old-daily", "old-sealed"} - deleted


def test_deleted_articles_leave_answers_and_listings(archive: TestClient) -> None:
    archive.delete("/v1/articles", params={"source": "wire", "published_before": "2020-01-01"})
    passages = archive.get("/v1/search", params={"q": "old wire story budget", "top_k": 10}).json()["passages"]
    assert {p["article_id"] for p in passages} <= {"new-wire", "old-daily"}
    assert archive.get("/v1/articles").json()["total"] == 2


def test_delete_matching_nothing_deletes_nothing(archive: TestClient) -> None:
    response = archive.delete("/v1/articles", params={"source": "nowhere"})
    assert response.status_code == 200 and response.json() == {"deleted": 0, "ids": []}
    assert len(remaining(archive)) == 4


def test_delete_without_a_filter_is_refused(archive: TestClient) -> None:
    assert "at least one filter" in refused(archive.delete("/v1/articles"), "invalid_input")
    assert len(remaining(archive)) == 4


@pytest.mark.parametrize("params", [{"sources": "wire"}, {"as_of": "2020-01-01"}, {"source": "wire", "limit": "1"}])
def test_delete_with_an_unknown_parameter_is_refused(archive: TestClient, params: dict) -> None:
    message = refused(archive.delete("/v1/articles", params=params), "invalid_input")
    assert message.startswith("unknown query parameter")
    assert len(remaining(archive)) == 4


# Embargoes


def ask(client: TestClient, **extra) -> dict:
    response = client.post("/v1/ask", json={"question": "Who will rebuild the harbour tunnel?", "top_k": 10, **extra})
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.parametrize("as_of", [None, "2099-06-01", "2100-01-01T00:00:00Z"])
def test_only_the_article_whose_embargo_has_passed_is_answered_from_whatever_as_of_says(
        embargoed: TestClient, as_of: str | None) -> None:
    moment = {} if as_of is None else {"as_of": as_of}
    body = ask(embargoed, **moment)
    assert {p["article_id"] for p in body["passages"]} == {"released"}
    assert {c["article_id"] for c in body["citations"]} == {"released"} and "tunnel" not in body["answer"]
    passages = embargoed.get("/v1/search", params={"q": "harbour tunnel Norland", "top_k": 10, **moment}).json()
    assert {p["article_id"] for p in passages["passages"]} == {"released"}
    quotes = embargoed.get("/v1/quotes", params={"speaker": "Pérez", "q": "harbour", "top_k": 10, **moment}).json()
    assert {q["article_id"] for q in quotes["quotes"]} == {"released"}


def test_an_embargoed_article_is_never_streamed(embargoed: TestClient) -> None:
    response = embargoed.post("/v1/ask/stream", json={"question": "harbour tunnel Norland", "as_of": "2100-01-01"})
    assert response.status_code == 200 and "Norland Works" in response.text
    assert '"sealed"' not in response.text


def test_an_embargoed_articles_own_quotes_are_not_there(embargoed: TestClient) -> None:
    response = embargoed.get("/v1/articles/sealed/quotes")
    assert response.status_code == 404
    assert_error_shape(response.json(), "article_not_found")
    assert embargoed.get("/v1/articles/released/quotes").json()["quotes"]


def test_the_open_api_reads_back_an_embargoed_record(embargoed: TestClient) -> None:
    article = embargoed.get("/v1/articles/sealed")
    assert article.status_code == 200 and article.json()["embargo_until"] == FUTURE
    assert article.json()["text"] == SEALED["text"]


def test_only_a_writer_reads_back_an_embargoed_record(make_client) -> None:
    client = make_client(read_keys=[SecretStr("read-key")], write_keys=[SecretStr("write-key")])
    writer, reader = {"X-API-Key": "write-key"}, {"X-API-Key": "read-key"}
    assert client.put("/v1/articles/sealed", json=SEALED, headers=writer).status_code == 201
    assert client.get("/v1/articles/sealed", headers=writer).status_code == 200
    assert client.get("/v1/articles/sealed", headers=reader).status_code == 404
    assert client.get("/v1/articles", headers=reader).json()["total"] == 0


def test_an_embargo_put_into_the_past_releases_the_article(embargoed: TestClient) -> None:
    response = put(embargoed, "sealed", **{**SEALED, "embargo_until": PAST})
    assert response.status_code == 200 and response.json()["status"] == "updated"
    passages = embargoed.get("/v1/search", params={"q": "harbour tunnel Norland", "top_k": 10}).json()["passages"]
    assert {p["article_id"] for p in passages} == {"sealed", "released"}
