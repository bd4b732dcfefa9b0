"""The sources desk: the feeds and sitemaps a newsroom follows, added, listed and removed, and synced
now or when due. The CLI (`qa sync`, `qa sources`), the API (/v1/sources) and the background schedule
all go through it."""

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from index.ports import SourceRegistry
from index.records import SourceRecord, SourceRun
from qa.articles import VISIBILITY, check_storable
from qa.access import DEFAULT_VISIBILITY
from qa.errors import InvalidInput, QAError
from qa.sources.durations import parse_duration
from qa.sources.sync import Progress, SourceSync
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

    def sources(self) -> list[SourceRecord]:
        return self._registry.sources()

    def source(self, wanted: str) -> SourceRecord:
        """A source by its id or its URL."""
        found = self._registry.source(wanted) or next((s for s in self._registry.sources() if s.url == wanted), None)
        if found is None:
            raise SourceNotFound(wanted)
        return found

    def add(self, url: str, every: str | int | None = None, visibility: str | None = None) -> SourceRecord:
        """Follows a feed or sitemap (due at once), or changes how one already followed is; its id is
        made from its URL, so adding it twice is harmless."""
        url = _checked_url(url)
        every_seconds = self._default_every if every is None else parse_duration(every)
        visibility = (visibility or DEFAULT_VISIBILITY).strip().lower()
        if not VISIBILITY.fullmatch(visibility):
            raise InvalidInput(f"visibility must be a lower-case word such as public or internal, got {visibility!r}")
        now = self._clock()
        return self._registry.save_source(SourceRecord(
            source_id(url), url, every_seconds, visibility, iso_text(now.replace(microsecond=0)), int(now.timestamp()),
        ))

    def remove(self, wanted: str) -> SourceRecord:
        """Stops following a source; the articles it brought stay (DELETE /v1/articles?source=… removes them)."""
        source = self.source(wanted)
        self._registry.remove_source(source.id)
        return source

    def sync(self, source: SourceRecord, progress: Progress = lambda done, total: None,
             keep_going: Callable[[], bool] = lambda: True) -> Synced:
        """Syncs one source now, and records the run; it is next due a period after this run began."""
        started = self._clock()
        run = self._sync.run(source, progress, keep_going)
        self._registry.record_run(source.id, run, int(started.timestamp()) + source.every_seconds)
        return Synced(self._registry.source(source.id) or source, run)

    def due(self) -> list[SourceRecord]:
        """The sources due now, the longest overdue first."""
        now = self._clock().timestamp()
        return sorted((s for s in self._registry.sources() if s.next_due_ts <= now), key=lambda s: s.next_due_ts)


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
