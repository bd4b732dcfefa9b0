"""Articles cut into overlapping chunks that fit the embedding model, each with exact offsets."""

from collections.abc import Callable

from langchain_text_splitters import RecursiveCharacterTextSplitter

from qa.models import Span

# Paragraphs first, then lines, then sentence ends, then words: chunks end where a reader would pause.
SEPARATORS = ["\n\n", "\n", ". ", "? ", "! ", "; ", ", ", " ", ""]


class ChunkingError(Exception):
    pass


class Chunker:
    def __init__(self, count_tokens: Callable[[str], int], chunk_tokens: int, overlap_tokens: int) -> None:
        self._splitter = RecursiveCharacterTextSplitter(
            separators=SEPARATORS,
            keep_separator="end",
            chunk_size=chunk_tokens,
            chunk_overlap=overlap_tokens,
            length_function=count_tokens,
            strip_whitespace=True,
        )

    def spans(self, text: str) -> list[Span]:
        """Chunk spans in order; `text[span.start:span.end]` is each chunk's text."""
        # The splitter's own start_index is unreliable with overlap, so every chunk is located
        # here, searching forward from the previous chunk's start.
        spans: list[Span] = []
        cursor = 0
        for piece in self._splitter.split_text(text):
            start = text.find(piece, cursor)
            if start < 0:
                raise ChunkingError(f"chunk not found in its article text after offset {cursor}: {piece[:60]!r}")
            spans.append(Span(start, start + len(piece)))
            cursor = start + 1
        return spans
