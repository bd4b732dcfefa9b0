"""The filters as query parameters (search, quotes, listing and deleting articles), and how the filters
of a question's body (`FiltersIn`, as `ask` takes them) read as such parameters."""

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, TypedDict

from news_qa_client.models import FiltersIn

Moment = str | date | datetime
"""An ISO date (a whole day) or datetime; strings as the API takes them, `2024-03-01T10:00:00Z`."""
Names = str | Sequence[str]


class ArticleFilters(TypedDict, total=False):
    """Keyword arguments of `search`, `quotes`, `list_articles` and `delete_articles`; a name or a list."""

    source: Names
    published_after: Moment
    published_before: Moment
    article_id: Names
    section: Names
    tag: Names
    language: Names
    visibility: Names
    updated_after: Moment
    updated_before: Moment


NAMED = frozenset(name for name, kind in ArticleFilters.__annotations__.items() if kind == Names)
# The body calls some filters by their plural; the query parameter is repeated instead.
QUERY_NAME = {"article_ids": "article_id", "tags": "tag"}


def query_filters(filters: FiltersIn | None) -> ArticleFilters:
    """`{"tags": "budget", "article_ids": ["a"]}` as `tag="budget", article_id=["a"]`."""
    if filters is None:
        return {}
    given = filters.model_dump(exclude_none=True)
    return {QUERY_NAME.get(name, name): value for name, value in given.items()}  # type: ignore[return-value]


def query_values(filters: dict[str, Any], operation: str) -> dict[str, Any]:
    """The filters as the query models take them: every name a list. Unknown names are refused, as
    Python refuses an unknown keyword argument, rather than silently widening a search."""
    unknown = sorted(set(filters) - set(ArticleFilters.__annotations__))
    if unknown:
        raise TypeError(f"{operation}() got unexpected keyword arguments {unknown}; filters are "
                        f"{sorted(ArticleFilters.__annotations__)}")
    return {name: [value] if name in NAMED and isinstance(value, str) else value for name, value in filters.items()}
