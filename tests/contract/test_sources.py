"""The sources followed and what was fetched from them, as every backend keeps them; and leases."""

from dataclasses import replace

from index.records import FetchState, SourceRecord, SourceRun

FEED = SourceRecord("s1", "http://news.example/feed.xml", 900, "public", "2025-06-01T00:00:00Z", 100)


def test_a_source_is_saved_listed_and_removed(store) -> None:
    registry = store.source_registry
    assert registry.save_source(FEED) == FEED
    sitemap = registry.save_source(replace(FEED, id="s2", url="http://news.example/sitemap.xml", added_at="2025-06-02"))
    assert [s.id for s in registry.sources()] == ["s1", "s2"] and registry.source("s2") == sitemap
    assert registry.remove_source("s1") and not registry.remove_source("s1")
    assert registry.sources() == [sitemap] and registry.source("s1") is None


def test_saving_a_source_of_a_known_url_changes_it_keeping_its_id_and_last_run(store) -> None:
    registry = store.source_registry
    registry.save_source(FEED)
    run = SourceRun("2025-06-01T00:00:00Z", "2025-06-01T00:01:00Z", (("added", 3), ("failed", 1)), None,
                    (("http://news.example/a", "HTTP 404 Not Found"),))
    registry.record_run("s1", run, 1_000)
    again = registry.save_source(replace(FEED, id="other", every_seconds=60, visibility="internal", next_due_ts=5))
    assert again == replace(FEED, every_seconds=60, visibility="internal", next_due_ts=5, last_run=run)


def test_fetch_states_are_kept_per_source_and_url_and_go_with_the_source(store) -> None:
    registry = store.source_registry
    registry.save_source(FEED)
    first = FetchState("http://news.example/a", '"v1"', None, "2025-06-01", "a", "2025-06-01T00:00:00Z")
    registry.record_fetches("s1", [first, replace(first, url="http://news.example/b", article_id=None)])
    registry.record_fetches("s1", [replace(first, etag='"v2"')])
    states = registry.fetch_states("s1", ["http://news.example/a", "http://news.example/c"])
    assert states == {"http://news.example/a": replace(first, etag='"v2"')}
    registry.remove_source("s1")
    registry.save_source(FEED)
    assert registry.fetch_states("s1", ["http://news.example/a"]) == {}


def test_a_lease_is_held_by_one_holder_until_it_runs_out(store) -> None:
    registry = store.source_registry
    assert registry.take_lease("sync", "one", until_ts=100, now_ts=0)
    assert not registry.take_lease("sync", "two", until_ts=150, now_ts=50)
    assert registry.take_lease("sync", "one", until_ts=200, now_ts=90), "the holder renews it"
    assert registry.take_lease("sync", "two", until_ts=300, now_ts=201), "run out, another takes it"
    registry.release_lease("sync", "one")
    assert not registry.take_lease("sync", "one", until_ts=400, now_ts=250), "only its holder releases it"
    registry.release_lease("sync", "two")
    assert registry.take_lease("sync", "one", until_ts=400, now_ts=250)
