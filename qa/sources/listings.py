"""The entries of one fetched source document: an RSS or Atom feed (read by feedparser), or a sitemap, news
sitemap or sitemap index (read by lxml), gzip-compressed or not. Fetching is another module's work: this
one turns bytes into a typed Listing, or says with NotAListing why it cannot.

Limits, those of the sitemap protocol (sitemaps.org) applied to every kind of listing: a document of at
most 50 MB once decompressed, and at most 50,000 entries (or child sitemaps) kept (`max_entries`); what is
left out is named in `Listing.skipped`, with why.
"""

import io
import re
import time
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal, TypeVar
from urllib.parse import urljoin, urlsplit

import feedparser
from lxml import etree

from qa.errors import CodedError, InvalidInput
from qa.text.isodates import iso_text, parse_date

MAX_DOCUMENT_BYTES = 50 * 1024 * 1024
MAX_ENTRIES = 50_000
GZIP_MAGIC = b"\x1f\x8b"
SITEMAP_NAMESPACE = "http://www.sitemaps.org/schemas/sitemap/0.9"
NEWS_NAMESPACE = "http://www.google.com/schemas/sitemap-news/0.9"
FEED_ROOTS = {"rss", "feed", "RDF"}  # RSS 0.9x and 2.0, Atom, RSS 1.0 (RDF)
SITEMAP_ROOTS = {"urlset": "sitemap", "sitemapindex": "sitemap_index"}
# No DTD loaded, no entity expanded, nothing fetched; libxml2's own limits (node sizes, depth) stay on.
SAFE_XML = {"resolve_entities": False, "no_network": True, "load_dtd": False, "huge_tree": False}
HTML_TYPES = {"text/html", "application/xhtml+xml"}
BLOCK_TAGS = (
    "address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt", "figcaption", "figure",
    "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "ol", "p", "pre", "section", "table",
    "td", "th", "tr", "ul",
)
BARE_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
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


def read_listing(
    body: bytes, url: str, content_type: str | None = None, *, max_entries: int = MAX_ENTRIES
) -> Listing:
    """The listing in `body`, fetched from `url` (relative links resolve against it). Gzip is recognised
    by its magic bytes, whatever the name or headers say. `content_type` (the HTTP header) matters only to
    a feed's charset: what the document is, is read from the document."""
    if urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).hostname:
        raise InvalidInput(f"a listing's URL must be an absolute http or https URL, got {url!r}")
    if max_entries < 1:
        raise InvalidInput(f"max_entries must be at least 1, got {max_entries}")
    document = _decompressed(body)
    if not document.strip():
        raise NotAListing("empty document")
    # A newline before the XML declaration (a CMS template's) makes the XML ill-formed; the check for "<"
    # keeps a UTF-16 document, whose spaces are two bytes, as it is.
    stripped = document.lstrip(b" \t\r\n")
    document = stripped if stripped.startswith(b"<") else document
    root = _root_name(document)
    if root is None:
        raise NotAListing("not XML")
    if root.localname in SITEMAP_ROOTS and root.namespace in (SITEMAP_NAMESPACE, None):
        return _read_sitemap(document, url, SITEMAP_ROOTS[root.localname], max_entries)
    if root.localname in FEED_ROOTS:
        return _read_feed(document, url, content_type, max_entries)
    shown = f"{{{root.namespace}}}{root.localname}" if root.namespace else root.localname
    raise NotAListing(f"XML but neither an RSS or Atom feed nor a sitemap (root element <{shown}>)")


def _decompressed(body: bytes) -> bytes:
    if len(body) > MAX_DOCUMENT_BYTES:
        raise NotAListing(f"a document of {len(body)} bytes, larger than 50 MB")
    if not body.startswith(GZIP_MAGIC):
        return body
    output = bytearray()
    rest = body
    while rest.startswith(GZIP_MAGIC):
        inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
        try:
            # One byte over the bound is enough to know the bound is passed: a bomb is never inflated whole.
            output += inflater.decompress(rest, MAX_DOCUMENT_BYTES + 1 - len(output))
        except zlib.error as error:
            raise NotAListing(f"gzip data that does not decompress ({error})") from None
        if len(output) > MAX_DOCUMENT_BYTES:
            raise NotAListing("larger than 50 MB once decompressed")
        if not inflater.eof:
            raise NotAListing("gzip data that does not decompress (it is cut short)")
        # A gzip file may hold members one after another (`cat a.gz b.gz`); some are padded with NUL bytes.
        rest = inflater.unused_data.lstrip(b"\0")
    return bytes(output)


def _root_name(document: bytes) -> etree.QName | None:
    """The root element's name, read leniently and without reading further (a feed is feedparser's to read)."""
    events = etree.iterparse(io.BytesIO(document), events=("start",), recover=True, **SAFE_XML)
    try:
        for _, element in events:
            return etree.QName(element)
    except etree.XMLSyntaxError:
        return None
    return None


# Feeds ------------------------------------------------------------------------------------------------


