"""A deterministic stand-in for the embedding model: hashed bag of words, so shared words mean similarity."""

import re
import zlib
from collections.abc import Sequence

import numpy as np

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
