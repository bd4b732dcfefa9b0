from index.records import ChunkView
from qa.fusion import Ranked, boost, one_article_per_story, reciprocal_rank_fusion


def view(row_id: int, article_id: str, cluster_id: str | None = None, published_ts: int | None = None) -> ChunkView:
    return ChunkView(row_id, f"k{row_id}", article_id, 0, 1, "x", None, None, None, None, published_ts,
                     cluster_id or article_id)


def test_reciprocal_rank_fusion_rewards_agreement() -> None:
    a, b, c = view(1, "a"), view(2, "b"), view(3, "c")
    fused = reciprocal_rank_fusion([(1.0, [a, b]), (1.0, [b, c])], k=60)
    assert [r.view.row_id for r in fused] == [2, 1, 3]
    assert fused[0].score == 1 / 62 + 1 / 61


def test_weights_scale_each_ranking() -> None:
    a, b = view(1, "a"), view(2, "b")
    fused = reciprocal_rank_fusion([(1.0, [a]), (3.0, [b])], k=60)
    assert [r.view.row_id for r in fused] == [2, 1]


def test_boost_reorders_by_the_factor() -> None:
    ranked = [Ranked(view(1, "old"), 1.0), Ranked(view(2, "new"), 0.8)]
    boosted = boost(ranked, lambda v: 1.0 if v.article_id == "new" else 0.0)
    assert [r.view.article_id for r in boosted] == ["new", "old"]


def test_one_article_per_story_lists_the_other_outlets_once() -> None:
    ranked = [Ranked(view(1, "wire", "s1"), 3), Ranked(view(2, "paper", "s1"), 2), Ranked(view(3, "wire", "s1"), 1.5),
              Ranked(view(4, "other"), 1), Ranked(view(5, "paper", "s1"), 0.5)]
    groups = one_article_per_story(ranked)
    assert [(g[0].view.row_id, [v.article_id for v in g[1]]) for g in groups] == [(1, ["paper"]), (3, []), (4, [])]
