"""A newsroom's web site for the sync tests, served on loopback: article pages, an RSS feed, an Atom
feed and sitemaps, written for the tests (no real outlet's content)."""

import gzip
from xml.sax.saxutils import escape

from tests.local_site import LocalSite

FILLER = ("Officials said the talks would continue through the week, and that both sides had agreed to keep the "
          "details private until a final text was ready for a vote by the members.")


def article_page(title: str, lead: str) -> str:
    """A news page with its boilerplate around the story, as trafilatura expects one."""
    paragraphs = "".join(f"<p>{escape(text)}</p>" for text in (lead, FILLER, FILLER.replace("week", "month")))
    return (f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{escape(title)}</title></head>"
            f"<body><nav><a href='/'>Home</a> <a href='/world'>World</a></nav><article><h1>{escape(title)}</h1>"
            f"{paragraphs}</article><footer>© Test Newsroom</footer></body></html>")


def rss(items: list[dict]) -> str:
    """RSS 2.0; each item: link (may be relative), title, and optionally date (RFC 822), author, tags."""
    parts = []
    for item in items:
        tags = "".join(f"<category>{escape(t)}</category>" for t in item.get("tags", ()))
        date = f"<pubDate>{item['date']}</pubDate>" if "date" in item else ""
        author = f"<dc:creator>{escape(item['author'])}</dc:creator>" if "author" in item else ""
        parts.append(f"<item><title>{escape(item['title'])}</title><link>{escape(item['link'])}</link>"
                     f"{date}{author}{tags}</item>")
    return ("<?xml version='1.0' encoding='utf-8'?><rss version='2.0' xmlns:dc='http://purl.org/dc/elements/1.1/'>"
            "<channel><title>Test Newsroom</title><link>/</link><language>en-GB</language>"
            f"{''.join(parts)}</channel></rss>")


def atom(entries: list[dict]) -> str:
    """Atom; each entry: link, title, and optionally updated (ISO 8601)."""
    parts = "".join(
        f"<entry><title>{escape(e['title'])}</title><link href='{escape(e['link'])}'/><id>{escape(e['link'])}</id>"
        + (f"<updated>{e['updated']}</updated>" if "updated" in e else "") + "</entry>"
        for e in entries
    )
    return f"<?xml version='1.0' encoding='utf-8'?><feed xmlns='http://www.w3.org/2005/Atom'><title>Desk</title>{parts}</feed>"


def sitemap(urls: list[tuple[str, str]]) -> str:
    rows = "".join(f"<url><loc>{escape(loc)}</loc><lastmod>{lastmod}</lastmod></url>" for loc, lastmod in urls)
    return f"<?xml version='1.0' encoding='UTF-8'?><urlset xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>{rows}</urlset>"


def sitemap_index(children: list[tuple[str, str]]) -> str:
    rows = "".join(f"<sitemap><loc>{escape(loc)}</loc><lastmod>{lastmod}</lastmod></sitemap>" for loc, lastmod in children)
    return (f"<?xml version='1.0' encoding='UTF-8'?><sitemapindex xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>"
            f"{rows}</sitemapindex>")


def gzipped(text: str) -> bytes:
    return gzip.compress(text.encode("utf-8"))


def publish(site: LocalSite, path: str, title: str, lead: str, etag: str | None = None) -> None:
    site.page(path, article_page(title, lead), etag=etag)
