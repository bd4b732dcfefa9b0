"""What every search needs of every stored chunk and article, in memory, kept at the same
generation as the vectors: which article a chunk belongs to, what filters read of the article
(index.catalog.columns), and BM25 over chunks, titles and whole articles. A search then asks the
database only for the few chunks it returns.

Chunks and articles live in slots numbered in the order they were added; a removed or replaced one
leaves a dead slot behind, and the store rebuilds the catalog once dead slots are a large share.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from index.catalog.columns import ArticleColumns, Column, split
from index.catalog.headlines import Headlined
from index.catalog.postings import Documents, Postings, bm25
from index.catalog.slots import ChunkSlots
from index.recent import RecentlyUsed
from index.records import UNDATED, Allowed, ChunkFilter, ChunkRef, IdSet, Newsroom
from index.catalog.terms import terms, terms_with_starts
# 7: an article without a title has its URL's slug words as its title. 8: the newsroom's fields.
# 9: postings packed (slot gaps in 16 bits, chunks' counts in 8), chunk slots in sorted arrays.
FORMAT = 9
# Filters whose masks are kept, most recently used: questions asked as of the same day, or with the
# same outlets, share them. A mask over 100k chunks with its bitmap is about 150 kB.
KEPT_FILTERS = 32
# Chunk refs kept for the chunks searches found lately, a few MB: searches find the same chunks again.
KEPT_REFS = 50_000
# In a large archive the k best BM25 scores are picked among those above a bound guessed from every
# this-many-th slot (see _above_guess).
SAMPLE_STEP = 64


@dataclass(frozen=True)
class CatalogArticle(Headlined):
    """An article as the catalog needs it, with its chunks as (chunk id, start, end)."""

    id: str
    title: str | None
    url: str | None
    text: str
    source: str | None
    published_ts: int | None
    cluster_id: str | None
    chunks: tuple[tuple[int, int, int], ...]
    newsroom: Newsroom = field(default=Newsroom(), kw_only=True)


class Catalog:
    def __init__(self, generation: int = 0) -> None:
        self.generation = generation
        self._chunk_slot = ChunkSlots()
        self._chunk_ids = Column(np.int64)
        self._chunk_article = Column(np.int32)
        self._article_slot: dict[str, int] = {}
        self._article_ids: list[str] = []
        self._clusters: list[str | None] = []
        self._leads = Column(np.int64)  # each article's first chunk
        self._columns = ArticleColumns()
        self._changes = 0  # counts adds and removes, so cached statistics know when to be redone
        self._cached_documents: tuple | None = None
        self._cached_sorted: dict[str, tuple[int, np.ndarray]] = {}
        self._cached_counts: tuple[int, np.ndarray] | None = None
        self._allowed: RecentlyUsed[tuple, Allowed] = RecentlyUsed(KEPT_FILTERS)
        self._refs: dict[int, ChunkRef] = {}  # made once per change for the chunks searches find
        # A chunk is its text and its article's title; an article, its whole text and its title. A
        # chunk's words are some 160, so a word's count in one fits 8 bits; an article's may not.
        self.chunk_words = Postings(np.uint8)
        self.article_words = Postings()

    @property
    def chunks(self) -> int:
        return self.chunk_words.live

    @property
    def dead_share(self) -> float:
        slots = len(self._chunk_ids)
        return 1.0 - self.chunk_words.live / slots if slots else 0.0

    def has_chunk(self, chunk_id: int) -> bool:
        return self._chunk_slot.get(chunk_id, self.chunk_words.alive) is not None

    def add(self, articles: Sequence[CatalogArticle]) -> None:
        """Adds articles, each with all its chunks, replacing a version of it still held; an article
        already held with these very chunks (a change replayed twice) is left as it is."""
        chunk_docs, article_docs = [], []
        for article in articles:
            chunks = article.chunks
            if all(self.has_chunk(c[0]) for c in chunks):
                continue
            if article.id in self._article_slot:
                self.remove(self._chunk_ids_of(self._article_slot[article.id]))
            slot = self._new_article(article, chunks[0][0])
            words, starts = terms_with_starts(article.text)
            title = terms(article.headline)
            article_docs.append((slot, words, title))
            for chunk_id, start, end in chunks:
                first, last = np.searchsorted(starts, [start, end])
                chunk_docs.append((self._new_chunk(chunk_id, slot), words[first:last], title))
        self.chunk_words.add(chunk_docs)
        self.article_words.add(article_docs)
        self._changed()

    def remove(self, chunk_ids: Iterable[int]) -> None:
        """Removes chunks, and with them their articles (an article's chunks always go together)."""
        chunk_ids = np.fromiter((int(i) for i in chunk_ids), dtype=np.int64)
        found = self._chunk_slot.find(chunk_ids, self.chunk_words.alive)
        chunk_slots = found[found >= 0].tolist()
        if not chunk_slots:
            return
        for chunk_id in chunk_ids[found >= 0].tolist():
            self._chunk_slot.forget(chunk_id)
        article_slots = set(self._chunk_article.values[chunk_slots].tolist())
        for slot in article_slots:
            if self._article_slot.get(self._article_ids[slot]) == slot:
                del self._article_slot[self._article_ids[slot]]
        self.chunk_words.remove(chunk_slots)
        self.article_words.remove(article_slots)
        self._changed()

    def _changed(self) -> None:
        self._changes += 1
        self._refs = {}
        self._allowed.clear()

    def allowed(self, chunk_filter: ChunkFilter) -> Allowed:
        """What the filter lets through (dead slots never are). Two filters that let the same
        articles through, such as questions asked as of two moments with nothing published between,
        share one answer, worked out once until the catalog changes."""
        key = self._filter_key(chunk_filter)
        allowed = self._allowed.get(key)
        if allowed is None:
            allowed = self._work_out_allowed(chunk_filter)
            self._allowed.put(key, allowed)
        return allowed

    def _filter_key(self, chunk_filter: ChunkFilter) -> tuple:
        """The filter with each date bound replaced by where it falls among the published dates held."""
        dates = self._dates()

        def place(moment: int | None, side: str) -> int | None:
            return None if moment is None else int(np.searchsorted(dates, moment, side=side))

        f = chunk_filter
        return (self._changes, f.sources, f.article_ids, place(f.published_from, "left"),
                place(f.published_to, "right"), place(f.not_after, "right"), f.sections, f.tags, f.languages,
                f.visibilities, f.updated_from, f.updated_to, f.readable_sources, f.readable_visibilities,
                None if f.released_by is None else int(np.searchsorted(self._embargoes(), f.released_by, side="right")))

    def _dates(self) -> np.ndarray:
        return self._sorted_once("published", self._columns.published)

    def _embargoes(self) -> np.ndarray:
        return self._sorted_once("embargo", self._columns.embargo)

    def _sorted_once(self, name: str, values: np.ndarray) -> np.ndarray:
        """The distinct values of a date column, sorted once per catalog change."""
        cached = self._cached_sorted.get(name)
        if cached is None or cached[0] != self._changes:
            cached = self._cached_sorted[name] = (self._changes, np.unique(values))
        return cached[1]

    def _work_out_allowed(self, chunk_filter: ChunkFilter) -> Allowed:
        articles = self._columns.allowed(chunk_filter, self.article_words.alive[: len(self._article_ids)].copy())
        if chunk_filter.article_ids:
            only = np.zeros(len(articles), dtype=bool)
            only[[self._article_slot[i] for i in chunk_filter.article_ids if i in self._article_slot]] = True
            articles &= only
        chunks = self.chunk_words.alive[: len(self._chunk_ids)] & articles[self._chunk_article.values]
        everything = int(chunks.sum()) == self.chunk_words.live
        return Allowed(chunks, articles, None if everything else IdSet.of(self.chunk_ids(chunks)))

    def refs(self, chunk_ids: Sequence[int]) -> list[ChunkRef]:
        """What ranking needs of these chunks; chunks not in the catalog are left out."""
        made = self._refs
        if len(made) > KEPT_REFS:
            made.clear()
        missing = [int(i) for i in chunk_ids if i not in made]
        if missing:
            slots = self._chunk_slot.find(np.array(missing, dtype=np.int64), self.chunk_words.alive).tolist()
            for chunk_id, slot in zip(missing, slots):
                if slot >= 0:
                    made[chunk_id] = self._ref(chunk_id, slot)
        return [made[i] for i in chunk_ids if i in made]

    def _ref(self, chunk_id: int, slot: int) -> ChunkRef:
        article = int(self._chunk_article.values[slot])
        published = int(self._columns.published[article])
        return ChunkRef(chunk_id, self._article_ids[article], None if published == UNDATED else published,
                        self._clusters[article])

    def leads(self, article_ids: Sequence[str]) -> list[ChunkRef]:
        """The first chunk of each of these articles that is held, in order."""
        slots = [self._article_slot[a] for a in article_ids if a in self._article_slot]
        return self.refs(self._leads.values[slots].tolist())

    def chunk_counts(self, article_ids: Sequence[str]) -> dict[str, int]:
        """How many chunks each of these articles has, for those held."""
        if self._cached_counts is None or self._cached_counts[0] != self._changes:
            alive = self.chunk_words.alive[: len(self._chunk_ids)]
            counts = np.bincount(self._chunk_article.values[alive], minlength=len(self._article_ids))
            self._cached_counts = (self._changes, counts)
        counts = self._cached_counts[1]
        return {a: int(counts[self._article_slot[a]]) for a in article_ids if a in self._article_slot}

    def chunk_ids(self, chunk_slots: np.ndarray) -> np.ndarray:
        """The chunk ids of a mask over chunk slots."""
        return self._chunk_ids.values[chunk_slots]

    def best_chunks(
        self, words: Sequence[str], k: int, allowed: np.ndarray, title_weight: float
    ) -> list[tuple[int, float]]:
        """The k (chunk id, BM25) best for any of the words among the allowed chunk slots; a chunk is
        its text and its article's title, a title word counting `title_weight` times one of the text."""
        scores = bm25(words, self.chunk_words, self._documents()[0], title_weight)
        best = _top(scores, allowed, k)
        return list(zip(self._chunk_ids.values[best].tolist(), scores[best].tolist()))

    def best_articles(self, words: Sequence[str], k: int, allowed: np.ndarray, title_weight: float) -> list[str]:
        """Ids of the k whole articles BM25 ranks best for any of the words, among the allowed."""
        scores = bm25(words, self.article_words, self._documents()[1], title_weight)
        return [self._article_ids[s] for s in _top(scores, allowed, k).tolist()]

    def _documents(self) -> tuple[Documents, Documents]:
        """Chunks (their text and their article's title) and whole articles, as BM25 scores them."""
        cached = self._cached_documents
        if cached is None or cached[0] != self._changes:
            cached = (self._changes, Documents.of(self.chunk_words, len(self._chunk_ids)),
                      Documents.of(self.article_words, len(self._article_ids)))
            self._cached_documents = cached  # searches may race to fill it: they fill it alike
        return cached[1], cached[2]

    def compact(self) -> None:
        """Folds recent additions into the postings' base runs, for the fastest queries."""
        for postings in (self.chunk_words, self.article_words):
            postings.compact()

    def state(self) -> dict[str, np.ndarray]:
        chunk_ids = self._chunk_ids.values
        live = self.chunk_words.alive[: len(chunk_ids)].copy()
        state = {
            "format": np.array([FORMAT]), "generation": np.array([self.generation]),
            "chunk_ids": chunk_ids, "chunk_article": self._chunk_article.values, "chunk_live": live,
            "article_ids": np.array(["\x00".join(self._article_ids)]),
            "clusters": np.array(["\x00".join(c or "" for c in self._clusters)]),
            "article_live": np.array([self._article_slot.get(a) == i for i, a in enumerate(self._article_ids)], dtype=bool),
            "leads": self._leads.values,
            **{f"columns.{key}": value for key, value in self._columns.state().items()},
        }
        for name, postings in (("chunk_words", self.chunk_words), ("article_words", self.article_words)):
            state.update({f"{name}.{key}": value for key, value in postings.state().items()})
        return state

    @classmethod
    def restore(cls, state: dict[str, np.ndarray]) -> "Catalog":
        if int(state["format"][0]) != FORMAT:
            raise ValueError(f"catalog format {int(state['format'][0])}, this version reads {FORMAT}")
        catalog = cls(int(state["generation"][0]))
        chunk_ids = state["chunk_ids"].astype(np.int64)
        catalog._chunk_ids.extend(chunk_ids)
        catalog._chunk_article.extend(state["chunk_article"])
        catalog._chunk_slot = ChunkSlots.of(chunk_ids, state["chunk_live"])
        catalog._article_ids = split(state["article_ids"])
        catalog._clusters = [c or None for c in str(state["clusters"][0]).split("\x00")] if catalog._article_ids else []
        live = state["article_live"]
        catalog._article_slot = {a: i for i, a in enumerate(catalog._article_ids) if live[i]}
        catalog._leads.extend(state["leads"])
        catalog._columns = ArticleColumns.restore(
            {key.removeprefix("columns."): value for key, value in state.items() if key.startswith("columns.")})
        for name in ("chunk_words", "article_words"):
            prefix = f"{name}."
            setattr(catalog, name, Postings.restore(
                {key[len(prefix):]: value for key, value in state.items() if key.startswith(prefix)}
            ))
        if not len(catalog._article_ids) == len(catalog._clusters) == len(catalog._columns):
            raise ValueError("the saved catalog does not fit together")
        return catalog

    def _chunk_ids_of(self, article_slot: int) -> list[int]:
        slots = np.flatnonzero(self._chunk_article.values == article_slot)
        return self._chunk_ids.values[slots[self.chunk_words.alive[slots]]].tolist()

    def _new_article(self, article: CatalogArticle, lead: int) -> int:
        slot = len(self._article_ids)
        self._leads.append(lead)
        self._article_ids.append(article.id)
        self._clusters.append(article.cluster_id)
        self._article_slot[article.id] = slot
        self._columns.append(article.source, article.published_ts, article.newsroom)
        return slot

    def _new_chunk(self, chunk_id: int, article_slot: int) -> int:
        slot = len(self._chunk_ids)
        self._chunk_slot.add(chunk_id, slot)
        self._chunk_ids.append(chunk_id)
        self._chunk_article.append(article_slot)
        return slot


def _top(scores: np.ndarray, allowed: np.ndarray, k: int) -> np.ndarray:
    """Slots of the k best positive scores among the allowed, best first (ties: earlier slot)."""
    scores = scores[: len(allowed)]
    candidates = _above_guess(scores, allowed, k)
    if candidates is None:
        candidates = np.flatnonzero((scores > 0) & allowed)
    if len(candidates) > k:  # those above the k-th best score, then the earliest of those equal to it
        values = scores[candidates]
        kth = np.partition(values, len(values) - k)[len(values) - k]
        above = candidates[values > kth]
        candidates = np.concatenate([above, candidates[values == kth][: k - len(above)]])
    return candidates[np.lexsort((candidates, -scores[candidates]))]


def _above_guess(scores: np.ndarray, allowed: np.ndarray, k: int) -> np.ndarray | None:
    """The allowed slots scoring at least a bound guessed from every SAMPLE_STEP-th slot so that about
    2k of them do, when at least k do (then the k best are among them); else None. Saves picking the
    k best among the hundreds of thousands of slots a common word scores in a large archive."""
    if len(scores) < SAMPLE_STEP * 8 * k:
        return None
    sample = scores[::SAMPLE_STEP]
    sample = sample[sample > 0]  # most slots score 0, and partitioning many equal values is slow
    rank = len(sample) - (2 * k // SAMPLE_STEP + 1)
    if rank < 0:
        return None
    bound = np.partition(sample, rank)[rank]
    candidates = np.flatnonzero((scores >= bound) & allowed)
    return candidates if len(candidates) >= k else None
