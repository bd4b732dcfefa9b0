"""The OpenAI-compatible door: the service as the chat model `news-qa`, read by OpenAI's own Python SDK."""

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import httpx
import openai
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from api.app import create_app
from api.chat.errors import InvalidChatRequest, UnknownModel
from api.chat.replies import reply_text
from api.errors import STATUS_BY_CODE
from api.settings import ServerSettings
from qa.composition import open_service
from qa.models import Abstention, Answer, Citation, DateLimits, Source
from qa.query import Query, parse_moment
from qa.service import MAX_HISTORY
from tests.api.conftest import ARTICLES
from tests.api.test_errors import assert_error_shape
from tests.conftest import live_server
from tests.fakes import FakeEmbedder
from tests.readme_examples import readme_example

COMPLETIONS = "/v1/chat/completions"
VOTES = "How many votes did the senate budget pass by?"
TEXTS = {a["id"]: a["text"] for a in ARTICLES}


def chat(*contents: str, **options) -> dict:
    """A request whose messages alternate user and assistant, starting and ending with the user."""
    roles = ["user", "assistant"]
    messages = [{"role": roles[n % 2], "content": content} for n, content in enumerate(contents)]
    return {"model": "news-qa", "messages": messages, **options}


def content_of(body: dict) -> str:
    return body["choices"][0]["message"]["content"]


def streamed(response: httpx.Response) -> list[dict | str]:
    """The `data:` payloads of an event stream, `[DONE]` as it is."""
    payloads = [line.removeprefix("data: ") for line in response.text.split("\n\n") if line]
    return [payload if payload == "[DONE]" else json.loads(payload) for payload in payloads]


@pytest.fixture
def asked(loaded: TestClient, monkeypatch: pytest.MonkeyPatch) -> list[Query]:
    """The queries the service is handed."""
    service, queries = loaded.app.state.service, []
    retrieve = service.retrieve

    def recording(query: Query):
        queries.append(query)
        return retrieve(query)

    monkeypatch.setattr(service, "retrieve", recording)
    return queries


def test_the_one_model_is_listed_as_openai_lists_models(loaded: TestClient) -> None:
    body = loaded.get("/v1/models").json()
    assert body["object"] == "list" and [m["id"] for m in body["data"]] == ["news-qa"]
    assert set(body["data"][0]) == {"id", "object", "created", "owned_by"} and body["data"][0]["object"] == "model"


def test_a_reply_marks_each_cited_sentence_and_lists_its_sources(loaded: TestClient) -> None:
    body = loaded.post(COMPLETIONS, json=chat(VOTES)).json()
    assert body["object"] == "chat.completion" and body["model"] == "news-qa" and body["id"].startswith("chatcmpl-")
    assert body["choices"][0]["finish_reason"] == "stop" and body["choices"][0]["message"]["role"] == "assistant"
    answer, sources = content_of(body).split("\n\nSources:\n")
    quotes = [c["quote"] for c in body["citations"]]
    assert "51 votes to 49" in answer and answer == " ".join(f"{q} [{n}]" for n, q in enumerate(quotes, start=1))
    assert sources.splitlines()[0] == f'[1] "{quotes[0]}" — Budget vote, wire, 2024-03-01'
    assert len(sources.splitlines()) == len(quotes) and body["answerable"] and body["reason"] is None
    for citation in body["citations"]:
        text = loaded.get(f"/v1/articles/{citation['article_id']}").json()["text"]
        assert text[citation["start"] : citation["end"]] == citation["quote"]
    usage = body["usage"]
    assert usage["prompt_tokens"] > 0 and usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]


def test_the_stream_sends_the_same_reply_in_openais_chunks(loaded: TestClient) -> None:
    whole = loaded.post(COMPLETIONS, json=chat(VOTES)).json()
    response = loaded.post(COMPLETIONS, json=chat(VOTES, stream=True, stream_options={"include_usage": True}))
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/event-stream")
    *chunks, usage, done = streamed(response)
    assert done == "[DONE]" and usage["choices"] == [] and usage["usage"]["completion_tokens"] > 0
    assert {c["object"] for c in chunks} == {"chat.completion.chunk"} and len({c["id"] for c in chunks}) == 1
    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    assert "".join(c["choices"][0]["delta"].get("content", "") for c in chunks) == content_of(whole)
    assert [c["choices"][0]["finish_reason"] for c in chunks][-2:] == [None, "stop"]
    assert chunks[-1]["citations"] == whole["citations"] and chunks[-1]["answerable"] is True


