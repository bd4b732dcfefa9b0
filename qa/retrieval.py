"""Question to passages: dense and BM25 search within the query's filters, fused, optionally boosted
for recency and reranked, with one article per story (reprints listed, not repeated)."""

from dataclasses import dataclass
from datetime import datetime

import numpy as np

from index.records import ChunkFilter, ChunkView
from index.store import IndexStore
from qa.embedding import Embedder
from qa.fusion import Ranked, boost, one_article_per_story, reciprocal_rank_fusion
from qa.lexical import query_terms
from qa.models import Passage, Source
from qa.query import Query
from qa.recency import asks_about_recent, freshness
from qa.reranking import Reranker
from qa.settings import Settings


@dataclass(frozen=True)
class Retrieval:
    """What a question found: more passages than `top_k` when the answer needs more to read from."""

    question: str
    vector: np.ndarray
    passages: tuple[Passage, ...]
    top_k: int


class Retriever:
    def __init__(self, store: IndexStore, embedder: Embedder, settings: Settings, reranker: Reranker | None) -> None:
        self._store = store
        self._embedder = embedder
        self._settings = settings
        self._reranker = reranker

    def retrieve(self, query: Query, top_k: int, pool: int, now: datetime) -> Retrieval:
        wanted = max(top_k, pool)
        as_of = query.as_of or now
        vector = self._embedder.embed([query.question])[0]
        mode = self._settings.retriever
        hits = self._store.search(
            vector, max(self._settings.retrieval_depth, 4 * wanted), chunk_filter(query, as_of),
            terms=query_terms(query.question) if mode != "dense" else (), dense=mode != "bm25",
        )
        ranked = reciprocal_rank_fusion(
            [(self._settings.dense_weight, hits.dense), (self._settings.bm25_weight, hits.lexical)],
            self._settings.rrf_k,
        )
        if self._settings.recency_weight and asks_about_recent(query.question):
            as_of_ts = int(as_of.timestamp())
            half_life, weight = self._settings.recency_half_life_days, self._settings.recency_weight
            ranked = boost(ranked, lambda view: weight * freshness(view.published_ts, as_of_ts, half_life))
        if self._reranker is not None:
            ranked = self._reranked(query.question, ranked)
        groups = one_article_per_story(ranked) if self._settings.collapse_duplicates else [(r, []) for r in ranked]
        passages = tuple(_passage(r.view, hits.cosines[r.view.row_id], also) for r, also in groups[:wanted])
        return Retrieval(query.question, vector, passages, top_k)

    def _reranked(self, question: str, ranked: list[Ranked]) -> list[Ranked]:
        head, tail = ranked[: self._settings.rerank_top], ranked[self._settings.rerank_top :]
        scores = self._reranker.scores(question, [r.view.text for r in head])
        reordered = [Ranked(r.view, s) for s, r in sorted(zip(scores, head), key=lambda pair: -pair[0])]
        return reordered + tail


def chunk_filter(query: Query, as_of: datetime) -> ChunkFilter:
    filters = query.filters
    return ChunkFilter(
        sources=filters.sources,
        article_ids=filters.article_ids,
        published_from=_seconds(filters.published_after),
        published_to=_seconds(filters.published_before),
        not_after=_seconds(as_of),
    )


def source_of(view: ChunkView) -> Source:
    return Source(view.article_id, view.title, view.url, view.source, view.published_at)


def _passage(view: ChunkView, cosine: float, also: list[ChunkView]) -> Passage:
    return Passage(view.key, source_of(view), view.start, view.end, view.text, round(cosine, 4),
                   tuple(source_of(v) for v in also))


def _seconds(moment: datetime | None) -> int | None:
    return None if moment is None else int(moment.timestamp())
