"""Following a newsroom's feeds and sitemaps for real, against a site served on loopback: the first
sync adds, a second with nothing changed fetches nothing new and stores nothing, a changed page
updates, and every failure is reported with the source or the item it belongs to."""

from collections.abc import Iterator

import pytest

from qa.errors import InvalidInput
from qa.query import Query
from qa.service import QAService
from qa.settings import Settings
from qa.sources.desk import SourceNotFound
from tests.local_site import LocalSite
from tests.qa.sources.newsroom_site import article_page, atom, gzipped, publish, rss, sitemap, sitemap_index

RSS_TYPE = "application/rss+xml"


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(index_dir=tmp_path / "index", chunk_tokens=40, chunk_overlap_tokens=8, sync_host_delay_seconds=0,
                    sync_retries=0, sync_timeout_seconds=1.0, sync_max_page_bytes=20_000)


@pytest.fixture
def site() -> Iterator[LocalSite]:
    with LocalSite() as site:
        yield site


def counts(synced) -> dict[str, int]:
    return dict(synced.run.counts)


def harbour_and_flood(site: LocalSite) -> None:
    publish(site, "/world/harbour-strike", "Harbour strike ends",
            "Dock workers ended the harbour strike on Monday after a pay deal with the port.", etag='"h1"')
    publish(site, "/world/river-flood", "River flood recedes",
            "The river flood receded overnight and the bridges opened again.", etag='"r1"')
    site.page("/feed.xml", rss([
        {"link": "/world/harbour-strike", "title": "Harbour strike ends", "date": "Tue, 10 Jun 2025 08:00:00 GMT",
         "author": "A. Reporter", "tags": ["Labour", "Ports"]},
        {"link": site.url("/world/river-flood"), "title": "River flood recedes",
         "date": "Tue, 10 Jun 2025 10:00:00 +0200"},
    ]), content_type=RSS_TYPE, etag='"f1"')


def test_a_first_sync_adds_the_feeds_articles_with_their_metadata_answered_at_once(
        site: LocalSite, service: QAService) -> None:
    harbour_and_flood(site)
    source = service.sources.add(site.url("/feed.xml"))
    synced = service.sources.sync(source.id)
    assert synced.run.error is None and counts(synced)["added"] == 2 and counts(synced)["listed"] == 2
    harbour = service.article(site.url("/world/harbour-strike"))
    assert (harbour.title, harbour.url, harbour.source, harbour.authors, harbour.published_at) == (
        "Harbour strike ends", site.url("/world/harbour-strike"), "127.0.0.1", ("A. Reporter",),
        "2025-06-10T08:00:00Z")
    assert (harbour.newsroom.tags, harbour.newsroom.language) == (("Labour", "Ports"), "en-gb")
    assert service.article(site.url("/world/river-flood")).published_at == "2025-06-10T08:00:00Z", "RFC 822, +0200"
    answer = service.ask(Query("Who ended the harbour strike?"))
    assert answer.citations and answer.citations[0].origin.article_id == site.url("/world/harbour-strike")
    assert synced.source.last_run == synced.run and synced.source.next_due_ts > source.next_due_ts


def test_a_second_sync_with_nothing_changed_fetches_nothing_new_and_stores_nothing(
        site: LocalSite, service: QAService) -> None:
    harbour_and_flood(site)
    source = service.sources.add(site.url("/feed.xml"))
    service.sources.sync(source.id)
    site.clear_requests()
    generation = service.stats().generation
    again = service.sources.sync(source.url)
    assert site.statuses("/feed.xml") == [304]
    assert site.requests_to("/world/harbour-strike") == site.requests_to("/world/river-flood") == []
    assert counts(again) == {"listings_unchanged": 1} and service.stats().generation == generation


