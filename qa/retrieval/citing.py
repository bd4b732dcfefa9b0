"""The passages listed with an answer: the articles it cites first, in the order of first citation,
each with its passages together, those holding its quotes first; then the other passages as ranked.
A reader checks an answer against its sources, so every article it quotes must be among them."""

from collections.abc import Sequence
from dataclasses import replace

from qa.models import Citation, Passage


def holds(passage: Passage, citation: Citation) -> bool:
    """Whether the quote lies wholly inside the passage."""
    return (passage.origin.article_id == citation.origin.article_id
            and passage.start <= citation.start and citation.end <= passage.end)


def unheld(citations: Sequence[Citation], passages: Sequence[Passage]) -> list[Citation]:
    """The citations no passage holds, each place once."""
    places = {}
    for citation in citations:
        if not any(holds(p, citation) for p in passages):
            places.setdefault((citation.origin.article_id, citation.start, citation.end), citation)
    return list(places.values())


def cited_articles_first(
    listed: Sequence[Passage], added: Sequence[Passage], citations: Sequence[Citation], top_k: int
) -> tuple[Passage, ...]:
    """`listed` (as ranked) and `added` (read for quotes the listed ones do not hold) in the order a
    reader checks them: the cited articles first, then the rest. As many as `top_k`, or more when the
    cited articles' passages alone are more: a passage that holds a quote is never left out."""
    cited = list(dict.fromkeys(c.origin.article_id for c in citations))
    first_quote = {}  # of each passage, the first citation it holds
    for passage in (*listed, *added):
        first_quote[passage.chunk_id] = next(
            (n for n, c in enumerate(citations) if holds(passage, c)), len(citations))
    ordered: list[Passage] = []
    for article_id in cited:
        own = [p for p in (*listed, *added) if p.origin.article_id == article_id]
        ordered += _reprints_on_first(sorted(own, key=lambda p: first_quote[p.chunk_id]))
    every = ordered + [p for p in listed if p.origin.article_id not in cited]
    last_quoting = max((n for n, p in enumerate(every, start=1) if first_quote[p.chunk_id] < len(citations)),
                       default=0)
    # Past top_k, cited articles' passages that hold no quote give way like the rest.
    return tuple(every[: max(top_k, last_quoting)])


def _reprints_on_first(passages: list[Passage]) -> list[Passage]:
    """An article's other reports belong to the article: they go with its first passage listed."""
    also = next((p.also_reported_by for p in passages if p.also_reported_by), ())
    return [replace(p, also_reported_by=also if n == 0 else ()) for n, p in enumerate(passages)]
