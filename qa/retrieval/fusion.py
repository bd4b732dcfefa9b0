"""Combining rankings: reciprocal rank fusion, a recency prior, and articles ranked on their passages."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from index.records import ChunkRef

# An article's score is the sum of its best passages' scores: two passages that match are stronger
# evidence than one, and more than two add little but length.
EVIDENCE_PASSAGES = 2


class Ranked(NamedTuple):
    view: ChunkRef
    score: float


@dataclass
class RankedArticle:
    """An article's passages best first, evidence about the whole article (`bonus`), and the other
    articles telling the same story."""

    passages: list[Ranked]
    bonus: float = 0.0
    reprints: list[ChunkRef] = field(default_factory=list)
    chunks: int = EVIDENCE_PASSAGES  # how many chunks the whole article has

    @property
    def score(self) -> float:
        evidence = sum(p.score for p in self.passages[:EVIDENCE_PASSAGES])
        # A short article held in one chunk has no second passage to match: its one passage is the
        # whole article, and counts for the passage it lacks, or it would rank below long articles
        # on the strength of their length alone.
        lacking = max(0, EVIDENCE_PASSAGES - self.chunks)
        return self.bonus + evidence + lacking * self.passages[0].score


def reciprocal_rank_fusion(rankings: Sequence[tuple[float, Sequence[ChunkRef]]], k: int) -> list[Ranked]:
    """Each (weight, ranking) adds weight / (k + rank) to a chunk's score; best first."""
    scores: dict[int, float] = {}
    views: dict[int, ChunkRef] = {}
    for weight, ranking in rankings:
        for rank, view in enumerate(ranking, start=1):
            scores[view.row_id] = scores.get(view.row_id, 0.0) + weight / (k + rank)
            views[view.row_id] = view
    return _best_first(Ranked(views[i], s) for i, s in scores.items())


def boost(ranked: Sequence[Ranked], factor: Callable[[ChunkRef], float]) -> list[Ranked]:
    """Scores multiplied by (1 + factor(view)), re-sorted."""
    return _best_first(Ranked(r.view, r.score * (1.0 + factor(r.view))) for r in ranked)


def rank_articles(
    ranked: Sequence[Ranked], bonuses: dict[str, float], collapse_stories: bool, chunks: dict[str, int] | None = None,
) -> list[RankedArticle]:
    """Articles best first by the evidence of their passages plus their `bonus`; `chunks` tells how
    many chunks each article has (by default, at least as many as count as evidence). With
    `collapse_stories`, an article telling a story a better-ranked article already tells is listed as
    that one's reprint instead."""
    by_article: dict[str, RankedArticle] = {}
    chunks = chunks or {}
    for item in ranked:
        article_id = item.view.article_id
        if article_id not in by_article:
            by_article[article_id] = RankedArticle(
                [], bonuses.get(article_id, 0.0), chunks=chunks.get(article_id, EVIDENCE_PASSAGES)
            )
        by_article[article_id].passages.append(item)
    articles = sorted(by_article.values(), key=lambda a: (-a.score, a.passages[0].view.article_id))
    if not collapse_stories:
        return articles
    leaders: dict[str, RankedArticle] = {}
    kept = []
    for article in articles:
        view = article.passages[0].view
        story = view.cluster_id or view.article_id
        if story in leaders:
            leaders[story].reprints.append(view)
        else:
            leaders[story] = article
            kept.append(article)
    return kept


def interleave(articles: Sequence[RankedArticle], per_article: int) -> list[tuple[Ranked, list[ChunkRef]]]:
    """Passages in rounds, the best of every article first, then the second best, up to `per_article`
    of each: the first results cover as many articles as possible. The first passage of an article
    carries its reprints."""
    rounds = []
    for depth in range(per_article):
        rounds += [(a.passages[depth], a.reprints if depth == 0 else []) for a in articles if depth < len(a.passages)]
    return rounds


def _best_first(items) -> list[Ranked]:
    return sorted(items, key=lambda r: (-r.score, r.view.row_id))


def lead_first(articles: Sequence[RankedArticle], leads: dict[str, tuple[ChunkRef, float]],
               cosines: dict[int, float], margin: float) -> None:
    """Puts each article's lead (its first chunk) before its best passage when the lead is nearly as
    close to the question (within `margin` of cosine): news says its main facts first, so the lead
    answers the question as often as the passage that matches it best. The article's rank and
    score do not change."""
    for article in articles:
        best = article.passages[0]
        lead = leads.get(best.view.article_id)
        if lead is None or lead[0].row_id == best.view.row_id or lead[1] < cosines[best.view.row_id] - margin:
            continue
        article.passages[:] = [Ranked(lead[0], best.score), *(p for p in article.passages if p.view.row_id != lead[0].row_id)]
        cosines[lead[0].row_id] = lead[1]
