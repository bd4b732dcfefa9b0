"""Reading a sitemap, news sitemap or sitemap index (sitemaps.org, Google News) into a Listing with lxml,
one element at a time so that a large sitemap never stands whole in memory."""

import io
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from lxml import etree

from qa.sources.entries import Entry, Listing, NotAListing, SitemapRef, keep, one_line, stripped, unique
from qa.text.isodates import iso_text, parse_date

SITEMAP_NAMESPACE = "http://www.sitemaps.org/schemas/sitemap/0.9"
NEWS_NAMESPACE = "http://www.google.com/schemas/sitemap-news/0.9"
# No DTD loaded, no entity expanded, nothing fetched; libxml2's own limits (node sizes, depth) stay on.
SAFE_XML = {"resolve_entities": False, "no_network": True, "load_dtd": False, "huge_tree": False}


@dataclass(frozen=True)
class _SitemapItem:
    """One <url> or <sitemap> element's text, read while the element is still whole."""

    loc: str | None
    lastmod: str | None
    news: Mapping[str, str | None]


def read_sitemap(
    document: bytes, url: str, kind: Literal["sitemap", "sitemap_index"], max_entries: int
) -> Listing:
    """The sitemap or sitemap index in `document`, refused with NotAListing if it is not well-formed."""
    items = ((item.news["title"] or item.loc, item.loc, item) for item in _sitemap_items(document))
    if kind == "sitemap_index":
        refs, skipped = keep(items, url, "sitemap", max_entries, lambda item, link: SitemapRef(link, item.lastmod))
        return Listing(kind, sitemaps=refs, skipped=skipped)
    entries, skipped = keep(items, url, "entry", max_entries, _sitemap_entry)
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
        return None if child is None else stripped("".join(child.itertext()))

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
        title=one_line(item.news["title"]),
        published_at=item.news["publication_date"],
        updated_at=item.lastmod,
        tags=unique((item.news["keywords"] or "").split(",")),
        language=item.news["language"],
        source_name=one_line(item.news["name"]),
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

