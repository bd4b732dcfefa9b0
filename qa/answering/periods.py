"""When a question is about: "this week", "recently", "in 2020", or, for a question of fact asked of
news, the latest reporting. A sentence from an article of another period, or one dated by its own
words to another year ("in a 2020 tweet"), should not answer ahead of one about the period asked.
"""

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from qa.models import Source
from qa.text.isodates import parse_iso

# Words that put a question in the days before it was asked, and how many days they reach back.
RECENT = [
    (re.compile(r"\b(?:today|tonight|yesterday|this (?:morning|afternoon|evening|weekend))\b", re.I), 3),
    (re.compile(r"\b(?:this (?:past )?week|in recent days|these days|days? ago|(?:on|last) (?:monday|tuesday|"
                r"wednesday|thursday|friday|saturday|sunday))\b", re.I), 8),
    (re.compile(r"\b(?:this month|last week|recently|recent|latest|currently|now|newly|just)\b", re.I), 31),
    # "new", in lower case and not before a capitalised word: not the "New" of "New York".
    (re.compile(r"\bnew\b(?! [A-Z])"), 31),
    (re.compile(r"\b(?:this (?:year|season)|so far|to date)\b", re.I), 366),
]
# Years: in a question, the period asked about ("the 2022 Emmy Awards"); in a sentence, its own ("in a
# 2020 tweet", "set in 1961").
YEAR = re.compile(r"\b(1[89]\d\d|20\d\d)\b")
# What a sentence of another period than the one asked about loses.
OTHER_PERIOD_PENALTY = 0.1
# Among the articles an answer reads, an older one's sentence loses this much per LATER_DAYS its
# article trails the newest, up to the whole penalty: news asked about now is answered by the
# latest reporting (a forecast of the finals, a month before the result, says who might win).
OLDER_PENALTY = 0.1
LATER_DAYS = 30


@dataclass(frozen=True)
class Period:
    """The days a question asks about (`first`..`last`), or only the years it names."""

    first: date | None
    last: date | None
    years: frozenset[int]


def asked_period(question: str, as_of: datetime) -> Period | None:
    """The period `question` asks about when asked `as_of`, or None when it says none."""
    years = frozenset(int(y) for y in YEAR.findall(question))
    for pattern, days in RECENT:
        if pattern.search(question):
            last = as_of.date()
            return Period(last - timedelta(days=days), last, years or frozenset({last.year}))
    return Period(None, None, years) if years else None


def period_penalty(sentence: str, origin: Source, period: Period | None) -> float:
    """OTHER_PERIOD_PENALTY for a sentence outside the period asked about, by its article's date or by
    the years it names itself; nothing when the question names no period."""
    if period is None:
        return 0.0
    published = _published(origin)
    if period.first is not None and published is not None and not period.first <= published <= period.last:
        return OTHER_PERIOD_PENALTY
    named = {int(y) for y in YEAR.findall(sentence)}
    if named and period.years and not named & period.years:
        return OTHER_PERIOD_PENALTY
    return 0.0


def older_penalties(origins: list[Source]) -> list[float]:
    """For each sentence's article, OLDER_PENALTY in proportion to how far it trails the newest one."""
    dates = [_published(origin) for origin in origins]
    newest = max((d for d in dates if d is not None), default=None)
    if newest is None:
        return [0.0] * len(origins)
    return [
        OLDER_PENALTY if d is None else OLDER_PENALTY * min(1.0, (newest - d).days / LATER_DAYS)
        for d in dates
    ]


def _published(origin: Source) -> date | None:
    if not origin.published_at:
        return None
    try:
        moment = parse_iso(origin.published_at)
    except ValueError:
        return None
    return moment.date() if isinstance(moment, datetime) else moment
