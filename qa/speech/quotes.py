"""Where an article quotes someone word for word: the characters inside quotation marks, and the
sentences a quotation runs over.

News quotes across sentences and paragraphs: a paragraph ending inside a quotation is continued by
the next one when that opens with a quotation mark, and the closing mark comes only at the end.
Single quotation marks are left out: in running text they are mostly apostrophes, and a quotation
inside a quotation lies within the double marks anyway.
"""

from dataclasses import dataclass

from qa.models import Span

OPENING = "“„«"
CLOSING = "”»"
STRAIGHT = '"'
# A straight mark after one of these (or at a line's start) opens a quotation; elsewhere it closes one.
BEFORE_OPENING = " \t\n([{—–-/"
# How far past a line break a quotation's closing mark may lie for the quotation to go on over it.
LINE_BREAK_REACH = 400


@dataclass(frozen=True)
class QuotedSentence:
    """A sentence, how much of it is inside quotation marks, and whether a quotation runs into it
    from the sentence before (`continues`)."""

    span: Span
    quoted: int
    continues: bool

    length: int  # characters other than spaces

    @property
    def has_quote(self) -> bool:
        return self.quoted > 0 or self.continues

    @property
    def share_quoted(self) -> float:
        return self.quoted / max(1, self.length)


def quoted_sentences(text: str, sentences: list[Span]) -> list[QuotedSentence]:
    """Each sentence with the quotation marks' reach over it."""
    inside = _inside_quotes(text)
    result = []
    for span in sentences:
        quoted = sum(1 for i in range(span.start, span.end) if inside[i] and not text[i].isspace())
        continues = span.start > 0 and inside[span.start - 1]
        length = sum(1 for i in range(span.start, span.end) if not text[i].isspace())
        result.append(QuotedSentence(span, quoted, continues, length))
    return result


def _inside_quotes(text: str) -> list[bool]:
    """For each character, whether it lies inside a quotation (the marks themselves included)."""
    inside = [False] * len(text)
    open_at: int | None = None
    for i, char in enumerate(text):
        if char == "\n" and open_at is not None and not _reopens(text, i):
            open_at = None  # a paragraph that does not go on quoting ends the quotation
        if char in OPENING or (char == STRAIGHT and _opens(text, i)):
            open_at = i if open_at is None else open_at
        elif (char in CLOSING or char == STRAIGHT) and open_at is not None:
            inside[i] = True
            open_at = None
            continue
        if open_at is not None:
            inside[i] = True
    return inside


def _opens(text: str, i: int) -> bool:
    return i == 0 or text[i - 1] in BEFORE_OPENING


def _reopens(text: str, newline: int) -> bool:
    """Whether the quotation goes on past this line break: the next paragraph opens with a quotation
    mark, or the next mark within reach closes (a quotation broken over lines by the page)."""
    i = newline
    while i < len(text) and text[i].isspace():
        i += 1
    if i < len(text) and (text[i] in OPENING or text[i] == STRAIGHT):
        return True
    for j in range(i, min(len(text), i + LINE_BREAK_REACH)):
        if text[j] in OPENING or (text[j] == STRAIGHT and _opens(text, j)):
            return False
        if text[j] in CLOSING or text[j] == STRAIGHT:
            return True
    return False

