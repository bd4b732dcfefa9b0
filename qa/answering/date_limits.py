"""The dates a question was limited to, said as a reader says them ("as of 3 June 2022"): an answer
given as the news stood on a day, or from the articles of some dates, must say so, or it reads as
the whole story as of today."""

from datetime import datetime, time, timezone

from qa.models import DateLimits
from qa.query import Query

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")  # in English whatever the machine's locale
_FIRST, _LAST = time.min, time.max  # a day's first and last instants


def date_limits(query: Query) -> DateLimits | None:
    """The dates the asker limited the query to; None when it has none of its own (`as_of` unset is now)."""
    limits = DateLimits(query.as_of, query.filters.published_after, query.filters.published_before)
    return None if limits == DateLimits() else limits


def said(limits: DateLimits) -> str:
    """"as of 3 June 2022", "published between 1 May 2022 and 3 June 2022", or both, comma-separated."""
    parts = []
    if limits.as_of is not None:
        parts.append(f"as of {_moment(limits.as_of, _LAST)}")
    after, before = limits.published_after, limits.published_before
    if after is not None and before is not None:
        first, last = _moment(after, _FIRST), _moment(before, _LAST)
        parts.append(f"published on {first}" if first == last else f"published between {first} and {last}")
    elif after is not None:
        parts.append(f"published from {_moment(after, _FIRST)} on")
    elif before is not None:
        parts.append(f"published up to {_moment(before, _LAST)}")
    return ", ".join(parts)


def dates_sentence(limits: DateLimits) -> str:
    """The limits as a sentence to put before an answer: "As of 3 June 2022."."""
    text = said(limits)
    return f"{text[0].upper()}{text[1:]}."


def _moment(value: datetime, whole_day: time) -> str:
    """The day alone when the moment is `whole_day` (a lower bound at a day's first instant, an upper
    one at its last, as a date sent as a bound arrives), else the day with its time in UTC: "as of"
    midnight leaves that day's news out, and says so."""
    utc = value.astimezone(timezone.utc) if value.tzinfo else value.replace(tzinfo=timezone.utc)
    day = f"{utc.day} {MONTHS[utc.month - 1]} {utc.year}"
    return day if utc.time() == whole_day else f"{day} {utc:%H:%M} UTC"
