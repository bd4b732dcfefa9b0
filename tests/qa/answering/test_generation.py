"""Written answers: the client against a local OpenAI-compatible test server, and every marker checked."""

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from qa.articles import Article
from qa.answering.chat_client import OpenAICompatibleChat
from qa.answering.generation import AnswerWriter, GenerationFailed
from qa.models import Citation, Source
from qa.query import Query
from qa.composition import open_service
from qa.settings import Settings
from tests.fakes import FakeEmbedder

SOURCE = Source("a", "Budget", None, None, None)
EVIDENCE = (
    Citation(SOURCE, 0, 10, "The senate passed the budget by 51 votes to 49 on Tuesday."),
    Citation(SOURCE, 11, 20, "The president will sign the budget bill this week."),
)


class FakeChatServer:
    """Answers POST /v1/chat/completions with whatever `reply` holds; records what it was sent."""

    def __init__(self) -> None:
        self.reply: object = "placeholder"
        self.requests: list[dict] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the http.server API
                outer.requests.append({"path": self.path, "auth": self.headers.get("Authorization"),
                                       "body": json.loads(self.rfile.read(int(self.headers["Content-Length"])))})
                if outer.reply is None:
                    self.send_response(500)
                    self.end_headers()
                    return
                payload = outer.reply if isinstance(outer.reply, dict) else {
                    "choices": [{"message": {"role": "assistant", "content": outer.reply}}]}
                body = json.dumps(payload).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/v1"
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def server() -> Iterator[FakeChatServer]:
    server = FakeChatServer()
    yield server
    server.close()


def writer_for(server: FakeChatServer) -> AnswerWriter:
    return AnswerWriter(OpenAICompatibleChat(server.url, "test-model", "secret-key", 5.0, 200))


def test_the_client_speaks_the_chat_completions_api(server: FakeChatServer) -> None:
    server.reply = "The senate passed the budget by 51 votes to 49 [1]."
    chat = OpenAICompatibleChat(server.url, "test-model", "secret-key", 5.0, 200)
    assert chat.complete([{"role": "user", "content": "hi"}]) == server.reply
    request = server.requests[0]
    assert request["path"] == "/v1/chat/completions" and request["auth"] == "Bearer secret-key"
    assert request["body"]["model"] == "test-model" and request["body"]["messages"][0]["content"] == "hi"


@pytest.mark.parametrize("reply", [None, {"choices": []}, {"nothing": 1}, "   "])
def test_a_failing_endpoint_is_reported_as_such(server: FakeChatServer, reply: object) -> None:
    server.reply = reply
    with pytest.raises(GenerationFailed):
        OpenAICompatibleChat(server.url, "m", None, 5.0, 200).complete([{"role": "user", "content": "x"}])


def test_supported_sentences_keep_their_markers_renumbered(server: FakeChatServer) -> None:
    server.reply = "The president will sign the budget bill this week [2]. The senate passed the budget 51 to 49 [1]."
    written = writer_for(server).write("What happened to the budget?", EVIDENCE)
    assert written.text == "The president will sign the budget bill this week. [1] The senate passed the budget 51 to 49. [2]"
    assert written.citations == (EVIDENCE[1], EVIDENCE[0])
    prompt = server.requests[0]["body"]["messages"][1]["content"]
    assert "[1] The senate passed the budget" in prompt and "Question: What happened to the budget?" in prompt


def test_unsupported_or_unknown_markers_are_dropped(server: FakeChatServer) -> None:
    server.reply = ("The senate passed the budget by 51 votes [1]. The governor vetoed a tax on yachts [2]. "
                    "Markets rallied sharply [7]. No citation here.")
    written = writer_for(server).write("What happened?", EVIDENCE)
    assert written.text == "The senate passed the budget by 51 votes. [1]" and written.citations == (EVIDENCE[0],)


@pytest.mark.parametrize("reply", ["NOT IN THE SOURCES", "Aliens landed [1].", None])
def test_nothing_usable_means_no_written_answer(server: FakeChatServer, reply: object) -> None:
    server.reply = reply
    assert writer_for(server).write("What happened?", EVIDENCE) is None


def test_the_service_uses_a_written_answer_and_falls_back_without_one(
    server: FakeChatServer, settings: Settings, embedder: FakeEmbedder
) -> None:
    configured = settings.model_copy(update={"llm_base_url": server.url, "llm_model": "m", "min_answer_score": 0.1})
    service = open_service(configured, embedder)
    service.ingest_articles([Article("budget", EVIDENCE[0].quote + " " + EVIDENCE[1].quote)])
    server.reply = "The budget passed the senate by 51 votes to 49 [1]."
    answer = service.ask(Query("How many votes did the budget get in the senate?"))
    assert answer.generated and answer.text == "The budget passed the senate by 51 votes to 49. [1]"
    assert answer.citations[0].quote == EVIDENCE[0].quote
    server.reply = None
    fallback = service.ask(Query("How many votes did the budget get in the senate?"))
    assert not fallback.generated and fallback.answerable and "51 votes" in fallback.text
