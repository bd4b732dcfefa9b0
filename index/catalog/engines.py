"""The catalog of a replica that keeps nothing that grows with the archive (index.ports.Catalogs):
what a search needs of every chunk is asked of the engines that hold the chunks. The vector engine
applies filters and `as_of` inside its searches and ranks chunks and whole articles by its own BM25
(Milvus with full-text search: index.vectors.milvus); the database gives each chunk found its
article, date and story, each article's lead and its number of chunks, in the search's snapshot.

Where the vector engine has no full-text search, the store keeps the catalog in memory instead
(index.catalog.keeper): BM25 needs every chunk's words at hand.
"""

from collections.abc import Sequence

from index.catalog.catalog import CatalogArticle
from index.catalog.terms import searched_words
from index.ports import Database, VectorBackend
from index.records import ChunkFilter, ChunkRef, IdSet


class EngineCatalog:
    remote = True
    save_due = False  # nothing is kept

    def __init__(self, database: Database, vectors: VectorBackend) -> None:
        if not vectors.full_text:
            raise ValueError("a catalog kept by the engines needs a vector engine with its own BM25")
        self._db = database
        self._vectors = vectors
        self._generation = 0

    @property
    def generation(self) -> int:
        return self._generation

    def load(self) -> None:
        self._generation = self._db.generation()

    def catch_up(self, generation: int) -> bool:
        self._generation = max(self._generation, generation)
        return True

    def rebuild(self) -> None:
        self.load()

    def update(self, removed: Sequence[int], added: Sequence[int], generation: int,
               articles: Sequence[CatalogArticle] | None = None) -> None:
        self.catch_up(generation)

    def save_if_due(self) -> None:
        pass

    def nearest_allowed(self, chunk_filter: ChunkFilter) -> IdSet | None:
        return None  # the engine filters inside its search

    def best_chunks(self, terms: Sequence[str], k: int, chunk_filter: ChunkFilter,
                    title_weight: float) -> list[tuple[int, float]]:
        # The title counts once in the engine's BM25 (it is indexed with each chunk's text): a weight
        # per question would need a field per weight.
        if not searched_words(terms):
            return []
        return self._vectors.lexical(terms, k, chunk_filter) or []

    def best_articles(self, terms: Sequence[str], k: int, chunk_filter: ChunkFilter, title_weight: float) -> list[str]:
        if not searched_words(terms):
            return []
        # Each article once, at its best rank: a row a writer's full rewrite has not yet removed may
        # stand beside the current one (index.vectors.milvus, catch_up).
        return list(dict.fromkeys(self._vectors.lexical_articles(terms, k, chunk_filter) or []))

    def refs(self, chunk_ids: Sequence[int]) -> list[ChunkRef]:
        return self._db.chunk_refs(chunk_ids)

    def leads(self, article_ids: Sequence[str]) -> list[ChunkRef]:
        return self._db.lead_refs(article_ids)

    def chunk_counts(self, article_ids: Sequence[str]) -> dict[str, int]:
        return self._db.chunk_counts(article_ids)
