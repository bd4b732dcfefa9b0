"""Small rows and vectors the store tests write, and ways to read what a store holds through its port."""

from datetime import datetime, timezone

import numpy as np

from index.ports import Store
from index.records import ArticleRecord, ChunkFilter, ChunkRecord, ChunkView

DIM = 8


def unit(seed: int, dimension: int = DIM) -> np.ndarray:
    vector = np.random.default_rng(seed).normal(size=dimension).astype(np.float32)
    return vector / np.linalg.norm(vector)


def seconds(day: str) -> int:
    return int(datetime.fromisoformat(day).replace(tzinfo=timezone.utc).timestamp())


def article(article_id: str, text: str = "Alpha beta gamma delta.", version: str = "1", source: str | None = None,
            published: str | None = None) -> ArticleRecord:
    published_ts = seconds(published) if published else None
    return ArticleRecord(article_id, text, f"Title {article_id}", None, source, (), published, published_ts, f"hash-{version}")


def chunks(article_id: str, count: int, seed: int = 0) -> list[ChunkRecord]:
    return [ChunkRecord(i, i + 5, f"{article_id}-{seed}-{i}", f"e-{article_id}-{seed}-{i}", unit(seed * 100 + i))
            for i in range(count)]


def put(store: Store, *items: tuple[ArticleRecord, list[ChunkRecord]]) -> None:
    with store.writing():
        store.put(list(items))


def nearest(store: Store, vector: np.ndarray, k: int, chunk_filter: ChunkFilter | None = None) -> list[ChunkView]:
    return store.chunk_views([ref.row_id for ref in store.search(vector, k, chunk_filter).dense])


def vector_ids(store: Store, dimension: int = DIM) -> list[int]:
    """Every chunk id the vectors hold: an exact search for all of them."""
    return sorted(ref.row_id for ref in store.search(unit(0, dimension), k=10_000).dense)
