"""Dates as the service reads them: ISO 8601, and the RFC 822 dates of RSS and most CMS exports
("Tue, 10 Jun 2025 08:00:00 GMT"). A bare date stays a date; datetimes become UTC."""

import unicodedata
from datetime import date, datetime, time, timedelta, timezone
from email.utils import parsedate_to_datetime


def parse_iso(value: str) -> date | datetime:
    """Raises ValueError for anything that is not an ISO date or datetime; naive datetimes are taken as UTC."""
    # CPython's parser stops at a NUL and would take "2024-01-01T00:00:00Z\x00<script>" for its first part.
    if any(unicodedata.category(c) == "Cc" for c in value):
        raise ValueError("a date has no control characters")
    text = value.strip().upper()  # RFC 3339 allows a lower-case "t" and "z"
    if len(text) <= 10:
        return date.fromisoformat(text)
    moment = datetime.fromisoformat(text)
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


def parse_date(value: str) -> date | datetime:
    """An ISO 8601 or RFC 822 date or datetime (Python's e-mail parser reads RFC 822 and its common
    variants: named zones such as "EST", a missing weekday); raises ValueError for anything else."""
    try:
        return parse_iso(value)
    except ValueError:
        if any(unicodedata.category(c) == "Cc" for c in value) or not any(c.isalpha() for c in value):
            raise
    try:
        moment = parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError):
        raise ValueError(f"not an ISO 8601 or RFC 822 date: {value!r}") from None
    # "-0000" (the zone unknown) parses as naive: taken as UTC, like a naive ISO datetime.
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


def iso_text(value: date | datetime) -> str:
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    return value.isoformat()


def first_instant(value: date | datetime) -> datetime:
    if isinstance(value, datetime):
        return value
    return datetime.combine(value, time.min, tzinfo=timezone.utc)


def last_instant(value: date | datetime) -> datetime:
    """The end of a day given as a date, so that `published_before=2024-03-01` includes that whole day."""
    if isinstance(value, datetime):
        return value
    if value == date.max:
        return datetime.max.replace(tzinfo=timezone.utc)
    return first_instant(value) + timedelta(days=1, microseconds=-1)
