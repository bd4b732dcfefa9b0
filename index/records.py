"""Rows the index stores and returns."""

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class ArticleRecord:
    id: str
    text: str
    title: str | None
    url: str | None
    source: str | None
    authors: tuple[str, ...]
    published_at: str | None
    content_hash: str


@dataclass(frozen=True)
class StoredArticle(ArticleRecord):
    ingested_at: str
    updated_at: str


@dataclass(frozen=True)
class ChunkRecord:
    """A chunk to store: `key` is its public id, `embed_hash` identifies the text its vector embeds."""

    start: int
    end: int
    key: str
    embed_hash: str
    vector: np.ndarray


@dataclass(frozen=True)
class ChunkView:
    """A stored chunk with its text and its article's metadata, as search results need it."""

    row_id: int
    key: str
    article_id: str
    start: int
    end: int
    text: str
    title: str | None
    url: str | None
    source: str | None
    published_at: str | None


@dataclass(frozen=True)
class StoreStats:
    articles: int
    chunks: int
    vectors: int
    generation: int
