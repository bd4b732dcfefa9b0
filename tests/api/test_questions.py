import json
import subprocess
import sys

import httpx
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from qa.answering.generation import AnswerWriter
from qa.articles import Article
from qa.composition import open_service
from qa.settings import Settings
from tests.api.conftest import ARTICLES
from tests.conftest import live_server
from tests.fakes import DecliningModel, FakeEmbedder
from tests.readme_examples import readme_example

TEXTS = {a["id"]: a["text"] for a in ARTICLES}


def test_ask_answers_with_exact_citations(loaded: TestClient) -> None:
    body = loaded.post("/v1/ask", json={"question": "How many votes did the senate budget pass by?"}).json()
    assert body["answerable"] is True and body["reason"] is None and "51 votes to 49" in body["answer"]
    for citation in body["citations"]:
        assert TEXTS[citation["article_id"]][citation["start"] : citation["end"]] == citation["quote"]
    for passage in body["passages"]:
        assert TEXTS[passage["article_id"]][passage["start"] : passage["end"]] == passage["text"]
        assert passage["start"] <= passage["match_start"] < passage["match_end"] <= passage["end"]


def test_a_question_asking_for_a_number_has_a_short_answer_inside_a_citation(loaded: TestClient) -> None:
    body = loaded.post("/v1/ask", json={"question": "How many votes did the senate budget pass by?"}).json()
    short = body["short_answer"]
    assert set(short) == {"text", "article_id", "start", "end"} and "51" in short["text"]
    assert TEXTS[short["article_id"]][short["start"] : short["end"]] == short["text"]
    assert any(c["article_id"] == short["article_id"] and c["start"] <= short["start"] < short["end"] <= c["end"]
               for c in body["citations"])


def test_the_openapi_document_describes_the_short_answer(loaded: TestClient) -> None:
    schemas = loaded.get("/openapi.json").json()["components"]["schemas"]
    field = schemas["AnswerOut"]["properties"]["short_answer"]
    assert "inside one of the cited sentences" in field["description"]
    assert set(schemas["ShortAnswerOut"]["properties"]) == {"text", "article_id", "start", "end"}
    assert schemas["ShortAnswerOut"]["examples"][0]["text"] == "Putin"


def test_a_question_asking_for_no_name_or_number_has_a_null_short_answer(loaded: TestClient) -> None:
    body = loaded.post("/v1/ask", json={"question": "Why did the senate pass the budget?"}).json()
    assert "short_answer" in body and body["short_answer"] is None


def test_ask_has_the_shape_of_the_command_line(loaded: TestClient) -> None:
    body = loaded.post("/v1/ask", json={"question": "storm harbour", "top_k": 2}).json()
    assert list(body) == ["question", "rewritten_question", "answerable", "reason", "answer", "short_answer",
                          "generated", "dates", "citations", "passages"]
    assert len(body["passages"]) == 2
    assert list(body["passages"][0]) == [
        "article_id", "title", "url", "source", "published_at", "chunk_id", "start", "end", "text", "score",
        "match_start", "match_end", "also_reported_by"]


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"source": "wire"}, {"budget"}),
        ({"source": ["wire", "daily"]}, {"budget", "storm"}),
        ({"article_ids": ["storm"]}, {"storm"}),
        ({"published_after": "2024-04-01"}, {"storm"}),
        ({"published_before": "2024-03-01"}, {"budget"}),
        ({"published_after": "2024-05-10T09:00:00Z"}, set()),
    ],
)
def test_filters_choose_the_articles(loaded: TestClient, filters: dict, expected: set[str]) -> None:
    body = loaded.post("/v1/ask", json={"question": "harbour budget storm", "top_k": 10, "filters": filters}).json()
    assert {p["article_id"] for p in body["passages"]} == expected


def test_as_of_leaves_out_later_articles(loaded: TestClient) -> None:
    body = loaded.post("/v1/ask", json={"question": "harbour storm budget", "top_k": 10, "as_of": "2024-04-01"}).json()
    assert {p["article_id"] for p in body["passages"]} == {"budget", "undated"}


