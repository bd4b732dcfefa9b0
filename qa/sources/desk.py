"""The sources desk: the feeds and sitemaps a newsroom follows, added, listed and removed, and synced
now or when due. The CLI (`qa sync`, `qa sources`), the API (/v1/sources) and the background schedule
all go through it, as `QAService.sources`; a caller's access limits what it may see and do."""

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from index.ports import SourceRegistry
from index.records import SourceRecord, SourceRun
from qa.articles import VISIBILITY, check_storable
from qa.access import DEFAULT_VISIBILITY, EVERYTHING, Access
from qa.errors import InvalidInput, NotPermitted, QAError
from qa.sources.durations import parse_duration
from qa.sources.pages import outlet_of
from qa.sources.schedule import SyncSchedule
from qa.sources.sync import Progress, SourceSync
from qa.storage_failures import storage_failures_as_errors
from qa.text.isodates import iso_text

MAX_URL_CHARS = 2048


class SourceNotFound(QAError):
    code = "source_not_found"

    def __init__(self, wanted: str) -> None:
        shown = wanted if len(wanted) <= 200 else wanted[:200] + "…"
        super().__init__(f"no source {shown!r} is followed", {"source": shown})


@dataclass(frozen=True)
class Synced:
    source: SourceRecord  # as it stands after the run
    run: SourceRun


class SourceDesk:
    def __init__(self, registry: SourceRegistry, sync: SourceSync, clock: Callable[[], datetime],
                 default_every_seconds: int) -> None:
        self._registry = registry
        self._sync = sync
        self._clock = clock
        self._default_every = default_every_seconds

    @storage_failures_as_errors
    def followed(self, access: Access = EVERYTHING) -> list[SourceRecord]:
        """The sources followed that bring the caller articles it may read."""
        return [s for s in self._registry.sources() if _reaches(s, access)]

    @storage_failures_as_errors
    def get(self, wanted: str, access: Access = EVERYTHING) -> SourceRecord:
        """A source by its id or its URL; one that brings the caller nothing it may read is not there for it."""
        found = self._registry.source(wanted) or next((s for s in self._registry.sources() if s.url == wanted), None)
        if found is None or not _reaches(found, access):
            raise SourceNotFound(wanted)
        return found

    @storage_failures_as_errors
    def follows(self, url: str) -> bool:
        """Whether this URL is followed already (adding it again changes it)."""
        return self._registry.source(source_id(url.strip())) is not None if isinstance(url, str) else False

    @storage_failures_as_errors
    def add(self, url: str, every: str | int | None = None, visibility: str | None = None,
            access: Access = EVERYTHING) -> SourceRecord:
        """Follows a feed or sitemap (due at once), or changes how one already followed is (what is not
        given stays as it was); its id is made from its URL, so adding it twice is harmless."""
        url = _checked_url(url)
        known = self._registry.source(source_id(url))
        if every is not None:
            every_seconds = parse_duration(every)
        else:
            every_seconds = known.every_seconds if known else self._default_every
        if visibility is not None:
            visibility = visibility.strip().lower()
            if not VISIBILITY.fullmatch(visibility):
                raise InvalidInput(f"visibility must be a lower-case word such as public or internal, "
                                   f"got {visibility!r}")
        visibility = visibility or (known.visibility if known else DEFAULT_VISIBILITY)
        now = self._clock()
        added = SourceRecord(source_id(url), url, every_seconds, visibility, iso_text(now.replace(microsecond=0)),
                             int(now.timestamp()))
        if not _reaches(added, access) or (known is not None and not _reaches(known, access)):
            raise NotPermitted(f"this API key may not follow {url[:200]!r} with visibility {visibility!r}: its "
                               "articles would lie outside what the key may read")
        return self._registry.save_source(added)

    @storage_failures_as_errors
    def remove(self, wanted: str, access: Access = EVERYTHING) -> SourceRecord:
        """Stops following a source; the articles it brought stay (DELETE /v1/articles?source=… removes them)."""
        source = self.get(wanted, access)
        self._registry.remove_source(source.id)
        return source

    @storage_failures_as_errors
    def sync(self, wanted: str, progress: Progress = lambda done, total: None,
             keep_going: Callable[[], bool] = lambda: True, access: Access = EVERYTHING) -> Synced:
        """Syncs one source (by id or URL) now: new and changed articles are stored and answered from at once."""
        return self.run(self.get(wanted, access), progress, keep_going)

    @storage_failures_as_errors
    def run(self, source: SourceRecord, progress: Progress = lambda done, total: None,
            keep_going: Callable[[], bool] = lambda: True) -> Synced:
        """Syncs one source now, and records the run; it is next due a period after this run began. A run
        that fails unexpectedly is recorded too, with its error, so that it waits its period like any other."""
        started = self._clock()
        next_due = int(started.timestamp()) + source.every_seconds
        try:
            run = self._sync.run(source, progress, keep_going)
        except Exception as error:
            stamp = iso_text(started.replace(microsecond=0))
            self._registry.record_run(source.id, SourceRun(stamp, stamp, error=f"the sync failed: {error}"), next_due)
            raise
        self._registry.record_run(source.id, run, next_due)
        return Synced(self._registry.source(source.id) or source, run)

    @storage_failures_as_errors
    def due(self) -> list[SourceRecord]:
        """The sources due now, the longest overdue first."""
        now = self._clock().timestamp()
        return sorted((s for s in self._registry.sources() if s.next_due_ts <= now), key=lambda s: s.next_due_ts)

    def schedule(self, tick_seconds: float = 30.0) -> SyncSchedule:
        """A schedule, started, that syncs the sources as they come due, in a thread of this process,
        while this process holds the archive's sync lease (one process of many at a time); stop it
        before the service closes."""
        schedule = SyncSchedule(self, self._registry, self._clock, tick_seconds)
        schedule.start()
        return schedule


def _reaches(source: SourceRecord, access: Access) -> bool:
    """Whether a source brings articles the caller may read: of its visibility, from its outlet."""
    return access.allows(source.visibility, outlet_of(source.url))


def source_id(url: str) -> str:
    return hashlib.sha256(url.encode("utf-8")).hexdigest()[:16]


def _checked_url(url: str) -> str:
    if not isinstance(url, str) or not url.strip():
        raise InvalidInput("url is empty: give the address of an RSS or Atom feed or of a sitemap")
    url = url.strip()
    check_storable("url", url, InvalidInput)
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInput(f"url must be an http or https address, got {url[:200]!r}")
    if len(url) > MAX_URL_CHARS:
        raise InvalidInput(f"url must be at most {MAX_URL_CHARS} characters, got {len(url)}")
    return url
