"""The catalog a replica asks of the engines (index.catalog.engines), beyond what every backend proves
in tests/contract/ (where it runs on Milvus Lite)."""

import pytest

from index.catalog.engines import EngineCatalog
from index.records import ChunkFilter


class Engine:
    """A vector engine with its own BM25, answering as told."""

    full_text = True

    def __init__(self, articles: list[str]) -> None:
        self.articles = articles
        self.asked: list[tuple] = []

    def lexical_articles(self, terms, k, chunk_filter):
        self.asked.append((tuple(terms), k))
        return self.articles

    def lexical(self, terms, k, chunk_filter):
        self.asked.append((tuple(terms), k))
        return [(1, 2.0)]


def test_an_article_found_twice_counts_once_at_its_best_rank() -> None:
    catalog = EngineCatalog(database=None, vectors=Engine(["b", "a", "b", "c", "a"]))
    assert catalog.best_articles(["harbour"], 5, ChunkFilter(), 1.0) == ["b", "a", "c"]


def test_terms_without_a_word_are_not_asked_of_the_engine() -> None:
    engine = Engine(["a"])
    catalog = EngineCatalog(database=None, vectors=engine)
    assert catalog.best_articles(["?!", " "], 5, ChunkFilter(), 1.0) == []
    assert catalog.best_chunks(["—"], 5, ChunkFilter(), 1.0) == [] and engine.asked == []
    assert catalog.best_chunks(["harbour"], 5, ChunkFilter(), 1.0) == [(1, 2.0)]


def test_it_needs_an_engine_with_its_own_bm25() -> None:
    engine = Engine([])
    engine.full_text = False
    with pytest.raises(ValueError, match="its own BM25"):
        EngineCatalog(database=None, vectors=engine)
