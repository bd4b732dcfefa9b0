"""An untitled article's URL slug as the words that stand for its headline in search."""

from dataclasses import dataclass

import pytest

from index.catalog.catalog import CatalogArticle
from index.catalog.headlines import Headlined, slug_words
from index.records import ChunkView
from qa.articles import Article


@pytest.mark.parametrize("url, words", [
    ("https://www.cnn.com/2022/09/18/sport/wnba-final-las-vegas-aces/index.html", "wnba final las vegas aces"),
    ("https://www.nytimes.com/2022/11/09/us/politics/midterm-election-results.html", "midterm election results"),
    ("https://www.bbc.com/news/world-us-canada-62345678", "world us canada"),  # the id is left out
    ("https://www.reuters.com/world/europe/talks-resume-2022-11-09/", "talks resume 2022 11 09"),
    ("https://example.com/news/Storm_hits%20coast.html", "Storm hits coast"),
])
def test_slug_words(url: str, words: str) -> None:
    assert slug_words(url) == words


@pytest.mark.parametrize("url", [
    "https://example.com/2022/09/18/", "https://example.com/story?id=3", "https://apnews.com/article/abc123def456",
    "https://example.com/news/", "not a url", "http://[::1/broken",
])
def test_no_slug_no_words(url: str) -> None:
    assert slug_words(url) is None


@dataclass(frozen=True)
class Page(Headlined):
    title: str | None
    url: str | None


def test_a_title_always_wins_and_nothing_is_made_up() -> None:
    assert Page("Tunnel closes", "https://example.com/harbor-tunnel-closure").headline == "Tunnel closes"
    assert Page(None, "https://example.com/harbor-tunnel-closure").headline == "harbor tunnel closure"
    assert Page("", "https://example.com/harbor-tunnel-closure").headline == "harbor tunnel closure"
    assert Page(None, "https://example.com/story?id=3").headline == ""
    assert Page(None, None).headline == ""


def test_the_article_the_catalog_and_the_chunks_read_one_headline() -> None:
    """Ingest embeds it, the catalog indexes it for BM25, Milvus holds it: each from the same rule."""
    url = "https://example.com/2024/05/10/harbor-tunnel-closure.html"
    records = [
        Article("a", "Text.", url=url),
        CatalogArticle("a", None, url, "Text.", None, None, None, ((1, 0, 5),)),
        ChunkView(1, "k", "a", 0, 5, "Text.", None, url, None, None, None, None),
    ]
    assert {record.headline for record in records} == {"harbor tunnel closure"}
