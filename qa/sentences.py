"""Sentence boundaries with exact character offsets.

A line break always ends a sentence (headlines, list items and table rows stand alone in news
text); within a line, sentencex finds the boundaries, so "Mr.", "U.S." and quotes do not split.
"""

from functools import lru_cache

import sentencex

from qa.models import Span

LANGUAGE = "en"
ASCII_LIKE = {**dict.fromkeys("“”„‟«»", '"'), **dict.fromkeys("‘’‚‛‹›", "'"), **dict.fromkeys("–—―", "-"),
              "…": ".", "。": ".", "！": "!", "？": "?"}


def sentence_spans(text: str, within: Span | None = None) -> list[Span]:
    """Whole sentences of `text` that overlap `within` (all of them by default), trimmed of spaces."""
    window = within or Span(0, len(text))
    spans: list[Span] = []
    for line in _lines_overlapping(text, window):
        for found in sentencex.get_sentence_boundaries(LANGUAGE, _ascii(text[line.start : line.end])):
            span = _trimmed(text, line.start + found["start_index"], line.start + found["end_index"])
            if span and span.start < window.end and span.end > window.start:
                spans.append(span)
    return spans


def _lines_overlapping(text: str, window: Span) -> list[Span]:
    start = text.rfind("\n", 0, window.start) + 1
    lines = []
    while start < window.end:
        end = text.find("\n", start)
        end = len(text) if end < 0 else end
        lines.append(Span(start, end))
        start = end + 1
    return lines


def _trimmed(text: str, start: int, end: int) -> Span | None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return Span(start, end) if end > start else None


def _ascii(line: str) -> str:
    """The line with each character replaced by one ASCII character of the same kind.

    sentencex panics on some non-ASCII input (a capital, a no-break space, then a period); one
    character for one keeps every offset, and the kind (space, quote, capital, digit) is what
    sentence boundaries depend on.
    """
    return line if line.isascii() else "".join(map(_ascii_char, line))


@lru_cache(maxsize=4096)
def _ascii_char(char: str) -> str:
    if char.isascii():
        return char
    if char in ASCII_LIKE:
        return ASCII_LIKE[char]
    if char.isspace():
        return " "
    if char.isupper():
        return "A"
    if char.isalpha():
        return "a"
    return "0" if char.isdigit() else "x"
