"""QAService: the one object the CLI and the HTTP API call."""

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from index.ports import Store
from index.errors import InvalidCursor
from index.records import ArticlePage, StoredArticle, StoreStats
from index.vectors.text_cache import TextVectors
from qa.answering.composer import PASSAGES_TO_READ, AnswerComposer
from qa.answering.date_limits import date_limits
from qa.access import EVERYTHING, Access
from qa.articles import Article, InvalidArticle, article_from_mapping, check_storable
from qa.errors import ArticleNotFound, InvalidInput
from qa.answering.generation import AnswerWriter, WrittenAnswer
from qa.conversation.followups import AsAsked, QuestionRewriter
from qa.ingest.conditions import check_precondition, check_writable, checked_batch, readable
from qa.ingest.ingestion import IngestReport, Ingestor
from qa.models import Abstention, Answer, Citation, Passage, Quote, ShortAnswer
from qa.query import Filters, Query
from qa.ingest.readers import Read, Skipped, read_paths
from qa.retrieval.retriever import Retrieval, Retriever, chunk_filter
from qa.settings import Settings
from qa.sources.desk import SourceDesk
from qa.storage_failures import busy_as_error, storage_failures_as_errors
from qa.tracing import span
from qa.speech.finder import QuoteFinder, article_quotes, checked_request

MAX_PAGE = 100
# Earlier questions a follow-up may lean on; the latest few are what a follow-up refers to.
MAX_HISTORY = 20


Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass(frozen=True)
class ArticleResult:
    id: str
    status: str  # added | updated | unchanged
    version: str | None = None  # the stored version, which a conditional write names (HTTP's ETag)


