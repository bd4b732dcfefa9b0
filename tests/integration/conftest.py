import pytest

from qa.embedding import SentenceTransformerEmbedder, load_embedder
from qa.settings import PACKAGED_MODEL


@pytest.fixture(scope="session")
def real_embedder() -> SentenceTransformerEmbedder:
    """The packaged all-MiniLM-L6-v2, loaded once for all integration tests."""
    return load_embedder(PACKAGED_MODEL, batch_size=32)
