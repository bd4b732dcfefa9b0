from pathlib import Path

import numpy as np

from index.vectors.text_cache import TextVectors
from qa.embedding.vector_cache import CachedEmbedder
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


def test_processes_sharing_an_index_embed_a_text_once(tmp_path: Path) -> None:
    fake = FakeEmbedder()
    first = CachedEmbedder(fake, capacity=10, shared=TextVectors(tmp_path / "vectors.sqlite", fake.dimension))
    second = CachedEmbedder(fake, capacity=10, shared=TextVectors(tmp_path / "vectors.sqlite", fake.dimension))
    expected = first.embed(["the storm", "the budget"])
    fake.texts_embedded = 0
    assert np.array_equal(second.embed(["the budget", "the storm", "the vote"]), fake.embed(["the budget", "the storm", "the vote"]))
    assert fake.texts_embedded == 1 + 3  # "the vote", then the check's own three
    assert np.array_equal(second.embed(["the storm", "the budget"]), expected)


def test_another_model_does_not_read_the_vectors_of_this_one(tmp_path: Path) -> None:
    fake, other = FakeEmbedder(), FakeEmbedder()
    other.name = "fake/another"
    CachedEmbedder(fake, capacity=10, shared=TextVectors(tmp_path / "vectors.sqlite", fake.dimension)).embed(["the storm"])
    CachedEmbedder(other, capacity=10, shared=TextVectors(tmp_path / "vectors.sqlite", other.dimension)).embed(["the storm"])
    assert other.texts_embedded == 1


def test_an_unusable_shared_file_only_means_embedding_again(tmp_path: Path, caplog) -> None:
    (tmp_path / "vectors.sqlite").write_bytes(b"not a database" * 100)
    fake = FakeEmbedder()
    cached = CachedEmbedder(fake, capacity=10, shared=TextVectors(tmp_path / "vectors.sqlite", fake.dimension))
    assert np.array_equal(cached.embed(["the storm"]), fake.embed(["the storm"]))
    cached.embed(["the budget"])
    assert "embedding them in each process" in caplog.text
