"""Articles into the index: chunk, embed what is new, write each batch in one transaction."""

import hashlib
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from itertools import islice
from queue import Full, Queue
from threading import Event, Thread

import numpy as np

from index.records import (
    ArticleRecord, ChunkRecord, EntityRecord, Newsroom, SpeechRecord, StoryCandidate, StoryRecord,
)
from index.ports import Store
from index.recent import RecentlyUsed
from qa.articles import Article
from qa.ingest.chunking import Chunker, ChunkingError
from qa.ingest.duplicates import band_keys, signature, similarity
from qa.embedding.embedder import Embedder
from qa.models import Span
from qa.ingest.readers import Read, Skipped
from qa.speech.attribution import SPEECH_VERSION
from qa.speech.pipeline import SpeechReader
from qa.text.entities import ENTITIES_VERSION, EntityReader

# The parses of the texts read lately, kept for a text read again in the same run: some 5 KB each.
PARSES_KEPT = 5_000


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    chunks_embedded: int = 0
    chunks_reused: int = 0


@dataclass(frozen=True)
class _PlannedChunk:
    span: Span
    key: str
    embed_text: str
    embed_hash: str


@dataclass
class _Prepared:
    """A batch made ready to write (chunked and embedded), and what it adds to the report."""

    planned: list[tuple[Article, list[_PlannedChunk]]]
    report: IngestReport
    articles: int
    vectors: dict[str, np.ndarray] = field(default_factory=dict)
    # Each article's speech and entities, as parsed at ingest.
    parsed: dict[str, tuple[tuple[SpeechRecord, ...], tuple[EntityRecord, ...]]] = field(default_factory=dict)


class Ingestor:
    def __init__(
        self, store: Store, embedder: Embedder, chunker: Chunker, batch_articles: int, embed_title: bool,
        duplicate_threshold: float, speech: SpeechReader, entities: EntityReader,
    ) -> None:
        self._store = store
        self._speech = speech
        self._entities = entities
        self._parses: RecentlyUsed[str, tuple] = RecentlyUsed(PARSES_KEPT)
        self._embedder = embedder
        self._chunker = chunker
        self._batch_articles = batch_articles
        self._embed_title = embed_title
        self._duplicate_threshold = duplicate_threshold
        # Stored with each article: new chunk settings make an unchanged article count as changed.
        self._recipe = (
            f"{chunker.recipe}; title embedded: {embed_title}; same story at {duplicate_threshold}; "
            f"speech v{SPEECH_VERSION} by {speech.pipeline}; entities v{ENTITIES_VERSION} by {entities.pipeline}; "
            "untitled: slug words"
        )

    def ingest(
        self, items: Iterable[Read | Skipped], on_input: Callable[[], None] = lambda: None,
        before: Callable[[], None] = lambda: None,
    ) -> IngestReport:
        """Adds new articles, replaces changed ones, leaves identical ones alone; skips with reasons.
        `on_input` is called once for each item, article or skip, once it is done with; `before` once
        the write session has begun, for a check that must hold while no one else writes (a CMS's
        condition on the stored version), which stops the ingest by raising.

        Reading, chunking and embedding the next batch run in a thread while this one is written
        (the model releases the interpreter while it computes), so the cores embed while the
        database writes, and never wait on a file.
        """
        report = IngestReport()
        with self._store.writing():
            before()
            for prepared in _ahead(self._prepared_batches(items)):
                if prepared.planned:
                    self._store.put(self._records(prepared))
                _merge(report, prepared.report)
                for _ in range(prepared.articles + len(prepared.report.skipped)):
                    on_input()
        return report

    def _prepared_batches(self, items: Iterable[Read | Skipped]) -> Iterator[_Prepared]:
        unreadable = IngestReport()
        try:
            for batch in _batched(self._accepted(items, unreadable), self._batch_articles):
                prepared = self._prepare(batch)
                prepared.report.skipped = unreadable.skipped + prepared.report.skipped
                unreadable.skipped = []
                yield prepared
            yield _Prepared([], unreadable, 0)
        finally:
            self._store.release_thread()

    def _accepted(self, items: Iterable[Read | Skipped], report: IngestReport) -> Iterator[Read]:
        first_seen: dict[str, str] = {}
        for item in items:
            if isinstance(item, Skipped):
                report.skipped.append(item)
            elif item.article.id in first_seen:
                reason = f"duplicate id {item.article.id!r}, already read from {first_seen[item.article.id]}"
                report.skipped.append(Skipped(item.origin, reason))
            else:
                first_seen[item.article.id] = item.origin
                yield item

    def _prepare(self, batch: list[Read]) -> _Prepared:
        report = IngestReport()
        stored = self._store.content_hashes([read.article.id for read in batch])
        planned: list[tuple[Article, list[_PlannedChunk]]] = []
        for read in batch:
            article = read.article
            if stored.get(article.id) == self._version(article):
                report.unchanged.append(article.id)
                continue
            try:
                planned.append((article, self._plan_chunks(article)))
            except ChunkingError as error:
                report.skipped.append(Skipped(read.origin, f"could not be chunked: {error}"))
                continue
            (report.updated if article.id in stored else report.added).append(article.id)
        # Parsing for speech and entities runs beside the embedding, on the core the model leaves idle
        # between passages.
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="qa-parse") as parser:
            parsed = parser.submit(lambda: {article.id: self._parsed(article.text) for article, _ in planned})
            vectors = self._vectors({c.embed_hash: c.embed_text for _, chunks in planned for c in chunks}, report)
            return _Prepared(planned, report, len(batch), vectors, parsed.result())

    def _version(self, article: Article) -> str:
        return _digest(f"{article.content_hash}\x00{self._recipe}")

    def _plan_chunks(self, article: Article) -> list[_PlannedChunk]:
        planned, headline = [], article.headline
        for span in self._chunker.spans(article.text):
            embed_text = self._embed_text(headline, article.text[span.start : span.end])
            key = _digest(f"{article.id}\x00{span.start}\x00{span.end}\x00{embed_text}")[:20]
            planned.append(_PlannedChunk(span, key, embed_text, _digest(embed_text)))
        return planned

    def _parsed(self, text: str) -> tuple[tuple[SpeechRecord, ...], tuple[EntityRecord, ...]]:
        """Who says what in the text, and its named things: parsed once for a text read again in this
        run (a wire story that several outlets publish word for word)."""
        key = _digest(text)
        found = self._parses.get(key)
        if found is None:
            found = (tuple(self._speech(text)), tuple(self._entities(text)))
            self._parses.put(key, found)
        return found

    def _embed_text(self, headline: str, chunk: str) -> str:
        if not (self._embed_title and headline):
            return chunk
        # The headline gets whatever room the chunk leaves in the model's window, so the chunk is never cut.
        budget = self._embedder.max_tokens - self._embedder.count_tokens(chunk) - 1
        words = headline.split()
        while words and self._embedder.count_tokens(" ".join(words)) > budget:
            words.pop()
        return f"{' '.join(words)}\n{chunk}" if words else chunk

    def _records(self, prepared: _Prepared) -> list[tuple[ArticleRecord, list[ChunkRecord]]]:
        # Stories are found here, not ahead: a reprint's original may be in the batch written just before.
        planned, vectors = prepared.planned, prepared.vectors
        stories = self._stories([article for article, _ in planned])
        return [
            (_article_record(article, self._version(article), story, *prepared.parsed[article.id]),
             [ChunkRecord(c.span.start, c.span.end, c.key, c.embed_hash, vectors[c.embed_hash]) for c in chunks])
            for (article, chunks), story in zip(planned, stories)
        ]

    def _stories(self, articles: list[Article]) -> list[StoryRecord]:
        """Each article joins the story of its most similar stored or earlier article, if similar enough."""
        stories: list[StoryRecord] = []
        for article in articles:
            fingerprint = signature(article.text)
            keys = band_keys(fingerprint)
            earlier = [StoryCandidate(a.id, s.cluster_id, s.fingerprint) for a, s in zip(articles, stories)
                       if set(keys) & set(s.band_keys)]
            candidates = [c for c in self._store.story_candidates(keys) + earlier if c.article_id != article.id]
            similar = max(
                ((similarity(fingerprint, np.frombuffer(c.fingerprint, dtype=np.uint32)), c) for c in candidates),
                default=(0.0, None), key=lambda pair: pair[0],
            )
            cluster = similar[1].cluster_id if similar[0] >= self._duplicate_threshold else article.id
            stories.append(StoryRecord(cluster, fingerprint.tobytes(), tuple(keys)))
        return stories

    def _vectors(self, texts_by_hash: dict[str, str], report: IngestReport) -> dict[str, np.ndarray]:
        """Vectors for every text: reused when the same text is already stored, else embedded."""
        vectors = self._store.known_vectors(list(texts_by_hash))
        missing = [h for h in texts_by_hash if h not in vectors]
        embedded = self._embedder.embed([texts_by_hash[h] for h in missing])
        vectors.update(zip(missing, embedded))
        report.chunks_embedded += len(missing)
        report.chunks_reused += len(texts_by_hash) - len(missing)
        return vectors


