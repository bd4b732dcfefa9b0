"""Combining rankings: reciprocal rank fusion, a recency prior, one article per story."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from index.records import ChunkView


@dataclass(frozen=True)
class Ranked:
    view: ChunkView
    score: float


def reciprocal_rank_fusion(rankings: Sequence[tuple[float, Sequence[ChunkView]]], k: int) -> list[Ranked]:
    """Each (weight, ranking) adds weight / (k + rank) to a chunk's score; best first."""
    scores: dict[int, float] = {}
    views: dict[int, ChunkView] = {}
    for weight, ranking in rankings:
        for rank, view in enumerate(ranking, start=1):
            scores[view.row_id] = scores.get(view.row_id, 0.0) + weight / (k + rank)
            views[view.row_id] = view
    return sorted((Ranked(views[i], s) for i, s in scores.items()), key=lambda r: (-r.score, r.view.row_id))


def boost(ranked: Sequence[Ranked], factor: Callable[[ChunkView], float]) -> list[Ranked]:
    """Scores multiplied by (1 + factor(view)), re-sorted."""
    boosted = [Ranked(r.view, r.score * (1.0 + factor(r.view))) for r in ranked]
    return sorted(boosted, key=lambda r: (-r.score, r.view.row_id))


def one_article_per_story(ranked: Sequence[Ranked]) -> list[tuple[Ranked, list[ChunkView]]]:
    """Passages of the best-ranked article of each story, in order; the story's first passage lists
    one passage of each other article telling it (a reprint), whose own passages are left out."""
    chosen: dict[str, tuple[str, list[ChunkView]]] = {}
    kept: list[tuple[Ranked, list[ChunkView]]] = []
    for item in ranked:
        story = item.view.cluster_id or item.view.article_id
        if story not in chosen:
            chosen[story] = (item.view.article_id, [])
            kept.append((item, chosen[story][1]))
            continue
        article_id, others = chosen[story]
        if item.view.article_id == article_id:
            kept.append((item, []))
        elif item.view.article_id not in {v.article_id for v in others}:
            others.append(item.view)
    return kept
