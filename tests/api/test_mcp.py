"""The MCP tools, through the SDK's own client: over streamable HTTP at /mcp of a real server, with
the API keys and their views; and over stdio from `qa mcp`, with the real model (integration)."""

import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import httpx
import httpx2
import pytest
from fastapi.testclient import TestClient
from mcp import Client, MCPError
from mcp.client.stdio import StdioServerParameters
from mcp.client.streamable_http import streamable_http_client
from mcp_types import CallToolResult

from api.app import create_app
from api.settings import ServerSettings
from qa.composition import open_service
from qa.service import QAService
from tests.api.test_views import ARTICLES as VIEW_ARTICLES, KEYS, VIEWS, keys_file
from tests.conftest import SEEDS, live_server
from tests.fakes import FakeEmbedder
from tests.readme_examples import readme_example

TOOLS = {"search", "ask", "get_article", "quotes"}
IRAN_QUOTE = '"Iran must never have nuclear weapons," Prime Minister Benjamin Netanyahu said on Sunday.'
ARTICLES = [*VIEW_ARTICLES, {"id": "art-iran", "source": "wire", "title": "Netanyahu on Iran",
                             "text": f"Israel's cabinet met in Jerusalem. {IRAN_QUOTE}"}]
TEXTS = {article["id"]: article["text"] for article in ARTICLES}


