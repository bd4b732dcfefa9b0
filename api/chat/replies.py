"""An answer written as a chat reply: the cited sentences with [n] markers, then where each comes from;
or, when the articles do not answer, a plain sentence saying so. A reply is a list of pieces, which
the stream sends one by one and a completion sends joined."""

from collections.abc import Sequence
from datetime import datetime

from qa.answering.date_limits import dates_sentence
from qa.models import Abstention, Answer, Citation, Passage, Source
from qa.text.isodates import parse_date

ABSTENTIONS = {
    Abstention.NO_RELEVANT_PASSAGES: "The articles do not answer this question: nothing in them is about it.",
    Abstention.LOW_CONFIDENCE: "The articles do not answer this question: some passages touch on it, but no "
                               "sentence in them answers it well enough to quote.",
    Abstention.OUTSIDE_DATE_RANGE: "The articles do not answer this question within the dates asked: the passages "
                                   "that might answer it are outside those dates.",
}
NEAREST_LISTED = 3


def reply_pieces(answer: Answer) -> list[str]:
    """The reply's text in the order it reads; joined, it is the whole reply."""
    answering = [f"Answering: {answer.question}\n\n"] if answer.asked else []
    if answer.dates is not None:
        answering.append(f"{dates_sentence(answer.dates)}\n\n")
    if answer.abstention is not None:
        return answering + _abstention(answer.abstention, answer.passages)
    sources = ["\n\nSources:\n", *_sources(answer.citations)] if answer.citations else []
    return answering + _marked(answer) + sources


def reply_text(answer: Answer) -> str:
    return "".join(reply_pieces(answer))


def _marked(answer: Answer) -> list[str]:
    """A written answer numbers its citations already; the cited sentences get a marker each."""
    text = answer.text or ""
    if answer.generated:
        return [text]
    pieces, start = [], 0
    for n, citation in enumerate(answer.citations, start=1):
        at = text.find(citation.quote, start)
        if at < 0:  # not the cited sentences joined after all: the quotes themselves, each marked
            return [f"{' ' if n > 1 else ''}{c.quote} [{n}]" for n, c in enumerate(answer.citations, start=1)]
        end = at + len(citation.quote)
        pieces.append(f"{text[start:end]} [{n}]")
        start = end
    return pieces + ([text[start:]] if start < len(text) else [])


def _sources(citations: Sequence[Citation]) -> list[str]:
    # One line each, whatever line breaks a quote holds; the `citations` field keeps the quote exact.
    lines = [f'[{n}] "{" ".join(c.quote.split())}" — {_where(c.origin)}' for n, c in enumerate(citations, start=1)]
    return [line + "\n" for line in lines[:-1]] + lines[-1:]


def _abstention(reason: Abstention, passages: Sequence[Passage]) -> list[str]:
    said = [ABSTENTIONS[reason]]
    if reason is not Abstention.OUTSIDE_DATE_RANGE or not passages:
        return said
    nearest = list(dict.fromkeys(p.origin for p in passages))[:NEAREST_LISTED]
    return said + ["\n\nNearest, outside those dates:\n"] + ["\n".join(f"- {_where(o)}" for o in nearest)]


def _where(origin: Source) -> str:
    """Title, source, date and URL, leaving out what the article lacks; its id when it has no title."""
    parts = [origin.title or f"article {origin.article_id}", origin.source, _day(origin.published_at), origin.url]
    return ", ".join(part for part in parts if part)


def _day(published_at: str | None) -> str | None:
    """The day as the article dates it; a date that cannot be read is shown as it was sent."""
    if not published_at:
        return None
    try:
        parsed = parse_date(published_at)
    except (ValueError, OverflowError):
        return published_at
    return (parsed.date() if isinstance(parsed, datetime) else parsed).isoformat()
