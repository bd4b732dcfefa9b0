"""The filters as the routes take them: in a body's `filters` (/v1/ask) or as query parameters (/v1/search,
/v1/quotes, listing and deleting articles), named alike."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Query as QueryParam

from api.schemas import FiltersIn, IsoMoment
from qa.access import Access
from qa.query import Filters, Query, parse_moment

# The filters that name articles; a question's also take `as_of`, which a listing of articles has no use for.
ARTICLE_FILTER_PARAMETERS = ("source", "published_after", "published_before", "article_id", "section", "tag",
                             "language", "visibility", "updated_after", "updated_before")
FILTER_PARAMETERS = (*ARTICLE_FILTER_PARAMETERS, "as_of")


def Repeated(description: str):  # noqa: N802 - reads as the type of a parameter
    """A query parameter that may be repeated, as a list of at most 1,000 values."""
    return Annotated[list[str] | None, QueryParam(max_length=1000, description=description)]


def Moment(description: str):  # noqa: N802 - reads as the type of a parameter
    return Annotated[IsoMoment | None, QueryParam(description=description)]


@dataclass(frozen=True)
class FilterParameters:
    filters: Filters
    as_of: datetime | None


def article_filter_parameters(
    source: Repeated("Only these sources (repeat for several).") = None,
    published_after: Moment("ISO date or datetime, inclusive.") = None,
    published_before: Moment("ISO date or datetime, inclusive.") = None,
    article_id: Repeated("Only these articles (repeat for several).") = None,
    section: Repeated("Only these sections (repeat for several).") = None,
    tag: Repeated("Only articles with any of these tags (repeat for several).") = None,
    language: Repeated("Only these languages, e.g. en (repeat for several).") = None,
    visibility: Repeated("Only these visibilities, e.g. public (repeat for several).") = None,
    updated_after: Moment("Only articles the newsroom updated since; inclusive.") = None,
    updated_before: Moment("Only articles the newsroom last updated before; inclusive.") = None,
) -> Filters:
    given = FiltersIn(source=source, published_after=published_after, published_before=published_before,
                      article_ids=article_id, section=section, tags=tag, language=language, visibility=visibility,
                      updated_after=updated_after, updated_before=updated_before)
    return filters_from(given, prefix="")


ArticleFilterDep = Annotated[Filters, Depends(article_filter_parameters)]


def filter_parameters(
    filters: ArticleFilterDep, as_of: Moment("Leave out articles published after this.") = None,
) -> FilterParameters:
    return FilterParameters(filters, moment(as_of, "as_of", end_of_day=True))


def filters_from(given: FiltersIn | None, prefix: str = "filters.") -> Filters:
    """The domain's filters from what a client sent; `prefix` names the fields in errors as the client did."""
    given = given or FiltersIn()

    def listed(value: str | list[str] | None) -> tuple[str, ...]:
        return (value,) if isinstance(value, str) else tuple(value or ())

    return Filters(
        sources=listed(given.source),
        article_ids=listed(given.article_ids),
        published_after=moment(given.published_after, f"{prefix}published_after", end_of_day=False),
        published_before=moment(given.published_before, f"{prefix}published_before", end_of_day=True),
        sections=listed(given.section),
        tags=listed(given.tags),
        languages=tuple(language.lower() for language in listed(given.language)),
        visibilities=tuple(visibility.lower() for visibility in listed(given.visibility)),
        updated_after=moment(given.updated_after, f"{prefix}updated_after", end_of_day=False),
        updated_before=moment(given.updated_before, f"{prefix}updated_before", end_of_day=True),
    )


FilterDep = Annotated[FilterParameters, Depends(filter_parameters)]


def moment(value: str | None, name: str, end_of_day: bool) -> datetime | None:
    return None if value is None else parse_moment(value, name, end_of_day)


def question_query(question: str, access: Access, top_k: int | None = None, filters: FiltersIn | None = None,
                   as_of: str | None = None, history: Sequence[str] = ()) -> Query:
    """The query a question makes, as /v1/ask, the chat completions and the MCP tools send its fields."""
    return Query(question=question, top_k=top_k, filters=filters_from(filters),
                 as_of=moment(as_of, "as_of", end_of_day=True), access=access, history=tuple(history))