def test_a_bad_question_is_a_json_error_before_any_chunk(loaded: TestClient) -> None:
    response = loaded.post(COMPLETIONS, json=chat("   ", stream=True))
    assert response.status_code == 422
    assert_error_shape(response.json(), "invalid_input")


def test_a_failure_once_streaming_is_data_in_the_one_error_shape(loaded: TestClient, monkeypatch) -> None:
    def broken(retrieval):
        raise RuntimeError("boom")

    monkeypatch.setattr(loaded.app.state.service, "answer", broken)
    payloads = streamed(loaded.post(COMPLETIONS, json=chat(VOTES, stream=True)))
    assert payloads[0]["choices"][0]["delta"]["role"] == "assistant" and "[DONE]" not in payloads
    assert_error_shape(payloads[-1], "internal_error")


def test_earlier_user_messages_are_the_history_of_the_last(loaded: TestClient, asked: list[Query]) -> None:
    first = loaded.post(COMPLETIONS, json=chat(VOTES)).json()
    follow_up = chat(VOTES, content_of(first), "And who is expected to sign it?")
    follow_up["messages"].insert(0, {"role": "system", "content": "You are a helpful assistant."})
    body = loaded.post(COMPLETIONS, json=follow_up).json()
    assert (asked[-1].question, asked[-1].history) in [
        ("And who is expected to sign it?", (VOTES,)),  # as sent, or its standalone rewriting
        (body["rewritten_question"], (VOTES,)),
    ]
    if body["rewritten_question"] is None:
        assert not content_of(body).startswith("Answering:")
    else:
        assert content_of(body).startswith(f"Answering: {body['rewritten_question']}\n\n")


def test_a_long_chat_sends_its_latest_questions(loaded: TestClient, asked: list[Query]) -> None:
    earlier = [f"What happened on day {n}?" for n in range(MAX_HISTORY + 5)]
    contents = [text for question in earlier for text in (question, "…")]
    assert loaded.post(COMPLETIONS, json=chat(*contents, VOTES)).status_code == 200
    assert asked[-1].history == tuple(earlier[-MAX_HISTORY:])


def test_text_parts_are_read_as_the_question(loaded: TestClient, asked: list[Query]) -> None:
    parts = [{"type": "text", "text": "How many votes did"}, {"type": "text", "text": "the senate budget pass by?"}]
    body = {"model": "news-qa", "messages": [{"role": "user", "content": parts}]}
    assert loaded.post(COMPLETIONS, json=body).status_code == 200
    assert asked[-1].question == "How many votes did\nthe senate budget pass by?"


def test_an_abstention_says_plainly_that_the_articles_do_not_answer(loaded: TestClient) -> None:
    body = loaded.post(COMPLETIONS, json=chat("quantum chromodynamics")).json()
    assert content_of(body).startswith("The articles do not answer this question")
    assert (body["answerable"], body["reason"], body["citations"]) == (False, "no_relevant_passages", [])
    outside = loaded.post(COMPLETIONS, json=chat(VOTES, filters={"published_after": "2024-04-01"})).json()
    assert outside["reason"] == "outside_date_range" and "outside those dates" in content_of(outside)
    assert "Budget vote, wire, 2024-03-01" in content_of(outside), "where the answer lies, with its date"


def test_the_services_own_options_narrow_the_articles(loaded: TestClient, asked: list[Query]) -> None:
    body = loaded.post(COMPLETIONS, json=chat(VOTES, top_k=2, filters={"source": "daily"}, as_of="2024-06-01")).json()
    assert {c["article_id"] for c in body["citations"]} <= {"storm"}
    assert asked[-1].top_k == 2 and asked[-1].filters.sources == ("daily",) and asked[-1].as_of.year == 2024


def test_openais_usual_parameters_are_taken(loaded: TestClient) -> None:
    options = {"temperature": 0.2, "top_p": 1, "max_tokens": 50, "max_completion_tokens": 50, "n": 1,
               "user": "desk-7", "seed": 3, "stop": ["\n\n"], "presence_penalty": 0, "frequency_penalty": 0,
               "stream": False, "stream_options": {"include_usage": True}, "logit_bias": {"50256": -100},
               "response_format": {"type": "text"}, "tools": [], "parallel_tool_calls": False, "metadata": {}}
    messages = [{"role": "developer", "content": "Be brief."}, {"role": "user", "content": VOTES},
                {"role": "assistant", "content": None, "tool_calls": []},
                {"role": "tool", "content": "{}", "tool_call_id": "call_1"}]
    response = loaded.post(COMPLETIONS, json={"model": "news-qa", "messages": messages, **options})
    assert response.status_code == 200, response.text
    assert "51 votes to 49" in content_of(response.json())


