from index.records import ChunkView
from qa.retrieval.fusion import Ranked, boost, interleave, lead_first, rank_articles, reciprocal_rank_fusion


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


def test_articles_rank_on_their_two_best_passages_plus_their_bonus() -> None:
    ranked = [Ranked(view(1, "a"), 3.0), Ranked(view(2, "b"), 2.5), Ranked(view(3, "b"), 1.0),
              Ranked(view(4, "a"), 0.1), Ranked(view(5, "b"), 0.9), Ranked(view(6, "c"), 2.0)]
    assert [a.passages[0].view.article_id for a in rank_articles(ranked, {}, False)] == ["b", "a", "c"]
    boosted = rank_articles(ranked, {"c": 2.0}, False)
    assert [a.passages[0].view.article_id for a in boosted] == ["c", "b", "a"]


def test_reprints_of_a_story_are_listed_with_its_best_article() -> None:
    ranked = [Ranked(view(1, "wire", "s1"), 3), Ranked(view(2, "paper", "s1"), 2), Ranked(view(3, "other"), 1)]
    articles = rank_articles(ranked, {}, collapse_stories=True)
    assert [(a.passages[0].view.article_id, [v.article_id for v in a.reprints]) for a in articles] == [
        ("wire", ["paper"]), ("other", [])]


def test_interleave_takes_the_best_passage_of_every_article_first() -> None:
    ranked = [Ranked(view(1, "a"), 3), Ranked(view(2, "a"), 2.9), Ranked(view(3, "b"), 2), Ranked(view(4, "a"), 1)]
    chosen = interleave(rank_articles(ranked, {}, False), per_article=2)
    assert [r.view.row_id for r, _ in chosen] == [1, 3, 2]


def test_a_lead_nearly_as_close_as_the_best_passage_is_listed_first() -> None:
    ranked = [Ranked(view(5, "a"), 2.0), Ranked(view(6, "a"), 1.5), Ranked(view(9, "b"), 1.8)]
    articles = rank_articles(ranked, {}, collapse_stories=False)
    cosines = {5: 0.60, 6: 0.50, 9: 0.70}
    leads = {"a": (view(1, "a"), 0.57), "b": (view(7, "b"), 0.50)}
    lead_first(articles, leads, cosines, margin=0.05)
    by_article = {a.passages[0].view.article_id: [p.view.row_id for p in a.passages] for a in articles}
    assert by_article == {"a": [1, 5, 6], "b": [9]}, "a's lead is within 0.05 of its best, b's is not"
    assert cosines[1] == 0.57 and [a.passages[0].view.article_id for a in articles] == ["a", "b"]


def test_a_lead_that_is_already_the_best_passage_stays_once() -> None:
    articles = rank_articles([Ranked(view(1, "a"), 2.0), Ranked(view(2, "a"), 1.0)], {}, collapse_stories=False)
    lead_first(articles, {"a": (view(1, "a"), 0.9)}, {1: 0.9, 2: 0.8}, margin=0.05)
    assert [p.view.row_id for p in articles[0].passages] == [1, 2]


def test_a_short_article_in_one_chunk_is_not_ranked_below_a_long_one_for_its_length() -> None:
    # The short article's one chunk matches best; the long one has two passages that match less.
    ranked = [Ranked(view(1, "short"), 3.0), Ranked(view(2, "long"), 2.0), Ranked(view(3, "long"), 1.5)]
    assert [a.passages[0].view.article_id for a in rank_articles(ranked, {}, False)] == ["long", "short"]
    counted = rank_articles(ranked, {}, False, {"short": 1, "long": 5})
    assert [a.passages[0].view.article_id for a in counted] == ["short", "long"]


def test_a_long_article_with_one_passage_found_gains_nothing_for_its_others() -> None:
    ranked = [Ranked(view(1, "long"), 3.0), Ranked(view(2, "pair"), 2.0), Ranked(view(3, "pair"), 1.5)]
    counted = rank_articles(ranked, {}, False, {"long": 9, "pair": 2})
    assert [a.passages[0].view.article_id for a in counted] == ["pair", "long"]
