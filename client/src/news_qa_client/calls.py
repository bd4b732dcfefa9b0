"""Every operation of the API as one `Call`: method, path, query, body, and the model its answer is read
into. The sync and async clients send the same calls; only how they wait differs."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, Literal, TypeVar
from urllib.parse import quote

from pydantic import BaseModel, ValidationError

from news_qa_client import models
from news_qa_client.errors import INVALID_REQUEST, INVALID_RESPONSE, NewsQAError, error_from_response, invalid_request
from news_qa_client.filters import Moment, query_values

T = TypeVar("T", bound=BaseModel)
Article = models.ArticleIn | Mapping[str, Any]
Filters = models.FiltersIn | Mapping[str, Any]
Sort = Literal["relevance", "date"]


@dataclass(frozen=True)
class Call(Generic[T]):
    method: str
    path: str
    returns: type[T]
    params: dict[str, Any] = field(default_factory=dict)
    json: Any = None
    headers: dict[str, str] = field(default_factory=dict)

    def read(self, status: int, body: bytes) -> T:
        if status >= 400:
            raise error_from_response(status, body)
        try:
            return self.returns.model_validate_json(body)
        except ValidationError as error:
            raise NewsQAError(status, INVALID_RESPONSE, f"{self.method} {self.path} answered with no "
                              f"{self.returns.__name__}: {error.errors()[0]['msg']}") from error


def ask(question: str, top_k: int | None, filters: Filters | None, as_of: Moment | None,
        history: Sequence[str] | None) -> Call[models.AnswerOut]:
    return Call("POST", "/v1/ask", models.AnswerOut, json=_ask_body(question, top_k, filters, as_of, history))


def ask_stream(question: str, top_k: int | None, filters: Filters | None, as_of: Moment | None,
               history: Sequence[str] | None) -> Call[models.AnswerOut]:
    """The same answer as `ask`, told in events (passages, answer, citations, done)."""
    return Call("POST", "/v1/ask/stream", models.AnswerOut, json=_ask_body(question, top_k, filters, as_of, history),
                headers={"Accept": "text/event-stream"})


def search(q: str, top_k: int | None, as_of: Moment | None, filters: dict[str, Any]) -> Call[models.SearchOut]:
    values = {"q": q, "top_k": top_k, "as_of": as_of, **query_values(filters, "search")}
    return Call("GET", "/v1/search", models.SearchOut, params=_checked(models.SearchParametersQuery, values))


def quotes(speaker: str, q: str | None, top_k: int | None, sort: Sort | None, as_of: Moment | None,
           filters: dict[str, Any]) -> Call[models.QuotesOut]:
    values = {"speaker": speaker, "q": q, "top_k": top_k, "sort": sort, "as_of": as_of,
              **query_values(filters, "quotes")}
    return Call("GET", "/v1/quotes", models.QuotesOut, params=_checked(models.QuotesParametersQuery, values))


def article_quotes(article_id: str | int) -> Call[models.ArticleQuotesOut]:
    return Call("GET", f"{_article_path(article_id)}/quotes", models.ArticleQuotesOut)


def add_articles(articles: Article | Sequence[Article]) -> Call[models.ArticlesAddedOut]:
    listed = [articles] if isinstance(articles, (models.ArticleIn, Mapping)) else list(articles)
    return Call("POST", "/v1/articles", models.ArticlesAddedOut, json=_checked(models.AddArticlesRequest, listed))


def list_articles(limit: int | None, cursor: str | None, filters: dict[str, Any]) -> Call[models.ArticleListOut]:
    values = {"limit": limit, "cursor": cursor, **query_values(filters, "list_articles")}
    return Call("GET", "/v1/articles", models.ArticleListOut,
                params=_checked(models.ListArticlesParametersQuery, values))


def delete_articles(filters: dict[str, Any]) -> Call[models.DeletedManyOut]:
    values = query_values(filters, "delete_articles")
    return Call("DELETE", "/v1/articles", models.DeletedManyOut,
                params=_checked(models.DeleteArticlesParametersQuery, values))


def get_article(article_id: str | int) -> Call[models.ArticleOut]:
    return Call("GET", _article_path(article_id), models.ArticleOut)


def put_article(article_id: str | int, article: Article, if_match: str | None) -> Call[models.ArticleResultOut]:
    headers = {"If-Match": if_match} if if_match is not None else {}
    return Call("PUT", _article_path(article_id), models.ArticleResultOut, json=_checked(models.ArticlePutIn, article),
                headers=headers)


def delete_article(article_id: str | int) -> Call[models.DeletedOut]:
    return Call("DELETE", _article_path(article_id), models.DeletedOut)


def list_sources() -> Call[models.FollowedSourcesOut]:
    return Call("GET", "/v1/sources", models.FollowedSourcesOut)


def add_source(url: str, every: str | int | None, visibility: str | None) -> Call[models.FollowedSourceOut]:
    body = _checked(models.FollowedSourceIn, {"url": url, "every": every, "visibility": visibility})
    return Call("POST", "/v1/sources", models.FollowedSourceOut, json=body)


def get_source(source_id: str) -> Call[models.FollowedSourceOut]:
    return Call("GET", _source_path(source_id), models.FollowedSourceOut)


def remove_source(source_id: str) -> Call[models.FollowedSourceRemovedOut]:
    return Call("DELETE", _source_path(source_id), models.FollowedSourceRemovedOut)


def sync_source(source_id: str) -> Call[models.SyncedOut]:
    return Call("POST", f"{_source_path(source_id)}/sync", models.SyncedOut)


def healthz() -> Call[models.HealthOut]:
    return Call("GET", "/healthz", models.HealthOut)


def readyz() -> Call[models.ReadyOut]:
    return Call("GET", "/readyz", models.ReadyOut)


def _ask_body(question: str, top_k: int | None, filters: Filters | None, as_of: Moment | None,
              history: Sequence[str] | None) -> Any:
    values = {"question": question, "top_k": top_k, "filters": filters, "as_of": as_of,
              "history": list(history) if history is not None else None}
    return _checked(models.AskIn, values)


def _checked(model: type[BaseModel], values: Any) -> Any:
    """A body or query as the API takes it, checked against its schema here so that a mistake names the
    argument. In a query, a list becomes a repeated parameter (`?tag=a&tag=b`)."""
    try:
        return model.model_validate(values).model_dump(mode="json", exclude_none=True)
    except ValidationError as error:
        raise invalid_request(error) from None


def _article_path(article_id: str | int) -> str:
    return f"/v1/articles/{_segment(article_id, 'article_id')}"


def _source_path(source_id: str) -> str:
    return f"/v1/sources/{_segment(source_id, 'source_id')}"


def _segment(value: str | int, name: str) -> str:
    """One path segment: a slash in an id is sent as %2F, which the API reads as part of the id."""
    text = str(value)
    if not text:
        raise NewsQAError(None, INVALID_REQUEST, f"{name} must not be empty")
    return quote(text, safe="")
