"""The quote finder: everything a person said in the articles, or what they said about a subject,
each sentence cited to the exact characters of its article."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from index.records import ChunkFilter, SaidBy, SpeechRecord, Statement, StoredArticle
from index.speakers import speaker_key
from qa.articles import check_storable
from qa.embedding.embedder import Embedder
from qa.errors import InvalidInput
from qa.models import Citation, Quote, Source, Span
from qa.settings import Settings
from qa.speech.names import same_person
from qa.speech.topics import POINTS_BACK, TOPIC_CLOSENESS, names_topic, topic_lead

Sort = Literal["relevance", "date"]
SORTS = ("relevance", "date")
MAX_SPEAKER_CHARS = 200
# Of a speaker's statements, those naming a topic and those not naming it whose closeness to it in
# meaning is weighed, newest first.
MAX_NAMING_EMBEDDED = 1000
MAX_UNNAMING_EMBEDDED = 200


class Statements(Protocol):
    """The store's statements of a speaker key (index.ports.Store.statements)."""

    def __call__(self, speaker_key: str, chunk_filter: ChunkFilter, *,
                 keep: SaidBy | None = None) -> list[Statement]: ...


ArticleTexts = Callable[[Sequence[str]], dict[str, str]]


@dataclass(frozen=True)
class _Said:
    """A statement with its sentence as the article holds it now; `on_topic` and `score` once a
    topic is asked."""

    statement: Statement
    quote: str
    on_topic: bool = False
    score: float | None = None
    lead: Citation | None = None


class QuoteFinder:
    def __init__(self, statements: Statements, article_texts: ArticleTexts, embedder: Embedder) -> None:
        self._statements = statements
        self._article_texts = article_texts
        self._embedder = embedder

    def find(self, speaker: str, topic: str | None, chunk_filter: ChunkFilter, top_k: int, sort: Sort) -> list[Quote]:
        """The speaker's sentences within the filter, about `topic` when given (naming it, or close to
        it in meaning), best first or newest first; a sentence reprinted word for word is listed once."""
        said = self._said_by(speaker, chunk_filter)
        if topic:
            said = [s for s in self._scored(said, speaker, topic) if s.on_topic or s.score >= TOPIC_CLOSENESS]
        ordered = sorted(said, key=_by_relevance if topic and sort == "relevance" else _by_date)
        return [_quote(s) for s in ordered[:top_k]]

    def _said_by(self, speaker: str, chunk_filter: ChunkFilter) -> list[_Said]:
        key = speaker_key(speaker)
        # Only the speaker's rows are read with their sentences: a key ("agency") is shared by many.
        statements = self._statements(key, chunk_filter, keep=lambda named, titles: same_person(
            speaker, named, titles)) if key else []
        # Rows read without their sentence (a store that does not cut it) read their articles.
        missing = list(dict.fromkeys(st.article_id for st in statements if st.quote is None))
        texts = self._article_texts(missing) if missing else {}
        copies: dict[str, _Said] = {}
        normalized: dict[str, str] = {}  # a reprint's sentence is the same string: normalized once
        # The first report of a sentence is kept, its reprints' copies left out.
        for statement in sorted(statements, key=_by_first_published):
            quote = _quoted(statement, texts)
            if quote is None:
                continue
            key = normalized.get(quote)
            if key is None:
                key = normalized[quote] = " ".join(quote.casefold().split())
            if key not in copies:
                copies[key] = _Said(statement, quote)
        return list(copies.values())

    def _scored(self, said: list[_Said], speaker: str, topic: str) -> list[_Said]:
        leads = self._leads(said, speaker, topic)
        naming = [names_topic(s.quote, topic, speaker) or lead is not None for s, lead in zip(said, leads)]
        # A prolific speaker has thousands of statements in an archive: only the newest are weighed,
        # so that a question costs at most so many embeddings.
        newest = sorted(range(len(said)), key=lambda i: _by_date(said[i]))
        kept = sorted([i for i in newest if naming[i]][:MAX_NAMING_EMBEDDED]
                      + [i for i in newest if not naming[i]][:MAX_UNNAMING_EMBEDDED])
        if not kept:
            return []
        vectors = self._embedder.embed([*(said[i].quote for i in kept), topic])
        closeness = vectors[:-1] @ vectors[-1]  # inner product is cosine on normalized rows
        return [_Said(said[i].statement, said[i].quote, naming[i], round(float(near), 4), leads[i])
                for i, near in zip(kept, closeness)]

    def _leads(self, said: list[_Said], speaker: str, topic: str) -> list[Citation | None]:
        """For each statement that points back to its speaker, the sentence before it, cited, when that
        one names the speaker and the topic (qa.speech.topics.topic_lead)."""
        pointing = [s for s in said if POINTS_BACK.match(s.quote) and not names_topic(s.quote, topic, speaker)]
        texts = self._article_texts(list(dict.fromkeys(s.statement.article_id for s in pointing))) if pointing else {}
        leads = {}
        for s in pointing:
            text = texts.get(s.statement.article_id)
            span = Span(s.statement.speech.start, s.statement.speech.end)
            lead = topic_lead(text, span, topic, s.statement.speech.speaker) \
                if text is not None and text[span.start : span.end] == s.quote else None
            if lead is not None:
                leads[id(s)] = Citation(_origin(s.statement), lead.start, lead.end, text[lead.start : lead.end])
        return [leads.get(id(s)) for s in said]


