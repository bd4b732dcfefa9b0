"""A question with what narrows it: top_k, filters and the moment it is asked about (`as_of`)."""

from dataclasses import dataclass, field
from datetime import datetime

from qa.access import EVERYTHING, Access
from qa.articles import check_storable
from qa.errors import InvalidInput
from qa.text.isodates import first_instant, last_instant, parse_date

MAX_FILTER_VALUES = 1000


@dataclass(frozen=True)
class Filters:
    """Which articles may answer. Date bounds are inclusive; undated articles fail a date bound."""

    sources: tuple[str, ...] = ()
    article_ids: tuple[str, ...] = ()
    published_after: datetime | None = None
    published_before: datetime | None = None
    # The newsroom's fields: articles of any of these sections, tags, languages or visibilities.
    sections: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    visibilities: tuple[str, ...] = ()
    updated_after: datetime | None = None
    updated_before: datetime | None = None

    def __post_init__(self) -> None:
        for name in ("sources", "article_ids", "sections", "tags", "languages", "visibilities"):
            values = getattr(self, name)
            if len(values) > MAX_FILTER_VALUES:
                raise InvalidInput(f"filters.{name} may hold at most {MAX_FILTER_VALUES} values, got {len(values)}")
            for value in values:
                if not isinstance(value, str):
                    raise InvalidInput(f"filters.{name} must hold strings, got {type(value).__name__}")
                check_storable(f"filters.{name}", value, InvalidInput)
        for name in ("published", "updated"):
            after, before = getattr(self, f"{name}_after"), getattr(self, f"{name}_before")
            if after and before and after > before:
                raise InvalidInput(
                    f"filters.{name}_after must not be later than {name}_before, "
                    f"got {after.isoformat()} > {before.isoformat()}"
                )

    @property
    def empty(self) -> bool:
        return self == Filters()


@dataclass(frozen=True)
class Query:
    question: str
    top_k: int | None = None
    filters: Filters = field(default_factory=Filters)
    # Articles published after this moment are left out; None means now.
    as_of: datetime | None = None
    # What the asker may read at all.
    access: Access = EVERYTHING
    # Earlier questions of the conversation, oldest first: a follow-up ("And what did he say about
    # Iran?") is answered as the standalone question they make of it.
    history: tuple[str, ...] = ()
    # The question as it was sent, when `question` is its standalone rewriting.
    asked: str | None = None


def parse_moment(value: str, field_name: str, end_of_day: bool) -> datetime:
    """An ISO 8601 or RFC 822 date or datetime as a UTC moment; a bare date means its first or, as an upper
    bound, last instant."""
    try:
        parsed = parse_date(value)
    except (ValueError, OverflowError):
        raise InvalidInput(
            f"{field_name} must be an ISO date or datetime such as 2024-03-01 or 2024-03-01T10:00:00Z, got {value!r}"
        ) from None
    return last_instant(parsed) if end_of_day else first_instant(parsed)