def test_a_changed_page_updates_its_article_and_an_unchanged_one_answers_304(
        site: LocalSite, service: QAService) -> None:
    # A feed without validators or dates: every page is asked again, conditionally.
    publish(site, "/a", "Council budget", "The council passed its budget for the coming year.", etag='"a1"')
    publish(site, "/b", "Bridge repairs", "Repairs to the old bridge begin in the spring.", etag='"b1"')
    site.page("/feed.xml", atom([{"link": site.url("/a"), "title": "Council budget"},
                                 {"link": site.url("/b"), "title": "Bridge repairs"}]))
    source = service.sources.add(site.url("/feed.xml"))
    assert counts(service.sources.sync(source.id))["added"] == 2
    site.change("/b", article_page("Bridge repairs", "Repairs to the old bridge are delayed until the autumn."),
                etag='"b2"')
    site.clear_requests()
    synced = service.sources.sync(source.id)
    assert site.statuses("/a") == [304] and site.statuses("/b") == [200]
    assert (counts(synced)["pages_unchanged"], counts(synced)["updated"]) == (1, 1)
    assert "delayed until the autumn" in service.article(site.url("/b")).text


def test_a_gzip_sitemap_under_a_sitemap_index_is_followed_by_its_lastmod(
        site: LocalSite, service: QAService) -> None:
    publish(site, "/news/1", "Rail fares rise", "Rail fares rise by four per cent from January.")
    publish(site, "/news/2", "Airport expands", "The airport opens a second runway next year.")
    site.page("/sitemaps/news.xml.gz", gzipped(sitemap([(site.url("/news/1"), "2025-06-10T08:00:00Z"),
                                                        (site.url("/news/2"), "2025-06-09")])),
              content_type="application/gzip")
    site.page("/sitemap.xml", sitemap_index([(site.url("/sitemaps/news.xml.gz"), "2025-06-10")]),
              content_type="application/xml")
    source = service.sources.add(site.url("/sitemap.xml"))
    assert counts(service.sources.sync(source.id))["added"] == 2
    site.clear_requests()
    again = service.sources.sync(source.id)
    assert site.requests_to("/sitemaps/news.xml.gz") == [] and counts(again)["sitemaps_unchanged"] == 1
    publish(site, "/news/3", "Port strike called off", "The port strike was called off after talks.")
    site.change("/sitemaps/news.xml.gz", gzipped(sitemap([(site.url("/news/3"), "2025-06-11"),
                                                          (site.url("/news/1"), "2025-06-10T08:00:00Z")])))
    site.change("/sitemap.xml", sitemap_index([(site.url("/sitemaps/news.xml.gz"), "2025-06-11")]))
    site.clear_requests()
    third = service.sources.sync(source.id)
    assert counts(third)["added"] == 1 and counts(third)["entries_unchanged"] == 1
    assert site.requests_to("/news/1") == []


def test_each_bad_item_is_skipped_with_its_reason_and_the_rest_is_stored(site: LocalSite, service: QAService) -> None:
    publish(site, "/fine", "Library reopens", "The city library reopens after a year of works.")
    site.page("/slow", article_page("Slow", "A page that takes too long."), delay=3.0)
    site.page("/huge", article_page("Huge", "A page far too large. " * 2000))
    site.page("/report.pdf", b"%PDF-1.4 not a page", content_type="application/pdf")
    publish(site, "/private/memo", "Memo", "A page the site asks robots not to read.")
    site.page("/robots.txt", "User-agent: *\nDisallow: /private/\n", content_type="text/plain")
    site.page("/feed.xml", rss([{"link": path, "title": path} for path in
                                ("/fine", "/missing", "/slow", "/huge", "/report.pdf", "/private/memo")]),
              content_type=RSS_TYPE)
    synced = service.sources.sync(service.sources.add(site.url("/feed.xml")).id)
    assert synced.run.error is None and counts(synced)["added"] == 1 and counts(synced)["failed"] == 5
    reasons = {url.removeprefix(site.url("")): reason for url, reason in synced.run.skipped}
    assert "404" in reasons["/missing"] and "timed out" in reasons["/slow"]
    assert "larger than" in reasons["/huge"] and "application/pdf" in reasons["/report.pdf"]
    assert "robots.txt" in reasons["/private/memo"] and site.requests_to("/private/memo") == []


