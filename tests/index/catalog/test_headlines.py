"""An untitled article's URL slug as the words that stand for its headline in search."""

import pytest

from index.catalog.headlines import search_title, slug_words


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


def test_a_title_always_wins_and_nothing_is_made_up() -> None:
    assert search_title("Tunnel closes", "https://example.com/harbor-tunnel-closure") == "Tunnel closes"
    assert search_title(None, "https://example.com/harbor-tunnel-closure") == "harbor tunnel closure"
    assert search_title(None, None) is None