class QAService:
    """Built by `open_service` from settings, or by `assemble_service` over a store already open."""

    def __init__(
        self, store: Store, settings: Settings, *, model_name: str, ingestor: Ingestor, retriever: Retriever,
        quote_finder: QuoteFinder, composer: AnswerComposer, writer: AnswerWriter | None = None,
        clock: Clock = utc_now, text_vectors: TextVectors | None = None, rewriter: QuestionRewriter = AsAsked(),
    ) -> None:
        self._store = store
        self._settings = settings
        self.model_name = model_name
        self._ingestor = ingestor
        self._retriever = retriever
        self._quote_finder = quote_finder
        self._composer = composer
        self._writer = writer
        self._rewriter = rewriter
        self._clock = clock
        self._text_vectors = text_vectors
        self._ingest_listeners: list[Callable[[IngestReport], None]] = []
        self._desk: SourceDesk | None = None
        self._closing: list[Callable[[], None]] = []
        self._dropped_citation_listeners: list[Callable[[Citation], None]] = []

    def on_ingest(self, listener: Callable[[IngestReport], None]) -> None:
        """Calls `listener` with the report of every ingest, e.g. to count it in metrics."""
        self._ingest_listeners.append(listener)

    def on_dropped_citation(self, listener: Callable[[Citation], None]) -> None:
        """Calls `listener` with every citation dropped because its quote no longer matches its article."""
        self._dropped_citation_listeners.append(listener)

    @property
    def store(self) -> Store:
        """The index this service reads and writes, for tools that work on it directly (benchmarks, checks)."""
        return self._store

    @property
    def waits_on_network(self) -> bool:
        """Whether answering waits on other machines: a model writing answers, a database or vector server."""
        return self._writer is not None or bool(self._settings.database_url or self._settings.milvus_uri)

    def follow_sources(self, desk: SourceDesk, close: Callable[[], None]) -> None:
        """Gives the service the desk of the sources it follows (built over this service's ingest, so a
        synced article is stored like any other); `close` is called when the service closes."""
        self._desk = desk
        self._closing.append(close)

    def close(self) -> None:
        for close in self._closing:
            close()
        self._store.close()
        if self._text_vectors is not None:
            self._text_vectors.close()

    @storage_failures_as_errors
    def ingest_paths(self, paths: Sequence[Path], on_input: Callable[[], None] = lambda: None) -> IngestReport:
        """Reads files and folders; what cannot be read is skipped and reported, the rest ingested."""
        items = read_paths(paths, exclude=self._settings.index_dir, max_article_chars=self._settings.max_article_chars)
        return self._ingest(items, on_input)

    @storage_failures_as_errors
    def ingest_articles(self, articles: Iterable[Article]) -> IngestReport:
        return self._ingest((Read(a, a.id) for a in articles), lambda: None)

    @storage_failures_as_errors
    def add_articles(self, objects: Sequence[Mapping[str, Any]], access: Access = EVERYTHING) -> list[ArticleResult]:
        """All or nothing: every object must be a valid article with its own id, within what the caller
        may write, or none is stored."""
        articles = checked_batch(objects, self._settings.max_articles_per_request, self._settings.max_article_chars)
        report = self._ingest((Read(a, a.id) for a in articles), lambda: None,
                              before=lambda: check_writable(articles, access, self._store.article, self._clock()))
        status = {**dict.fromkeys(report.added, "added"), **dict.fromkeys(report.updated, "updated"),
                  **dict.fromkeys(report.unchanged, "unchanged")}
        versions = self._store.content_hashes([a.id for a in articles])
        return [ArticleResult(a.id, status[a.id], versions.get(a.id)) for a in articles]

    @storage_failures_as_errors
    def put_article(self, article_id: str, obj: Mapping[str, Any], if_match: Sequence[str] | None = None,
                    access: Access = EVERYTHING) -> ArticleResult:
        """Creates or replaces one article, idempotently. The write is refused (VersionConflict) when
        `if_match` names versions of which none is stored ("*": any stored version), or when the article's
        `updated_at` is older than the stored one's: a late, older update never overwrites a newer one."""
        if obj.get("id") is not None and str(obj["id"]) != article_id:
            raise InvalidArticle(f"the body's id {obj['id']!r} differs from the id in the path {article_id!r}")
        article = article_from_mapping(obj, default_id=article_id, max_article_chars=self._settings.max_article_chars)

        def stored_version_allows() -> None:
            check_writable([article], access, self._store.article, self._clock())
            check_precondition(article, self._store.article(article_id), if_match)

        report = self._ingest([Read(article, article.id)], lambda: None, before=stored_version_allows)
        status = "added" if report.added else "updated" if report.updated else "unchanged"
        return ArticleResult(article.id, status, self._store.content_hashes([article.id]).get(article.id))

    @storage_failures_as_errors
    def delete(self, article_id: str, access: Access = EVERYTHING) -> None:
        _check_id_lookup(article_id)
        with busy_as_error(), self._store.writing():
            writer = replace(access, sees_embargoed=True)
            if access.limited and not readable(self._store.article(article_id), writer, self._clock()):
                raise ArticleNotFound(article_id)
            if not self._store.delete(article_id):
                raise ArticleNotFound(article_id)

    @storage_failures_as_errors
    def delete_matching(self, filters: Filters, access: Access = EVERYTHING) -> list[str]:
        """Removes every article within the filters (at least one must be given) that the caller may
        read; returns their ids."""
        if filters.empty:
            raise InvalidInput("give at least one filter (source, published_before, …): deleting every article "
                               "takes removing the index")
        with busy_as_error(), self._store.writing():
            # Articles under embargo go too: what is removed is the newsroom's to choose.
            return self._store.delete_matching(replace(chunk_filter(filters, None, self._clock(), access),
                                                       released_by=None))

    @storage_failures_as_errors
    def ask(self, query: Query) -> Answer:
        return self.answer(self.retrieve(query))

    @storage_failures_as_errors
    def retrieve(self, query: Query) -> Retrieval:
        """The passages for a query, plus what the answer needs; validates the query first."""
        with span("retrieve") as stage:
            retrieval = self._retrieved(self._checked(query))
            stage.set(top_k=retrieval.top_k, passages=len(retrieval.passages))
        return retrieval

    @storage_failures_as_errors
    def answer(self, retrieval: Retrieval) -> Answer:
        """The answer to what a query found: `ask` is `answer(retrieve(query))`, and the stream sends
        the passages of `retrieve` before it calls this, so both give the same answer."""
        with span("answer") as stage:
            answer = self._answer(retrieval)
            if answer.citations:
                answer = replace(answer, passages=self._retriever.cited_first(retrieval, answer.citations))
            stage.set(answerable=answer.answerable, citations=len(answer.citations), generated=answer.generated)
        return replace(answer, asked=retrieval.query.asked, dates=date_limits(retrieval.query))

    def _answer(self, retrieval: Retrieval) -> Answer:
        with span("compose"):
            extractive = self._composer.compose(retrieval)
        if not extractive.answerable:
            return self._outside_dates(extractive, retrieval)
        written = self._written(extractive)
        if written is not None:
            answer = replace(extractive, text=written.text, citations=written.citations, generated=True)
            checked = self._verified(answer)
            if checked.citations == answer.citations:
                return checked
            # A written answer whose markers lost a source cannot be repaired: the extractive one stands.
        return self._verified(extractive)

    @storage_failures_as_errors
    def search(self, query: Query) -> list[Passage]:
        retrieval = self.retrieve(query)
        return list(retrieval.passages[: retrieval.top_k])

    @storage_failures_as_errors
    def article(self, article_id: str, access: Access = EVERYTHING) -> StoredArticle:
        """The stored article, if the caller may read it: one it may not is not there for it."""
        _check_id_lookup(article_id)
        article = self._store.article(article_id)
        if article is None or not readable(article, access, self._clock()):
            raise ArticleNotFound(article_id)
        return article

    @storage_failures_as_errors
    def article_quotes(self, article_id: str, access: Access = EVERYTHING) -> tuple[Quote, ...]:
        """Every sentence of the article in which someone speaks, named or not, in text order."""
        article = self.article(article_id, replace(access, sees_embargoed=False))
        return article_quotes(article, self._store.speech([article.id])[article.id])

    @storage_failures_as_errors
    def quotes(
        self, speaker: str, topic: str | None = None, filters: Filters = Filters(), as_of: datetime | None = None,
        top_k: int | None = None, sort: str = "relevance", access: Access = EVERYTHING,
    ) -> list[Quote]:
        """What `speaker` said, about `topic` when given, within the filters, as of `as_of` (default: now)."""
        name, subject, wanted = checked_request(speaker, topic, top_k, sort, self._settings)
        now = self._clock()
        return self._quote_finder.find(name, subject, chunk_filter(filters, as_of or now, now, access), wanted, sort)

    @storage_failures_as_errors
    def list_articles(
        self, limit: int = 20, cursor: str | None = None, access: Access = EVERYTHING, filters: Filters = Filters(),
    ) -> ArticlePage:
        """The articles within the filters that the caller may read, newest published first."""
        if not 1 <= limit <= MAX_PAGE:
            raise InvalidInput(f"limit must be between 1 and {MAX_PAGE}, got {limit}")
        limits = chunk_filter(filters, None, self._clock(), access)
        if access.sees_embargoed:
            limits = replace(limits, released_by=None)
        try:
            return self._store.list_articles(limit, cursor, limits)
        except InvalidCursor as error:
            raise InvalidInput(str(error)) from None

    @property
    def sources(self) -> SourceDesk:
        """The feeds and sitemaps the service follows: add, list, sync, remove, schedule."""
        if self._desk is None:
            raise InvalidInput("this service follows no sources")
        return self._desk

    @storage_failures_as_errors
    def stats(self) -> StoreStats:
        return self._store.stats()

    def _ingest(
        self, items: Iterable[Read | Skipped], on_input: Callable[[], None], before: Callable[[], None] = lambda: None,
    ) -> IngestReport:
        with busy_as_error():
            report = self._ingestor.ingest(items, on_input, before)
        for listener in self._ingest_listeners:
            listener(report)
        return report

    def _retrieved(self, query: Query) -> Retrieval:
        # The answer reads the same passages however few the caller wants listed.
        return self._retriever.retrieve(query, query.top_k, PASSAGES_TO_READ, self._clock())

    def _outside_dates(self, abstention: Answer, retrieval: Retrieval) -> Answer:
        """When the articles answer, only not within the dates the question allowed, the abstention
        says so. It then lists the nearest passages whatever the published dates asked, whose own
        dates show the asker what the articles hold and when, rather than the weak passages (or none)
        within them; but never any published after `as_of`: a question asked as of a day sees the
        news as it stood that day."""
        query = retrieval.query
        if date_limits(query) is None:
            return abstention
        published = query.filters.published_after or query.filters.published_before
        nearest = self._retrieved(_without_dates(query, keep_as_of=True)) if published else retrieval
        unlimited = self._retrieved(_without_dates(query, keep_as_of=False)) if query.as_of else nearest
        if not self._composer.compose(unlimited).answerable:
            return abstention
        return replace(abstention, abstention=Abstention.OUTSIDE_DATE_RANGE, passages=nearest.passages[: nearest.top_k])

    def _written(self, extractive: Answer) -> WrittenAnswer | None:
        if self._writer is None or not extractive.answerable:
            return None
        with span("generate", evidence=len(extractive.evidence)):
            return self._writer.write(extractive.question, extractive.evidence)

    def _verified(self, answer: Answer) -> Answer:
        """Every quote checked against its article as stored now; one that no longer matches is dropped.
        The short answer stands only inside a kept citation, matching its article too."""
        if not answer.citations:
            return replace(answer, short_answer=None) if answer.short_answer else answer
        texts = texts_of_articles(self._store, [c.origin.article_id for c in answer.citations])
        kept = []
        for citation in answer.citations:
            text = texts.get(citation.origin.article_id)
            if text is not None and text[citation.start : citation.end] == citation.quote:
                kept.append(citation)
            else:
                for listener in self._dropped_citation_listeners:
                    listener(citation)
        short = answer.short_answer
        if short is not None and not _holds(kept, short, texts):
            short = None
        if len(kept) == len(answer.citations):
            return answer if short is answer.short_answer else replace(answer, short_answer=short)
        if not kept or answer.generated:
            return replace(answer, text=None, citations=(), abstention=Abstention.LOW_CONFIDENCE, short_answer=None)
        return replace(answer, text=" ".join(c.quote for c in kept), citations=tuple(kept), short_answer=short)

    def _checked(self, query: Query) -> Query:
        question = query.question.strip() if isinstance(query.question, str) else ""
        if not question:
            raise InvalidInput("question is empty")
        check_storable("question", question, InvalidInput)
        # The question as sent is measured, spaces included, as the API's schema measures it.
        if len(query.question) > self._settings.max_question_chars:
            raise InvalidInput(
                f"question must be at most {self._settings.max_question_chars} characters, got {len(query.question)}"
            )
        top_k = self._settings.top_k if query.top_k is None else query.top_k
        if not 1 <= top_k <= self._settings.max_top_k:
            raise InvalidInput(f"top_k must be between 1 and {self._settings.max_top_k}, got {top_k}")
        history = self._checked_history(query.history)
        standalone = self._rewriter.standalone(question, history) if history else question
        asked = question if standalone != question else None
        return replace(query, question=standalone, top_k=top_k, history=history, asked=asked)

    def _checked_history(self, history: Sequence[str]) -> tuple[str, ...]:
        if len(history) > MAX_HISTORY:
            raise InvalidInput(f"history may hold at most {MAX_HISTORY} earlier questions, got {len(history)}")
        checked = []
        for n, earlier in enumerate(history):
            name = f"history[{n}]"
            if not isinstance(earlier, str) or not earlier.strip():
                raise InvalidInput(f"{name} must be a question, got {earlier!r}")
            check_storable(name, earlier, InvalidInput)
            if len(earlier) > self._settings.max_question_chars:
                raise InvalidInput(f"{name} must be at most {self._settings.max_question_chars} characters, "
                                   f"got {len(earlier)}")
            checked.append(earlier.strip())
        return tuple(checked)

def _without_dates(query: Query, keep_as_of: bool) -> Query:
    filters = replace(query.filters, published_after=None, published_before=None)
    return replace(query, filters=filters, as_of=query.as_of if keep_as_of else None)


def _check_id_lookup(article_id: str) -> None:
    """An id that could never have been stored is simply not there."""
    try:
        check_storable("id", article_id, InvalidInput)
    except InvalidInput:
        raise ArticleNotFound(article_id) from None


def texts_of_articles(store: Store, article_ids: Sequence[str]) -> dict[str, str]:
    """The texts of these articles, each read once however often it is cited."""
    return store.article_texts(list(dict.fromkeys(article_ids)))


def _holds(citations: list[Citation], short: ShortAnswer, texts: dict[str, str]) -> bool:
    """Whether the short answer lies inside one of the citations and is its article's text there."""
    text = texts.get(short.origin.article_id)
    return text is not None and text[short.start : short.end] == short.text and any(
        c.origin.article_id == short.origin.article_id and c.start <= short.start and short.end <= c.end
        for c in citations
    )
