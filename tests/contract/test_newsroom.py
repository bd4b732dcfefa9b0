"""The newsroom's fields of an article (section, tags, language, its own update time, embargo and
visibility) as every backend stores them, and every filter on them meaning the same in each: the
vector search, BM25, statements, the listing and deletion by filter."""

from dataclasses import replace

import pytest

from index.records import ArticleRecord, ChunkFilter, Newsroom, SpeechRecord
from tests.contract.rows import article, chunks, put, seconds, unit

LATER = seconds("2030-01-01")
NOW = seconds("2025-06-01")


def filed(article_id: str, seed: int, **fields) -> tuple[ArticleRecord, list]:
    record = replace(article(article_id, text="Harbour strike talks resume.", source=fields.pop("source", "wire")),
                     newsroom=Newsroom(**fields), speech=(SpeechRecord(0, 7, "Ana Pérez", "said"),))
    # Chunks of whole words, as real ones are: an engine's BM25 reads the chunk's own characters.
    return record, [replace(chunk, start=start, end=end)
                    for chunk, (start, end) in zip(chunks(article_id, 2, seed=seed), [(0, 14), (15, 28)])]


@pytest.fixture
def newsroom_store(store):
    put(store,
        filed("sport", 1, section="sport", tags=("football", "league"), language="en", visibility="public",
              updated_at="2025-05-01T00:00:00Z", updated_ts=seconds("2025-05-01")),
        filed("desk", 2, section="politics", tags=("budget",), language="fr", visibility="internal",
              source="desk.example"),
        filed("held", 3, section="politics", tags=("budget", "leak"), language="en",
              embargo_until="2030-01-01T00:00:00Z", embargo_ts=LATER),
        filed("plain", 4))
    return store


def found(store, chunk_filter: ChunkFilter) -> dict[str, set[str]]:
    """Which articles each way of reading lets through under the filter."""
    hits = store.search(unit(100), 100, chunk_filter, terms=["harbour"])
    statements = store.statements("perez", chunk_filter)
    listed = store.list_articles(100, None, chunk_filter)
    return {
        "dense": {ref.article_id for ref in hits.dense}, "bm25": {ref.article_id for ref in hits.lexical},
        "articles": set(hits.articles), "statements": {s.article_id for s in statements},
        "listed": {a.id for a in listed.articles}, "total": {str(listed.total)},
    }


def agree(store, chunk_filter: ChunkFilter, expected: set[str]) -> None:
    ways = found(store, chunk_filter)
    assert ways == {**dict.fromkeys(("dense", "bm25", "articles", "statements", "listed"), expected),
                    "total": {str(len(expected))}}


def test_the_newsroom_fields_are_stored_and_read_back(newsroom_store) -> None:
    stored = newsroom_store.article("sport")
    assert stored.newsroom == Newsroom("sport", ("football", "league"), "en", "2025-05-01T00:00:00Z",
                                       seconds("2025-05-01"), None, None, "public")
    assert newsroom_store.article("plain").newsroom == Newsroom()
    views = newsroom_store.chunk_views([ref.row_id for ref in newsroom_store.search(unit(300), 100).dense])
    assert {v.article_id: v.newsroom.embargo_ts for v in views}["held"] == LATER


@pytest.mark.parametrize(("chunk_filter", "expected"), [
    (ChunkFilter(sections=("politics",)), {"desk", "held"}),
    (ChunkFilter(tags=("league", "leak")), {"sport", "held"}),
    (ChunkFilter(languages=("fr",)), {"desk"}),
    (ChunkFilter(visibilities=("internal",)), {"desk"}),
    (ChunkFilter(updated_from=seconds("2025-04-01")), {"sport"}),
    (ChunkFilter(updated_to=seconds("2025-04-01")), set()),
    (ChunkFilter(readable_visibilities=("public",)), {"sport", "held", "plain"}),
    (ChunkFilter(readable_sources=("desk.example",)), {"desk"}),
    (ChunkFilter(readable_sources=()), set()),
    (ChunkFilter(released_by=NOW), {"sport", "desk", "plain"}),
    (ChunkFilter(released_by=LATER), {"sport", "desk", "held", "plain"}),
    (ChunkFilter(sections=("politics",), readable_visibilities=("public",), released_by=NOW), set()),
    (ChunkFilter(tags=("budget",), sources=("wire",)), {"held"}),
])
def test_every_way_of_reading_keeps_to_the_filter(newsroom_store, chunk_filter: ChunkFilter, expected) -> None:
    agree(newsroom_store, chunk_filter, expected)


def test_a_replaced_article_is_filtered_by_its_new_fields(newsroom_store) -> None:
    record, parts = filed("sport", 5, section="culture", tags=("film",))
    put(newsroom_store, (replace(record, content_hash="hash-2"), parts))
    agree(newsroom_store, ChunkFilter(tags=("football",)), set())
    agree(newsroom_store, ChunkFilter(tags=("film",), sections=("culture",)), {"sport"})


def test_articles_are_deleted_by_filter_in_one_go(newsroom_store) -> None:
    with newsroom_store.writing():
        deleted = newsroom_store.delete_matching(ChunkFilter(sections=("politics",)))
    assert sorted(deleted) == ["desk", "held"]
    agree(newsroom_store, ChunkFilter(), {"sport", "plain"})
    with newsroom_store.writing():
        assert newsroom_store.delete_matching(ChunkFilter(sections=("politics",))) == []
