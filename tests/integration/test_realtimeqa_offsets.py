"""Every chunk of the realtimeqa corpus, cut with the real tokenizer, is exact and fits the model."""

import json

import pytest

from qa.ingest.chunking import Chunker
from qa.ingest.readers import Read, read_paths
from qa.settings import Settings
from tests.conftest import SHARED

pytestmark = pytest.mark.integration

CORPUS = SHARED / "eval" / "realtimeqa" / "corpus.jsonl"


@pytest.mark.skipif(not CORPUS.exists(), reason=f"{CORPUS} is absent")
def test_all_realtimeqa_chunks_have_exact_offsets_and_fit_the_model(real_embedder) -> None:
    settings = Settings()
    chunker = Chunker(real_embedder.count_tokens, settings.chunk_tokens, settings.chunk_overlap_tokens)
    limit = min(settings.chunk_tokens, real_embedder.max_tokens)
    lines = CORPUS.read_text(encoding="utf-8").splitlines()
    items = list(read_paths([CORPUS]))
    assert len(items) == len(lines) == 3753
    chunks = 0
    for item, line in zip(items, lines):
        assert isinstance(item, Read), item
        text = item.article.text
        assert text == json.loads(line)["text"], "the stored text is the text as submitted"
        for span in chunker.spans(text):
            piece = text[span.start : span.end]
            assert piece and real_embedder.count_tokens(piece) <= limit
            chunks += 1
    assert chunks > len(lines)