@pytest.fixture(scope="module")
def server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One server for the module, with the keys of tests/api/test_views.py, the articles posted."""
    folder = tmp_path_factory.mktemp("mcp")
    with pytest.MonkeyPatch.context() as environment:
        for name in [n for n in os.environ if n.startswith("QA_")]:
            environment.delenv(name)
        settings = ServerSettings(index_dir=folder / "index", chunk_tokens=40, chunk_overlap_tokens=8,
                                  keys_file=keys_file(folder))
    service = open_service(settings, FakeEmbedder())
    with live_server(create_app(settings, service), settings) as url:
        posted = httpx.post(f"{url}/v1/articles", json=ARTICLES, headers={"X-API-Key": KEYS["all"][0]}, timeout=60)
        assert posted.status_code == 200, posted.text
        yield url
    service.close()


@asynccontextmanager
async def connected(url: str, key: str | None, mode: str = "auto") -> AsyncIterator[Client]:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    async with httpx2.AsyncClient(headers=headers, timeout=30) as http:
        async with Client(streamable_http_client(f"{url}/mcp", http_client=http), mode=mode) as client:
            yield client


def with_client(url: str, key: str | None, work: Callable[[Client], Awaitable[Any]], mode: str = "auto") -> Any:
    async def main() -> Any:
        async with connected(url, key, mode) as client:
            return await work(client)

    return anyio.run(main)


def calls(*requests: tuple[str, dict[str, Any]]) -> Callable[[Client], Awaitable[list[CallToolResult]]]:
    async def work(client: Client) -> list[CallToolResult]:
        return [await client.call_tool(name, arguments) for name, arguments in requests]

    return work


def article_ids(shape: object) -> set[str]:
    """Every article id a result names, however deep (citations, passages, also_reported_by, ...)."""
    if isinstance(shape, dict):
        own = {shape["article_id"]} if isinstance(shape.get("article_id"), str) else set()
        return own.union(*(article_ids(value) for value in shape.values()))
    if isinstance(shape, list):
        return set().union(*(article_ids(value) for value in shape))
    return set()


def assert_verbatim(cited: list[dict[str, Any]], key: str = "quote") -> None:
    assert cited
    for item in cited:
        assert TEXTS[item["article_id"]][item["start"]:item["end"]] == item[key]


def test_the_tools_are_listed_with_input_and_output_schemas(server_url: str) -> None:
    listed = with_client(server_url, KEYS["all"][0], lambda client: client.list_tools())
    tools = {tool.name: tool for tool in listed.tools}
    assert set(tools) == TOOLS
    for tool in tools.values():
        assert tool.input_schema["type"] == "object" and tool.input_schema["properties"]
        assert tool.output_schema and "text[start:end]" in tool.description
        assert tool.annotations.read_only_hint
    assert {"question", "top_k", "filters", "as_of", "history"} <= set(tools["ask"].input_schema["properties"])
    assert tools["get_article"].input_schema["required"] == ["article_id"]


def test_each_tool_cites_the_articles_verbatim(server_url: str) -> None:
    ask, search, quotes, article = with_client(server_url, KEYS["all"][0], calls(
        ("ask", {"question": "What did Netanyahu say about Iran?"}),
        ("search", {"question": "ferry timetable", "top_k": 3, "filters": {"source": "wire"}}),
        ("quotes", {"speaker": "Pérez", "topic": "ferry"}),
        ("get_article", {"article_id": "art-iran"}),
    ))
    assert not any(result.is_error for result in (ask, search, quotes, article))
    answer = ask.structured_content
    assert answer["answerable"] and answer["citations"][0]["quote"] == IRAN_QUOTE
    assert_verbatim(answer["citations"])
    assert answer["citations"][0]["speaker"] == "Benjamin Netanyahu"
    assert_verbatim(search.structured_content["passages"], key="text")
    assert {p["source"] for p in search.structured_content["passages"]} == {"wire"}
    assert_verbatim(quotes.structured_content["quotes"])
    assert article.structured_content["text"] == TEXTS["art-iran"]
    # The text block carries the same JSON, for clients that read only text.
    assert json.loads(ask.content[0].text) == answer


def test_ask_answers_as_v1_ask_does_with_the_same_fields(server_url: str) -> None:
    body = {"question": "And what did he say about Iran?", "history": ["What did Netanyahu say about Hamas?"],
            "top_k": 3, "filters": {"source": ["wire"]}, "as_of": "2099-12-31"}
    [answer] = with_client(server_url, KEYS["public"][0], calls(("ask", body)))
    routed = httpx.post(f"{server_url}/v1/ask", json=body, headers={"X-API-Key": KEYS["public"][0]}, timeout=30)
    assert not answer.is_error and answer.structured_content == routed.json()


def test_a_bad_input_is_a_tool_error_with_the_domains_code(server_url: str) -> None:
    empty, late, missing = with_client(server_url, KEYS["all"][0], calls(
        ("ask", {"question": "   "}),
        ("search", {"question": "ferry", "as_of": "not a date"}),
        ("get_article", {"article_id": "no-such-article"}),
    ))
    assert empty.is_error and '"code": "invalid_input"' in empty.content[0].text
    assert "question is empty" in empty.content[0].text
    assert late.is_error and '"code": "invalid_input"' in late.content[0].text
    assert missing.is_error and '"code": "article_not_found"' in missing.content[0].text


@pytest.mark.parametrize("key", [None, "not-a-key"])
def test_a_call_without_a_valid_key_is_refused(server_url: str, key: str | None) -> None:
    # The key is checked before the body is read: the client cannot even start.
    with pytest.raises(Exception) as refused:
        with_client(server_url, key, lambda client: client.list_tools())
    assert any(isinstance(error, MCPError) for error in _leaves(refused.value))
    headers = {"X-API-Key": key} if key else {}
    sent = httpx.post(f"{server_url}/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"}, headers=headers)
    assert sent.status_code == 401 and sent.json()["error"]["code"] == "unauthorized"


# Both eras of the protocol: the initialize handshake (2025), and self-contained requests (2026-07-28).
@pytest.mark.parametrize("mode", ["legacy", "auto"])
def test_a_key_limited_to_a_view_never_sees_an_article_outside_it(server_url: str, mode: str) -> None:
    key, view = KEYS["public"][0], VIEWS["public"] | {"art-iran"}
    results = with_client(server_url, key, calls(
        ("ask", {"question": "What did Mayor Ana Pérez say about the ferry terminal?"}),
        ("search", {"question": "harbour council ferry terminal", "top_k": 10}),
        ("quotes", {"speaker": "Ana Pérez"}),
        ("get_article", {"article_id": "art-internal"}),
    ), mode)
    *found, hidden = results
    assert not any(result.is_error for result in found)
    seen = article_ids([result.structured_content for result in found])
    assert seen and seen <= view, seen - view
    assert hidden.is_error and '"code": "article_not_found"' in hidden.content[0].text


def test_the_readme_example_runs_against_the_server(server_url: str, tmp_path: Path) -> None:
    script = tmp_path / "example.py"
    script.write_text(readme_example("mcp-http", server_url))
    environment = {name: value for name, value in os.environ.items() if not name.startswith("QA_")}
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60,
                          env={**environment, "NEWS_QA_API_KEY": KEYS["public"][0]})
    assert done.returncode == 0, done.stderr
    assert "ask, get_article, quotes, search" in done.stdout
    assert IRAN_QUOTE in done.stdout and "art-iran" in done.stdout


def test_an_open_server_on_loopback_serves_anyone_but_refuses_another_host(settings: ServerSettings,
                                                                          service: QAService) -> None:
    with live_server(create_app(settings, service), settings) as url:
        listed = with_client(url, None, lambda client: client.list_tools())
        assert {tool.name for tool in listed.tools} == TOOLS
        # A page on another site, its name pointed at 127.0.0.1 (DNS rebinding), is not answered.
        rebound = httpx.post(f"{url}/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
                             headers={"Host": "attacker.example", "Accept": "application/json, text/event-stream"})
        assert rebound.status_code == 421


def test_before_the_app_starts_mcp_is_not_ready_and_outside_the_openapi_document(settings: ServerSettings,
                                                                                 service: QAService) -> None:
    app = create_app(settings, service)
    starting = TestClient(app)  # not entered: the lifespan has not started the transport yet
    response = starting.post("/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"})
    assert response.status_code == 503 and response.json()["error"]["code"] == "not_ready"
    assert not [path for path in starting.get("/openapi.json").json()["paths"] if path.startswith("/mcp")]


@pytest.mark.integration
def test_qa_mcp_serves_the_tools_over_stdio(tmp_path: Path) -> None:
    environment = {name: value for name, value in os.environ.items() if not name.startswith("QA_")}
    environment["QA_INDEX_DIR"] = str(tmp_path / "index")
    qa = Path(sys.executable).with_name("qa")
    ingested = subprocess.run([str(qa), "ingest", "-q", str(SEEDS)], env=environment, capture_output=True,
                              text=True, timeout=300)
    assert ingested.returncode == 0, ingested.stderr

    async def main() -> tuple[Any, CallToolResult, dict[str, str]]:
        launch = StdioServerParameters(command=str(qa), args=["mcp"], env=environment)
        async with Client(launch, read_timeout_seconds=120) as client:
            listed = await client.list_tools()
            answer = await client.call_tool("ask", {"question": "What did Netanyahu say about Iran?"})
            texts = {}
            for article_id in {c["article_id"] for c in answer.structured_content["citations"]}:
                article = await client.call_tool("get_article", {"article_id": article_id})
                texts[article_id] = article.structured_content["text"]
            return listed, answer, texts

    listed, answer, texts = anyio.run(main)
    assert {tool.name for tool in listed.tools} == TOOLS
    assert not answer.is_error and answer.structured_content["citations"]
    for citation in answer.structured_content["citations"]:
        assert texts[citation["article_id"]][citation["start"]:citation["end"]] == citation["quote"]
    assert set(texts) <= {path.name.removesuffix(".txt") for path in SEEDS.glob("*.txt")}


def _leaves(error: BaseException) -> list[BaseException]:
    if isinstance(error, BaseExceptionGroup):
        return [leaf for inner in error.exceptions for leaf in _leaves(inner)]
    return [error, *([error.__cause__] if error.__cause__ else [])]
