"""The dates a question was limited to, as a reader says them."""

from datetime import datetime, timezone

import pytest

from qa.answering.date_limits import date_limits, dates_sentence, said
from qa.models import DateLimits
from qa.query import Filters, Query, parse_moment


def day(value: str, end: bool = False) -> datetime:
    return parse_moment(value, "date", end_of_day=end)


@pytest.mark.parametrize(
    ("limits", "expected"),
    [
        (DateLimits(as_of=day("2022-06-03", end=True)), "as of 3 June 2022"),
        (DateLimits(as_of=datetime(2022, 6, 3, 14, 30, tzinfo=timezone.utc)), "as of 3 June 2022 14:30 UTC"),
        (DateLimits(published_after=day("2022-05-01"), published_before=day("2022-06-03", end=True)),
         "published between 1 May 2022 and 3 June 2022"),
        (DateLimits(published_after=day("2022-05-01"), published_before=day("2022-05-01", end=True)),
         "published on 1 May 2022"),
        (DateLimits(published_after=day("2022-05-01")), "published from 1 May 2022 on"),
        (DateLimits(published_before=day("2022-06-03", end=True)), "published up to 3 June 2022"),
        (DateLimits(as_of=day("2022-06-03", end=True), published_after=day("2022-05-01")),
         "as of 3 June 2022, published from 1 May 2022 on"),
        # Midnight as an upper bound leaves that day out: it is not "the day".
        (DateLimits(as_of=day("2022-06-03")), "as of 3 June 2022 00:00 UTC"),
        (DateLimits(published_before=day("2022-06-03")), "published up to 3 June 2022 00:00 UTC"),
        (DateLimits(published_after=day("2022-05-01", end=True)), "published from 1 May 2022 23:59 UTC on"),
    ],
)
def test_limits_are_said_as_a_reader_says_them(limits: DateLimits, expected: str) -> None:
    assert said(limits) == expected


def test_a_moment_in_another_zone_is_said_in_utc() -> None:
    assert said(DateLimits(as_of=parse_moment("2022-06-03T23:30:00-02:00", "as_of", True))) == \
        "as of 4 June 2022 01:30 UTC"


def test_only_the_asker_s_own_limits_count() -> None:
    assert date_limits(Query("q")) is None
    limited = date_limits(Query("q", filters=Filters(published_after=day("2022-05-01")), as_of=day("2022-06-03", True)))
    assert limited == DateLimits(day("2022-06-03", True), day("2022-05-01"), None)
    assert dates_sentence(limited) == "As of 3 June 2022, published from 1 May 2022 on."
