"""Question to passages: dense and BM25 search within the query's filters, fused, optionally boosted
for recency and reranked; then articles ranked on their best passages, one article per story
(reprints listed, not repeated), and passages taken from as many articles as possible first."""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from itertools import islice

import numpy as np

from index.records import ChunkFilter, ChunkRef, ChunkView
from index.ports import Store
from qa.access import EVERYTHING, Access
from qa.embedding.embedder import Embedder
from qa.retrieval.citing import cited_articles_first, holding_every_quote, unplaced
from qa.retrieval.fusion import Ranked, boost, interleave, lead_first, rank_articles, reciprocal_rank_fusion
from qa.retrieval.lexical import query_terms
from qa.models import Citation, Passage, Source, Span
from qa.query import Filters, Query
from qa.retrieval.recency import freshness, recency_half_life
from qa.retrieval.reranking import Reranker
from qa.text.sentences import sentence_window
from qa.tracing import span
from qa.settings import Settings


@dataclass(frozen=True)
class Retrieval:
    """What a query found: `passages` in the order they are listed (the best of every article, then
    the second best…), and `best`, the few best by fused score whatever their article, for the
    answer to read: an article's second passage may answer better than another article's first."""

    query: Query
    vector: np.ndarray
    passages: tuple[Passage, ...]
    top_k: int
    best: tuple[Passage, ...]
    as_of: datetime  # the moment asked about: the query's as_of, else when it was asked
    limits: ChunkFilter  # what the search was allowed to find; whatever else the answer reads keeps to it
    # The other articles telling each ranked article's story, for an article the answer cites but
    # the passages do not list.
    reprints: Mapping[str, tuple[ChunkRef, ...]] = field(default_factory=dict)

    @property
    def question(self) -> str:
        return self.query.question


