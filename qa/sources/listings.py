"""The entries of one fetched source document: an RSS or Atom feed (read by feedparser), or a sitemap, news
sitemap or sitemap index (read by lxml), gzip-compressed or not. Fetching is another module's work: this
one turns bytes into a typed Listing, or says with NotAListing why it cannot.

Limits, those of the sitemap protocol (sitemaps.org) applied to every kind of listing: a document of at
most 50 MB once decompressed, and at most 50,000 entries (or child sitemaps) kept (`max_entries`); what is
left out is named in `Listing.skipped`, with why.

Here every document is bounded, decompressed and recognised by its root element; what a listing holds is in
`entries`, and the reading of each kind in `feeds` and `sitemaps`.
"""

import io
import zlib
from urllib.parse import urlsplit

from lxml import etree

from qa.errors import InvalidInput
from qa.sources.entries import Entry, Kind, Listing, NotAListing, SitemapRef, Skip
from qa.sources.feeds import read_feed
from qa.sources.sitemaps import SAFE_XML, SITEMAP_NAMESPACE, read_sitemap

__all__ = [
    "MAX_DOCUMENT_BYTES", "MAX_ENTRIES", "Entry", "Kind", "Listing", "NotAListing", "SitemapRef", "Skip",
    "read_listing",
]

MAX_DOCUMENT_BYTES = 50 * 1024 * 1024
MAX_ENTRIES = 50_000
GZIP_MAGIC = b"\x1f\x8b"
FEED_ROOTS = {"rss", "feed", "RDF"}  # RSS 0.9x and 2.0, Atom, RSS 1.0 (RDF)
SITEMAP_ROOTS = {"urlset": "sitemap", "sitemapindex": "sitemap_index"}


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
        return read_sitemap(document, url, SITEMAP_ROOTS[root.localname], max_entries)
    if root.localname in FEED_ROOTS:
        return read_feed(document, url, content_type, max_entries)
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

