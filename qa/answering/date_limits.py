"""The dates a question was limited to, said as a reader says them ("as of 3 June 2022"): an answer
given as the news stood on a day, or from the articles of some dates, must say so, or it reads as
the whole story as of today."""

from datetime import datetime, time, timedelta, timezone

from qa.models import DateLimits
from qa.query import Query

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")  # in English whatever the machine's locale
# The first and last instants of a day stand for the day: a date sent as a bound arrives as one of them.
_DAY_BOUNDS = (time.min, (datetime.min + timedelta(days=1, microseconds=-1)).time())


def date_limits(query: Query) -> DateLimits | None:
    """The dates the asker limited the query to; None when it has none of its own (`as_of` unset is now)."""
    limits = DateLimits(query.as_of, query.filters.published_after, query.filters.published_before)
    return None if limits == DateLimits() else limits


def said(limits: DateLimits) -> str:
    """"as of 3 June 2022", "published between 1 May 2022 and 3 June 2022", or both, comma-separated."""
    parts = []
    if limits.as_of is not None:
        parts.append(f"as of {_moment(limits.as_of)}")
    after, before = limits.published_after, limits.published_before
    if after is not None and before is not None:
        same_day = _moment(after) == _moment(before) and _is_day(after) and _is_day(before)
        parts.append(f"published on {_moment(after)}" if same_day
                     else f"published between {_moment(after)} and {_moment(before)}")
    elif after is not None:
        parts.append(f"published from {_moment(after)} on")
    elif before is not None:
        parts.append(f"published up to {_moment(before)}")
    return ", ".join(parts)


def _moment(value: datetime) -> str:
    """The day, with its time in UTC unless the moment is a day's first or last instant."""
    utc = value.astimezone(timezone.utc) if value.tzinfo else value.replace(tzinfo=timezone.utc)
    day = f"{utc.day} {MONTHS[utc.month - 1]} {utc.year}"
    return day if _is_day(utc) else f"{day} {utc:%H:%M} UTC"


def _is_day(value: datetime) -> bool:
    utc = value.astimezone(timezone.utc) if value.tzinfo else value
    return utc.timetz().replace(tzinfo=None) in _DAY_BOUNDS


def dates_sentence(limits: DateLimits) -> str:
    """The limits as a sentence to put before an answer: "As of 3 June 2022."."""
    text = said(limits)
    return f"{text[0].upper()}{text[1:]}."
