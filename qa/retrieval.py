"""Question to passages: embed the question, search the vectors within the query's filters."""

from dataclasses import dataclass
from datetime import datetime

import numpy as np

from index.records import ChunkFilter, ChunkView
from index.store import IndexStore
from qa.embedding import Embedder
from qa.models import Passage, Source
from qa.query import Query


@dataclass(frozen=True)
class Retrieval:
    """What a question found: more passages than `top_k` when the answer needs more to read from."""

    question: str
    vector: np.ndarray
    passages: tuple[Passage, ...]
    top_k: int


class Retriever:
    def __init__(self, store: IndexStore, embedder: Embedder) -> None:
        self._store = store
        self._embedder = embedder

    def retrieve(self, query: Query, top_k: int, pool: int, now: datetime) -> Retrieval:
        vector = self._embedder.embed([query.question])[0]
        hits = self._store.search(vector, max(top_k, pool), chunk_filter(query, now))
        return Retrieval(query.question, vector, tuple(_passage(view, score) for view, score in hits), top_k)


def chunk_filter(query: Query, now: datetime) -> ChunkFilter:
    filters = query.filters
    return ChunkFilter(
        sources=filters.sources,
        article_ids=filters.article_ids,
        published_from=_seconds(filters.published_after),
        published_to=_seconds(filters.published_before),
        not_after=_seconds(query.as_of or now),
    )


def source_of(view: ChunkView) -> Source:
    return Source(view.article_id, view.title, view.url, view.source, view.published_at)


def _passage(view: ChunkView, score: float) -> Passage:
    return Passage(view.key, source_of(view), view.start, view.end, view.text, round(score, 4))


def _seconds(moment: datetime | None) -> int | None:
    return None if moment is None else int(moment.timestamp())
