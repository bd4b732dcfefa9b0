"""Sentence boundaries with exact character offsets.

A line break always ends a sentence (headlines, list items and table rows stand alone in news
text); within a line, sentencex finds the boundaries, so "Mr.", "U.S." and quotes do not split.
An item number stays with its item: sentencex takes "1." for a sentence of its own.
"""

import re
from functools import lru_cache

import sentencex

from qa.models import Span

LANGUAGE = "en"
# What numbers or letters an item: "1.", "2)", "(3)", "b.", "iv.".
ITEM_NUMBER = re.compile(r"\(?(?:\d{1,3}|[a-z]|[ivx]{1,5})[.)]", re.IGNORECASE)
# A number that may start an item written inside a line: "Steps: 1. Call. 2. Wait."
INLINE_NUMBER = re.compile(r"(?<!\S)(\d{1,2})[.)]\s+(?=\S)")
ASCII_LIKE = {**dict.fromkeys("“”„‟«»", '"'), **dict.fromkeys("‘’‚‛‹›", "'"), **dict.fromkeys("–—―", "-"),
              "…": ".", "。": ".", "！": "!", "？": "?"}


def sentence_spans(text: str, within: Span | None = None) -> list[Span]:
    """Whole sentences of `text` that overlap `within` (all of them by default), trimmed of spaces."""
    window = within or Span(0, len(text))
    spans: list[Span] = []
    for line in _lines_overlapping(text, window):
        for span in _line_sentences(text, line):
            if span.start < window.end and span.end > window.start:
                spans.append(span)
    return spans


def sentence_window(text: str, core: Span, max_chars: int, room: Span | None = None) -> Span:
    """`core` widened to whole sentences, then by whole sentences on either side in turn (the next
    one first) while the window stays within `max_chars` and inside `room`; `core` alone, snapped to
    its sentences, when that is already longer."""
    room = room or Span(0, len(text))
    sentences = sentence_spans(text, Span(max(room.start, core.start - max_chars), min(room.end, core.end + max_chars)))
    inside = [i for i, s in enumerate(sentences) if s.start < core.end and s.end > core.start]
    if not inside:
        return core
    first, last = inside[0], inside[-1]
    start, end = min(core.start, sentences[first].start), max(core.end, sentences[last].end)

    def next_fits() -> bool:
        return last + 1 < len(sentences) and sentences[last + 1].end <= room.end and sentences[last + 1].end - start <= max_chars

    def previous_fits() -> bool:
        return first > 0 and sentences[first - 1].start >= room.start and end - sentences[first - 1].start <= max_chars

    after = True
    while next_fits() or previous_fits():
        if next_fits() and (after or not previous_fits()):
            last += 1
            end = sentences[last].end
        else:
            first -= 1
            start = sentences[first].start
        after = not after
    return Span(start, end)


def _line_sentences(text: str, line: Span) -> list[Span]:
    piece = _ascii(text[line.start : line.end])
    found = sentencex.get_sentence_boundaries(LANGUAGE, piece)
    if not found:
        return []
    cuts = _items_kept_whole(piece, [f["start_index"] for f in found])
    ends = [*cuts[1:], found[-1]["end_index"]]
    spans = [_trimmed(text, line.start + start, line.start + end) for start, end in zip(cuts, ends)]
    return [span for span in spans if span]


def _items_kept_whole(line: str, cuts: list[int]) -> list[int]:
    """The sentence starts, with each item of an inline numbered list starting one, and none right
    after an item number, which would leave the number a sentence of its own."""
    kept: list[int] = []
    for cut in sorted({*cuts, *_numbered_items(line)}):
        if kept and ITEM_NUMBER.fullmatch(line[kept[-1] : cut].strip()):
            continue
        kept.append(cut)
    return kept


def _numbered_items(line: str) -> set[int]:
    """Where the items of a list numbered 1, 2, … inside the line start; none unless it has a 1 and a 2,
    so that "He scored 3. Then 4." stays two plain sentences."""
    starts, expected = set(), 1
    for match in INLINE_NUMBER.finditer(line):
        if int(match[1]) == expected:
            starts.add(match.start())
            expected += 1
    return starts if expected > 2 else set()


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