def _read_feed(document: bytes, url: str, content_type: str | None, max_entries: int) -> Listing:
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
    title = _one_line(_plain_text(dict.get(feed, "title_detail")))
    language = _stripped(dict.get(feed, "language"))
    kind: Kind = "atom" if version.startswith("atom") else "rss"
    items = ((_label(item), _feed_link(item, kind), item) for item in parsed.entries)
    entries, skipped = _keep(
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
        guid=_stripped(dict.get(item, "id")),
        title=_one_line(_plain_text(dict.get(item, "title_detail"))),
        authors=_unique(author.get("name") for author in dict.get(item, "authors", [])),
        published_at=_feed_date(dict.get(item, "published"), dict.get(item, "published_parsed")),
        updated_at=_feed_date(dict.get(item, "updated"), dict.get(item, "updated_parsed")),
        tags=_unique(tag.get("label") or tag.get("term") for tag in dict.get(item, "tags", [])),
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
    return _one_line(title) or _stripped(dict.get(item, "id"))


# Sitemaps ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _SitemapItem:
    """One <url> or <sitemap> element's text, read while the element is still whole."""

    loc: str | None
    lastmod: str | None
    news: Mapping[str, str | None]


def _read_sitemap(
    document: bytes, url: str, kind: Literal["sitemap", "sitemap_index"], max_entries: int
) -> Listing:
    items = ((item.news["title"] or item.loc, item.loc, item) for item in _sitemap_items(document))
    if kind == "sitemap_index":
        refs, skipped = _keep(items, url, "sitemap", max_entries, lambda item, link: SitemapRef(link, item.lastmod))
        return Listing(kind, sitemaps=refs, skipped=skipped)
    entries, skipped = _keep(items, url, "entry", max_entries, _sitemap_entry)
    return Listing(kind, entries=entries, skipped=skipped)


def _sitemap_items(document: bytes) -> Iterator[_SitemapItem]:
    """The root's children one at a time, each dropped once read: a large sitemap never stands whole in
    memory. Read strictly: an ill-formed sitemap is refused, not read up to where the parser gave up."""
    events = etree.iterparse(io.BytesIO(document), events=("start", "end"), **SAFE_XML)
    depth = 0
    namespace = None
    try:
        for event, element in events:
            depth += 1 if event == "start" else -1
            if event == "start" and depth == 1:
                namespace = etree.QName(element).namespace
            if event == "end" and depth == 1:
                yield _sitemap_item(element, namespace)
                element.clear()
                while element.getprevious() is not None:
                    del element.getparent()[0]
    except etree.XMLSyntaxError as error:
        raise NotAListing(f"a sitemap that is not well-formed XML ({error})") from None


def _sitemap_item(element: etree._Element, namespace: str | None) -> _SitemapItem:
    own = _children(element)
    news = _children(own.get(f"{{{NEWS_NAMESPACE}}}news"))
    publication = _children(news.get(f"{{{NEWS_NAMESPACE}}}publication"))

    def text(children: dict[str, etree._Element], name: str, space: str | None = NEWS_NAMESPACE) -> str | None:
        child = children.get(f"{{{space}}}{name}" if space else name)
        return None if child is None else _stripped("".join(child.itertext()))

    return _SitemapItem(
        loc=text(own, "loc", namespace),
        lastmod=_sitemap_date(text(own, "lastmod", namespace)),
        news={
            "title": text(news, "title"),
            "publication_date": _sitemap_date(text(news, "publication_date")),
            "keywords": text(news, "keywords"),
            "name": text(publication, "name"),
            "language": text(publication, "language"),
        },
    )


def _children(element: etree._Element | None) -> dict[str, etree._Element]:
    """An element's children by name, the first of each: one pass, where each find() would be another."""
    children: dict[str, etree._Element] = {}
    for child in () if element is None else element:
        if isinstance(child.tag, str):  # not a comment, processing instruction or entity
            children.setdefault(child.tag, child)
    return children


def _sitemap_entry(item: _SitemapItem, url: str) -> Entry:
    return Entry(
        url=url,
        title=_one_line(item.news["title"]),
        published_at=item.news["publication_date"],
        updated_at=item.lastmod,
        tags=_unique((item.news["keywords"] or "").split(",")),
        language=item.news["language"],
        source_name=_one_line(item.news["name"]),
    )


def _sitemap_date(text: str | None) -> str | None:
    """A W3C datetime (ISO 8601), or the RFC 822 date some CMSs write, in UTC to the second; a bare date
    stays a date."""
    if not text:
        return None
    try:
        moment = parse_date(text)
    except ValueError:
        return None
    return iso_text(moment.replace(microsecond=0) if isinstance(moment, datetime) else moment)


# Both -------------------------------------------------------------------------------------------------


def _keep(
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
            absolute = _http_url(link, base)
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


def _http_url(link: str | None, base: str) -> str:
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


def _unique(values: Iterable[str | None]) -> tuple[str, ...]:
    """Whitespace collapsed, empties dropped, each value once, in order."""
    cleaned = (_one_line(value) for value in values)
    return tuple(dict.fromkeys(value for value in cleaned if value))


def _one_line(text: str | None) -> str | None:
    return (" ".join(text.split()) or None) if text else None


def _stripped(text: str | None) -> str | None:
    return (text.strip() or None) if text else None