REFUSED = [
    (chat(VOTES) | {"model": "gpt-4o"}, 404, "model_not_found"),
    (chat(VOTES, n=2), 400, "invalid_chat_request"),
    ({"model": "news-qa", "messages": [{"role": "system", "content": "Be brief."}]}, 400, "invalid_chat_request"),
    ({"model": "news-qa", "messages": []}, 400, "invalid_chat_request"),
    ({"model": "news-qa", "messages": [{"role": "user", "content": [
        {"type": "image_url", "image_url": {"url": "https://news.example/a.png"}}]}]}, 400, "invalid_chat_request"),
    ({"model": "news-qa", "messages": [{"role": "narrator", "content": VOTES}]}, 422, "invalid_request"),
    ({"model": "news-qa"}, 422, "invalid_request"),
    (chat(VOTES, top_k="3"), 422, "invalid_request"),
    (chat(VOTES, filters={"sauce": "wire"}), 422, "invalid_request"),
    (chat(VOTES, as_of="soon"), 422, "invalid_input"),
    (chat(VOTES, "…", "\u0000"), 422, "invalid_input"),
]


def test_what_cannot_be_honoured_is_refused_in_the_one_shape(client: TestClient) -> None:
    # One app for every case: starting one per case took longer than all the requests.
    for body, status, code in REFUSED:
        for stream in (False, True):
            response = client.post(COMPLETIONS, json={**body, "stream": stream})
            assert response.status_code == status, (body, response.text)
            assert_error_shape(response.json(), code)


def test_the_chat_doors_error_codes_have_their_status() -> None:
    assert STATUS_BY_CODE[UnknownModel.code] == 404 and STATUS_BY_CODE[InvalidChatRequest.code] == 400


def test_the_openapi_document_describes_both_routes(loaded: TestClient) -> None:
    document = loaded.get("/openapi.json").json()
    post = document["paths"]["/v1/chat/completions"]["post"]
    models = document["paths"]["/v1/models"]["get"]
    assert (post["operationId"], models["operationId"]) == ("chat_completions", "list_models")
    assert post["tags"] == ["chat"] and set(post["responses"]["200"]["content"]) == {"application/json",
                                                                                      "text/event-stream"}
    assert post["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/ChatCompletionOut")
    assert models["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/ModelListOut")
    assert "citations" in document["components"]["schemas"]["ChatCompletionOut"]["required"]


SOURCE = Source("budget", "Budget vote", None, "wire", "Fri, 01 Mar 2024 10:00:00 GMT")
FIRST = Citation(SOURCE, 0, 58, "The senate passed the budget on Tuesday by 51 votes to 49.")
SECOND = Citation(Source("sign", None, "https://news.example/sign", None, None), 0, 30, "The president will\nsign it.")


def test_a_written_answer_keeps_its_own_markers() -> None:
    written = Answer("Who signs?", "It passed [1] and he signs [2].", (FIRST, SECOND), (), generated=True)
    assert reply_text(written) == (
        "It passed [1] and he signs [2].\n\nSources:\n"
        f'[1] "{FIRST.quote}" — Budget vote, wire, 2024-03-01\n'
        '[2] "The president will sign it." — article sign, https://news.example/sign'
    )


def test_a_rewritten_follow_up_says_what_was_answered() -> None:
    extractive = Answer("Who signs the budget?", f"{FIRST.quote} {SECOND.quote}", (FIRST, SECOND), (),
                        asked="And who signs it?")
    assert reply_text(extractive).startswith(
        f"Answering: Who signs the budget?\n\n{FIRST.quote} [1] {SECOND.quote} [2]\n\nSources:\n[1] ")
    unanswered = Answer("Who signs the budget?", None, (), (), Abstention.LOW_CONFIDENCE, asked="And who signs it?")
    assert reply_text(unanswered).splitlines()[:3] == [
        "Answering: Who signs the budget?", "", "The articles do not answer this question: some passages touch on it, "
        "but no sentence in them answers it well enough to quote."]


def test_an_answer_within_dates_says_so_first() -> None:
    dates = DateLimits(as_of=parse_moment("2024-06-03", "as_of", end_of_day=True))
    answer = Answer("Who signs the budget?", FIRST.quote, (FIRST,), (), dates=dates)
    assert reply_text(answer).startswith(f"As of 3 June 2024.\n\n{FIRST.quote} [1]")


