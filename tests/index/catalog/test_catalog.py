from datetime import datetime, timezone

import numpy as np
import pytest

from index.catalog.catalog import Catalog, CatalogArticle, _top
from index.records import ChunkFilter, IdSet


def seconds(day: str) -> int:
    return int(datetime.fromisoformat(day).replace(tzinfo=timezone.utc).timestamp())


def entry(article_id: str, first_chunk: int, published: str | None, source: str = "wire") -> CatalogArticle:
    text = f"{article_id} reports on the harbour. A second sentence follows."
    return CatalogArticle(article_id, None, None, text, source, published and seconds(published), None,
                          ((first_chunk, 0, 30), (first_chunk + 1, 30, len(text))))


def catalog_of(*articles: CatalogArticle) -> Catalog:
    catalog = Catalog()
    catalog.add(list(articles))
    return catalog


def allowed_articles(catalog: Catalog, chunk_filter: ChunkFilter) -> set[str]:
    return {ref.article_id for ref in catalog.refs(catalog.chunk_ids(catalog.allowed(chunk_filter).chunks).tolist())}


def test_moments_with_nothing_published_between_share_what_they_allow() -> None:
    catalog = catalog_of(entry("march", 10, "2022-03-01"), entry("june", 20, "2022-06-01"))
    april, may = catalog.allowed(ChunkFilter(not_after=seconds("2022-04-01"))), catalog.allowed(ChunkFilter(not_after=seconds("2022-05-01")))
    assert april is may
    assert april.ids is not None and april.ids.ids.tolist() == [10, 11]
    july = catalog.allowed(ChunkFilter(not_after=seconds("2022-07-01")))
    assert july is not april and july.ids is None  # every live chunk: the search needs no id filter


def test_what_a_filter_allows_is_worked_out_again_after_a_change() -> None:
    catalog = catalog_of(entry("march", 10, "2022-03-01"), entry("june", 20, "2022-06-01"))
    may = ChunkFilter(not_after=seconds("2022-05-01"))
    assert allowed_articles(catalog, may) == {"march"}
    catalog.add([entry("april", 30, "2022-04-15")])
    assert allowed_articles(catalog, may) == {"march", "april"}
    catalog.remove([10, 11])
    assert allowed_articles(catalog, may) == {"april"}
    assert [ref.article_id for ref in catalog.refs([10, 30, 31])] == ["april", "april"]


def test_date_bounds_sources_and_ids_together() -> None:
    catalog = catalog_of(entry("a", 10, "2022-01-01"), entry("b", 20, "2022-02-01", source="blog"),
                         entry("c", 30, None), entry("d", 40, "2022-03-01"))
    both = ChunkFilter(sources=("wire",), published_from=seconds("2022-01-15"))
    assert allowed_articles(catalog, both) == {"d"}
    assert allowed_articles(catalog, ChunkFilter(published_to=seconds("2022-02-01"))) == {"a", "b"}
    assert allowed_articles(catalog, ChunkFilter(article_ids=("c", "missing"))) == {"c"}


def test_an_id_set_reads_back_its_ids() -> None:
    ids = np.array([3, 0, 17, 64], dtype=np.int64)
    id_set = IdSet.of(ids)
    assert len(id_set) == 4 and id_set.ids.tolist() == [0, 3, 17, 64]
    assert len(IdSet.of(np.array([], dtype=np.int64))) == 0
    fewer = id_set.without(np.array([17, 3, 5, 1000], dtype=np.int64))
    assert len(fewer) == 2 and fewer.ids.tolist() == [0, 64] and id_set.ids.tolist() == [0, 3, 17, 64]


def test_chunk_counts_follow_additions_and_removals() -> None:
    short = CatalogArticle("short", None, None, "One short note.", "wire", None, None, ((40, 0, 15),))
    catalog = catalog_of(entry("march", 10, "2022-03-01"), short)
    assert catalog.chunk_counts(["march", "short", "absent"]) == {"march": 2, "short": 1}
    catalog.remove([10, 11])
    assert catalog.chunk_counts(["march", "short"]) == {"short": 1}


@pytest.mark.parametrize("seed", range(6))
def test_the_k_best_are_those_of_sorting_every_score_ties_to_the_earlier_slot(seed: int) -> None:
    rng = np.random.default_rng(seed)
    slots = 120_000  # large enough for the k best to be picked above a guessed bound
    for held, allowed_share, k in [(0.01, 1.0, 10), (0.3, 1.0, 100), (0.9, 0.5, 100), (0.5, 0.02, 200), (0.9, 1.0, 1)]:
        scores = np.zeros(slots, dtype=np.float32)
        hit = rng.random(slots) < held
        scores[hit] = rng.integers(1, 20, hit.sum()) / 4  # few distinct scores: many ties
        allowed = rng.random(slots) < allowed_share
        everything = np.flatnonzero((scores > 0) & allowed)
        expected = everything[np.lexsort((everything, -scores[everything]))][:k]
        assert _top(scores, allowed, k).tolist() == expected.tolist()
