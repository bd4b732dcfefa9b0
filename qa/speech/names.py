"""Whether a name asked about is a speaker the articles name."""

import re


def same_person(asked: str, speaker: str, titles: tuple[str, ...] = ()) -> bool:
    """Whether the question's speaker ("Netanyahu", "the Israeli prime minister") is this speaker."""
    asked_words = _words(asked) - {"the", "mr", "ms", "mrs", "dr"}
    if not asked_words:
        return False
    return asked_words <= _words(speaker) or any(asked_words == _words(title) for title in titles)


def _words(text: str) -> set[str]:
    return set(re.findall(r"[\w’'-]+", text.lower()))
