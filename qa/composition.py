"""The composition root: the service built from settings, with the store, models and parts they name.
The CLI and the HTTP app call `open_service`; tests and benchmarks pass their own parts through it,
or wire a service over a store they opened with `assemble_service`."""

import functools
from pathlib import Path

from index.errors import IncompatibleStore, StoreNotFound, StoreUnavailable
from index.ports import Store
from index.store.backup import BackupRefused, BackupReport, back_up
from index.store.opening import MilvusAddress, index_exists, open_store
from index.vectors.text_cache import TEXT_VECTORS_FILE, TextVectors
from qa.answering.chat_client import OpenAICompatibleChat
from qa.answering.composer import AnswerComposer
from qa.answering.generation import AnswerWriter
from qa.conversation.followups import ModelFollowUps, ParsedFollowUps, QuestionRewriter
from qa.embedding.embedder import Embedder, embedder_for
from qa.embedding.vector_cache import CachedEmbedder
from qa.errors import BackupFailed, IndexIncompatible, IndexNotFound, InvalidInput, QAError, StorageUnavailable
from qa.ingest.chunking import Chunker
from qa.ingest.ingestion import Ingestor
from qa.retrieval.reranking import Reranker, load_reranker
from qa.retrieval.retriever import Retriever
from qa.service import Clock, QAService, texts_of_articles, utc_now
from qa.settings import Settings
from qa.sources.desk import SourceDesk
from qa.sources.fetching import USER_AGENT, Fetcher, FetchPolicy
from qa.sources.sync import SourceSync
from qa.speech.finder import QuoteFinder
from qa.speech.pipeline import SpeechReader
from qa.text.entities import EntityReader
from qa.text.pipeline import load_pipeline

# About 30 MB of sentence vectors, enough for the sentences of the few thousand passages in the news of the day.
SENTENCE_VECTORS_CACHED = 20_000
# Questions come back (a chat page's suggestions, retries, a tool polling, the date re-check of an
# abstention): their vectors are kept too, a few MB.
QUESTION_VECTORS_CACHED = 2_000


def open_service(
    settings: Settings, embedder: Embedder | None = None, create: bool = True, *, clock: Clock = utc_now,
    reranker: Reranker | None = None, writer: AnswerWriter | None = None,
) -> QAService:
    """The composition root: the service built from settings, with the index they name (`create=False`
    refuses to start a new, empty one) and the models they name. An embedder, reranker or answer
    writer given is used instead of the one the settings name; `clock` tells the service what now is."""
    if not create and not index_exists(settings.index_dir, bool(settings.database_url)):
        raise IndexNotFound(f"no index at {settings.index_dir}; add articles first with `qa ingest PATH`")
    SpeechReader(settings.speech_pipeline).check()  # a missing pipeline stops the start, not the first ingest
    embedder = embedder or embedder_for(settings)
    try:
        store = open_store(
            settings.index_dir, model=embedder.name, dimension=embedder.dimension, faiss_index=settings.faiss_index,
            create=create, graph_threshold=settings.hnsw_threshold, ef_search=settings.hnsw_ef_search,
            database_url=settings.database_url.get_secret_value() if settings.database_url else None,
            milvus=_milvus_address(settings), write_wait=settings.write_wait_seconds,
        )
    except StoreNotFound as error:
        raise IndexNotFound(str(error)) from None
    except StoreUnavailable as error:
        raise StorageUnavailable(str(error)) from None
    except IncompatibleStore as error:
        raise IndexIncompatible(str(error)) from None
    try:
        if reranker is None and settings.reranker_model:
            reranker = load_reranker(settings.reranker_model)
    except BaseException:
        store.close()
        raise
    text_vectors = TextVectors(settings.index_dir / TEXT_VECTORS_FILE, embedder.dimension)
    writer = _writer(settings) if writer is None else writer
    return assemble_service(store, embedder, settings, reranker=reranker, writer=writer, clock=clock,
                            text_vectors=text_vectors)


