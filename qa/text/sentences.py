"""Sentence boundaries with exact character offsets.

A line break always ends a sentence (headlines, list items and table rows stand alone in news
text); within a line, sentencex finds the boundaries, so "Mr.", "U.S." and quotes do not split.
An item number stays with its item: sentencex takes "1." for a sentence of its own.
"""

import re
from collections.abc import Iterator

import sentencex

from index.recent import RecentlyUsed
from qa.models import Span

LANGUAGE = "en"
# What numbers or letters an item: "1.", "2)", "(3)", "b.", "iv.".
ITEM_NUMBER = re.compile(r"\(?(?:\d{1,3}|[a-z]|[ivx]{1,5})[.)]", re.IGNORECASE)
# A number that may start an item written inside a line: "Steps: 1. Call. 2. Wait."
INLINE_NUMBER = re.compile(r"(?<!\S)(\d{1,2})[.)]\s+(?=\S)")
# A cut before an initial and a comma ("D-N. | Y., announced") splits an abbreviation, not sentences.
ABBREVIATION_GOES_ON = re.compile(r"\s*[A-Z]\.,")
# What may end a sentence or number an item inside a line; a line with none of these before its
# last character is one sentence, and the splitter is not needed.
SENTENCE_INSIDE = re.compile(r"[.!?;:)\u2026\u3002\uff01\uff1f\n]")
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
    # Only the lines the window's edges reach are split into sentences, each once: splitting is
    # most of the cost, and scraped pages often hold a whole article on one line.
    lines = _LineSentences(text)
    start, end = _snapped(lines, core)
    following, preceding = _sentences_after(lines, end, room.end), _sentences_before(lines, start, room.start)
    after, before = next(following, None), next(preceding, None)
    take_after = True
    while True:
        after_fits = after is not None and after.end - start <= max_chars
        before_fits = before is not None and end - before.start <= max_chars
        if not (after_fits or before_fits):
            return Span(start, end)
        if after_fits and (take_after or not before_fits):
            end, after = after.end, next(following, None)
        else:
            start, before = before.start, next(preceding, None)
        take_after = not take_after


class _LineSentences:
    """The sentences of the line at a position of one text, each line split once."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._split: dict[int, list[Span]] = {}

    def line_at(self, position: int) -> Span:
        end = self.text.find("\n", position)
        return Span(self.text.rfind("\n", 0, position) + 1, len(self.text) if end < 0 else end)

    def __call__(self, line: Span) -> list[Span]:
        if line.start not in self._split:
            self._split[line.start] = _line_sentences(self.text, line)
        return self._split[line.start]


def _snapped(lines: _LineSentences, core: Span) -> tuple[int, int]:
    """`core` widened to the whole sentences at its two ends."""
    first = next((s for s in lines(lines.line_at(core.start)) if s.end > core.start), None)
    last = next((s for s in reversed(lines(lines.line_at(core.end - 1))) if s.start < core.end), None)
    start = min(core.start, first.start) if first is not None and first.start < core.end else core.start
    end = max(core.end, last.end) if last is not None and last.end > core.start else core.end
    return start, end


def _sentences_after(lines: _LineSentences, position: int, limit: int) -> Iterator[Span]:
    """The sentences that start at or after `position` and end by `limit`, nearest first."""
    line = lines.line_at(position)
    while line.start < limit:
        for span in lines(line):
            if span.end > limit:
                return
            if span.start >= position:
                yield span
        if line.end >= len(lines.text):
            return
        line = lines.line_at(line.end + 1)


def _sentences_before(lines: _LineSentences, position: int, limit: int) -> Iterator[Span]:
    """The sentences that end at or before `position` and start at or after `limit`, nearest first."""
    line = lines.line_at(position)
    while line.end > limit:
        for span in reversed(lines(line)):
            if span.start < limit:
                return
            if span.end <= position:
                yield span
        if line.start == 0:
            return
        line = lines.line_at(line.start - 1)


def _line_sentences(text: str, line: Span) -> list[Span]:
    whole = _trimmed(text, line.start, line.end)
    if whole is None:
        return []
    if not SENTENCE_INSIDE.search(text, whole.start, whole.end - 1):
        # Nothing inside the line could end a sentence or number an item: it is one sentence.
        return [whole]
    return [Span(line.start + start, line.start + end) for start, end in _split_line(text[line.start : line.end])]


def _split_line(line: str) -> tuple[tuple[int, int], ...]:
    """The sentences of one line, as offsets within it."""
    known = _SPLIT_LINES.get(line)
    if known is not None:
        return known
    piece = _ascii(line)
    found = sentencex.get_sentence_boundaries(LANGUAGE, piece)
    if not found:
        return ()
    cuts = _items_kept_whole(piece, [f["start_index"] for f in found])
    ends = [*cuts[1:], found[-1]["end_index"]]
    spans = [_trimmed(line, start, end) for start, end in zip(cuts, ends)]
    split = tuple((span.start, span.end) for span in spans if span)
    _SPLIT_LINES.put(line, split)
    return split


# Lines split lately, by their text: the passages of popular stories come up question after
# question, and a line may be a whole scraped article. Up to 4 million characters of lines (about
# 4 MB of mostly ASCII text).
_SPLIT_LINES: RecentlyUsed[str, tuple[tuple[int, int], ...]] = RecentlyUsed(4_000_000, size=lambda line, split: len(line))


def _items_kept_whole(line: str, cuts: list[int]) -> list[int]:
    """The sentence starts, with each item of an inline numbered list starting one, and none right
    after an item number, which would leave the number a sentence of its own."""
    kept: list[int] = []
    for cut in sorted({*cuts, *_numbered_items(line)}):
        if kept and ITEM_NUMBER.fullmatch(line[kept[-1] : cut].strip()):
            continue
        if kept and ABBREVIATION_GOES_ON.match(line, cut):
            continue  # "Maloney, D-N.Y., announced": an initial followed by a comma ends no sentence
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
    return line if line.isascii() else line.translate(_ASCII_TABLE)


class _AsciiTable(dict):
    """Code point to its ASCII stand-in for `str.translate`, filled as characters are met."""

    KEPT = 65_536  # distinct characters remembered; text made of more is converted, not remembered

    def __missing__(self, code: int) -> str:
        char = _ascii_char(chr(code))
        if len(self) < self.KEPT:
            self[code] = char
        return char


_ASCII_TABLE = _AsciiTable()


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


def adjacent_sentences(text: str, sentence: Span) -> tuple[Span | None, Span | None]:
    """The sentences right before and right after `sentence` (across line breaks), None at either end."""
    lines = _LineSentences(text)
    before = next(_sentences_before(lines, sentence.start, 0), None)
    after = next(_sentences_after(lines, sentence.end, len(text)), None)
    return before, after


# Between the sentences of a question: a stop, then a capital or a quotation mark.
QUESTION_SENTENCE_BREAK = re.compile(r"(?<=[.?!])\s+(?=[A-Z\"“])")


def question_sentences(question: str) -> list[str]:
    """The sentences of a question, its background first ("Aaron Judge hit his 62nd home run this
    week.") and what it asks last ("Who holds the record?"). Questions are short and plain: a stop
    before a capital is enough, where articles need sentence_spans."""
    return [sentence for sentence in QUESTION_SENTENCE_BREAK.split(question.strip()) if sentence]
