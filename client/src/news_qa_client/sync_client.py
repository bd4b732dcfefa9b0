"""`NewsQA`: the API's operations as methods, over a blocking httpx client."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
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


class NewsQA:
    """A client of the news-qa service at `base_url`. `api_key` is sent as `Authorization: Bearer`.
    Give `http_client` to share an httpx.Client (its timeout applies unless `timeout` is given); this
    client then leaves it open on `close()`. Every failure raises `NewsQAError`."""

    def __init__(self, base_url: str = DEFAULT_BASE_URL, *, api_key: str | None = None, timeout: Timeout = None,
                 http_client: httpx.Client | None = None) -> None:
        self.connection = Connection(base_url, api_key, timeout)
        self._owns_http = http_client is None
        self._http = http_client or httpx.Client(timeout=DEFAULT_TIMEOUT if timeout is None else timeout)

    def __enter__(self) -> NewsQA:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        if self._owns_http:
            self._http.close()

    def ask(self, question: str, *, top_k: int | None = None, filters: Filters | None = None,
            as_of: Moment | None = None, history: Sequence[str] | None = None) -> models.AnswerOut:
        return self._send(calls.ask(question, top_k, filters, as_of, history))

    def ask_stream(self, question: str, *, top_k: int | None = None, filters: Filters | None = None,
                   as_of: Moment | None = None, history: Sequence[str] | None = None) -> Iterator[StreamEvent]:
        """The answer as it is made: passages, answer, citations, done. Sent when iteration starts."""
        return self._stream(calls.ask_stream(question, top_k, filters, as_of, history))

    def search(self, q: str, *, top_k: int | None = None, as_of: Moment | None = None,
               **filters: Unpack[ArticleFilters]) -> models.SearchOut:
        return self._send(calls.search(q, top_k, as_of, dict(filters)))

    def quotes(self, speaker: str, q: str | None = None, *, top_k: int | None = None, sort: Sort | None = None,
               as_of: Moment | None = None, **filters: Unpack[ArticleFilters]) -> models.QuotesOut:
        return self._send(calls.quotes(speaker, q, top_k, sort, as_of, dict(filters)))

    def article_quotes(self, article_id: str | int) -> models.ArticleQuotesOut:
        return self._send(calls.article_quotes(article_id))

    def add_articles(self, articles: Article | Sequence[Article]) -> models.ArticlesAddedOut:
        return self._send(calls.add_articles(articles))

    def list_articles(self, *, limit: int | None = None, cursor: str | None = None,
                      **filters: Unpack[ArticleFilters]) -> models.ArticleListOut:
        return self._send(calls.list_articles(limit, cursor, dict(filters)))

    def delete_articles(self, **filters: Unpack[ArticleFilters]) -> models.DeletedManyOut:
        return self._send(calls.delete_articles(dict(filters)))

    def get_article(self, article_id: str | int) -> models.ArticleOut:
        return self._send(calls.get_article(article_id))

    def put_article(self, article_id: str | int, article: Article, *,
                    if_match: str | None = None) -> models.ArticleResultOut:
        return self._send(calls.put_article(article_id, article, if_match))

    def delete_article(self, article_id: str | int) -> models.DeletedOut:
        return self._send(calls.delete_article(article_id))

    def list_sources(self) -> models.FollowedSourcesOut:
        return self._send(calls.list_sources())

    def add_source(self, url: str, *, every: str | int | None = None,
                   visibility: str | None = None) -> models.FollowedSourceOut:
        return self._send(calls.add_source(url, every, visibility))

    def get_source(self, source_id: str) -> models.FollowedSourceOut:
        return self._send(calls.get_source(source_id))

    def remove_source(self, source_id: str) -> models.FollowedSourceRemovedOut:
        return self._send(calls.remove_source(source_id))

    def sync_source(self, source_id: str) -> models.SyncedOut:
        return self._send(calls.sync_source(source_id))

    def healthz(self) -> models.HealthOut:
        return self._send(calls.healthz())

    def readyz(self) -> models.ReadyOut:
        return self._send(calls.readyz())

    def _send(self, call: Call[T]) -> T:
        url = self.connection.url(call.path)
        with transport_errors(url):
            response = self._http.request(call.method, url, **self._options(call))
        return call.read(response.status_code, response.content)

    def _stream(self, call: Call[Any]) -> Iterator[StreamEvent]:
        url = self.connection.url(call.path)
        with transport_errors(url), self._http.stream(call.method, url, **self._options(call)) as response:
            if response.is_error:
                call.read(response.status_code, response.read())
            reader = EventReader()
            for line in response.iter_lines():
                if event := reader.feed(line):
                    yield event

    def _options(self, call: Call[Any]) -> dict[str, Any]:
        timeout = self.connection.timeout
        return {"params": call.params, "json": call.json, "headers": {**self.connection.headers(), **call.headers},
                "timeout": httpx.USE_CLIENT_DEFAULT if timeout is None else timeout}
