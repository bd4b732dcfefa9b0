"""Question to passages: embed the question, search the vectors, return passages with their sources."""

import numpy as np

from index.records import ChunkView
from index.store import IndexStore
from qa.embedding import Embedder
from qa.models import Passage, Source


class Retriever:
    def __init__(self, store: IndexStore, embedder: Embedder) -> None:
        self._store = store
        self._embedder = embedder

    def embed_question(self, question: str) -> np.ndarray:
        return self._embedder.embed([question])[0]

    def passages(self, question_vector: np.ndarray, top_k: int) -> list[Passage]:
        return [_passage(view, score) for view, score in self._store.search(question_vector, top_k)]


def source_of(view: ChunkView) -> Source:
    return Source(view.article_id, view.title, view.url, view.source, view.published_at)


def _passage(view: ChunkView, score: float) -> Passage:
    return Passage(view.key, source_of(view), view.start, view.end, view.text, round(score, 4))
