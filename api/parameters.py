"""The filters the GET routes take as query parameters (/v1/search, /v1/quotes), named as in `filters`."""

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Query as QueryParam

from api.schemas import IsoMoment
from qa.query import Filters, parse_moment

FILTER_PARAMETERS = ("source", "published_after", "published_before", "article_id", "as_of")


@dataclass(frozen=True)
class FilterParameters:
    filters: Filters
    as_of: datetime | None


def filter_parameters(
    source: Annotated[list[str] | None, QueryParam(max_length=1000, description="Only these sources (repeat for several).")] = None,
    published_after: Annotated[IsoMoment | None, QueryParam(description="ISO date or datetime, inclusive.")] = None,
    published_before: Annotated[IsoMoment | None, QueryParam(description="ISO date or datetime, inclusive.")] = None,
    article_id: Annotated[list[str] | None, QueryParam(max_length=1000, description="Only these articles (repeat for several).")] = None,
    as_of: Annotated[IsoMoment | None, QueryParam(description="Leave out articles published after this.")] = None,
) -> FilterParameters:
    filters = Filters(
        sources=tuple(source or ()),
        article_ids=tuple(article_id or ()),
        published_after=moment(published_after, "published_after", end_of_day=False),
        published_before=moment(published_before, "published_before", end_of_day=True),
    )
    return FilterParameters(filters, moment(as_of, "as_of", end_of_day=True))


FilterDep = Annotated[FilterParameters, Depends(filter_parameters)]


def moment(value: str | None, name: str, end_of_day: bool) -> datetime | None:
    return None if value is None else parse_moment(value, name, end_of_day)