def test_no_relevant_passage_is_an_honest_no(loaded: TestClient) -> None:
    body = loaded.post("/v1/ask", json={"question": "quantum chromodynamics"}).json()
    assert (body["answerable"], body["reason"], body["answer"], body["citations"]) == (
        False, "no_relevant_passages", None, [])


def test_search_returns_passages_only(loaded: TestClient) -> None:
    response = loaded.get("/v1/search", params={"q": "storm flooded town", "top_k": 1})
    assert response.status_code == 200
    body = response.json()
    assert body["query"] == "storm flooded town" and body["passages"][0]["article_id"] == "storm"
    assert len(body["passages"]) == 1


def test_search_takes_filters_as_query_parameters(loaded: TestClient) -> None:
    params = [("q", "harbour"), ("top_k", "10"), ("source", "daily"), ("source", "wire"), ("as_of", "2024-04-01")]
    body = loaded.get("/v1/search", params=params).json()
    assert {p["article_id"] for p in body["passages"]} == {"budget"}


def parse_events(text: str) -> list[tuple[str, dict]]:
    events = []
    for block in text.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines())
        events.append((lines["event"], json.loads(lines["data"])))
    return events


def test_stream_sends_passages_answer_citations_then_done(loaded: TestClient) -> None:
    response = loaded.post("/v1/ask/stream", json={"question": "How did the senate vote on the budget?"})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/event-stream")
    events = parse_events(response.text)
    assert [name for name, _ in events] == ["passages", "answer", "citations", "done"]
    answer, citations = events[1][1], events[2][1]["citations"]
    assert answer["answerable"] and answer["answer"] == " ".join(c["quote"] for c in citations)
    assert events[0][1]["passages"] and "elapsed_ms" in events[3][1]


LIMITED = {"question": "How did the senate vote on the budget?", "as_of": "2024-04-01",
           "filters": {"published_after": "2024-02-01"}}


def test_an_answer_within_dates_says_which_on_both_endpoints(loaded: TestClient) -> None:
    body = loaded.post("/v1/ask", json=LIMITED).json()
    assert body["answerable"] and body["dates"] == {
        "as_of": "2024-04-01T23:59:59.999999Z", "published_after": "2024-02-01T00:00:00Z", "published_before": None,
        "text": "as of 1 April 2024, published from 1 February 2024 on"}
    answer = dict(parse_events(loaded.post("/v1/ask/stream", json=LIMITED).text))["answer"]
    assert answer["dates"] == body["dates"]
    assert loaded.post("/v1/ask", json={"question": LIMITED["question"]}).json()["dates"] is None


@pytest.mark.parametrize("top_k", [1, 2, 5])
@pytest.mark.parametrize("question", ["How did the senate vote on the budget?", "What flooded the coastal town?",
                                      "What happened in the harbour?"])
def test_the_cited_articles_come_first_in_the_passages_on_both_endpoints(loaded: TestClient, question, top_k) -> None:
    body = loaded.post("/v1/ask", json={"question": question, "top_k": top_k}).json()
    cited = list(dict.fromkeys(c["article_id"] for c in body["citations"]))
    listed = list(dict.fromkeys(p["article_id"] for p in body["passages"]))
    assert listed[: len(cited)] == cited
    assert all(any(p["article_id"] == c["article_id"] and p["start"] <= c["start"] and c["end"] <= p["end"]
                   for p in body["passages"]) for c in body["citations"]), "every quote inside a passage listed"
    events = parse_events(loaded.post("/v1/ask/stream", json={"question": question, "top_k": top_k}).text)
    assert [data for name, data in events if name == "passages"][-1]["passages"] == body["passages"]


def test_a_bad_stream_request_is_a_json_error_not_a_stream(loaded: TestClient) -> None:
    response = loaded.post("/v1/ask/stream", json={"question": "  "})
    assert response.status_code == 422 and response.json()["error"]["code"] == "invalid_input"


BEFORE_THE_STORM_ONLY = {"question": "How many votes did the senate budget pass by?",
                         "filters": {"published_after": "2024-04-01"}}


