import numpy as np

from qa.vector_cache import CachedEmbedder
from tests.fakes import FakeEmbedder


def test_cached_vectors_are_the_embedders_and_each_text_is_embedded_once() -> None:
    fake = FakeEmbedder()
    cached = CachedEmbedder(fake, capacity=3)
    texts = ["the storm", "the budget", "the storm"]
    assert np.array_equal(cached.embed(texts), fake.embed(texts))
    fake.texts_embedded = 0
    cached.embed(["the budget", "the storm"])
    assert fake.texts_embedded == 0
    cached.embed(["a", "b", "c"])  # pushes out the least recently used
    cached.embed(["the storm"])
    assert fake.texts_embedded == 4
    assert cached.embed([]).shape == (0, fake.dimension)
