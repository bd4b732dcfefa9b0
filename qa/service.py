"""QAService: the one object the CLI and the HTTP API call."""

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

from index.database import DATABASE_FILE
from index.errors import IncompatibleStore, StoreLocked, StoreNotFound
from index.records import StoredArticle, StoreStats
from index.store import IndexStore
from qa.answering import PASSAGES_TO_READ, AnswerComposer
from qa.articles import Article
from qa.chunking import Chunker
from qa.embedding import Embedder, load_embedder
from qa.errors import ArticleNotFound, IndexBusy, IndexIncompatible, IndexNotFound, InvalidInput
from qa.ingestion import IngestReport, Ingestor
from qa.models import Answer, Passage
from qa.readers import Read, Skipped, read_paths
from qa.retrieval import Retriever
from qa.settings import Settings


class QAService:
    def __init__(self, store: IndexStore, embedder: Embedder, settings: Settings) -> None:
        self._store = store
        self._settings = settings
        chunker = Chunker(embedder.count_tokens, settings.chunk_tokens, settings.chunk_overlap_tokens)
        self._ingestor = Ingestor(store, embedder, chunker, settings.ingest_batch_articles, settings.embed_title)
        self._retriever = Retriever(store, embedder)
        self._composer = AnswerComposer(
            embedder, lambda article_id: self.article(article_id).text,
            settings.min_passage_score, settings.answer_max_sentences,
        )

    def close(self) -> None:
        self._store.close()

    def ingest_paths(self, paths: Sequence[Path], on_article: Callable[[], None] = lambda: None) -> IngestReport:
        return self._guarded_ingest(read_paths(paths, exclude=self._settings.index_dir), on_article)

    def ingest_articles(self, articles: Iterable[Article]) -> IngestReport:
        return self._guarded_ingest((Read(a, a.id) for a in articles), lambda: None)

    def delete(self, article_id: str) -> None:
        with _busy_as_error(), self._store.writing():
            if not self._store.delete(article_id):
                raise ArticleNotFound(article_id)

    def ask(self, question: str, top_k: int | None = None) -> Answer:
        question = self._checked_question(question)
        top_k = self._checked_top_k(top_k)
        vector = self._retriever.embed_question(question)
        # The answer reads the same passages however few the caller wants listed.
        passages = self._retriever.passages(vector, max(top_k, PASSAGES_TO_READ))
        answer = self._composer.compose(question, vector, passages)
        return replace(answer, passages=answer.passages[:top_k])

    def search(self, question: str, top_k: int | None = None) -> list[Passage]:
        vector = self._retriever.embed_question(self._checked_question(question))
        return self._retriever.passages(vector, self._checked_top_k(top_k))

    def article(self, article_id: str) -> StoredArticle:
        article = self._store.article(article_id)
        if article is None:
            raise ArticleNotFound(article_id)
        return article

    def stats(self) -> StoreStats:
        return self._store.stats()

    def _guarded_ingest(self, items: Iterable[Read | Skipped], on_article: Callable[[], None]) -> IngestReport:
        with _busy_as_error():
            return self._ingestor.ingest(items, on_article)

    def _checked_question(self, question: str) -> str:
        question = question.strip()
        if not question:
            raise InvalidInput("question is empty")
        if len(question) > self._settings.max_question_chars:
            raise InvalidInput(
                f"question must be at most {self._settings.max_question_chars} characters, got {len(question)}"
            )
        return question

    def _checked_top_k(self, top_k: int | None) -> int:
        top_k = self._settings.top_k if top_k is None else top_k
        if not 1 <= top_k <= self._settings.max_top_k:
            raise InvalidInput(f"top_k must be between 1 and {self._settings.max_top_k}, got {top_k}")
        return top_k


def open_service(settings: Settings, embedder: Embedder | None = None, create: bool = True) -> QAService:
    """Builds the service from settings; `create=False` refuses to start a new, empty index."""
    if not create and not (settings.index_dir / DATABASE_FILE).exists():
        raise IndexNotFound(f"no index at {settings.index_dir}; add articles first with `qa ingest PATH`")
    embedder = embedder or load_embedder(settings.model, settings.embed_batch_size)
    try:
        store = IndexStore.open(
            settings.index_dir, model=embedder.name, dimension=embedder.dimension,
            faiss_index=settings.faiss_index, create=create,
        )
    except StoreNotFound as error:
        raise IndexNotFound(str(error)) from None
    except IncompatibleStore as error:
        raise IndexIncompatible(str(error)) from None
    return QAService(store, embedder, settings)


@contextmanager
def _busy_as_error() -> Iterator[None]:
    """Turns the storage layer's lock refusal into the domain's error."""
    try:
        yield
    except StoreLocked as error:
        raise IndexBusy(str(error)) from None
