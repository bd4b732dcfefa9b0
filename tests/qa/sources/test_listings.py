"""Feeds and sitemaps, written for these tests, read into listings; and documents that are not listings,
hostile ones among them, refused with a reason."""

import gzip
import time
import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qa.errors import InvalidInput
from qa.sources.listings import (
    MAX_DOCUMENT_BYTES,
    Entry,
    Listing,
    NotAListing,
    SitemapRef,
    Skip,
    read_listing,
)

FEED_URL = "https://news.example.com/feeds/world.xml"
SITEMAP_URL = "https://news.example.com/sitemaps/news.xml"

RSS = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"
     xmlns:content="http://purl.org/rss/1.0/modules/content/">
<channel>
  <title>Example World Desk</title>
  <link>https://news.example.com/world</link>
  <language>en-gb</language>
  <item>
    <title>Harbour reopens after storm</title>
    <link>/world/harbour-reopens</link>
    <guid isPermaLink="false">example-1001</guid>
    <pubDate>Tue, 10 Jun 2025 08:00:00 GMT</pubDate>
    <category>World</category>
    <category> Weather </category>
    <category>World</category>
    <dc:creator>Ann Writer</dc:creator>
    <dc:creator>Bob Writer</dc:creator>
    <description>&lt;p&gt;The harbour &lt;b&gt;reopened&lt;/b&gt; on Tuesday.&lt;/p&gt;</description>
    <content:encoded><![CDATA[<p>The harbour reopened on Tuesday.</p><p>Ferries &amp; barges resumed.</p>
      <script>track()</script>]]></content:encoded>
  </item>
  <item>
    <title>Council votes on budget</title>
    <link>https://news.example.com/world/council-budget</link>
    <pubDate>Tue, 10 Jun 2025 10:00:00 +0200</pubDate>
    <author>desk@example.com (Cara Reporter)</author>
  </item>
  <item>
    <title>Bridge repairs begin</title>
    <link>https://news.example.com/world/bridge</link>
    <pubDate>Tue, 10 Jun 2025 03:00:00 EST</pubDate>
    <content:encoded>&lt;p&gt;Repairs began.&lt;/p&gt;</content:encoded>
  </item>
  <item>
    <title>Date nobody can read</title>
    <link>https://news.example.com/world/undated</link>
    <pubDate>the day after tomorrow</pubDate>
  </item>
  <item><title>An item without a link</title><description>Nothing to follow.</description></item>
  <item><title>A script for a link</title><link>javascript:alert(1)</link></item>
  <item><title>Harbour reopens (again)</title><link>https://news.example.com/world/harbour-reopens</link></item>
</channel>
</rss>"""

ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="fr" xml:base="https://atom.example.org/actualites/">
  <title>Atom Example Desk</title>
  <id>urn:uuid:00000000-0000-0000-0000-000000000001</id>
  <updated>2025-06-10T08:00:00Z</updated>
  <entry xml:lang="de">
    <title type="html">Wahl &lt;em&gt;entschieden&lt;/em&gt;</title>
    <id>tag:atom.example.org,2025:1</id>
    <link href="articles/wahl"/>
    <link rel="enclosure" href="/audio/wahl.mp3"/>
    <published>2025-06-09T22:30:00-05:00</published>
    <updated>2025-06-10T08:00:00+02:00</updated>
    <author><name>Eve Author</name><email>eve@example.org</email></author>
    <author><name>Fay Author</name></author>
    <category term="politics" label="Politics and elections"/>
    <category term="europe"/>
    <summary>Die Wahl ist entschieden.</summary>
    <content type="xhtml">
      <div xmlns="http://www.w3.org/1999/xhtml"><p>Die Wahl</p><p>ist entschieden.</p></div>
    </content>
  </entry>
  <entry xml:base="/archives/">
    <title>Deuxi\xc3\xa8me</title>
    <id>https://atom.example.org/ids/2</id>
    <link rel="alternate" type="text/html" href="deux"/>
    <updated>2025-06-10</updated>
  </entry>
  <entry>
    <title>Sans lien</title>
    <id>https://atom.example.org/ids/3</id>
  </entry>
</feed>"""

