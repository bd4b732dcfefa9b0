"""`AsyncNewsQA`: the API's operations as coroutines, over an async httpx client; the mirror of NewsQA."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import TYPE_CHECKING, Any

import httpx

from news_qa_client import calls, models
from news_qa_client.calls import Article, Call, Filters, Sort, T
from news_qa_client.connection import DEFAULT_BASE_URL, DEFAULT_TIMEOUT, Connection, Timeout
from news_qa_client.errors import transport_errors
from news_qa_client.filters import Moment
from news_qa_client.streaming import EventReader, StreamEvent

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from news_qa_client.filters import ArticleFilters


class AsyncNewsQA:
    """A client of the news-qa service at `base_url`. `api_key` is sent as `Authorization: Bearer`.
    Give `http_client` to share an httpx.AsyncClient (its timeout applies unless `timeout` is given);
    this client then leaves it open on `close()`. Every failure raises `NewsQAError`."""

    def __init__(self, base_url: str = DEFAULT_BASE_URL, *, api_key: str | None = None, timeout: Timeout = None,
                 http_client: httpx.AsyncClient | None = None) -> None:
        self.connection = Connection(base_url, api_key, timeout)
        self._owns_http = http_client is None
        self._http = http_client or httpx.AsyncClient(timeout=DEFAULT_TIMEOUT if timeout is None else timeout)

    async def __aenter__(self) -> AsyncNewsQA:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def close(self) -> None:
        if self._owns_http:
            await self._http.aclose()

    async def ask(self, question: str, *, top_k: int | None = None, filters: Filters | None = None,
                  as_of: Moment | None = None, history: Sequence[str] | None = None) -> models.AnswerOut:
        return await self._send(calls.ask(question, top_k, filters, as_of, history))

    def ask_stream(self, question: str, *, top_k: int | None = None, filters: Filters | None = None,
                   as_of: Moment | None = None,
                   history: Sequence[str] | None = None) -> AsyncIterator[StreamEvent]:
        """The answer as it is made: passages, answer, citations, done. Sent when iteration starts."""
        return self._stream(calls.ask_stream(question, top_k, filters, as_of, history))

    async def search(self, q: str, *, top_k: int | None = None, as_of: Moment | None = None,
                     **filters: Unpack[ArticleFilters]) -> models.SearchOut:
        return await self._send(calls.search(q, top_k, as_of, dict(filters)))

    async def quotes(self, speaker: str, q: str | None = None, *, top_k: int | None = None,
                     sort: Sort | None = None, as_of: Moment | None = None,
                     **filters: Unpack[ArticleFilters]) -> models.QuotesOut:
        return await self._send(calls.quotes(speaker, q, top_k, sort, as_of, dict(filters)))

    async def article_quotes(self, article_id: str | int) -> models.ArticleQuotesOut:
        return await self._send(calls.article_quotes(article_id))

    async def add_articles(self, articles: Article | Sequence[Article]) -> models.ArticlesAddedOut:
        return await self._send(calls.add_articles(articles))

    async def list_articles(self, *, limit: int | None = None, cursor: str | None = None,
                            **filters: Unpack[ArticleFilters]) -> models.ArticleListOut:
        return await self._send(calls.list_articles(limit, cursor, dict(filters)))

    async def delete_articles(self, **filters: Unpack[ArticleFilters]) -> models.DeletedManyOut:
        return await self._send(calls.delete_articles(dict(filters)))

    async def get_article(self, article_id: str | int) -> models.ArticleOut:
        return await self._send(calls.get_article(article_id))

    async def put_article(self, article_id: str | int, article: Article, *,
                          if_match: str | None = None) -> models.ArticleResultOut:
        return await self._send(calls.put_article(article_id, article, if_match))

    async def delete_article(self, article_id: str | int) -> models.DeletedOut:
        return await self._send(calls.delete_article(article_id))

    async def list_sources(self) -> models.FollowedSourcesOut:
        return await self._send(calls.list_sources())

    async def add_source(self, url: str, *, every: str | int | None = None,
                         visibility: str | None = None) -> models.FollowedSourceOut:
        return await self._send(calls.add_source(url, every, visibility))

    async def get_source(self, source_id: str) -> models.FollowedSourceOut:
        return await self._send(calls.get_source(source_id))

    async def remove_source(self, source_id: str) -> models.FollowedSourceRemovedOut:
        return await self._send(calls.remove_source(source_id))

    async def sync_source(self, source_id: str) -> models.SyncedOut:
        return await self._send(calls.sync_source(source_id))

    async def healthz(self) -> models.HealthOut:
        return await self._send(calls.healthz())

    async def readyz(self) -> models.ReadyOut:
        return await self._send(calls.readyz())

    async def _send(self, call: Call[T]) -> T:
        url = self.connection.url(call.path)
        with transport_errors(url):
            response = await self._http.request(call.method, url, **self._options(call))
        return call.read(response.status_code, response.content)

    async def _stream(self, call: Call[Any]) -> AsyncIterator[StreamEvent]:
        url = self.connection.url(call.path)
        with transport_errors(url):
            async with self._http.stream(call.method, url, **self._options(call)) as response:
                if response.is_error:
                    call.read(response.status_code, await response.aread())
                reader = EventReader()
                async for line in response.aiter_lines():
                    if event := reader.feed(line):
                        yield event

    def _options(self, call: Call[Any]) -> dict[str, Any]:
        timeout = self.connection.timeout
        return {"params": call.params, "json": call.json, "headers": {**self.connection.headers(), **call.headers},
                "timeout": httpx.USE_CLIENT_DEFAULT if timeout is None else timeout}
