"""The answer: the sentences of the best passages closest to the question, quoted verbatim and cited."""

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from qa.embedding import Embedder
from qa.models import Abstention, Answer, Citation, Passage, Span
from qa.retrieval import Retrieval
from qa.sentences import sentence_spans

PASSAGES_TO_READ = 3
MIN_SENTENCE_WORDS = 4
# Headlines, subheads and lead-ins ("Key areas included:") name a topic without saying anything
# about it; a line that does not end like a sentence is only a candidate when it is long.
SENTENCE_ENDINGS = (".", "!", "?", "…", '"', "”", "’", "'", ")")
MIN_UNPUNCTUATED_WORDS = 15
# A second sentence must be nearly as close to the question as the best one to be worth adding.
SECOND_SENTENCE_MARGIN = 0.05


@dataclass(frozen=True)
class _Candidate:
    passage: Passage
    span: Span
    quote: str


class AnswerComposer:
    def __init__(
        self, embedder: Embedder, article_text: Callable[[str], str | None], min_passage_score: float,
        max_sentences: int,
    ) -> None:
        self._embedder = embedder
        self._article_text = article_text
        self._min_passage_score = min_passage_score
        self._max_sentences = max_sentences

    def compose(self, retrieval: Retrieval) -> Answer:
        listed = retrieval.passages[: retrieval.top_k]
        relevant = [p for p in retrieval.passages if p.score >= self._min_passage_score][:PASSAGES_TO_READ]
        candidates = self._candidates(relevant)
        if not candidates:
            return Answer(retrieval.question, None, (), listed, Abstention.NO_RELEVANT_PASSAGES)
        chosen = self._best(candidates, retrieval.vector)
        citations = tuple(Citation(c.passage.origin, c.span.start, c.span.end, c.quote) for c in chosen)
        return Answer(retrieval.question, " ".join(c.quote for c in citations), citations, listed)

    def _candidates(self, passages: list[Passage]) -> list[_Candidate]:
        texts: dict[str, str | None] = {}
        candidates: dict[str, _Candidate] = {}
        for passage in passages:
            article_id = passage.origin.article_id
            if article_id not in texts:
                texts[article_id] = self._article_text(article_id)
            text = texts[article_id]
            if text is None or text[passage.start : passage.end] != passage.text:
                continue  # the article was replaced or deleted since the search: its offsets no longer hold
            for span in sentence_spans(text, Span(passage.start, passage.end)):
                quote = text[span.start : span.end]
                # The same sentence reached through two overlapping passages is one candidate.
                candidates.setdefault(" ".join(quote.lower().split()), _Candidate(passage, span, quote))
        return [c for c in candidates.values() if _says_something(c.quote)]

    def _best(self, candidates: list[_Candidate], question_vector: np.ndarray) -> list[_Candidate]:
        scores = self._embedder.embed([c.quote for c in candidates]) @ question_vector
        order = np.argsort(-scores)
        best = scores[order[0]]
        return [candidates[i] for i in order[: self._max_sentences] if scores[i] >= best - SECOND_SENTENCE_MARGIN]


def _says_something(quote: str) -> bool:
    words = len(quote.split())
    return words >= MIN_UNPUNCTUATED_WORDS or (words >= MIN_SENTENCE_WORDS and quote.endswith(SENTENCE_ENDINGS))