def test_an_answer_outside_the_dates_asked_is_the_same_on_both_endpoints(loaded: TestClient) -> None:
    body = loaded.post("/v1/ask", json=BEFORE_THE_STORM_ONLY).json()
    assert (body["answerable"], body["reason"], body["answer"], body["citations"]) == (
        False, "outside_date_range", None, [])
    assert "budget" in {p["article_id"] for p in body["passages"]}, "where the answer lies, with its date"
    events = parse_events(loaded.post("/v1/ask/stream", json=BEFORE_THE_STORM_ONLY).text)
    assert [name for name, _ in events] == ["passages", "passages", "answer", "citations", "done"]
    assert {p["article_id"] for p in events[0][1]["passages"]} <= {"storm"}, "first, what the dates allow"
    assert events[1][1]["passages"] == body["passages"]
    assert (events[2][1]["answerable"], events[2][1]["reason"], events[3][1]["citations"]) == (
        False, "outside_date_range", [])


def test_a_citation_dropped_at_the_check_is_counted_in_the_metrics(settings: Settings, embedder: FakeEmbedder) -> None:
    changed = TEXTS["budget"].replace("51 votes to 49", "52 votes to 48")
    correction = Article("budget", changed, title="Budget vote", published_at="2024-03-01")
    # The correction lands while a model is writing: after the answer was composed, before its quotes are checked.
    model = DecliningModel(meanwhile=lambda: service.ingest_articles([correction]))
    service = open_service(settings, embedder, writer=AnswerWriter(model))
    with TestClient(create_app(settings, service)) as client:
        assert client.post("/v1/articles", json=ARTICLES).status_code == 200
        body = client.post("/v1/ask", json={"question": "How many votes did the senate budget pass by?"}).json()
        assert all(changed[c["start"] : c["end"]] == c["quote"] for c in body["citations"])
        assert "51 votes" not in (body["answer"] or "")
        assert "qa_answer_dropped_citations_total 1.0" in client.get("/metrics").text
    service.close()


FOLLOWED = {"id": "talks", "title": "Talks", "source": "wire", "published_at": "2024-03-02",
            "text": "Netanyahu said Hamas would be defeated.\n\nNetanyahu said Iran was behind the attacks."}


def test_a_follow_up_is_answered_as_the_standalone_question_it_makes(client: TestClient) -> None:
    assert client.post("/v1/articles", json=FOLLOWED).status_code == 200
    body = {"question": "And what did he say about Iran?", "history": ["What did Netanyahu say about Hamas?"]}
    answer = client.post("/v1/ask", json=body).json()
    assert answer["question"] == "And what did he say about Iran?"
    assert answer["rewritten_question"] == "What did Netanyahu say about Iran?"
    assert answer["answer"] == "Netanyahu said Iran was behind the attacks."
    streamed = client.post("/v1/ask/stream", json=body).text
    assert '"rewritten_question": "What did Netanyahu say about Iran?"' in streamed


def test_a_question_that_stands_alone_is_not_rewritten(loaded: TestClient) -> None:
    answer = loaded.post("/v1/ask", json={"question": "storm harbour", "history": ["What passed the senate?"]}).json()
    assert answer["question"] == "storm harbour" and answer["rewritten_question"] is None


@pytest.mark.parametrize(
    ("history", "message"),
    [([""], "history[0] must be a question"), (["  "], "history[0] must be a question"),
     (["ok"] * 21, "history may hold at most 20"), (["x" * 2001], "history[0] must be at most 2000 characters")],
)
def test_a_bad_history_is_refused_plainly(client: TestClient, history: list[str], message: str) -> None:
    response = client.post("/v1/ask", json={"question": "What then?", "history": history})
    assert response.status_code in (400, 422) and message in response.json()["error"]["message"]


def test_the_readme_follow_up_example_runs(settings, embedder) -> None:
    service = open_service(settings, embedder)
    try:
        with live_server(create_app(settings, service)) as base:
            assert httpx.post(f"{base}/v1/articles", json=FOLLOWED).status_code == 200
            printed = subprocess.run([sys.executable, "-c", readme_example("follow-up", base)], capture_output=True,
                                     text=True, check=True).stdout
    finally:
        service.close()
    assert printed.splitlines() == ["What did Netanyahu say about Iran?", "Netanyahu said Iran was behind the attacks."]
