"""The sync schedule, against a site served on loopback: a due source is synced and then waits out its
period; of two schedules over one archive only the holder of the lease syncs; the background loop syncs,
outlives a failed run and ends when stopped; `qa serve` runs it in its lifespan when told to."""

import logging
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import ServerSettings
from index.ports import SourceRegistry
from qa.composition import fetch_policy, open_service
from qa.errors import StorageUnavailable
from qa.service import QAService
from qa.settings import Settings
from qa.sources.desk import SourceDesk
from qa.sources.fetching import Fetcher
from qa.sources.schedule import LEASE, LEASE_SECONDS, SyncSchedule
from qa.sources.sync import SourceSync
from tests.fakes import FakeEmbedder
from tests.local_site import LocalSite
from tests.qa.sources.newsroom_site import publish, rss

RSS_TYPE = "application/rss+xml"
FAST_SYNC = {"sync_host_delay_seconds": 0, "sync_retries": 0, "sync_timeout_seconds": 1.0}
QUARTER_HOUR = 900


class MovableClock:
    """Now, as the test says it is."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


class FailingOnce:
    """A source registry whose `sources()` raises `failure` the first time it is called."""

    def __init__(self, registry: SourceRegistry, failure: Exception) -> None:
        self._registry = registry
        self._failure: Exception | None = failure

    def sources(self):
        failure, self._failure = self._failure, None
        if failure is not None:
            raise failure
        return self._registry.sources()

    def __getattr__(self, name: str):
        return getattr(self._registry, name)


class FailingFor:
    """A source registry that raises `failure` whenever the fetch states of one source are asked for."""

    def __init__(self, registry: SourceRegistry, source_id: str, failure: Exception) -> None:
        self._registry = registry
        self._source_id = source_id
        self._failure = failure

    def fetch_states(self, source_id: str, urls):
        if source_id == self._source_id:
            raise self._failure
        return self._registry.fetch_states(source_id, urls)

    def __getattr__(self, name: str):
        return getattr(self._registry, name)


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update=FAST_SYNC)


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock(datetime(2025, 6, 10, 8, 0, tzinfo=timezone.utc))


@pytest.fixture
def open_services(settings: Settings, embedder: FakeEmbedder, clock: MovableClock) -> Iterator[Callable[[], QAService]]:
    """Opens services on the one index folder, as processes serving one archive do; all on the test's clock."""
    opened: list[QAService] = []

    def open_one() -> QAService:
        opened.append(open_service(settings, embedder, clock=clock))
        return opened[-1]

    yield open_one
    for service in opened:
        service.close()


@pytest.fixture
def service(open_services: Callable[[], QAService]) -> QAService:
    return open_services()


@pytest.fixture
def schedule_over(settings: Settings, clock: MovableClock) -> Iterator[Callable[..., SyncSchedule]]:
    """A schedule, not started, over a service's archive, built as the service builds its own; `registry`
    stands in for the archive's (a failing one), `tick` is the loop's pause."""
    fetchers: list[Fetcher] = []
    schedules: list[SyncSchedule] = []

    def build(service: QAService, registry: SourceRegistry | None = None, tick: float = 30.0) -> SyncSchedule:
        registry = registry or service.store.source_registry
        fetchers.append(Fetcher(fetch_policy(settings)))
        sync = SourceSync(registry, fetchers[-1], service.ingest_articles, clock, settings.sync_max_pages,
                          settings.max_article_chars)
        schedules.append(SyncSchedule(SourceDesk(registry, sync, clock, settings.sync_every), registry, clock, tick))
        return schedules[-1]

    yield build
    for schedule in schedules:
        schedule.stop(wait=5)
    for fetcher in fetchers:
        fetcher.close()


@pytest.fixture
def site() -> Iterator[LocalSite]:
    with LocalSite() as site:
        yield site


def harbour_feed(site: LocalSite) -> str:
    publish(site, "/world/harbour-strike", "Harbour strike ends",
            "Dock workers ended the harbour strike on Monday after a pay deal with the port.", etag='"h1"')
    site.page("/feed.xml", rss([{"link": "/world/harbour-strike", "title": "Harbour strike ends",
                                 "date": "Tue, 10 Jun 2025 07:00:00 GMT"}]), content_type=RSS_TYPE, etag='"f1"')
    return site.url("/feed.xml")


def empty_feed(site: LocalSite, path: str) -> str:
    site.page(path, rss([]), content_type=RSS_TYPE, etag='"e1"')
    return site.url(path)


def listings_asked(site: LocalSite) -> list[str]:
    return [request.path for request in site.requests if request.path != "/robots.txt"]


def sync_threads() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name == "qa-sync"]


