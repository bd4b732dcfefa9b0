"""Questions about what happened lately, the time span their words imply, and how much an article's
age counts against it."""

import re

SECONDS_PER_DAY = 86_400
# (pattern, half-life in days): the span a phrase implies, the narrowest first. News style: "on
# Tuesday" and "this week" place an event days before the question is asked; "recently" vaguely.
SCOPES = [
    (r"today|tonight|yesterday|this morning|monday|tuesday|wednesday|thursday|friday|saturday|sunday", 3.0),
    (r"(this|last|past) (week(end)?|few days)", 7.0),
    (r"(this|last|past) month", 30.0),
    (r"(this|last|past) year", 365.0),
]
# Ongoing or just-completed events ("is considering", "has agreed") and announced ones ("will
# perform", "next year") are how news questions speak of the present.
VAGUE = (
    r"recent(ly)?|latest|newest|lately|currently|so far|upcoming|soon|just|now|new|next|will|"
    r"(is|are|was|were) (now |still )?(being )?\w+ing|(has|have) (just |now |recently )?(been )?\w+(ed|en)"
)
_SCOPES = [(re.compile(rf"\b({pattern})\b", re.IGNORECASE), days) for pattern, days in SCOPES]
_VAGUE = re.compile(rf"\b({VAGUE})\b", re.IGNORECASE)


def recency_half_life(question: str, vague_half_life_days: float) -> float | None:
    """The half-life for the recency prior the question's words call for, None when it asks about no time."""
    for pattern, days in _SCOPES:
        if pattern.search(question):
            return days
    return vague_half_life_days if _VAGUE.search(question) else None


def asks_about_recent(question: str) -> bool:
    return recency_half_life(question, 1.0) is not None


def freshness(published_ts: int | None, as_of_ts: int, half_life_days: float) -> float:
    """1 for an article published at `as_of`, halving every half-life before it; 0 when undated."""
    if published_ts is None:
        return 0.0
    age_days = max(0.0, (as_of_ts - published_ts) / SECONDS_PER_DAY)
    return 0.5 ** (age_days / half_life_days)