def _article_record(
    article: Article, version: str, story: StoryRecord, speech: tuple[SpeechRecord, ...],
    entities: tuple[EntityRecord, ...],
) -> ArticleRecord:
    return ArticleRecord(
        id=article.id, text=article.text, title=article.title, url=article.url, source=article.source,
        authors=article.authors, published_at=article.published_at, published_ts=article.published_timestamp,
        content_hash=version, story=story, speech=speech, entities=entities, newsroom=newsroom_of(article),
    )


def newsroom_of(article: Article) -> Newsroom:
    return Newsroom(
        section=article.section, tags=article.tags, language=article.language, updated_at=article.updated_at,
        updated_ts=article.updated_timestamp, embargo_until=article.embargo_until,
        embargo_ts=article.embargo_timestamp, visibility=article.visibility,
    )


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _ahead(batches: Iterator[_Prepared], depth: int = 2) -> Iterator[_Prepared]:
    """The batches, prepared by a thread up to `depth` ahead of the caller; its errors are raised here.
    If the caller stops early (an error while writing), the thread stops too."""
    queue: Queue = Queue(maxsize=depth)
    stopped = Event()
    done = object()

    def hand_over(item: object) -> bool:
        while not stopped.is_set():
            try:
                queue.put(item, timeout=0.1)
                return True
            except Full:
                continue
        return False

    def produce() -> None:
        try:
            for batch in batches:
                if not hand_over(batch):
                    return
        except BaseException as error:  # raised by the consumer
            hand_over(error)
            return
        hand_over(done)

    thread = Thread(target=produce, name="ingest-reader", daemon=True)
    thread.start()
    try:
        while (item := queue.get()) is not done:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stopped.set()
        thread.join()


def _merge(report: IngestReport, part: IngestReport) -> None:
    for field_name in ("added", "updated", "unchanged", "skipped"):
        getattr(report, field_name).extend(getattr(part, field_name))
    report.chunks_embedded += part.chunks_embedded
    report.chunks_reused += part.chunks_reused


def _batched(items: Iterable[Read], size: int) -> Iterator[list[Read]]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch
