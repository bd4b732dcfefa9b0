"""The passages listed with an answer: cited articles first, in the order of first citation, every
quote held whole, no text shown twice."""

from qa.models import Citation, Passage, Source
from qa.retrieval.citing import cited_articles_first, holding_every_quote, holds, unplaced

TEXT = "".join(chr(ord("a") + n % 26) for n in range(1000))


def source(article_id: str) -> Source:
    return Source(article_id, f"Title {article_id}", None, None, None)


def passage(article_id: str, start: int, end: int, also: tuple[str, ...] = ()) -> Passage:
    return Passage(f"{article_id}-{start}", source(article_id), start, end, TEXT[start:end], 0.5,
                   tuple(source(a) for a in also))


def cite(article_id: str, start: int, end: int) -> Citation:
    return Citation(source(article_id), start, end, TEXT[start:end])


def order(passages) -> list[str]:
    return [p.chunk_id for p in passages]


def spans(passages) -> list[tuple[str, int, int]]:
    return [(p.chunk_id, p.start, p.end) for p in passages]


def test_a_quote_is_held_only_wholly_inside_a_passage_of_its_article() -> None:
    assert holds(passage("a", 0, 100), cite("a", 10, 100))
    assert not holds(passage("a", 0, 100), cite("a", 90, 110))
    assert not holds(passage("b", 0, 100), cite("a", 10, 20))


def test_a_quote_no_passage_reaches_needs_a_passage_of_its_own() -> None:
    citations = [cite("a", 10, 20), cite("a", 90, 110), cite("c", 0, 5), cite("c", 0, 5), cite("a", 300, 310)]
    assert unplaced(citations, [passage("a", 0, 100)]) == [cite("c", 0, 5), cite("a", 300, 310)]


def test_a_passage_a_quote_runs_past_is_stretched_to_hold_it_whole() -> None:
    stretched = holding_every_quote([passage("a", 0, 100), passage("b", 0, 50)], [cite("a", 90, 130)], {"a": TEXT})
    assert spans(stretched) == [("a-0", 0, 130), ("b-0", 0, 50)]
    assert stretched[0].text == TEXT[0:130] and (stretched[0].matched.start, stretched[0].matched.end) == (0, 100)


def test_passages_of_one_article_that_overlap_become_one() -> None:
    passages = [passage("a", 100, 300, also=("x",)), passage("b", 0, 50), passage("a", 250, 400, also=("y",)),
                passage("a", 500, 600), passage("a", 380, 520)]
    merged = holding_every_quote(passages, [], {"a": TEXT})
    assert spans(merged) == [("a-100", 100, 600), ("b-0", 0, 50)]
    assert [s.article_id for s in merged[0].also_reported_by] == ["x", "y"]


def test_an_article_changed_since_its_passage_was_read_keeps_the_passage_as_read() -> None:
    changed = "z" * 1000
    kept = holding_every_quote([passage("a", 0, 100)], [cite("a", 90, 130)], {"a": changed})
    assert spans(kept) == [("a-0", 0, 100)] and kept[0].text == TEXT[:100]


def test_cited_articles_come_first_in_the_order_of_first_citation() -> None:
    listed = [passage("a", 0, 100), passage("b", 0, 100), passage("c", 0, 100), passage("a", 200, 300)]
    ordered = cited_articles_first(listed, [cite("c", 10, 20), cite("a", 250, 260), cite("c", 30, 40)], 4)
    # c, then a with the passage holding its quote first, then b as ranked.
    assert order(ordered) == ["c-0", "a-200", "a-0", "b-0"]


def test_an_article_cited_but_not_listed_comes_first_and_the_last_listed_gives_way() -> None:
    passages = [passage("a", 0, 100), passage("b", 0, 100), passage("c", 0, 100), passage("z", 400, 500)]
    ordered = cited_articles_first(passages, [cite("z", 410, 420), cite("b", 5, 10)], 3)
    assert order(ordered) == ["z-400", "b-0", "a-0"]


def test_every_passage_holding_a_quote_and_every_cited_article_stay_even_past_top_k() -> None:
    passages = [passage("a", 0, 100), passage("b", 0, 100), passage("x", 0, 50), passage("y", 0, 50)]
    citations = [cite("x", 0, 10), cite("y", 0, 10), cite("b", 0, 10)]
    assert order(cited_articles_first(passages, citations, 2)) == ["x-0", "y-0", "b-0"]
    # A cited article none of whose passages holds its quote (its text changed meanwhile) still stays.
    assert order(cited_articles_first(passages, [cite("b", 0, 10), cite("a", 90, 120)], 1)) == ["b-0", "a-0"]


def test_an_article_s_other_reports_go_with_its_first_passage_less_those_listed_themselves() -> None:
    passages = [passage("a", 0, 100, also=("a2", "b")), passage("a", 200, 300), passage("b", 0, 100)]
    ordered = cited_articles_first(passages, [cite("a", 210, 220), cite("b", 0, 10)], 3)
    assert order(ordered) == ["a-200", "a-0", "b-0"]
    assert [s.article_id for s in ordered[0].also_reported_by] == ["a2"]
    assert ordered[1].also_reported_by == () and ordered[2].also_reported_by == ()


def test_without_citations_the_passages_stand() -> None:
    passages = (passage("a", 0, 100), passage("b", 0, 100))
    assert cited_articles_first(passages, [], 2) == passages
