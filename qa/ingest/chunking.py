"""Articles cut into overlapping chunks that fit the embedding model, each with exact offsets."""

from collections.abc import Callable
from functools import cached_property

from qa.models import Span

# Paragraphs first, then lines, then sentence ends, then words: chunks end where a reader would pause.
SEPARATORS = ["\n\n", "\n", ". ", "? ", "! ", "; ", ", ", " ", ""]


class ChunkingError(Exception):
    pass


class Chunker:
    def __init__(self, count_tokens: Callable[[str], int], chunk_tokens: int, overlap_tokens: int) -> None:
        self._count = count_tokens
        self._chunk_tokens = chunk_tokens
        self._overlap_tokens = overlap_tokens
        self.recipe = f"chunks of {chunk_tokens} tokens, {overlap_tokens} overlapping, split at {SEPARATORS!r}"

    @cached_property
    def _splitter(self):
        # Made at the first article: importing LangChain takes about 0.3 s, which a process that
        # only answers questions need not spend at start.
        from langchain_text_splitters import RecursiveCharacterTextSplitter

        return RecursiveCharacterTextSplitter(
            separators=SEPARATORS,
            keep_separator="end",
            chunk_size=self._chunk_tokens,
            chunk_overlap=self._overlap_tokens,
            length_function=self._count,
            strip_whitespace=True,
        )

    def spans(self, text: str) -> list[Span]:
        """Chunk spans in order; `text[span.start:span.end]` is each chunk's text."""
        # The splitter's own start_index is unreliable with overlap, so every chunk is located here.
        spans: list[Span] = []
        previous = Span(-1, 0)
        for piece in self._splitter.split_text(text):
            start = self._locate(text, piece, previous)
            if start < 0:
                raise ChunkingError(f"chunk not found in its article text after offset {previous.start}: {piece[:60]!r}")
            previous = Span(start, start + len(piece))
            spans.append(previous)
        return spans

    def _locate(self, text: str, piece: str, previous: Span) -> int:
        """Where a chunk starts, as the splitter chose it: the earliest place inside the previous
        chunk whose overlap fits the overlap budget, else the first place after it. Text that
        repeats itself has several candidates; this picks the one the splitter made."""
        start = text.find(piece, previous.start + 1)
        while 0 <= start < previous.end:
            if self._count(text[start : previous.end]) <= self._overlap_tokens:
                return start
            start = text.find(piece, start + 1)
        return start
