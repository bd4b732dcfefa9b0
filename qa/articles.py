"""The Article value object and its construction from the JSON article shape."""

import hashlib
import json
import unicodedata
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from index.catalog.headlines import Headlined
from qa.errors import InvalidInput
from qa.text.isodates import first_instant, iso_text, parse_iso

MAX_ID_CHARS = 256
DOT_SEGMENTS = {".", ".."}
METADATA_FIELDS = ("id", "title", "url", "source", "authors", "published_at")
TEXT_FIELDS = ("text", "body")


class InvalidArticle(InvalidInput):
    code = "invalid_article"


@dataclass(frozen=True)
class Article(Headlined):
    id: str
    text: str
    title: str | None = None
    url: str | None = None
    source: str | None = None
    authors: tuple[str, ...] = ()
    published_at: str | None = None

    def __post_init__(self) -> None:
        _check_id(self.id)
        _check_text(self.text)
        for name in ("title", "url", "source", "published_at"):
            if getattr(self, name) is not None:
                check_storable(name, getattr(self, name))
        for author in self.authors:
            check_storable("authors", author)
        if self.published_at is not None and normalize_published_at(self.published_at) != self.published_at:
            raise InvalidArticle(f"published_at must be normalized ISO 8601, got {self.published_at!r}")

    @property
    def published_timestamp(self) -> int | None:
        """Seconds since the epoch of the first instant of `published_at`, for date filters."""
        if self.published_at is None:
            return None
        return int(first_instant(parse_iso(self.published_at)).timestamp())

    @property
    def content_hash(self) -> str:
        """Hash of everything stored for the article, so any change counts as an update."""
        payload = json.dumps(asdict(self), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def article_from_mapping(obj: Any, default_id: str | None, max_article_chars: int | None = None) -> Article:
    """Build an Article from the JSON article shape; `default_id` is used when `id` is absent, and a
    text longer than `max_article_chars` is refused (None: no limit)."""
    if not isinstance(obj, Mapping):
        raise InvalidArticle(f"an article must be a JSON object, got {type(obj).__name__}")
    text = _article_text(obj)
    _check_length(text, max_article_chars)
    return Article(
        id=_article_id(obj.get("id"), default_id),
        text=text,
        title=_optional_str(obj, "title"),
        url=_optional_str(obj, "url"),
        source=_optional_str(obj, "source"),
        authors=_authors(obj.get("authors")),
        published_at=_published_at(obj.get("published_at")),
    )


def check_storable(name: str, value: str, error: type[InvalidInput] = InvalidArticle) -> None:
    """Text the index can store and search: valid Unicode (no lone surrogates) without NUL characters."""
    if "\x00" in value:
        raise error(f"{name} contains NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as problem:
        raise error(f"{name} is not valid Unicode at character {problem.start}") from None


def normalize_published_at(value: str) -> str:
    """An ISO date stays a date; a datetime becomes UTC (naive ones are taken as UTC)."""
    try:
        return iso_text(parse_iso(value))
    except (ValueError, OverflowError):
        raise InvalidArticle(
            f"published_at must be an ISO date or datetime such as 2024-03-01 or "
            f"2024-03-01T10:00:00Z, got {value!r}"
        ) from None


def _check_id(article_id: Any) -> None:
    if not isinstance(article_id, str) or not article_id:
        raise InvalidArticle(f"id must be a non-empty string, got {article_id!r}")
    if len(article_id) > MAX_ID_CHARS:
        raise InvalidArticle(f"id must be at most {MAX_ID_CHARS} characters, got {len(article_id)}")
    if article_id != article_id.strip() or any(unicodedata.category(c) == "Cc" for c in article_id):
        raise InvalidArticle(f"id must not have surrounding spaces or control characters, got {article_id!r}")
    # A URL path cannot hold them: browsers and HTTP clients resolve them away, so /v1/articles/.. reads nothing.
    if article_id in DOT_SEGMENTS:
        raise InvalidArticle(f"id must not be {article_id!r}, which a URL path cannot hold")
    check_storable("id", article_id)


def _check_text(text: Any) -> None:
    if not isinstance(text, str):
        raise InvalidArticle(f"text must be a string, got {type(text).__name__}")
    if not text.strip():
        raise InvalidArticle("text is empty")
    check_storable("text", text)


def _check_length(text: Any, max_chars: int | None) -> None:
    # Every chunk costs an embedding: one huge text would cost as much as thousands of articles.
    if max_chars is not None and isinstance(text, str) and len(text) > max_chars:
        raise InvalidArticle(
            f"text is {len(text):,} characters, more than the limit of {max_chars:,} (QA_MAX_ARTICLE_CHARS)"
        )


def _article_id(value: Any, default_id: str | None) -> str:
    if value is None:
        if default_id is None:
            raise InvalidArticle("id is missing")
        return default_id
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


def _article_text(obj: Mapping[str, Any]) -> str:
    for field in TEXT_FIELDS:
        if obj.get(field) is not None:
            return obj[field]
    raise InvalidArticle("text is missing (give `text` or `body`)")


def _optional_str(obj: Mapping[str, Any], field: str) -> str | None:
    value = obj.get(field)
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidArticle(f"{field} must be a string, got {type(value).__name__}")
    return value.strip() or None


def _authors(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(a, str) for a in value):
        raise InvalidArticle(f"authors must be a list of strings, got {value!r:.80}")
    return tuple(a.strip() for a in value if a.strip())


def _published_at(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise InvalidArticle(f"published_at must be a string, got {type(value).__name__}")
    return normalize_published_at(value)
