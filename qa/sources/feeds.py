"""Reading an RSS or Atom feed into a Listing with feedparser: each item's link (an Atom entry's alternate
link, not its id), its dates in UTC, and its title, summary and content as plain text."""

import io
import re
import time
from collections.abc import Mapping
from datetime import date
from typing import Any

import feedparser
from lxml import etree

from qa.sources.entries import Entry, Kind, Listing, NotAListing, keep, one_line, stripped, unique

HTML_TYPES = {"text/html", "application/xhtml+xml"}
BLOCK_TAGS = (
    "address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt", "figcaption", "figure",
    "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "ol", "p", "pre", "section", "table",
    "td", "th", "tr", "ul",
)
BARE_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def read_feed(document: bytes, url: str, content_type: str | None, max_entries: int) -> Listing:
    """The feed in `document`, whose root element is a feed's; NotAListing if feedparser cannot read it."""
    # The Content-Location header is the base of relative links when feedparser fetched nothing itself.
    headers = {"content-location": url} | ({"content-type": content_type} if content_type else {})
    parsed = feedparser.parse(
        io.BytesIO(document),  # bytes themselves would be tried as a file name, and a str as a URL
        response_headers=headers,
        resolve_relative_uris=True,
        sanitize_html=True,
    )
    version = parsed.get("version") or ""
    problem = parsed.get("bozo_exception")
    if not version.startswith(("rss", "atom")):
        reason = problem or "no RSS or Atom version recognised"
        raise NotAListing(f"XML with a feed's root element that feedparser cannot read as a feed ({reason})")
    # A charset the header got wrong, or a media type that is not XML's: feedparser read the feed anyway.
    harmless = isinstance(problem, feedparser.ThingsNobodyCaresAboutButMe)
    if problem is not None and not harmless and not parsed.entries:
        raise NotAListing(f"a feed that does not parse and has no entries ({problem})")
    feed = parsed.feed
    title = one_line(_plain_text(dict.get(feed, "title_detail")))
    language = stripped(dict.get(feed, "language"))
    kind: Kind = "atom" if version.startswith("atom") else "rss"
    items = ((_label(item), _feed_link(item, kind), item) for item in parsed.entries)
    entries, skipped = keep(
        items, url, "entry", max_entries, lambda item, link: _feed_entry(item, link, title, language)
    )
    return Listing(kind, title, language, entries=entries, skipped=skipped)


def _feed_link(item: Mapping[str, Any], kind: Kind) -> str | None:
    # feedparser takes an entry's id for its link when it has none: right for an RSS guid (a permalink
    # unless isPermaLink="false"), not for an Atom id, which names an entry and need not locate it.
    link = dict.get(item, "link")
    if kind == "rss":
        return link
    alternates = [ln.get("href") for ln in dict.get(item, "links", []) if ln.get("rel") == "alternate"]
    alternates = [href for href in alternates if href]
    return link if link in alternates else next(iter(alternates), None)


def _feed_entry(item: Mapping[str, Any], url: str, feed_title: str | None, feed_language: str | None) -> Entry:
    # dict.get throughout: FeedParserDict.get maps some keys to others (a missing "updated" to "published").
    summary = dict.get(item, "summary_detail")  # absent when feedparser copied the content into "summary"
    contents = (_plain_text(content) for content in dict.get(item, "content", []))
    details = [dict.get(item, key) or {} for key in ("title_detail", "summary_detail")]
    languages = [dict.get(item, "language"), *(detail.get("language") for detail in details)]
    return Entry(
        url=url,
        guid=stripped(dict.get(item, "id")),
        title=one_line(_plain_text(dict.get(item, "title_detail"))),
        authors=unique(author.get("name") for author in dict.get(item, "authors", [])),
        published_at=_feed_date(dict.get(item, "published"), dict.get(item, "published_parsed")),
        updated_at=_feed_date(dict.get(item, "updated"), dict.get(item, "updated_parsed")),
        tags=unique(tag.get("label") or tag.get("term") for tag in dict.get(item, "tags", [])),
        language=next((lang.strip() for lang in languages if lang and lang.strip()), feed_language),
        summary=_plain_text(summary),
        content=next((text for text in contents if text), None),
        source_name=feed_title,
    )


def _feed_date(raw: str | None, parsed: time.struct_time | None) -> str | None:
    """feedparser's parsed dates are UTC: each of its date handlers subtracts the stated offset."""
    if raw and BARE_DATE.fullmatch(raw.strip()):
        return _bare_date(raw.strip())
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", parsed) if parsed else None


def _bare_date(text: str) -> str | None:
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        return None


def _plain_text(detail: Mapping[str, Any] | None) -> str | None:
    """The text of one of feedparser's text constructs (a value and its type), without markup."""
    value = (detail or {}).get("value") or ""
    if not value.strip():
        return None
    if detail.get("type") not in HTML_TYPES:
        return value.strip()
    try:  # libxml2's HTML parser recovers from anything, and wraps a fragment in <html><body>
        root = etree.fromstring(value, etree.HTMLParser(no_network=True))
    except etree.LxmlError:
        return None
    if root is None:
        return None
    etree.strip_elements(root, "head", "script", "style", with_tail=False)
    for block in root.iter(*BLOCK_TAGS):
        # Blocks make lines, or "<p>One</p><p>Two</p>" would read "OneTwo".
        block.text = "\n" + (block.text or "")
        block.tail = "\n" + (block.tail or "")
    lines = (" ".join(line.split()) for line in "".join(root.itertext()).splitlines())
    return "\n".join(line for line in lines if line) or None


def _label(item: Mapping[str, Any]) -> str | None:
    title = dict.get(item, "title")
    return one_line(title) or stripped(dict.get(item, "id"))
