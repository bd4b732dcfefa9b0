from pathlib import Path

import pytest

from qa.articles import Article, InvalidArticle, article_from_mapping, normalize_date
from qa.composition import open_service
from qa.settings import Settings
from tests.fakes import FakeEmbedder


def test_json_article_with_all_fields() -> None:
    article = article_from_mapping(
        {"id": "a1", "text": "Body.", "title": " Title ", "url": "https://x.test/a", "source": "x.test",
         "authors": ["Ann", " "], "published_at": "2022-07-08"},
        default_id="file",
    )
    assert article == Article("a1", "Body.", "Title", "https://x.test/a", "x.test", ("Ann",), "2022-07-08")


def test_body_is_accepted_for_text_and_id_defaults_to_the_file_name() -> None:
    article = article_from_mapping({"body": "Words here."}, default_id="story-1")
    assert (article.id, article.text) == ("story-1", "Words here.")


def test_numeric_id_becomes_a_string_and_one_author_may_be_a_string() -> None:
    article = article_from_mapping({"id": 42, "text": "x", "authors": "Ann Lee"}, default_id=None)
    assert (article.id, article.authors) == ("42", ("Ann Lee",))


def test_text_is_kept_exactly_as_submitted() -> None:
    text = "  Line one.\r\n\r\nLine two.  \n"
    assert article_from_mapping({"text": text}, "a").text == text


@pytest.mark.parametrize(
    ("value", "normalized"),
    [
        ("2022-07-08", "2022-07-08"),
        ("2022-07-08T10:30:00", "2022-07-08T10:30:00Z"),
        ("2022-07-08T10:30:00+02:00", "2022-07-08T08:30:00Z"),
        ("2022-07-08T10:30:00Z", "2022-07-08T10:30:00Z"),
    ],
)
def test_published_at_is_normalized(value: str, normalized: str) -> None:
    assert normalize_date("published_at", value) == normalized


@pytest.mark.parametrize(
    ("obj", "message"),
    [
        ({"id": "a"}, "text is missing"),
        ({"id": "a", "text": "   \n"}, "text is empty"),
        ({"id": "a", "text": 5}, "text must be a string, got int"),
        ({"id": "a", "text": "x\x00y"}, "NUL"),
        ({"id": "a", "text": "bad \ud800 surrogate"}, "not valid Unicode at character 4"),
        ({"id": "", "text": "x"}, "id must be a non-empty string"),
        ({"id": " a", "text": "x"}, "surrounding spaces"),
        ({"id": "a\nb", "text": "x"}, "control characters"),
        ({"id": "x" * 300, "text": "x"}, "at most 256 characters, got 300"),
        ({"id": True, "text": "x"}, "id must be a non-empty string, got True"),
        ({"id": "a", "text": "x", "title": 3}, "title must be a string, got int"),
        ({"id": "a", "text": "x", "authors": [1]}, "authors must be a list of strings"),
        ({"id": "a", "text": "x", "published_at": "yesterday"}, "got 'yesterday'"),
        ({"id": "a", "text": "x", "published_at": 20220708}, "published_at must be a string"),
    ],
)
def test_invalid_articles_are_refused_with_the_bad_value(obj: dict, message: str) -> None:
    with pytest.raises(InvalidArticle, match=message):
        article_from_mapping(obj, default_id=None)


def test_a_list_is_not_an_article() -> None:
    with pytest.raises(InvalidArticle, match="must be a JSON object, got list"):
        article_from_mapping([{"text": "x"}], default_id="a")


def test_content_hash_changes_with_text_and_with_metadata() -> None:
    base = Article("a", "Text.")
    assert base.content_hash == Article("a", "Text.").content_hash
    assert base.content_hash != Article("a", "Text!").content_hash
    assert base.content_hash != Article("a", "Text.", title="New title").content_hash


def test_a_text_up_to_the_limit_is_accepted_and_a_longer_one_refused_with_both_lengths() -> None:
    assert article_from_mapping({"text": "x" * 10}, "a", max_article_chars=10).text == "x" * 10
    with pytest.raises(InvalidArticle, match=r"^text is 11 characters, more than the limit of 10 \(QA_MAX_ARTICLE_CHARS\)$"):
        article_from_mapping({"body": "x" * 11}, "a", max_article_chars=10)
    assert len(article_from_mapping({"text": "x" * 2_000_000}, "a").text) == 2_000_000, "no limit unless given"


def test_articles_pushed_to_the_service_obey_the_limit_and_none_is_stored(tmp_path: Path) -> None:
    service = open_service(Settings(index_dir=tmp_path / "index", max_article_chars=1000), FakeEmbedder())
    try:
        with pytest.raises(InvalidArticle) as refused:
            service.add_articles([{"id": "ok", "text": "Short."}, {"id": "long", "text": "word " * 201}])
        assert refused.value.code == "invalid_article"
        assert refused.value.details == {
            "errors": [{"index": 1, "message": "text is 1,005 characters, more than the limit of 1,000 (QA_MAX_ARTICLE_CHARS)"}]
        }
        assert service.stats().articles == 0
    finally:
        service.close()


def test_a_long_byline_is_kept_and_a_long_tag_refused() -> None:
    byline = "Nima Elbagir " * 30
    assert article_from_mapping({"id": "a", "text": "Text.", "authors": [byline]}, None).authors == (byline.strip(),)
    with pytest.raises(InvalidArticle, match="tags values must be at most 200 characters"):
        article_from_mapping({"id": "a", "text": "Text.", "tags": ["x" * 201]}, None)


@pytest.mark.parametrize(("field", "value", "stored"), [
    ("published_at", "Tue, 10 Jun 2025 08:00:00 GMT", "2025-06-10T08:00:00Z"),
    ("updated_at", "10 Jun 2025 10:00:00 +0200", "2025-06-10T08:00:00Z"),
    ("embargo_until", "2025-06-10", "2025-06-10"),
])
def test_dates_are_read_as_iso_8601_or_rfc_822(field: str, value: str, stored: str) -> None:
    assert getattr(article_from_mapping({"id": "a", "text": "Text.", field: value}, None), field) == stored
