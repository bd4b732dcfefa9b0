"""Value objects a question produces: passages, citations and the answer; and the quotes of a speaker."""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


@dataclass(frozen=True)
class Span:
    """Characters `start` to `end` of an article's text."""

    start: int
    end: int


@dataclass(frozen=True)
class Source:
    """What a reader needs to find and trust the article a passage comes from."""

    article_id: str
    title: str | None
    url: str | None
    source: str | None
    published_at: str | None


@dataclass(frozen=True)
class Passage:
    """A chunk of an article, or the whole sentences around it (`match` is then the chunk); `score`
    is the chunk's cosine to the question, `also_reported_by` the other articles telling the same
    story when duplicates are collapsed."""

    chunk_id: str
    origin: Source
    start: int
    end: int
    text: str
    score: float
    also_reported_by: tuple[Source, ...] = ()
    match: Span | None = None

    @property
    def matched(self) -> Span:
        """The characters the search matched: the chunk, inside the passage."""
        return self.match or Span(self.start, self.end)


@dataclass(frozen=True)
class Citation:
    """`quote` is the article's text[start:end]; `speaker` is who says it, when the article says."""

    origin: Source
    start: int
    end: int
    quote: str
    speaker: str | None = None


@dataclass(frozen=True)
class ShortAnswer:
    """The name or number that answers ("$19 million", "Squid Game"): characters `start`..`end` of the
    article of a cited sentence, inside that sentence; `text` is exactly the article's text there."""

    origin: Source
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Quote:
    """A sentence of an article in which `speaker` speaks (None: a source the article does not name),
    `kind` "direct", "indirect" or "mixed"; `score` is its cosine to the topic asked about, if any;
    `lead` the sentence before it that names the topic, cited, when the statement only points back to it."""

    origin: Source
    start: int
    end: int
    quote: str
    speaker: str | None
    kind: str
    score: float | None = None
    lead: Citation | None = None


class Abstention(StrEnum):
    """Why there is no answer: nothing relevant was found; something was, but no sentence answers
    well enough; or the answer lies outside the dates the question was limited to."""

    NO_RELEVANT_PASSAGES = "no_relevant_passages"
    LOW_CONFIDENCE = "low_confidence"
    OUTSIDE_DATE_RANGE = "outside_date_range"


@dataclass(frozen=True)
class DateLimits:
    """The dates the asker limited a question to: the news as it stood `as_of`, and articles published
    from `published_after` to `published_before` (inclusive); None where not limited."""

    as_of: datetime | None = None
    published_after: datetime | None = None
    published_before: datetime | None = None


@dataclass(frozen=True)
class Answer:
    """`text` is the cited sentences joined, citations in the order their quotes appear in it; or,
    when `generated`, a written answer whose [n] markers number the citations from 1. `evidence` are
    the best sentences found, which a written answer may cite; `short_answer` the name or number
    within a cited sentence that answers, when the question asks for one."""

    question: str
    text: str | None
    citations: tuple[Citation, ...]
    passages: tuple[Passage, ...]
    abstention: Abstention | None = None
    generated: bool = False
    evidence: tuple[Citation, ...] = ()
    short_answer: ShortAnswer | None = None
    # The question as it was sent, when `question` is its rewriting as a standalone question (a follow-up).
    asked: str | None = None
    # The dates the question was asked within, when the asker limited them: the answer holds only there.
    dates: DateLimits | None = None

    @property
    def answerable(self) -> bool:
        return self.abstention is None