def article_quotes(article: StoredArticle, speech: Sequence[SpeechRecord]) -> tuple[Quote, ...]:
    """Every sentence of the article in which someone speaks, named or not, in text order."""
    origin = Source(article.id, article.title, article.url, article.source, article.published_at)
    quotes = []
    for record in sorted(speech, key=lambda r: (r.start, r.end)):
        quote = _sentence(article.text, record)
        if quote is not None:
            quotes.append(Quote(origin, record.start, record.end, quote, record.speaker, record.kind))
    return tuple(quotes)


def checked_request(
    speaker: object, topic: object, top_k: int | None, sort: str, settings: Settings
) -> tuple[str, str | None, int]:
    """The speaker and topic stripped (a blank topic is none) and top_k with its default; raises
    InvalidInput showing the bad value. Lengths are measured as sent, as the API's schema measures them."""
    name = speaker.strip() if isinstance(speaker, str) else ""
    if not name:
        raise InvalidInput(f"speaker is empty, got {speaker!r}")
    if len(speaker) > MAX_SPEAKER_CHARS:
        raise InvalidInput(f"speaker must be at most {MAX_SPEAKER_CHARS} characters, got {len(speaker)}")
    check_storable("speaker", name, InvalidInput)
    if topic is not None and not isinstance(topic, str):
        raise InvalidInput(f"topic must be a string, got {type(topic).__name__}")
    if topic is not None and len(topic) > settings.max_question_chars:
        raise InvalidInput(f"topic must be at most {settings.max_question_chars} characters, got {len(topic)}")
    subject = (topic or "").strip() or None
    if subject is not None:
        check_storable("topic", subject, InvalidInput)
    wanted = settings.top_k if top_k is None else top_k
    if not 1 <= wanted <= settings.max_top_k:
        raise InvalidInput(f"top_k must be between 1 and {settings.max_top_k}, got {wanted}")
    if sort not in SORTS:
        raise InvalidInput(f"sort must be one of {', '.join(SORTS)}, got {sort!r}")
    return name, subject, wanted


def _quoted(statement: Statement, texts: dict[str, str]) -> str | None:
    if statement.quote is None:
        return _sentence(texts.get(statement.article_id), statement.speech)
    length = statement.speech.end - statement.speech.start
    quote = statement.quote
    return quote if len(quote) == length and quote.strip() == quote else None


def _sentence(text: str | None, record: SpeechRecord) -> str | None:
    """The record's sentence in the article as it is now; None when the article is gone or its offsets
    no longer fall on a sentence (the article was replaced since the record was read)."""
    if text is None or not 0 <= record.start < record.end <= len(text):
        return None
    quote = text[record.start : record.end]
    return quote if quote.strip() == quote else None


def _origin(statement: Statement) -> Source:
    return Source(statement.article_id, statement.title, statement.url, statement.source, statement.published_at)


def _quote(said: _Said) -> Quote:
    st = said.statement
    origin = _origin(st)
    return Quote(origin, st.speech.start, st.speech.end, said.quote, st.speech.speaker, st.speech.kind, said.score,
                 said.lead)


def _by_first_published(statement: Statement) -> tuple:
    return statement.published_ts is None, statement.published_ts or 0, statement.article_id, statement.speech.start


def _by_date(said: _Said) -> tuple:
    """Newest published first, undated last; then in the order of the text."""
    st = said.statement
    return st.published_ts is None, -(st.published_ts or 0), st.article_id, st.speech.start


def _by_relevance(said: _Said) -> tuple:
    """Sentences naming the topic first, then the closest to it."""
    return not said.on_topic, -(said.score or 0.0), *_by_date(said)