@contextmanager
def served(settings: ServerSettings, read_key: str | None = None, write_key: str | None = None) -> Iterator[str]:
    """A real server with the fake model and the test articles, keys required when given; yields its URL."""
    keys = {"read_keys": [SecretStr(read_key)], "write_keys": [SecretStr(write_key)]} if write_key else {}
    configured = settings.model_copy(update=keys)
    service = open_service(configured, FakeEmbedder())
    try:
        with live_server(create_app(configured, service)) as url:
            writing = {"Authorization": f"Bearer {write_key}"} if write_key else {}
            # The first ingest of a process loads the speech pipeline, which takes longer than httpx waits by default.
            assert httpx.post(f"{url}/v1/articles", json=ARTICLES, headers=writing, timeout=60).status_code == 200
            yield url
    finally:
        service.close()


def sdk(url: str, key: str = "any-key-while-the-api-is-open") -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{url}/v1", api_key=key, max_retries=0)


def test_the_openai_sdk_uses_the_service_as_a_model(settings: ServerSettings) -> None:
    with served(settings) as url:
        client = sdk(url)
        assert [model.id for model in client.models.list()] == ["news-qa"]
        completion = client.chat.completions.create(model="news-qa", messages=[{"role": "user", "content": VOTES}])
        content = completion.choices[0].message.content
        assert "[1]" in content and "\n\nSources:\n[1] " in content
        citations = completion.citations
        assert citations == completion.model_extra["citations"] and citations
        for citation in citations:
            text = httpx.get(f"{url}/v1/articles/{citation['article_id']}").json()["text"]
            assert text[citation["start"] : citation["end"]] == citation["quote"]
        chunks = list(client.chat.completions.create(model="news-qa", stream=True,
                                                     messages=[{"role": "user", "content": VOTES}]))
        assert "".join(c.choices[0].delta.content or "" for c in chunks) == content
        assert chunks[-1].choices[0].finish_reason == "stop" and chunks[-1].citations == citations
        follow_up = client.chat.completions.create(model="news-qa", messages=[
            {"role": "user", "content": VOTES}, {"role": "assistant", "content": content},
            {"role": "user", "content": "And who is expected to sign it?"}])
        rewritten = follow_up.rewritten_question
        assert follow_up.choices[0].message.content.startswith("Answering: ") == (rewritten is not None)
        unanswered = client.chat.completions.create(model="news-qa", messages=[
            {"role": "user", "content": "quantum chromodynamics"}])
        assert "do not answer" in unanswered.choices[0].message.content and unanswered.citations == []


def test_the_sdk_raises_what_the_service_refuses(settings: ServerSettings) -> None:
    key = "chat-read-key-1"
    with served(settings, read_key=key, write_key="chat-write-key-1") as url:
        with pytest.raises(openai.AuthenticationError, match="an API key is required"):
            # The SDK insists on a key; this client leaves its header out, as a front end with none set would.
            sdk(url).chat.completions.create(model="news-qa", messages=[{"role": "user", "content": VOTES}],
                                             extra_headers={"Authorization": openai.omit})
        with pytest.raises(openai.AuthenticationError, match="not valid"):
            sdk(url, "wrong-key").models.list()
        client = sdk(url, key)
        with pytest.raises(openai.NotFoundError, match="one model 'news-qa'") as unknown:
            client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": VOTES}])
        assert unknown.value.code == "model_not_found"
        with pytest.raises(openai.BadRequestError, match="no user message"):
            client.chat.completions.create(model="news-qa", messages=[{"role": "system", "content": "Be brief."}])
        assert client.chat.completions.create(model="news-qa", messages=[{"role": "user", "content": VOTES}]).citations


def test_the_readme_example_runs(settings: ServerSettings) -> None:
    with served(settings) as url:
        code = readme_example("openai-chat", url)
        environment = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
        run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=environment)
    assert run.returncode == 0, run.stderr
    assert "51 votes to 49. [1]" in run.stdout and "\nSources:\n[1] " in run.stdout
    assert "1 budget 0 58" in run.stdout, "each citation's article and offsets"


def test_a_read_key_may_chat(make_client: Callable[..., TestClient]) -> None:
    client = make_client(read_keys=[SecretStr("chat-read-key-2")])
    assert client.post(COMPLETIONS, json=chat(VOTES)).status_code == 401
    keyed = client.post(COMPLETIONS, json=chat(VOTES), headers={"Authorization": "Bearer chat-read-key-2"})
    assert keyed.status_code == 200, keyed.text