class Retriever:
    def __init__(self, store: Store, embedder: Embedder, settings: Settings, reranker: Reranker | None) -> None:
        self._store = store
        self._embedder = embedder
        self._settings = settings
        self._reranker = reranker

    def retrieve(self, query: Query, top_k: int, pool: int, now: datetime) -> Retrieval:
        wanted = max(top_k, pool)
        as_of = query.as_of or now
        limits = chunk_filter(query.filters, as_of, now, query.access)
        vector = self._embedder.embed([query.question])[0]
        mode = self._settings.retriever
        hits = self._store.search(
            vector, max(self._settings.retrieval_depth, 4 * wanted), limits,
            terms=query_terms(query.question) if mode != "dense" else (), dense=mode != "bm25",
            title_weight=self._settings.bm25_title_weight,
        )
        ranked = reciprocal_rank_fusion(
            [(self._settings.dense_weight, hits.dense), (self._settings.bm25_weight, hits.lexical)],
            self._settings.rrf_k,
        )
        recency = self._recency(query.question, as_of)
        if recency is not None:
            ranked = boost(ranked, recency)
        if self._reranker is not None:
            with span("rerank", candidates=min(len(ranked), self._settings.rerank_top)):
                ranked = self._reranked(query.question, ranked)
        bonuses = self._article_evidence(hits.articles, ranked, recency)
        counts = self._store.chunk_counts(list(dict.fromkeys(r.view.article_id for r in ranked)))
        articles = rank_articles(ranked, bonuses, self._settings.collapse_duplicates, counts)
        listed = articles[:wanted]
        if self._settings.lead_margin >= 0:
            leads = self._store.leads([a.passages[0].view.article_id for a in listed], vector)
            lead_first(listed, {ref.article_id: (ref, cosine) for ref, cosine in leads}, hits.cosines,
                       self._settings.lead_margin)
        chosen = interleave(articles, self._settings.max_passages_per_article)[:top_k]  # what is listed
        kept = {r.view.row_id for article in articles for r in article.passages}  # reprints left out
        best_ranked = list(islice((r for r in ranked if r.view.row_id in kept), pool))
        # Text is read only now, for the few chunks kept, and their reprints' sources.
        views, texts = self._views([r.view for r, _ in chosen], [ref for _, also in chosen for ref in also],
                                   [r.view for r in best_ranked])
        passages = self._in_context(tuple(
            _passage(views[r.view.row_id], hits.cosines[r.view.row_id], [views[a.row_id] for a in also if a.row_id in views])
            for r, also in chosen if r.view.row_id in views
        ), texts)
        best = tuple(_passage(views[r.view.row_id], hits.cosines[r.view.row_id], [])
                     for r in best_ranked if r.view.row_id in views)
        reprints = {a.passages[0].view.article_id: tuple(a.reprints) for a in articles if a.reprints}
        return Retrieval(query, vector, passages, top_k, best, as_of, limits, reprints)

    def cited_first(self, retrieval: Retrieval, citations: Sequence[Citation]) -> tuple[Passage, ...]:
        """The passages to list with an answer of these citations: every article it cites first, with
        passages that hold its quotes whole (read now where the listed ones do not reach them), then
        the rest as listed."""
        listed = retrieval.passages[: retrieval.top_k]
        if not citations:
            return listed
        # Read once: the cited articles' texts widen the passages added and stretch those a quote runs past.
        texts = self._store.article_texts(list(dict.fromkeys(c.origin.article_id for c in citations)))
        added = self._holding(retrieval, unplaced(citations, listed), listed, texts)
        return cited_articles_first(holding_every_quote([*listed, *added], citations, texts), citations,
                                    retrieval.top_k)

    def _holding(self, retrieval: Retrieval, citations: list[Citation], listed: Sequence[Passage],
                 texts: Mapping[str, str]) -> list[Passage]:
        """A passage around each of these quotes: the chunk holding it (whole, if one does), from those
        the search found, else read from the store (a statement found by its speaker need not be among
        them)."""
        if not citations:
            return []
        found: dict[str, Passage] = {}
        unfound = []
        for citation in citations:
            around = [p for p in retrieval.best if p.origin.article_id == citation.origin.article_id
                      and p.start <= citation.start < p.end]
            chunk = next((p for p in around if citation.end <= p.end), next(iter(around), None))
            if chunk is None:
                unfound.append((citation.origin.article_id, citation.start, citation.end))
            else:
                found.setdefault(chunk.chunk_id, chunk)
        for view, cosine in self._store.chunks_at(unfound, retrieval.vector) if unfound else []:
            found.setdefault(view.key, _passage(view, cosine, []))
        listed_articles, listed_chunks = {p.origin.article_id for p in listed}, {p.chunk_id for p in listed}
        added = [self._with_reprints(p, retrieval) if p.origin.article_id not in listed_articles else p
                 for p in found.values() if p.chunk_id not in listed_chunks]
        return list(self._in_context(tuple(added), texts, around=listed))

    def _with_reprints(self, passage: Passage, retrieval: Retrieval) -> Passage:
        refs = retrieval.reprints.get(passage.origin.article_id, ())
        if not refs:
            return passage
        views = self._store.chunk_views([ref.row_id for ref in refs])
        return replace(passage, also_reported_by=tuple(source_of(view) for view in views))

    def _views(self, *groups: list[ChunkRef]) -> tuple[dict[int, ChunkView], dict[str, str]]:
        """The chunks of these refs by id, and their articles' texts (to widen passages), in one read."""
        wanted = list(dict.fromkeys(ref.row_id for group in groups for ref in group))
        if not self._settings.passage_chars:
            return self._chunks_by_id(wanted), {}
        views, texts = self._store.passages(wanted)
        return {view.row_id: view for view in views}, texts

    def _chunks_by_id(self, row_ids: Sequence[int]) -> dict[int, ChunkView]:
        return {view.row_id: view for view in self._store.chunk_views(list(dict.fromkeys(row_ids)))}

    def _in_context(self, passages: tuple[Passage, ...], texts: Mapping[str, str],
                    around: Sequence[Passage] = ()) -> tuple[Passage, ...]:
        """The listed passages widened to the sentences around their chunk (`texts`: their articles'
        texts), never into the text of those `around` them, listed already; the answer still reads
        `best`, the chunks alone, whose sentences are the ones that matched."""
        if not self._settings.passage_chars or not passages:
            return passages
        windows: dict[str, list[Span]] = {}  # of each article, the passages widened so far
        for passage in around:
            windows.setdefault(passage.origin.article_id, []).append(Span(passage.start, passage.end))
        widened = []
        for index, passage in enumerate(passages):
            article_id = passage.origin.article_id
            # An article's passages do not repeat each other's text: each widens only into the room
            # left by those listed before it and the chunks of those listed after it.
            others = [*windows.get(article_id, []),
                      *(Span(p.start, p.end) for p in passages[index + 1 :] if p.origin.article_id == article_id)]
            widened.append(_widened(passage, texts.get(article_id), self._settings.passage_chars, others))
            windows.setdefault(article_id, []).append(Span(widened[-1].start, widened[-1].end))
        return tuple(widened)

    def _recency(self, question: str, as_of: datetime) -> Callable[[ChunkRef], float] | None:
        """How much more a passage counts for being fresh; None unless the question is about recent events."""
        half_life = recency_half_life(question, self._settings.recency_half_life_days)
        if not self._settings.recency_weight or half_life is None:
            return None
        as_of_ts, weight = int(as_of.timestamp()), self._settings.recency_weight
        return lambda view: weight * freshness(view.published_ts, as_of_ts, half_life)

    def _article_evidence(
        self, by_bm25: list[str], ranked: list[Ranked], recency: Callable[[ChunkRef], float] | None
    ) -> dict[str, float]:
        """Rank-fusion credit for articles that BM25 ranks well as a whole, among those with passages."""
        candidates = {r.view.article_id: r.view for r in reversed(ranked)}
        weight, k = self._settings.article_bm25_weight, self._settings.rrf_k
        recency = recency or (lambda view: 0.0)
        return {
            article_id: weight / (k + rank) * (1.0 + recency(candidates[article_id]))
            for rank, article_id in enumerate(by_bm25, start=1) if article_id in candidates
        }

    def _reranked(self, question: str, ranked: list[Ranked]) -> list[Ranked]:
        head, tail = ranked[: self._settings.rerank_top], ranked[self._settings.rerank_top :]
        views = self._chunks_by_id([r.view.row_id for r in head])
        head = [r for r in head if r.view.row_id in views]
        scores = self._reranker.scores(question, [views[r.view.row_id].text for r in head])
        reordered = [Ranked(r.view, s) for s, r in sorted(zip(scores, head), key=lambda pair: -pair[0])]
        return reordered + tail


