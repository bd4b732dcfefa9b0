"""What a listing is made of (entries, child sitemaps, what was skipped and why), and the rules by which
every reader of a listing keeps entries: links made absolute and http(s) only, each link once, at most so
many. Feeds and sitemaps are read into these by the feeds and sitemaps modules."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Literal, TypeVar
from urllib.parse import urljoin, urlsplit

from qa.errors import CodedError

NO_LINK = "no link"
PLURALS = {"entry": "entries", "sitemap": "sitemaps"}
NOT_HTTP = "a link that is not http or https"

Kind = Literal["rss", "atom", "sitemap", "sitemap_index"]
Source = TypeVar("Source")
Kept = TypeVar("Kept")


class NotAListing(CodedError):
    code = "not_a_listing"


@dataclass(frozen=True)
class Entry:
    url: str
    guid: str | None = None
    title: str | None = None
    authors: tuple[str, ...] = ()
    published_at: str | None = None
    updated_at: str | None = None
    tags: tuple[str, ...] = ()
    language: str | None = None
    summary: str | None = None
    content: str | None = None
    source_name: str | None = None


@dataclass(frozen=True)
class SitemapRef:
    url: str
    lastmod: str | None = None


@dataclass(frozen=True)
class Skip:
    what: str
    reason: str


@dataclass(frozen=True)
class Listing:
    kind: Kind
    title: str | None = None
    language: str | None = None
    entries: tuple[Entry, ...] = ()
    sitemaps: tuple[SitemapRef, ...] = ()
    skipped: tuple[Skip, ...] = ()


def keep(
    items: Iterable[tuple[str | None, str | None, Source]],
    base: str,
    noun: str,
    limit: int,
    make: Callable[[Source, str], Kept],
) -> tuple[tuple[Kept, ...], tuple[Skip, ...]]:
    """What to keep of (label, link, source) items: links made absolute, only http(s), each link once
    (the first), at most `limit` of them; with what was left out and why, at most `limit` of that too, so
    that a million empty items cost no more than a few."""
    kept: list[Kept] = []
    skipped: list[Skip] = []
    first_seen: dict[str, int] = {}
    unread = 0
    for position, (label, link, source) in enumerate(items, 1):
        if len(kept) == limit or len(skipped) == limit:
            unread += 1
            continue
        what = f"{noun} {position}" + (f" ({label[:120]})" if label else "")
        try:
            absolute = http_url(link, base)
        except ValueError as reason:
            skipped.append(Skip(what, str(reason)))
            continue
        if absolute in first_seen:
            skipped.append(Skip(what, f"the same link as {noun} {first_seen[absolute]}"))
            continue
        first_seen[absolute] = position
        kept.append(make(source, absolute))
    if unread:
        plural = PLURALS[noun]
        why = f"not read: a listing keeps at most {limit} {plural} and names at most {limit} left out"
        skipped.append(Skip(f"{unread} more {plural}", why))
    return tuple(kept), tuple(skipped)


def http_url(link: str | None, base: str) -> str:
    """`link` made absolute against `base`; ValueError, with the reason, unless it is an http(s) URL."""
    if not link or not link.strip():
        raise ValueError(NO_LINK)
    try:
        absolute = urljoin(base, link.strip())
        parts = urlsplit(absolute)
    except ValueError:
        raise ValueError("a link that is not a valid URL") from None
    if parts.scheme.lower() not in ("http", "https"):
        raise ValueError(NOT_HTTP)
    if not parts.hostname:
        raise ValueError("a link without a host")
    return absolute


def unique(values: Iterable[str | None]) -> tuple[str, ...]:
    """Whitespace collapsed, empties dropped, each value once, in order."""
    cleaned = (one_line(value) for value in values)
    return tuple(dict.fromkeys(value for value in cleaned if value))


def one_line(text: str | None) -> str | None:
    return (" ".join(text.split()) or None) if text else None


def stripped(text: str | None) -> str | None:
    return (text.strip() or None) if text else None