def test_a_source_that_fails_reports_its_error_and_keeps_its_articles(site: LocalSite, service: QAService) -> None:
    harbour_and_flood(site)
    source = service.sources.add(site.url("/feed.xml"))
    service.sources.sync(source.id)
    site.change("/feed.xml", "<html><body>Moved</body></html>", etag='"f2"')
    failed = service.sources.sync(source.id)
    assert failed.run.error and "neither an RSS or Atom feed nor a sitemap" in failed.run.error
    assert service.sources.followed()[0].last_run.error == failed.run.error
    assert service.article(site.url("/world/harbour-strike")).title == "Harbour strike ends"
    site.change("/feed.xml", "Our feed has moved to the new site.", etag='"f3"')
    assert "not XML" in service.sources.sync(source.id).run.error
    site.remove("/feed.xml")
    assert "404" in service.sources.sync(source.id).run.error


def test_a_sources_visibility_goes_to_its_articles(site: LocalSite, service: QAService) -> None:
    harbour_and_flood(site)
    source = service.sources.add(site.url("/feed.xml"), every="1h", visibility="internal")
    service.sources.sync(source.id)
    assert service.article(site.url("/world/harbour-strike")).newsroom.visibility == "internal"
    assert service.sources.followed()[0].every_seconds == 3600


def test_sources_are_added_once_removed_by_id_or_url_and_keep_their_articles(
        site: LocalSite, service: QAService) -> None:
    harbour_and_flood(site)
    first = service.sources.add(site.url("/feed.xml"))
    assert service.sources.add(site.url("/feed.xml"), every="30m").id == first.id and len(service.sources.followed()) == 1
    service.sources.sync(first.id)
    service.sources.remove(site.url("/feed.xml"))
    assert service.sources.followed() == [] and service.article(site.url("/world/river-flood"))
    with pytest.raises(SourceNotFound):
        service.sources.remove(first.id)


@pytest.mark.parametrize(("url", "options", "message"), [
    ("", {}, "url is empty"),
    ("ftp://news.example/feed", {}, "http or https"),
    ("http://news.example/feed", {"every": "10s"}, "between 1m and 30d"),
    ("http://news.example/feed", {"every": "soon"}, "duration such as"),
    ("http://news.example/feed", {"visibility": "Top Secret"}, "visibility must be"),
])
def test_a_bad_source_is_refused_with_the_bad_value(service: QAService, url: str, options: dict, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        service.sources.add(url, **options)


def test_an_atom_entry_whose_updated_date_is_unchanged_is_not_asked_for_again(
        site: LocalSite, service: QAService) -> None:
    publish(site, "/desk/ferry", "Ferry fares rise", "Ferry fares rise by a tenth from July, the operator said.")
    entry = {"link": site.url("/desk/ferry"), "title": "Ferry fares rise", "updated": "2025-06-10T08:00:00+02:00"}
    site.page("/atom.xml", atom([entry]), content_type="application/atom+xml")
    source = service.sources.add(site.url("/atom.xml"))
    assert counts(service.sources.sync(source.id))["added"] == 1
    assert service.article(site.url("/desk/ferry")).newsroom.updated_at == "2025-06-10T06:00:00Z"
    site.clear_requests()
    again = service.sources.sync(source.id)
    assert site.statuses("/atom.xml") == [200] and site.requests_to("/desk/ferry") == []
    assert counts(again) == {"listed": 1, "entries_unchanged": 1}
    site.change("/desk/ferry", article_page("Ferry fares rise", "Ferry fares rise by a fifth from July."))
    site.change("/atom.xml", atom([{**entry, "updated": "2025-06-11T08:00:00Z"}]))
    assert counts(service.sources.sync(source.id))["updated"] == 1
