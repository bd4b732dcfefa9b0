"""How often a source is followed, written as people write it: "15m", "1h30m", "2d", "90s", or seconds."""

import re

from qa.errors import InvalidInput

UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86_400}
PART = re.compile(r"(\d+)\s*([smhd])")
WHOLE = re.compile(r"(?:\d+\s*[smhd]\s*)+")
# Most feeds change every few minutes at most, and a source asked more often than this is asked rudely.
MIN_EVERY_SECONDS = 60
MAX_EVERY_SECONDS = 30 * 86_400


def parse_duration(text: str | int, name: str = "every") -> int:
    """Seconds, from "15m", "1h30m", "2d", "90s" or a number of seconds, between a minute and 30 days."""
    if isinstance(text, bool) or not isinstance(text, str | int):
        raise InvalidInput(f"{name} must be a duration such as 15m, 1h or 2d, got {text!r}")
    value = text.strip().lower() if isinstance(text, str) else text
    if isinstance(value, int) or value.isdigit():
        seconds = int(value)
    elif WHOLE.fullmatch(value):
        seconds = sum(int(number) * UNITS[unit] for number, unit in PART.findall(value))
    else:
        raise InvalidInput(f"{name} must be a duration such as 15m, 1h or 2d, got {text!r}")
    if not MIN_EVERY_SECONDS <= seconds <= MAX_EVERY_SECONDS:
        raise InvalidInput(f"{name} must be between 1m and 30d, got {text!r}")
    return seconds


def duration_text(seconds: int) -> str:
    """The shortest way of writing these seconds that parse_duration reads back: 900 is "15m"."""
    parts = []
    for unit, size in sorted(UNITS.items(), key=lambda item: -item[1]):
        if seconds >= size:
            parts.append(f"{seconds // size}{unit}")
            seconds %= size
    return "".join(parts) or "0s"
