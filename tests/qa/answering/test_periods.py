"""The period a question asks about, and the sentences of other periods it does not prefer."""

from datetime import datetime, timezone

import pytest

from qa.answering.periods import OLDER_PENALTY, OTHER_PERIOD_PENALTY, asked_period, older_penalties, period_penalty
from qa.models import Source

ASKED = datetime(2022, 8, 18, tzinfo=timezone.utc)


def published(day: str | None) -> Source:
    return Source("a", None, None, None, day)


@pytest.mark.parametrize(("question", "days"), [
    ("Who tested positive this week?", 8), ("What happened yesterday?", 3), ("Who recently resigned?", 31),
    ("Which show is the most popular this year?", 366),
])
def test_words_of_recent_time_reach_back_from_the_day_asked(question: str, days: int) -> None:
    period = asked_period(question, ASKED)
    assert period.last == ASKED.date() and (period.last - period.first).days == days and period.years == {2022}


def test_a_question_naming_no_time_has_no_period_and_one_naming_a_year_has_that_year() -> None:
    assert asked_period("Who won the cup?", ASKED) is None
    assert asked_period("Which New York team won the cup?", ASKED) is None
    assert asked_period("Which new product did Tesla show?", ASKED) is not None
    assert asked_period("Who won the 2018 cup?", ASKED).years == {2018}


def test_a_sentence_of_another_period_is_not_preferred() -> None:
    period = asked_period("Which official tested positive this week?", ASKED)
    assert period_penalty("Jill Biden tested positive on Tuesday.", published("2022-08-16"), period) == 0
    assert period_penalty("Trump tested positive.", published("2020-10-02"), period) == OTHER_PERIOD_PENALTY
    # Dated by its own words: a tweet of 2020 quoted in an article of this week.
    assert period_penalty("He said so in a 2020 tweet.", published("2022-08-17"), period) == OTHER_PERIOD_PENALTY
    assert period_penalty("Anything at all.", published("2020-10-02"), None) == 0


def test_older_reporting_trails_the_newest_in_proportion() -> None:
    penalties = older_penalties([published("2022-06-26"), published("2022-05-27"), published(None)])
    assert penalties == [0.0, OLDER_PENALTY, OLDER_PENALTY]
    assert older_penalties([published(None)]) == [0.0]
