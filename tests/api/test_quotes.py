import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from tests.api.test_errors import assert_error_shape

# Sentences the attribution at ingest gives to Vladimir Putin ("Putin said …", after his full name).
CALM = {"id": "calm", "title": "Putin on the border", "source": "wire", "published_at": "2024-03-01",
        "text": "Russian President Vladimir Putin met his generals on Monday. Putin said Russia wanted calm on the "
                "border. The meeting lasted an hour."}
GAS = {"id": "gas", "title": "Gas exports", "source": "daily", "published_at": "2024-05-10T08:00:00Z",
       "text": "Russian President Vladimir Putin visited a gas plant. Putin said gas exports would grow next year. "
               "Workers cheered."}
LATE = {"id": "desk/late", "title": "Late talks", "source": "wire",
        "text": "President Vladimir Putin arrived late in the evening. Putin said the border talks would continue."}
REPRINT = {"id": "reprint", "title": "Putin on the border (wire copy)", "source": "daily", "published_at": "2024-03-02",
           "text": "Russian President Vladimir Putin met his generals on Monday. Putin said Russia wanted calm on "
                   "the border."}
# An article whose own id ends in "/quotes".
PRESS = {"id": "press/quotes", "title": "Press quotes", "text": "Mayor Ana Ruiz opened the bridge. Ruiz said the "
                                                                  "bridge was finished."}
ARTICLES = [CALM, GAS, LATE, REPRINT, PRESS]
TEXTS = {a["id"]: a["text"] for a in ARTICLES}


@pytest.fixture
def quoted(client: TestClient) -> TestClient:
    response = client.post("/v1/articles", json=ARTICLES)
    assert response.status_code == 200, response.text
    return client


def quotes(client: TestClient, **params) -> list[dict]:
    response = client.get("/v1/quotes", params=params)
    assert response.status_code == 200, response.text
    found = response.json()["quotes"]
    for quote in found:
        assert TEXTS[quote["article_id"]][quote["start"] : quote["end"]] == quote["quote"]
    return found


def test_everything_a_speaker_said_newest_first_undated_last_reprints_once(quoted: TestClient) -> None:
    body = quoted.get("/v1/quotes", params={"speaker": "putin", "top_k": 10}).json()
    assert (body["speaker"], body["topic"]) == ("putin", None)
    found = body["quotes"]
    said = [(q["article_id"], TEXTS[q["article_id"]][q["start"] : q["end"]]) for q in found]
    assert said == [("gas", "Putin said gas exports would grow next year."),
                    ("calm", "Putin said Russia wanted calm on the border."),
                    ("desk/late", "Putin said the border talks would continue.")]
    assert list(found[0]) == ["article_id", "title", "url", "source", "published_at", "start", "end", "quote",
                              "speaker", "kind", "score"]
    assert (found[0]["speaker"], found[0]["score"], found[0]["title"], found[0]["source"]) == (
        "Vladimir Putin", None, "Gas exports", "daily")
    assert found[0]["published_at"] == "2024-05-10T08:00:00Z" and found[0]["kind"] in {"direct", "indirect", "mixed"}


def test_a_topic_keeps_what_the_speaker_said_about_it(quoted: TestClient) -> None:
    body = quoted.get("/v1/quotes", params={"speaker": "Vladimir Putin", "q": "the border"}).json()
    assert body["topic"] == "the border"
    assert {q["article_id"] for q in body["quotes"]} == {"calm", "desk/late"}
    assert all(isinstance(q["score"], float) for q in body["quotes"])
    by_date = quotes(quoted, speaker="Putin", q="border", sort="date")
    assert [q["article_id"] for q in by_date] == ["calm", "desk/late"]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"source": "wire"}, ["calm", "desk/late"]),
        ({"source": ["wire", "daily"], "top_k": 1}, ["gas"]),
        ({"article_id": ["gas", "desk/late"]}, ["gas", "desk/late"]),
        ({"published_after": "2024-04-01"}, ["gas"]),
        ({"published_before": "2024-03-31"}, ["calm"]),
        ({"published_after": "2024-05-10T09:00:00Z"}, []),
        ({"as_of": "2024-04-01"}, ["calm", "desk/late"]),
    ],
)
def test_filters_and_as_of_choose_the_articles(quoted: TestClient, params: dict, expected: list[str]) -> None:
    assert [q["article_id"] for q in quotes(quoted, speaker="Putin", **params)] == expected


