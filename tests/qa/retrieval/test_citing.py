"""The passages listed with an answer: cited articles first, in the order of first citation."""

from qa.models import Citation, Passage, Source
from qa.retrieval.citing import cited_articles_first, holds, unheld


def source(article_id: str) -> Source:
    return Source(article_id, f"Title {article_id}", None, None, None)


def passage(article_id: str, start: int, end: int, also: tuple[str, ...] = ()) -> Passage:
    return Passage(f"{article_id}-{start}", source(article_id), start, end, "x" * (end - start), 0.5,
                   tuple(source(a) for a in also))


def cite(article_id: str, start: int, end: int) -> Citation:
    return Citation(source(article_id), start, end, "q" * (end - start))


def order(passages) -> list[str]:
    return [p.chunk_id for p in passages]


def test_a_quote_is_held_only_wholly_inside_a_passage_of_its_article() -> None:
    assert holds(passage("a", 0, 100), cite("a", 10, 100))
    assert not holds(passage("a", 0, 100), cite("a", 90, 110))
    assert not holds(passage("b", 0, 100), cite("a", 10, 20))
    assert unheld([cite("a", 10, 20), cite("c", 0, 5), cite("c", 0, 5)], [passage("a", 0, 100)]) == [cite("c", 0, 5)]


def test_cited_articles_come_first_in_the_order_of_first_citation() -> None:
    listed = [passage("a", 0, 100), passage("b", 0, 100), passage("c", 0, 100), passage("a", 200, 300)]
    ordered = cited_articles_first(listed, [], [cite("c", 10, 20), cite("a", 250, 260), cite("c", 30, 40)], 4)
    # c, then a with the passage holding its quote first, then b as ranked.
    assert order(ordered) == ["c-0", "a-200", "a-0", "b-0"]


def test_an_article_cited_but_not_listed_is_added_first_and_the_last_listed_gives_way() -> None:
    listed = [passage("a", 0, 100), passage("b", 0, 100), passage("c", 0, 100)]
    ordered = cited_articles_first(listed, [passage("z", 400, 500)], [cite("z", 410, 420), cite("b", 5, 10)], 3)
    assert order(ordered) == ["z-400", "b-0", "a-0"]


def test_every_passage_holding_a_quote_stays_even_past_top_k() -> None:
    listed = [passage("a", 0, 100), passage("b", 0, 100)]
    added = [passage("x", 0, 50), passage("y", 0, 50)]
    citations = [cite("x", 0, 10), cite("y", 0, 10), cite("b", 0, 10)]
    assert order(cited_articles_first(listed, added, citations, 2)) == ["x-0", "y-0", "b-0"]


def test_an_article_s_other_reports_go_with_its_first_passage() -> None:
    listed = [passage("a", 0, 100, also=("a2",)), passage("a", 200, 300)]
    ordered = cited_articles_first(listed, [], [cite("a", 210, 220)], 2)
    assert order(ordered) == ["a-200", "a-0"]
    assert [s.article_id for s in ordered[0].also_reported_by] == ["a2"] and ordered[1].also_reported_by == ()


def test_without_citations_the_listed_passages_stand() -> None:
    listed = (passage("a", 0, 100), passage("b", 0, 100))
    assert cited_articles_first(listed, [], [], 2) == listed
