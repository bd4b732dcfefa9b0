"""Stand-ins handed to the service through its doors: a deterministic embedding model (hashed bag of
words, so shared words mean similarity), a failing store, a chat model."""

import re
import zlib
from collections.abc import Callable, Sequence

import numpy as np

from qa.answering.generation import NOT_IN_SOURCES

WORD = re.compile(r"\w+|[^\w\s]")


class FakeEmbedder:
    name = "fake/bag-of-words"
    dimension = 256
    max_tokens = 254

    def __init__(self) -> None:
        self.texts_embedded = 0

    def count_tokens(self, text: str) -> int:
        return len(WORD.findall(text))

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.texts_embedded += len(texts)
        matrix = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in re.findall(r"\w+", text.lower()):
                matrix[row, zlib.crc32(word.encode()) % self.dimension] += 1.0
        norms = np.linalg.norm(matrix, axis=1, keepdims=True)
        return matrix / np.where(norms == 0, 1.0, norms)


class FailingStore:
    """A real store, except that the calls named raise `failure`, as a storage engine failing mid-run does."""

    def __init__(self, store, failure: Exception, *calls: str) -> None:
        self._store = store
        self._failure = failure
        self._calls = set(calls)

    def __getattr__(self, name: str):
        return self._fail if name in self._calls else getattr(self._store, name)

    def _fail(self, *args, **kwargs):
        raise self._failure


class DecliningModel:
    """A chat model that declines to write, so the extractive answer stands; `meanwhile` runs first, as
    whatever happens while a real model takes its time."""

    def __init__(self, meanwhile: Callable[[], object]) -> None:
        self._meanwhile = meanwhile

    def complete(self, messages: list[dict[str, str]]) -> str:
        self._meanwhile()
        return NOT_IN_SOURCES
