"""Filters and `as_of` inside searches, BM25 over chunks and articles as they change, leads: on every backend."""

import pytest

from index.records import ArticleRecord, ChunkFilter, ChunkRecord
from tests.contract.rows import article, chunks, nearest, put, seconds, unit


@pytest.mark.parametrize(
    ("chunk_filter", "expected"),
    [
        (ChunkFilter(), {"old", "new", "other", "undated"}),
        (ChunkFilter(sources=("wire",)), {"old", "new"}),
        (ChunkFilter(article_ids=("other", "undated")), {"other", "undated"}),
        (ChunkFilter(published_from=seconds("2022-02-01")), {"new", "other"}),
        (ChunkFilter(published_to=seconds("2022-03-01")), {"old", "other"}),
        (ChunkFilter(sources=("wire",), published_from=seconds("2022-02-01")), {"new"}),
        (ChunkFilter(not_after=seconds("2022-04-01")), {"old", "other", "undated"}),
        (ChunkFilter(sources=("nobody",)), set()),
    ],
)
def test_filters_and_as_of_apply_inside_the_search(dated, chunk_filter: ChunkFilter, expected: set[str]) -> None:
    # k is small: a filter applied after the search would come back short.
    assert {v.article_id for v in nearest(dated, unit(101), 8, chunk_filter)} == expected
    chunks_of = {"old": 2, "new": 2, "other": 1, "undated": 2}
    assert len(nearest(dated, unit(101), 2, chunk_filter)) == min(2, sum(chunks_of[a] for a in expected))


def whole(record: ArticleRecord, seed: int = 0) -> tuple[ArticleRecord, list[ChunkRecord]]:
    """The article as one chunk of all its text."""
    return record, [ChunkRecord(0, len(record.text), f"{record.id}-{seed}-0", f"e-{record.id}-{seed}", unit(seed))]


def lexical(store, words: list[str], chunk_filter: ChunkFilter | None = None) -> tuple[list[str], list[str]]:
    """(chunk keys, article ids) BM25 finds for the words."""
    hits = store.search(unit(0), k=10, chunk_filter=chunk_filter, terms=words, dense=False)
    return [v.key for v in store.chunk_views([ref.row_id for ref in hits.lexical])], hits.articles


def test_bm25_follows_adds_replacements_and_deletes(store) -> None:
    put(store, whole(article("a", text="Harbour strike ends. Harbour reopens.")),
        whole(article("b", text="Storm closes the harbour."), seed=1))
    keys, articles = lexical(store, ["harbour"])
    assert set(keys) == {"a-0-0", "b-1-0"} and set(articles) == {"a", "b"}
    assert lexical(store, ["storm"]) == (["b-1-0"], ["b"])
    put(store, whole(article("b", text="Calm seas today.", version="2"), seed=2))
    assert lexical(store, ["storm"]) == ([], []) and lexical(store, ["calm"]) == (["b-2-0"], ["b"])
    with store.writing():
        store.delete("a")
    assert lexical(store, ["harbour"]) == ([], [])


def test_bm25_within_a_filter_keeps_to_it(store) -> None:
    put(store, whole(article("a", text="Harbour strike ends.", source="wire")),
        whole(article("b", text="Harbour storm.", source="blog"), seed=1))
    assert lexical(store, ["harbour"], ChunkFilter(sources=("blog",))) == (["b-1-0"], ["b"])


def test_every_found_chunk_has_its_cosine(store) -> None:
    put(store, whole(article("a", text="Harbour strike ends.")), whole(article("b", text="Quiet day."), seed=1))
    hits = store.search(unit(1), k=1, terms=["harbour"])
    assert [r.article_id for r in hits.dense] == ["b"] and [r.article_id for r in hits.lexical] == ["a"]
    assert hits.cosines[hits.lexical[0].row_id] == pytest.approx(float(unit(0) @ unit(1)), abs=1e-5)


def test_leads_are_each_article_s_first_chunk_with_its_cosine(store) -> None:
    put(store, (article("a"), chunks("a", 3)), (article("b"), chunks("b", 2, seed=1)))
    leads = {ref.article_id: (ref.row_id, cosine) for ref, cosine in store.leads(["a", "b", "nobody"], unit(100))}
    assert set(leads) == {"a", "b"} and leads["b"][1] == pytest.approx(1.0, abs=1e-5)
    assert store.chunk_views([leads["a"][0]])[0].key == "a-0-0"


def test_the_chunk_holding_a_quote_is_found_with_its_cosine(store) -> None:
    put(store, (article("a"), chunks("a", 3)), (article("b"), chunks("b", 2, seed=1)))
    places = [("a", 2, 6), ("b", 1, 2), ("a", 2, 3), ("a", 2, 6), ("nobody", 0, 1), ("a", 99, 100), ("a", 4, 9), ("a", 6, 9)]
    found = store.chunks_at(places, unit(101))
    # Chunk i holds characters i..i+4: the first holding the whole quote, else the first holding its
    # start; each chunk once.
    assert [view.key for view, _ in found] == ["a-0-1", "b-1-0", "a-0-0", "a-0-2"]
    assert found[1][1] == pytest.approx(float(unit(100) @ unit(101)), abs=1e-5)
