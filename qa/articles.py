"""The Article value object and its construction from the JSON article shape."""

import hashlib
import json
import math
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any

from index.catalog.headlines import Headlined
from qa.access import DEFAULT_VISIBILITY
from qa.errors import InvalidInput
from qa.text.isodates import first_instant, iso_text, parse_date

MAX_ID_CHARS = 256
DOT_SEGMENTS = {".", ".."}
# The newsroom's own description of an article, besides its text.
NEWSROOM_FIELDS = ("section", "tags", "language", "updated_at", "embargo_until", "visibility")
METADATA_FIELDS = ("id", "title", "url", "source", "authors", "published_at", *NEWSROOM_FIELDS)
TEXT_FIELDS = ("text", "body")
DATE_FIELDS = ("published_at", "updated_at", "embargo_until")
# Tags are filtered on, in every engine: a bounded number of bounded words.
MAX_TAGS = 100
MAX_LABEL_CHARS = 200
# A visibility is a word a keys file can name: "public", "internal", "desk-sports".
VISIBILITY = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
# A BCP 47 language tag, as feeds and CMSs give it ("en", "en-GB", "pt-BR", "zh-Hant").
LANGUAGE = re.compile(r"[a-z]{2,3}(-[a-z0-9]{1,8})*")


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
    section: str | None = None
    tags: tuple[str, ...] = ()
    language: str | None = None
    # When the newsroom last changed the article: a CMS update older than the stored one is refused.
    updated_at: str | None = None
    # Never answered from before this moment, whatever moment a question is asked about.
    embargo_until: str | None = None
    visibility: str = DEFAULT_VISIBILITY

    def __post_init__(self) -> None:
        _check_id(self.id)
        _check_text(self.text)
        for name in ("title", "url", "source", "section", *DATE_FIELDS):
            if getattr(self, name) is not None:
                check_storable(name, getattr(self, name))
        for name in ("authors", "tags"):
            for value in getattr(self, name):
                check_storable(name, value)
        for name in DATE_FIELDS:
            value = getattr(self, name)
            if value is not None and normalize_date(name, value) != value:
                raise InvalidArticle(f"{name} must be normalized ISO 8601, got {value!r}")
        if not VISIBILITY.fullmatch(self.visibility):
            raise InvalidArticle(f"visibility must be a lower-case word such as public or internal, "
                                 f"got {self.visibility!r}")
        if self.language is not None and not LANGUAGE.fullmatch(self.language):
            raise InvalidArticle(f"language must be a lower-case language tag such as en or en-gb, "
                                 f"got {self.language!r}")

    @property
    def published_timestamp(self) -> int | None:
        """Seconds since the epoch of the first instant of `published_at`, for date filters."""
        return timestamp(self.published_at)

    @property
    def updated_timestamp(self) -> int | None:
        return timestamp(self.updated_at)

    @property
    def embargo_timestamp(self) -> int | None:
        """The second an embargo ends, rounded up: an article is never released early."""
        if self.embargo_until is None:
            return None
        return math.ceil(first_instant(parse_date(self.embargo_until)).timestamp())

    @property
    def content_hash(self) -> str:
        """Hash of everything stored for the article, so any change counts as an update. Fields left at
        their defaults are not hashed, so an article stored before they existed keeps its hash."""
        stored = asdict(self)
        for field in fields(self):
            if field.name in NEWSROOM_FIELDS and stored[field.name] == field.default:
                del stored[field.name]
        payload = json.dumps(stored, sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def timestamp(moment: str | None) -> int | None:
    """Seconds since the epoch of the first instant of a stored ISO date or datetime."""
    return None if moment is None else int(first_instant(parse_date(moment)).timestamp())


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
        authors=_labels(obj.get("authors"), "authors"),
        published_at=_date(obj, "published_at"),
        section=_optional_str(obj, "section"),
        tags=_labels(obj.get("tags"), "tags", bounded=True),
        language=_lower(_optional_str(obj, "language")),
        updated_at=_date(obj, "updated_at"),
        embargo_until=_date(obj, "embargo_until"),
        visibility=_lower(_optional_str(obj, "visibility")) or DEFAULT_VISIBILITY,
    )


def check_storable(name: str, value: str, error: type[InvalidInput] = InvalidArticle) -> None:
    """Text the index can store and search: valid Unicode (no lone surrogates) without NUL characters."""
    if "\x00" in value:
        raise error(f"{name} contains NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as problem:
        raise error(f"{name} is not valid Unicode at character {problem.start}") from None


def normalize_date(name: str, value: str) -> str:
    """An ISO 8601 or RFC 822 date as stored: a date stays a date; a datetime becomes UTC (naive ones
    are taken as UTC)."""
    try:
        return iso_text(parse_date(value))
    except (ValueError, OverflowError):
        raise InvalidArticle(
            f"{name} must be an ISO 8601 or RFC 822 date or datetime such as 2024-03-01, 2024-03-01T10:00:00Z "
            f"or Fri, 01 Mar 2024 10:00:00 GMT, got {value!r}"
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


def _labels(value: Any, field: str, bounded: bool = False) -> tuple[str, ...]:
    """Authors or tags: a string or a list of strings, stripped, without empties or repeats. Tags are
    `bounded` (at most MAX_TAGS of at most MAX_LABEL_CHARS each); bylines run long in real archives."""
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(a, str) for a in value):
        raise InvalidArticle(f"{field} must be a list of strings, got {value!r:.80}")
    labels = tuple(dict.fromkeys(a.strip() for a in value if a.strip()))
    if not bounded:
        return labels
    if len(labels) > MAX_TAGS:
        raise InvalidArticle(f"{field} may hold at most {MAX_TAGS} values, got {len(labels)}")
    long = next((label for label in labels if len(label) > MAX_LABEL_CHARS), None)
    if long is not None:
        raise InvalidArticle(f"{field} values must be at most {MAX_LABEL_CHARS} characters, got {long[:40]!r}…")
    return labels


def _date(obj: Mapping[str, Any], field: str) -> str | None:
    value = obj.get(field)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise InvalidArticle(f"{field} must be a string, got {type(value).__name__}")
    return normalize_date(field, value)


def _lower(value: str | None) -> str | None:
    return None if value is None else value.lower()
