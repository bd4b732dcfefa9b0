"""Questions about what happened lately, and how much an article's age counts against it."""

import re

RECENT = re.compile(
    r"\b(recent(ly)?|latest|newest|lately|currently|so far|upcoming|"
    r"(this|last|past) (week(end)?|month|year|morning|night|few days)|today|yesterday|tonight)\b",
    re.IGNORECASE,
)
SECONDS_PER_DAY = 86_400


def asks_about_recent(question: str) -> bool:
    return RECENT.search(question) is not None


def freshness(published_ts: int | None, as_of_ts: int, half_life_days: float) -> float:
    """1 for an article published at `as_of`, halving every half-life before it; 0 when undated."""
    if published_ts is None:
        return 0.0
    age_days = max(0.0, (as_of_ts - published_ts) / SECONDS_PER_DAY)
    return 0.5 ** (age_days / half_life_days)