def test_no_one_by_that_name_is_an_empty_list(quoted: TestClient) -> None:
    assert quotes(quoted, speaker="Nobody Atall") == []
    assert quotes(quoted, speaker="Ruiz", q="weather") == []


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({}, "invalid_request"),
        ({"speaker": ""}, "invalid_input"),
        ({"speaker": "  "}, "invalid_input"),
        ({"speaker": "x" * 201}, "invalid_request"),
        ({"speaker": "Putin", "sort": "newest"}, "invalid_request"),
        ({"speaker": "Putin", "top_k": "0"}, "invalid_request"),
        ({"speaker": "Putin", "top_k": "101"}, "invalid_input"),
        ({"speaker": "Putin", "q": "x" * 2001}, "invalid_input"),
        ({"speaker": "Putin", "published_after": "last week"}, "invalid_input"),
        ({"speaker": "Putin", "topic": "border"}, "invalid_input"),
        ({"speaker": "Putin", "sources": "wire"}, "invalid_input"),
    ],
)
def test_bad_quote_requests_get_422_in_the_one_shape(quoted: TestClient, params: dict, code: str) -> None:
    response = quoted.get("/v1/quotes", params=params)
    assert response.status_code == 422, response.text
    assert_error_shape(response.json(), code)


def test_an_unknown_parameter_is_named(quoted: TestClient) -> None:
    message = quoted.get("/v1/quotes", params={"speaker": "Putin", "topic": "border"}).json()["error"]["message"]
    assert message.startswith("unknown query parameter 'topic'; this route takes speaker, q, top_k, sort, source")


def test_an_articles_quotes_in_text_order_with_exact_offsets(quoted: TestClient) -> None:
    body = quoted.get("/v1/articles/calm/quotes").json()
    assert body["article_id"] == "calm"
    assert all(list(q) == ["start", "end", "quote", "speaker", "kind"] for q in body["quotes"])
    assert all(CALM["text"][q["start"] : q["end"]] == q["quote"] for q in body["quotes"])
    assert [q["start"] for q in body["quotes"]] == sorted(q["start"] for q in body["quotes"])
    assert {"quote": "Putin said Russia wanted calm on the border.", "speaker": "Vladimir Putin"}.items() <= next(
        q for q in body["quotes"] if q["quote"].startswith("Putin said")).items()


def test_an_unknown_article_has_no_quotes_404(quoted: TestClient) -> None:
    response = quoted.get("/v1/articles/nope/quotes")
    assert response.status_code == 404
    assert_error_shape(response.json(), "article_not_found")
    assert response.json()["error"]["details"] == {"article_id": "nope"}


def test_ids_with_slashes_and_an_id_ending_in_quotes(quoted: TestClient) -> None:
    assert quoted.get("/v1/articles/desk/late/quotes").json()["article_id"] == "desk/late"
    assert quoted.get("/v1/articles/desk/late").json()["id"] == "desk/late"
    # A path ending in "/quotes" asks for the quotes of what comes before it ...
    assert quoted.get("/v1/articles/press/quotes").json()["error"]["details"] == {"article_id": "press"}
    assert quoted.get("/v1/articles/press/quotes/quotes").json()["article_id"] == "press/quotes"
    # ... unless that slash is sent encoded, as part of the id.
    assert quoted.get("/v1/articles/press%2Fquotes").json()["id"] == "press/quotes"
    assert quoted.get("/v1/articles/press%2fquotes").json()["id"] == "press/quotes"
    assert quoted.delete("/v1/articles/press/quotes").json() == {"id": "press/quotes", "status": "deleted"}


def test_citations_say_who_speaks(quoted: TestClient) -> None:
    body = quoted.post("/v1/ask", json={"question": "What did Putin say about gas exports?"}).json()
    assert body["citations"] and all("speaker" in c for c in body["citations"])
    assert all(c["speaker"] is None or isinstance(c["speaker"], str) for c in body["citations"])


def test_quotes_take_a_read_key(make_client) -> None:
    client = make_client(read_keys=[SecretStr("read-key")], write_keys=[SecretStr("write-key")])
    assert client.get("/v1/quotes", params={"speaker": "Putin"}).status_code == 401
    assert client.get("/v1/articles/calm/quotes").status_code == 401
    read = {"X-API-Key": "read-key"}
    assert client.get("/v1/quotes", params={"speaker": "Putin"}, headers=read).status_code == 200
    assert client.get("/v1/articles/calm/quotes", headers=read).status_code == 404
