import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qa.ingest.chunking import Chunker
from tests.fakes import FakeEmbedder

COUNT = FakeEmbedder().count_tokens


def chunk_texts(chunker: Chunker, text: str) -> list[str]:
    return [text[s.start : s.end] for s in chunker.spans(text)]


@pytest.mark.parametrize(
    "text",
    [
        "Short article.",
        "Para one is here. It has two sentences.\n\nPara two follows, with more words in it than before.\n\n" * 20,
        "word " * 500,
        "Repeated line.\n" * 200,
        "Emoji 😀 and accents é à ü in every sentence. " * 80,
        "  leading and trailing space \r\n\r\n with CRLF line ends.  \r\n" * 40,
        "x" * 3000,
    ],
)
def test_every_chunk_is_the_article_text_between_its_offsets(text: str) -> None:
    chunker = Chunker(COUNT, chunk_tokens=30, overlap_tokens=6)
    spans = chunker.spans(text)
    assert spans, "an article with text has at least one chunk"
    for span in spans:
        piece = text[span.start : span.end]
        assert piece and piece == piece.strip()
        assert COUNT(piece) <= 30
    assert [s.start for s in spans] == sorted(s.start for s in spans)


def test_chunks_cover_the_whole_article() -> None:
    text = " ".join(f"Sentence number {i} says something." for i in range(200))
    spans = Chunker(COUNT, chunk_tokens=30, overlap_tokens=6).spans(text)
    assert spans[0].start == 0 and spans[-1].end == len(text)
    for before, after in zip(spans, spans[1:]):
        assert after.start <= before.end + 1, "no gap between consecutive chunks"


def test_consecutive_chunks_overlap() -> None:
    text = " ".join(f"Sentence number {i} says something." for i in range(100))
    spans = Chunker(COUNT, chunk_tokens=30, overlap_tokens=10).spans(text)
    assert all(after.start < before.end for before, after in zip(spans, spans[1:]))


def test_chunks_prefer_to_end_at_paragraphs_and_sentences() -> None:
    text = "\n\n".join(f"Paragraph {i} has a first sentence. And a second one here." for i in range(10))
    texts = chunk_texts(Chunker(COUNT, chunk_tokens=30, overlap_tokens=0), text)
    assert all(t.endswith(".") for t in texts)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=2000))
def test_any_text_chunks_at_exact_offsets(text: str) -> None:
    chunker = Chunker(COUNT, chunk_tokens=20, overlap_tokens=5)
    for span in chunker.spans(text):
        assert 0 <= span.start < span.end <= len(text)


def test_repeated_text_is_covered_without_gaps() -> None:
    text = "Repeated line here.\n" * 100 + "The end."
    spans = Chunker(COUNT, chunk_tokens=30, overlap_tokens=6).spans(text)
    covered = {i for s in spans for i in range(s.start, s.end)}
    assert all(i in covered or text[i].isspace() for i in range(len(text)))