NEWS_SITEMAP = b"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
        xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
  <url>
    <loc>https://news.example.com/world/harbour-reopens?ref=sitemap&amp;v=2</loc>
    <lastmod>2025-06-10T09:15:00+01:00</lastmod>
    <news:news>
      <news:publication><news:name>Example News</news:name><news:language>en</news:language></news:publication>
      <news:publication_date>2025-06-10T08:00:00Z</news:publication_date>
      <news:title>Harbour reopens after storm</news:title>
      <news:keywords>harbour, storm, , Storm ,storm</news:keywords>
    </news:news>
  </url>
  <url>
    <loc>/world/council-budget</loc>
    <news:news>
      <news:publication><news:name>Example News</news:name><news:language>en</news:language></news:publication>
      <news:publication_date>2025-06-10</news:publication_date>
      <news:title>Council votes on budget</news:title>
    </news:news>
  </url>
  <url><lastmod>2025-06-10</lastmod></url>
  <url><loc>ftp://news.example.com/world/archive.zip</loc></url>
  <url><loc>https://news.example.com/world/harbour-reopens?ref=sitemap&amp;v=2</loc></url>
</urlset>"""

PLAIN_SITEMAP = b"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <url><loc>https://news.example.com/about</loc><lastmod>2025-06-10</lastmod></url>
  <url><loc>https://news.example.com/contact</loc><lastmod>2025-13-45</lastmod></url>
  <url><loc> https://news.example.com/jobs </loc></url>
</urlset>"""

SITEMAP_INDEX = b"""<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <sitemap><loc>https://news.example.com/sitemaps/news.xml</loc><lastmod>2025-06-10T08:00:00Z</lastmod></sitemap>
  <sitemap><loc>/sitemaps/2025-05.xml.gz</loc><lastmod>2025-05-31</lastmod></sitemap>
  <sitemap><loc>https://news.example.com/sitemaps/news.xml</loc></sitemap>
</sitemapindex>"""

LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
"""


def by_url(listing: Listing) -> dict[str, Entry]:
    return {entry.url: entry for entry in listing.entries}


def sitemap_of(count: int) -> bytes:
    urls = "".join(f"<url><loc>https://news.example.com/a/{n}</loc></url>" for n in range(count))
    return f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'.encode()


def refusal(body: bytes, url: str = FEED_URL) -> str:
    with pytest.raises(NotAListing) as raised:
        read_listing(body, url)
    assert raised.value.code == "not_a_listing"
    return raised.value.message


# RSS ---------------------------------------------------------------------------------------------------


def test_rss_feed_gives_its_items_with_absolute_links_utc_dates_and_plain_text() -> None:
    listing = read_listing(RSS, FEED_URL, "application/rss+xml; charset=utf-8")

    assert (listing.kind, listing.title, listing.language, listing.sitemaps) == (
        "rss", "Example World Desk", "en-gb", ()
    )
    assert listing.entries[0] == Entry(
        url="https://news.example.com/world/harbour-reopens",  # relative to the feed's own URL
        guid="example-1001",
        title="Harbour reopens after storm",
        authors=("Ann Writer", "Bob Writer"),
        published_at="2025-06-10T08:00:00Z",
        updated_at=None,  # feedparser's dict would answer "updated" with the published date
        tags=("World", "Weather"),
        language="en-gb",
        summary="The harbour reopened on Tuesday.",
        content="The harbour reopened on Tuesday.\nFerries & barges resumed.",  # the script dropped
        source_name="Example World Desk",
    )


def test_rss_dates_with_offsets_and_named_zones_become_utc() -> None:
    entries = by_url(read_listing(RSS, FEED_URL))

    assert entries["https://news.example.com/world/council-budget"].published_at == "2025-06-10T08:00:00Z"  # +0200
    assert entries["https://news.example.com/world/bridge"].published_at == "2025-06-10T08:00:00Z"  # EST
    assert entries["https://news.example.com/world/undated"].published_at is None  # kept, without a date


def test_rss_author_is_the_name_not_the_address() -> None:
    entries = by_url(read_listing(RSS, FEED_URL))

    assert entries["https://news.example.com/world/council-budget"].authors == ("Cara Reporter",)


def test_rss_content_alone_is_not_taken_for_a_summary() -> None:
    bridge = by_url(read_listing(RSS, FEED_URL))["https://news.example.com/world/bridge"]

    assert (bridge.summary, bridge.content) == (None, "Repairs began.")


@pytest.mark.parametrize(
    ("markup", "text"),
    [
        ("Intro<p>First</p><ul><li>One</li><li>Two</li></ul>Out<b>ro</b><br>End", "Intro\nFirst\nOne\nTwo\nOutro\nEnd"),
        ("<p>Body &amp;  soul</p><style>p {}</style><script>track()</script>", "Body & soul"),
        ("<html>", None),
        ("<!-- nothing -->", None),
        ("a < b", "a < b"),
    ],
)
def test_html_content_becomes_lines_of_text(markup: str, text: str | None) -> None:
    item = f"<item><link>https://news.example.com/a</link><description><![CDATA[{markup}]]></description></item>"
    body = f'<rss version="2.0"><channel><title>Desk</title>{item}</channel></rss>'.encode()

    assert read_listing(body, FEED_URL).entries[0].summary == text


def test_rss_items_without_an_http_link_or_seen_before_are_skipped_with_why() -> None:
    listing = read_listing(RSS, FEED_URL)

    assert len(listing.entries) == 4
    assert listing.skipped == (
        Skip("entry 5 (An item without a link)", "no link"),
        Skip("entry 6 (A script for a link)", "a link that is not http or https"),
        Skip("entry 7 (Harbour reopens (again))", "the same link as entry 1"),
    )


def test_rss_guid_that_is_a_permalink_stands_for_a_missing_link() -> None:
    body = b"""<rss version="2.0"><channel><title>Desk</title>
      <item><title>Guid only</title><guid>https://news.example.com/guid-only</guid></item>
    </channel></rss>"""

    (entry,) = read_listing(body, FEED_URL).entries

    assert (entry.url, entry.guid) == ("https://news.example.com/guid-only", "https://news.example.com/guid-only")


def test_feed_with_no_items_is_an_empty_listing() -> None:
    body = b'<rss version="2.0"><channel><title>Quiet Desk</title></channel></rss>'

    assert read_listing(body, FEED_URL) == Listing("rss", title="Quiet Desk")


def test_feed_that_is_not_well_formed_but_has_entries_is_read() -> None:
    # An HTML entity XML does not know: feedparser's lenient parser reads on.
    body = b"""<rss version="2.0"><channel><title>Desk&nbsp;One</title>
      <item><title>Fine</title><link>https://news.example.com/fine</link></item>
    </channel></rss>"""

    listing = read_listing(body, FEED_URL)

    assert [entry.url for entry in listing.entries] == ["https://news.example.com/fine"]


def test_feed_that_is_not_well_formed_and_has_no_entries_is_refused() -> None:
    body = b'<rss version="2.0"><channel><title>Desk&nbsp;One</title></channel></rss>'

    assert refusal(body).startswith("a feed that does not parse and has no entries")


@pytest.mark.parametrize("content_type", [None, "text/xml", "application/rss+xml", "text/html"])
def test_feed_without_a_charset_or_an_encoding_declaration_is_utf8(content_type: str | None) -> None:
    # feedparser follows RFC 3023 (US-ASCII for text/xml, ISO-8859-1 with no type) and then falls back or
    # repairs: the text must come out right whatever the header.
    body = '<rss version="2.0"><channel><title>Café Olé</title></channel></rss>'.encode()

    assert read_listing(body, FEED_URL, content_type).title == "Café Olé"


def test_charset_of_the_content_type_is_followed() -> None:
    body = '<rss version="2.0"><channel><title>Café</title></channel></rss>'.encode("iso-8859-1")

    assert read_listing(body, FEED_URL, "text/xml; charset=ISO-8859-1").title == "Café"


# Atom --------------------------------------------------------------------------------------------------


def test_atom_feed_resolves_xml_base_and_reads_languages_authors_and_categories() -> None:
    listing = read_listing(ATOM, FEED_URL)

    assert (listing.kind, listing.title, listing.language) == ("atom", "Atom Example Desk", "fr")
    assert listing.entries[0] == Entry(
        url="https://atom.example.org/actualites/articles/wahl",
        guid="tag:atom.example.org,2025:1",
        title="Wahl entschieden",
        authors=("Eve Author", "Fay Author"),
        published_at="2025-06-10T03:30:00Z",
        updated_at="2025-06-10T06:00:00Z",
        tags=("Politics and elections", "europe"),
        language="de",
        summary="Die Wahl ist entschieden.",
        content="Die Wahl\nist entschieden.",
        source_name="Atom Example Desk",
    )


def test_atom_entry_base_and_bare_date_and_the_feed_language() -> None:
    second = read_listing(ATOM, FEED_URL).entries[1]

    assert (second.url, second.title, second.updated_at, second.published_at, second.language) == (
        "https://atom.example.org/archives/deux", "Deuxième", "2025-06-10", None, "fr"
    )


def test_atom_id_is_not_taken_for_a_link() -> None:
    listing = read_listing(ATOM, FEED_URL)

    assert len(listing.entries) == 2
    assert listing.skipped == (Skip("entry 3 (Sans lien)", "no link"),)


# Sitemaps ----------------------------------------------------------------------------------------------


def test_news_sitemap_gives_publication_title_language_dates_and_keywords() -> None:
    listing = read_listing(NEWS_SITEMAP, SITEMAP_URL)

    assert (listing.kind, listing.title, listing.language, listing.sitemaps) == ("sitemap", None, None, ())
    assert listing.entries == (
        Entry(
            url="https://news.example.com/world/harbour-reopens?ref=sitemap&v=2",
            title="Harbour reopens after storm",
            published_at="2025-06-10T08:00:00Z",
            updated_at="2025-06-10T08:15:00Z",
            tags=("harbour", "storm", "Storm"),
            language="en",
            source_name="Example News",
        ),
        Entry(
            url="https://news.example.com/world/council-budget",
            title="Council votes on budget",
            published_at="2025-06-10",
            language="en",
            source_name="Example News",
        ),
    )
    assert listing.skipped == (
        Skip("entry 3", "no link"),
        Skip("entry 4 (ftp://news.example.com/world/archive.zip)", "a link that is not http or https"),
        Skip("entry 5 (https://news.example.com/world/harbour-reopens?ref=sitemap&v=2)", "the same link as entry 1"),
    )


def test_plain_sitemap_keeps_a_bare_date_and_drops_an_impossible_one() -> None:
    listing = read_listing(PLAIN_SITEMAP, SITEMAP_URL)

    assert [(entry.url, entry.updated_at) for entry in listing.entries] == [
        ("https://news.example.com/about", "2025-06-10"),
        ("https://news.example.com/contact", None),
        ("https://news.example.com/jobs", None),
    ]


def test_sitemap_without_a_namespace_is_read() -> None:
    body = b"<urlset><url><loc>https://news.example.com/a</loc></url></urlset>"

    assert read_listing(body, SITEMAP_URL).entries == (Entry(url="https://news.example.com/a"),)


def test_sitemap_index_lists_its_child_sitemaps_once() -> None:
    listing = read_listing(SITEMAP_INDEX, SITEMAP_URL)

    assert (listing.kind, listing.entries) == ("sitemap_index", ())
    assert listing.sitemaps == (
        SitemapRef("https://news.example.com/sitemaps/news.xml", "2025-06-10T08:00:00Z"),
        SitemapRef("https://news.example.com/sitemaps/2025-05.xml.gz", "2025-05-31"),
    )
    assert listing.skipped == (
        Skip("sitemap 3 (https://news.example.com/sitemaps/news.xml)", "the same link as sitemap 1"),
    )


def test_gzip_is_recognised_by_its_bytes_and_read_like_the_plain_document() -> None:
    assert read_listing(gzip.compress(NEWS_SITEMAP), SITEMAP_URL) == read_listing(NEWS_SITEMAP, SITEMAP_URL)
    assert read_listing(gzip.compress(RSS), FEED_URL, "application/x-gzip") == read_listing(RSS, FEED_URL)


def test_gzip_of_several_members_is_read_whole() -> None:
    half = len(PLAIN_SITEMAP) // 2
    body = gzip.compress(PLAIN_SITEMAP[:half]) + gzip.compress(PLAIN_SITEMAP[half:])

    assert read_listing(body, SITEMAP_URL) == read_listing(PLAIN_SITEMAP, SITEMAP_URL)


def test_sitemap_that_is_not_well_formed_is_refused_rather_than_read_in_part() -> None:
    body = b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>https://a.example/1</loc></url><url>'

    assert refusal(body, SITEMAP_URL).startswith("a sitemap that is not well-formed XML")


def test_entries_beyond_the_bound_are_left_out_and_counted() -> None:
    listing = read_listing(sitemap_of(5), SITEMAP_URL, max_entries=3)

    assert [entry.url for entry in listing.entries] == [f"https://news.example.com/a/{n}" for n in range(3)]
    assert listing.skipped == (
        Skip("2 more entries", "not read: a listing keeps at most 3 entries and names at most 3 left out"),
    )


def test_what_is_left_out_is_named_up_to_the_bound_too() -> None:
    body = b"<urlset>" + b"<url/>" * 5 + b"<url><loc>https://news.example.com/late</loc></url></urlset>"

    listing = read_listing(body, SITEMAP_URL, max_entries=2)

    assert listing.entries == ()
    assert listing.skipped == (
        Skip("entry 1", "no link"),
        Skip("entry 2", "no link"),
        Skip("4 more entries", "not read: a listing keeps at most 2 entries and names at most 2 left out"),
    )


def test_max_entries_must_be_positive() -> None:
    with pytest.raises(InvalidInput, match="max_entries must be at least 1, got 0"):
        read_listing(PLAIN_SITEMAP, SITEMAP_URL, max_entries=0)


# Not listings ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "empty document"),
        (b" \r\n\t", "empty document"),
        (gzip.compress(b""), "empty document"),
        (b"Just some words, no markup at all.", "not XML"),
        (b'{"items": [{"url": "https://news.example.com/a"}]}', "not XML"),
        (
            b"<!DOCTYPE html><html><head><title>Home</title></head><body><p>Hello<br></body></html>",
            "XML but neither an RSS or Atom feed nor a sitemap (root element <html>)",
        ),
        (
            b'<svg xmlns="http://www.w3.org/2000/svg"/>',
            "XML but neither an RSS or Atom feed nor a sitemap (root element <{http://www.w3.org/2000/svg}svg>)",
        ),
    ],
)
def test_what_is_not_a_listing_is_refused_with_why(body: bytes, message: str) -> None:
    assert refusal(body) == message


def test_gzip_that_does_not_decompress_is_refused() -> None:
    assert refusal(b"\x1f\x8b\x08\x00garbage").startswith("gzip data that does not decompress")
    assert refusal(gzip.compress(RSS)[:-20]).startswith("gzip data that does not decompress")


def test_gzip_bomb_is_refused_once_past_the_bound() -> None:
    compressor = zlib.compressobj(1, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    megabyte = b" " * 1024 * 1024
    bomb = b"".join(compressor.compress(megabyte) for _ in range(MAX_DOCUMENT_BYTES // len(megabyte) + 1))
    bomb += compressor.flush()

    assert len(bomb) < 1024 * 1024
    assert refusal(bomb, SITEMAP_URL) == "larger than 50 MB once decompressed"


@pytest.mark.parametrize(
    "root",
    [
        b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>https://a.example/&lol9;</loc></url></urlset>',
        b'<rss version="2.0"><channel><title>&lol9;</title>'
        b"<item><title>&lol9;</title><link>https://a.example/1</link></item></channel></rss>",
    ],
)
def test_entity_expansion_is_never_performed(root: bytes) -> None:
    started = time.monotonic()
    try:
        listing = read_listing(LAUGHS + root, FEED_URL)
    except NotAListing:
        pass
    else:
        texts = [listing.title, *(entry.title for entry in listing.entries), *(e.url for e in listing.entries)]
        assert all(len(text or "") < 100 for text in texts)
    assert time.monotonic() - started < 5


def test_listing_url_must_be_absolute_http() -> None:
    with pytest.raises(InvalidInput, match="absolute http or https URL, got 'feeds/world.xml'"):
        read_listing(RSS, "feeds/world.xml")


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=300) | st.text(alphabet="<>/?!=\"' &;abcrsulteim", max_size=120).map(str.encode))
def test_any_bytes_give_a_listing_or_a_refusal(body: bytes) -> None:
    try:
        listing = read_listing(body, FEED_URL)
    except NotAListing:
        return
    assert all(entry.url.startswith(("http://", "https://")) for entry in listing.entries)