def assemble_service(
    store: Store, embedder: Embedder, settings: Settings, *, reranker: Reranker | None = None,
    writer: AnswerWriter | None = None, clock: Clock = utc_now, text_vectors: TextVectors | None = None,
) -> QAService:
    """The service over a store already open (the one `open_service` opened, a benchmark's, a test's
    stand-in), its parts built from settings and wired together."""
    article_texts = functools.partial(texts_of_articles, store)
    chunker = Chunker(embedder.count_tokens, settings.chunk_tokens, settings.chunk_overlap_tokens)
    ingestor = Ingestor(
        store, embedder, chunker, settings.ingest_batch_articles, settings.embed_title, settings.duplicate_threshold,
        SpeechReader(settings.speech_pipeline), EntityReader(settings.speech_pipeline),
    )
    retriever = Retriever(store, CachedEmbedder(embedder, QUESTION_VECTORS_CACHED, text_vectors), settings, reranker)
    sentence_vectors = CachedEmbedder(embedder, SENTENCE_VECTORS_CACHED, text_vectors)
    quote_finder = QuoteFinder(store.statements, article_texts, sentence_vectors)
    composer = AnswerComposer(
        sentence_vectors, article_texts, store.speech, quote_finder,
        settings.min_passage_score, settings.min_answer_score, settings.answer_max_sentences, store.entities,
    )
    service = QAService(
        store, settings, model_name=embedder.name, ingestor=ingestor, retriever=retriever, quote_finder=quote_finder,
        composer=composer, writer=writer, clock=clock, text_vectors=text_vectors, rewriter=_rewriter(settings),
    )
    fetcher = Fetcher(fetch_policy(settings))
    sync = SourceSync(store.source_registry, fetcher, service.ingest_articles, clock, settings.sync_max_pages,
                      settings.max_article_chars)
    service.follow_sources(SourceDesk(store.source_registry, sync, clock, settings.sync_every), fetcher.close)
    return service


def fetch_policy(settings: Settings) -> FetchPolicy:
    return FetchPolicy(
        user_agent=settings.sync_user_agent or USER_AGENT, timeout_seconds=settings.sync_timeout_seconds,
        response_seconds=settings.sync_response_seconds,
        max_bytes=settings.sync_max_page_bytes, politeness_seconds=settings.sync_host_delay_seconds,
        retries=settings.sync_retries, respect_robots=settings.sync_respect_robots,
    )


def _milvus_address(settings: Settings) -> MilvusAddress | None:
    if not settings.milvus_uri:
        return None
    return MilvusAddress(
        settings.milvus_uri, settings.milvus_collection,
        settings.milvus_token.get_secret_value() if settings.milvus_token else None,
        settings.milvus_index_type, settings.milvus_metric,
    )


def back_up_index(settings: Settings, destination: Path) -> BackupReport:
    """A consistent copy of the index into a new folder, while it is served and written; needs no model."""
    if settings.database_url:
        raise InvalidInput("the articles are in PostgreSQL: back them up with pg_dump (the index folder holds "
                           "only vectors, which are rebuilt from the database)")
    try:
        return back_up(settings.index_dir, destination, settings.faiss_index)
    except StoreNotFound as error:
        raise IndexNotFound(str(error)) from None
    except IncompatibleStore as error:
        raise IndexIncompatible(str(error)) from None
    except BackupRefused as error:
        raise InvalidInput(str(error)) from None
    except OSError as error:
        raise BackupFailed(f"the backup to {destination} failed and was removed: {error}") from None


def _writer(settings: Settings) -> AnswerWriter | None:
    chat = _chat_model(settings)
    return None if chat is None else AnswerWriter(chat)


def _rewriter(settings: Settings) -> QuestionRewriter:
    """Follow-ups read by their parse (the pipeline loaded on the first follow-up), or rewritten by the
    configured model with the parse as its fallback."""
    parsed = ParsedFollowUps(functools.partial(load_pipeline, settings.speech_pipeline))
    chat = _chat_model(settings)
    return parsed if chat is None else ModelFollowUps(chat, parsed)


def _chat_model(settings: Settings) -> OpenAICompatibleChat | None:
    if not (settings.llm_base_url and settings.llm_model):
        return None
    key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else None
    return OpenAICompatibleChat(
        settings.llm_base_url, settings.llm_model, key, settings.llm_timeout_seconds, settings.llm_max_tokens
    )


def check_service_opens(settings: Settings) -> None:
    """Opens the service once in a child process, then closes it, raising here the domain error that
    stopped it: the caller learns of a missing model or an incompatible index without holding the
    model and the index in its own memory afterwards."""
    import multiprocessing

    context = multiprocessing.get_context("fork")
    results = context.SimpleQueue()
    child = context.Process(target=_open_and_report, args=(settings, results), name="qa-check")
    child.start()
    child.join()
    outcome = results.get() if not results.empty() else f"the check ended with exit code {child.exitcode}"
    if isinstance(outcome, QAError):
        raise outcome
    if outcome is not None:
        raise StorageUnavailable(f"the service could not be opened: {outcome}")


def _open_and_report(settings: Settings, results) -> None:
    try:
        open_service(settings, create=True).close()
        results.put(None)
    except QAError as error:
        results.put(error)
    except Exception as error:  # noqa: BLE001 - reported to the parent as one line, not a traceback
        results.put(f"{type(error).__name__}: {error}")