def chunk_filter(filters: Filters, as_of: datetime | None, now: datetime, access: Access = EVERYTHING) -> ChunkFilter:
    """What the index lets through for these filters, as of a moment (None: any), to a caller of this
    access, `now`: what is under embargo now is left out, whatever moment is asked about."""
    return ChunkFilter(
        sources=filters.sources,
        article_ids=filters.article_ids,
        published_from=_seconds(filters.published_after),
        published_to=_seconds(filters.published_before),
        not_after=_seconds(as_of),
        sections=filters.sections,
        tags=filters.tags,
        languages=filters.languages,
        visibilities=filters.visibilities,
        updated_from=_seconds(filters.updated_after),
        updated_to=_seconds(filters.updated_before),
        readable_sources=access.sources,
        readable_visibilities=access.visibilities,
        released_by=_seconds(now),
    )


def source_of(view: ChunkView) -> Source:
    return Source(view.article_id, view.title, view.url, view.source, view.published_at)


def _passage(view: ChunkView, cosine: float, also: list[ChunkView]) -> Passage:
    return Passage(view.key, source_of(view), view.start, view.end, view.text, round(cosine, 4),
                   tuple(source_of(v) for v in also))


def _widened(passage: Passage, text: str | None, max_chars: int, others: list[Span]) -> Passage:
    # The article may have been replaced since its chunk was read: its passage is then kept as read.
    if text is None or text[passage.start : passage.end] != passage.text:
        return passage
    core = Span(passage.start, passage.end)
    window = sentence_window(text, core, max_chars, _room(core, others, len(text)))
    return replace(passage, start=window.start, end=window.end, text=text[window.start : window.end],
                   match=Span(passage.start, passage.end))


def _room(core: Span, others: list[Span], length: int) -> Span:
    """The text around `core` up to the nearest of `others` on each side (none past one that overlaps it)."""
    start = max([min(o.end, core.start) for o in others if o.start < core.start], default=0)
    end = min([max(o.start, core.end) for o in others if o.end > core.end], default=length)
    return Span(start, end)


def _seconds(moment: datetime | None) -> int | None:
    return None if moment is None else int(moment.timestamp())
