"""An article page fetched for a source's entry, as an Article: its main text by trafilatura (as `.html`
files are read), its metadata from the listing first (what a feed states about its own items is
the newsroom's word), the page's own next."""

import hashlib
import re
from urllib.parse import urlsplit

from qa.articles import LANGUAGE, MAX_ID_CHARS, MAX_LABEL_CHARS, MAX_TAGS, Article, article_from_mapping, check_storable
from qa.errors import InvalidInput
from qa.ingest.html import extract_html
from qa.sources.fetching import Fetched
from qa.sources.listings import Entry

HTML_TYPES = {"text/html", "application/xhtml+xml"}
SAFE_ID = re.compile(r"[^\s\x00-\x1f\x7f-\x9f]+")


def article_id_for(url: str) -> str:
    """An entry's article is known by its link, so a feed and a sitemap of one site name one article; a
    link too long for an id (or unfit for one) is known by its hash."""
    if len(url) <= MAX_ID_CHARS and SAFE_ID.fullmatch(url):
        try:
            check_storable("id", url)
            return url
        except InvalidInput:
            pass
    return "url-" + hashlib.sha256(url.encode("utf-8", "surrogatepass")).hexdigest()[:40]


def outlet_of(url: str) -> str | None:
    """The outlet an article is credited to, as the archive names outlets: the link's host, without
    "www." (cnn.com), so that filters and keys limited to sources name it predictably."""
    host = (urlsplit(url).hostname or "").lower()
    return host.removeprefix("www.") or None


def article_from_page(entry: Entry, page: Fetched, visibility: str, max_article_chars: int | None) -> Article:
    """The article of an entry from its fetched page; raises InvalidInput when the page holds none."""
    if page.content_type is not None and page.content_type not in HTML_TYPES:
        raise InvalidInput(f"not a web page but {page.content_type}")
    found = extract_html(_decoded(page))
    language = (entry.language or "").lower()
    fields = {
        "id": article_id_for(entry.url),
        "text": found["text"],
        "title": entry.title or found["title"],
        "url": entry.url,
        "source": outlet_of(entry.url),
        "authors": list(entry.authors) or found["authors"],
        "published_at": entry.published_at or found["published_at"],
        "updated_at": entry.updated_at,
        # A feed's categories are its own: those the archive cannot filter on are left out, not the article.
        "tags": [tag for tag in entry.tags if len(tag) <= MAX_LABEL_CHARS][:MAX_TAGS],
        "language": language if LANGUAGE.fullmatch(language) else None,
        "visibility": visibility,
    }
    return article_from_mapping(fields, None, max_article_chars)


def _decoded(page: Fetched) -> str:
    if page.charset:
        try:
            return page.body.decode(page.charset)
        except (LookupError, UnicodeDecodeError):
            pass
    from trafilatura.utils import decode_file  # guesses the encoding from the bytes and the page's own <meta>

    return decode_file(page.body)