def wait_for(condition: Callable[[], bool], seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def test_a_due_source_is_synced_and_then_waits_out_its_period(
        site: LocalSite, service: QAService, clock: MovableClock, schedule_over) -> None:
    source = service.sources.add(harbour_feed(site))
    schedule = schedule_over(service)
    assert [s.id for s in service.sources.due()] == [source.id]
    assert schedule.run_due() == 1
    assert service.article(site.url("/world/harbour-strike")).title == "Harbour strike ends"
    assert service.sources.get(source.id).last_run.counts and service.sources.due() == []
    site.clear_requests()
    clock.advance(QUARTER_HOUR - 1)
    assert schedule.run_due() == 0 and site.requests == []
    clock.advance(1)
    assert schedule.run_due() == 1 and site.statuses("/feed.xml") == [304]
    assert service.sources.get(source.id).next_due_ts == int(clock().timestamp()) + QUARTER_HOUR


def test_the_longest_overdue_source_is_synced_first(
        site: LocalSite, service: QAService, clock: MovableClock, schedule_over) -> None:
    hourly = service.sources.add(empty_feed(site, "/hourly.xml"), every="1h")
    clock.advance(60)
    quarterly = service.sources.add(empty_feed(site, "/quarterly.xml"))
    schedule = schedule_over(service)
    assert schedule.run_due() == 2 and listings_asked(site) == ["/hourly.xml", "/quarterly.xml"]
    clock.advance(QUARTER_HOUR)
    site.clear_requests()
    assert schedule.run_due() == 1 and listings_asked(site) == ["/quarterly.xml"]
    assert service.sources.get(hourly.id).next_due_ts > service.sources.get(quarterly.id).next_due_ts


def test_of_two_processes_only_the_holder_of_the_lease_syncs_until_it_runs_out(
        site: LocalSite, open_services, clock: MovableClock, schedule_over) -> None:
    first, second = open_services(), open_services()
    one, two = schedule_over(first), schedule_over(second)
    first.sources.add(empty_feed(site, "/a.xml"))
    assert one.run_due() == 1
    late = second.sources.add(empty_feed(site, "/b.xml"))
    assert [s.id for s in first.sources.due()] == [late.id]
    assert two.run_due() == 0 and second.sources.get(late.id).last_run is None
    clock.advance(LEASE_SECONDS - 1)
    assert two.run_due() == 0
    assert one.run_due() == 1, "the holder syncs, renewing its lease"
    later = second.sources.add(empty_feed(site, "/c.xml"))
    clock.advance(LEASE_SECONDS - 1)
    assert two.run_due() == 0
    clock.advance(1)
    assert two.run_due() == 1 and first.sources.get(later.id).last_run is not None, "run out, the other takes over"
    first.sources.add(empty_feed(site, "/d.xml"))
    assert one.run_due() == 0, "and now holds it"


def test_a_stopped_schedule_releases_the_lease_at_once(
        site: LocalSite, open_services, schedule_over) -> None:
    first, second = open_services(), open_services()
    one, two = schedule_over(first), schedule_over(second)
    first.sources.add(empty_feed(site, "/a.xml"))
    assert one.run_due() == 1
    waiting = second.sources.add(empty_feed(site, "/b.xml"))
    assert two.run_due() == 0
    one.stop()
    assert two.run_due() == 1 and second.sources.get(waiting.id).last_run is not None
    first.sources.add(empty_feed(site, "/c.xml"))
    assert one.run_due() == 0, "a stopped schedule syncs nothing more"


def test_two_schedules_of_one_service_share_the_lease_too(site: LocalSite, service: QAService, schedule_over) -> None:
    one, two = schedule_over(service), schedule_over(service)
    service.sources.add(empty_feed(site, "/a.xml"))
    service.sources.add(empty_feed(site, "/b.xml"))
    assert two.run_due() == 2
    service.sources.add(empty_feed(site, "/c.xml"))
    assert one.run_due() == 0 and two.run_due() == 1


def test_the_background_loop_syncs_a_due_source_and_ends_when_stopped(
        site: LocalSite, service: QAService, clock: MovableClock) -> None:
    source = service.sources.add(harbour_feed(site))
    schedule = service.sources.schedule(tick_seconds=0.05)
    try:
        assert wait_for(lambda: service.sources.get(source.id).last_run is not None), "not synced within 5 s"
        assert sync_threads(), "the loop runs in a thread of its own"
    finally:
        started = time.monotonic()
        schedule.stop()
    assert time.monotonic() - started < 2 and sync_threads() == []
    assert service.article(site.url("/world/harbour-strike")).title == "Harbour strike ends"
    now = int(clock().timestamp())
    assert service.store.source_registry.take_lease(LEASE, "another process", now + 60, now), "released"


def test_a_source_added_while_the_loop_runs_is_synced_at_the_next_tick(site: LocalSite, service: QAService) -> None:
    schedule = service.sources.schedule(tick_seconds=0.05)
    try:
        time.sleep(0.1)
        source = service.sources.add(harbour_feed(site))
        assert wait_for(lambda: service.sources.get(source.id).last_run is not None), "not synced within 5 s"
    finally:
        schedule.stop()


@pytest.mark.parametrize(("failure", "level", "said"), [
    (RuntimeError("the disk is on fire"), logging.ERROR, "the sync schedule failed"),
    (StorageUnavailable("the database went away"), logging.WARNING, "the sync schedule could not run: the database "
     "went away"),
], ids=["unexpected", "storage unavailable"])
def test_a_run_that_raises_is_logged_and_the_loop_goes_on(
        site: LocalSite, service: QAService, schedule_over, caplog: pytest.LogCaptureFixture,
        failure: Exception, level: int, said: str) -> None:
    caplog.set_level(logging.INFO, logger="qa.sources.schedule")
    source = service.sources.add(harbour_feed(site))
    schedule = schedule_over(service, FailingOnce(service.store.source_registry, failure), tick=0.05)
    schedule.start()
    assert wait_for(lambda: service.sources.get(source.id).last_run is not None), "the loop did not go on"
    schedule.stop()
    failed = [r for r in caplog.records if said in r.getMessage()]
    assert [r.levelno for r in failed] == [level]
    assert failed[0].exc_info is None or str(failure) in str(failed[0].exc_info[1])
    assert any(r.getMessage().startswith(f"synced {source.url}") for r in caplog.records)


def test_a_source_whose_run_keeps_raising_does_not_hold_back_the_others(
        site: LocalSite, service: QAService, clock: MovableClock, schedule_over) -> None:
    broken = service.sources.add(empty_feed(site, "/broken.xml"))
    clock.advance(60)
    healthy = service.sources.add(harbour_feed(site))
    registry = FailingFor(service.store.source_registry, broken.id, RuntimeError("the parser crashed"))
    schedule = schedule_over(service, registry, tick=0.05)
    schedule.start()
    assert wait_for(lambda: service.sources.get(healthy.id).last_run is not None, seconds=1.5)


@pytest.fixture
def quick_ticks(monkeypatch: pytest.MonkeyPatch) -> None:
    """The app starts the schedule with its default tick (30 s): a twentieth of a second here."""
    schedule = SourceDesk.schedule
    monkeypatch.setattr(SourceDesk, "schedule", lambda self, tick_seconds=0.05: schedule(self, tick_seconds))


@pytest.fixture
def serving(settings: Settings, embedder: FakeEmbedder) -> Iterator[Callable[..., tuple[TestClient, QAService]]]:
    """A client for an app over a service of its own (closed after the test); keywords change its settings."""
    services: list[QAService] = []

    def serve(**overrides) -> tuple[TestClient, QAService]:
        configured = ServerSettings(**dict(settings)).model_copy(update=overrides)
        services.append(open_service(configured, embedder))
        return TestClient(create_app(configured, services[-1])), services[-1]

    yield serve
    for service in services:
        service.close()


def lease_is_free(service: QAService) -> bool:
    now = int(time.time())
    return service.store.source_registry.take_lease(LEASE, "another process", now + 60, now)


def test_the_app_syncs_in_the_background_while_it_runs_and_stops_at_shutdown(
        quick_ticks: None, site: LocalSite, serving) -> None:
    client, service = serving(sync_in_background=True)
    with client:
        source = client.post("/v1/sources", json={"url": harbour_feed(site)}).json()
        assert wait_for(lambda: client.get(f"/v1/sources/{source['id']}").json()["last_run"] is not None)
        assert client.get("/v1/sources").json()["sources"][0]["last_run"]["counts"]["added"] == 1
        assert client.post("/v1/ask", json={"question": "Who ended the harbour strike?"}).json()["answerable"]
        assert sync_threads()
    assert sync_threads() == [] and lease_is_free(service), "the lifespan stopped the schedule"


def test_without_the_setting_the_app_syncs_nothing_by_itself(
        quick_ticks: None, site: LocalSite, serving) -> None:
    client, _ = serving()
    with client:
        source = client.post("/v1/sources", json={"url": harbour_feed(site)}).json()
        time.sleep(0.3)
        assert client.get(f"/v1/sources/{source['id']}").json()["last_run"] is None
        assert sync_threads() == [] and site.requests == []
