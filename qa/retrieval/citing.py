"""The passages listed with an answer: the articles it cites first, in the order of first citation,
each with its passages together, those holding its quotes first; then the other passages as ranked.
A reader checks an answer against its sources, so every article it quotes must be among them, and
every quote inside a passage shown whole."""

from collections.abc import Mapping, Sequence
from dataclasses import replace

from qa.models import Citation, Passage, Span


def holds(passage: Passage, citation: Citation) -> bool:
    """Whether the quote lies wholly inside the passage."""
    return (passage.origin.article_id == citation.origin.article_id
            and passage.start <= citation.start and citation.end <= passage.end)


def unplaced(citations: Sequence[Citation], passages: Sequence[Passage]) -> list[Citation]:
    """The citations no passage of their article reaches into, each place once: they need a passage
    of their own. (One a passage reaches into is held by stretching that passage.)"""
    places = {}
    for citation in citations:
        if not any(_reaches(p.origin.article_id, Span(p.start, p.end), citation) for p in passages):
            places.setdefault((citation.origin.article_id, citation.start, citation.end), citation)
    return list(places.values())


def holding_every_quote(
    passages: Sequence[Passage], citations: Sequence[Citation], texts: Mapping[str, str]
) -> list[Passage]:
    """The passages, a passage that a quote runs past stretched to hold it whole, and the passages of
    one article that overlap made one (the earlier standing for both), so no text is shown twice.
    `texts` are the articles' texts; a passage whose article changed since it was read stays as read."""
    spans = [Span(p.start, p.end) for p in passages]
    for citation in citations:
        reaching = [n for n, p in enumerate(passages) if _reaches(p.origin.article_id, spans[n], citation)]
        if reaching and not any(spans[n].start <= citation.start and citation.end <= spans[n].end for n in reaching):
            n = reaching[0]
            spans[n] = Span(min(spans[n].start, citation.start), max(spans[n].end, citation.end))
    merged: list[tuple[Passage, Span]] = []
    for passage, span in zip(passages, spans):
        merged = _merged_into(merged, passage, span)
    return [_cut(passage, span, texts.get(passage.origin.article_id)) for passage, span in merged]


def cited_articles_first(passages: Sequence[Passage], citations: Sequence[Citation], top_k: int) -> tuple[Passage, ...]:
    """The passages in the order a reader checks them: the cited articles first, then the rest as
    ranked. As many as `top_k`, or more so that no passage holding a quote, nor any cited article,
    is left out. An article listed as an entry of its own is no longer listed as another's reprint."""
    cited = list(dict.fromkeys(c.origin.article_id for c in citations))
    first_quote = [next((n for n, c in enumerate(citations) if holds(p, c)), len(citations)) for p in passages]
    ordered: list[int] = []
    for article_id in cited:
        own = [n for n, p in enumerate(passages) if p.origin.article_id == article_id]
        ordered += sorted(own, key=lambda n: first_quote[n])
    every = ordered + [n for n, p in enumerate(passages) if p.origin.article_id not in cited]
    firsts = {next((n for n in every if passages[n].origin.article_id == a), None) for a in cited}
    needed = max((at for at, n in enumerate(every, start=1) if first_quote[n] < len(citations) or n in firsts),
                 default=0)
    kept = [passages[n] for n in every[: max(top_k, needed)]]
    return tuple(_reprints_on_first(kept))


def _reaches(article_id: str, span: Span, citation: Citation) -> bool:
    """Whether a passage of this article over `span` shares characters with the quote."""
    return article_id == citation.origin.article_id and span.start < citation.end and citation.start < span.end


def _merged_into(merged: list[tuple[Passage, Span]], passage: Passage, span: Span) -> list[tuple[Passage, Span]]:
    """`merged` with the passage added, or joined to those of its article it overlaps (which may join
    two already there)."""
    article_id = passage.origin.article_id
    touching = [n for n, (p, s) in enumerate(merged)
                if p.origin.article_id == article_id and s.start < span.end and span.start < s.end]
    if not touching:
        return [*merged, (passage, span)]
    first, _ = merged[touching[0]]
    joined = [span, *(merged[n][1] for n in touching)]
    reports = [s for n in touching for s in merged[n][0].also_reported_by] + list(passage.also_reported_by)
    also = tuple({s.article_id: s for s in reports}.values())
    whole = (replace(first, also_reported_by=also),
             Span(min(s.start for s in joined), max(s.end for s in joined)))
    others = set(touching[1:])
    return [whole if n == touching[0] else item for n, item in enumerate(merged) if n not in others]


def _cut(passage: Passage, span: Span, text: str | None) -> Passage:
    if span == Span(passage.start, passage.end) or text is None or text[passage.start : passage.end] != passage.text:
        return passage
    return replace(passage, start=span.start, end=span.end, text=text[span.start : span.end], match=passage.matched)


def _reprints_on_first(passages: list[Passage]) -> list[Passage]:
    """An article's other reports belong to the article: they go with its first passage listed, less
    those listed as entries of their own."""
    listed = {p.origin.article_id for p in passages}
    first: dict[str, int] = {}
    for n, passage in enumerate(passages):
        first.setdefault(passage.origin.article_id, n)
    also = {}
    for passage in passages:
        also.setdefault(passage.origin.article_id, ())
        if passage.also_reported_by and not also[passage.origin.article_id]:
            also[passage.origin.article_id] = tuple(s for s in passage.also_reported_by if s.article_id not in listed)
    return [replace(p, also_reported_by=also[p.origin.article_id] if first[p.origin.article_id] == n else ())
            for n, p in enumerate(passages)]
