"""One run of a source: its listing (and a sitemap index's sitemaps) fetched with conditional requests,
the pages of new and changed entries fetched, read and stored in batches, and what happened recorded.

What a run has stored stays stored, whenever it stops: each batch of articles is committed before the
fetch states that say its pages were read, so a run killed between the two reads those pages again
next time and finds them unchanged. The listing's own validators are kept only at the end of a run
that read every entry it could, so a run cut short, or one that met a passing failure, lists again."""

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from index.ports import SourceRegistry
from index.records import FetchState, SourceRecord, SourceRun
from qa.articles import Article
from qa.errors import InvalidInput, QAError
from qa.ingest.ingestion import IngestReport
from qa.sources.fetching import Fetched, Fetcher, FetchFailed
from qa.sources.listings import Entry, Listing, NotAListing, read_listing
from qa.sources.pages import article_from_page
from qa.text.isodates import iso_text

# Articles committed together: a run killed loses at most these pages' reading, never what they stored.
BATCH = 16
# Skipped items kept with a run, so a listing of thousands of broken links does not bloat its record.
MAX_SKIPPED = 100

Progress = Callable[[int, int], None]  # (pages done, pages to do)
StoreArticles = Callable[[Sequence[Article]], IngestReport]


@dataclass
class _Run:
    started_at: str
    counts: Counter = field(default_factory=Counter)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    complete: bool = True  # every entry was looked at, and none failed for a reason that may pass

    def skip(self, what: str, reason: str, passing: bool = False) -> None:
        self.counts["failed"] += 1
        self.complete = self.complete and not passing
        if len(self.skipped) < MAX_SKIPPED:
            self.skipped.append((what, reason))


class SourceSync:
    def __init__(self, registry: SourceRegistry, fetcher: Fetcher, store_articles: StoreArticles,
                 clock: Callable[[], datetime], max_pages: int, max_article_chars: int | None) -> None:
        self._registry = registry
        self._fetcher = fetcher
        self._store_articles = store_articles
        self._clock = clock
        self._max_pages = max_pages
        self._max_article_chars = max_article_chars

    def run(self, source: SourceRecord, progress: Progress = lambda done, total: None,
            keep_going: Callable[[], bool] = lambda: True) -> SourceRun:
        """Syncs the source once; a failure of the whole source (its listing cannot be read, the index
        cannot be written) is the run's error, and what was stored before it stays."""
        run = _Run(self._now())
        error = None
        try:
            entries, documents = self._entries(source, run)
            self._read_pages(source, entries, run, progress, keep_going)
            if run.complete:
                self._registry.record_fetches(source.id, documents)
        except (FetchFailed, NotAListing) as failure:
            error = failure.message
        except QAError as failure:  # the index is busy or unavailable: the run stops where it is
            error = failure.message
        counts = tuple(sorted((name, count) for name, count in run.counts.items() if count))
        return SourceRun(run.started_at, self._now(), counts, error, tuple(run.skipped))

    def _entries(self, source: SourceRecord, run: _Run) -> tuple[list[Entry], list[FetchState]]:
        """The entries listed, newest first, and the fetch states of the listing documents read."""
        listing, documents = self._listing(source, source.url, None, run)
        if listing is None:
            return [], documents
        entries = list(listing.entries)
        if listing.sitemaps:
            known = self._registry.fetch_states(source.id, [ref.url for ref in listing.sitemaps])
            for ref in listing.sitemaps:
                state = known.get(ref.url)
                if state is not None and ref.lastmod is not None and state.listed_at == ref.lastmod:
                    run.counts["sitemaps_unchanged"] += 1
                    continue
                try:
                    child, read = self._listing(source, ref.url, ref.lastmod, run, state)
                except (FetchFailed, NotAListing) as failure:
                    run.skip(ref.url, failure.message, passing=getattr(failure, "retryable", False))
                    continue
                documents += read
                if child is not None:
                    entries += child.entries
                    if child.sitemaps:
                        run.skip(ref.url, "a sitemap index inside a sitemap index is not followed")
        # A sitemap index's sitemaps may list one page twice: the first listing of it stands.
        unique = list({entry.url: entry for entry in reversed(entries)}.values())
        run.counts["listed"] = len(unique)
        return sorted(unique, key=lambda e: e.updated_at or e.published_at or "", reverse=True), documents

    def _listing(self, source: SourceRecord, url: str, lastmod: str | None, run: _Run,
                 state: FetchState | None = None) -> tuple[Listing | None, list[FetchState]]:
        """A listing document read, or None when it is unchanged since it was last read."""
        if state is None:
            state = self._registry.fetch_states(source.id, [url]).get(url)
        fetched = self._fetch(url, state)
        if fetched.not_modified:
            run.counts["listings_unchanged"] += 1
            return None, [replace(state, listed_at=lastmod, fetched_at=self._now())] if state else []
        listing = read_listing(fetched.body, fetched.url, fetched.content_type)
        for skip in listing.skipped:
            run.skip(skip.what, skip.reason)
        return listing, [FetchState(url, fetched.etag, fetched.last_modified, lastmod, None, self._now())]

    def _read_pages(self, source: SourceRecord, entries: list[Entry], run: _Run, progress: Progress,
                    keep_going: Callable[[], bool]) -> None:
        known = self._registry.fetch_states(source.id, [entry.url for entry in entries]) if entries else {}
        todo = []
        for entry in entries:
            state, listed = known.get(entry.url), entry.updated_at or entry.published_at
            if state is not None and listed is not None and state.listed_at == listed:
                run.counts["entries_unchanged"] += 1  # its listing says so: not even asked
            else:
                todo.append((entry, state, listed))
        if len(todo) > self._max_pages:
            run.counts["deferred"] += len(todo) - self._max_pages
            run.complete, todo = False, todo[: self._max_pages]
        pending: list[tuple[Article, FetchState]] = []
        unchanged: list[FetchState] = []
        for done, (entry, state, listed) in enumerate(todo):
            if not keep_going():
                run.counts["deferred"] += len(todo) - done
                run.complete = False
                break
            read = self._read_page(source, entry, state, listed, run)
            if isinstance(read, FetchState):
                unchanged.append(read)
            elif read is not None:
                pending.append(read)
                if len(pending) >= BATCH:
                    self._store(source, pending, run)
                    pending = []
            progress(done + 1, len(todo))
        self._store(source, pending, run)
        self._registry.record_fetches(source.id, unchanged)

    def _read_page(self, source: SourceRecord, entry: Entry, state: FetchState | None, listed: str | None,
                   run: _Run) -> tuple[Article, FetchState] | FetchState | None:
        """The entry's article with the state to record once it is stored; the state alone when the page
        is unchanged (304); None when it is skipped."""
        try:
            page = self._fetch(entry.url, state)
        except FetchFailed as failure:
            run.skip(entry.url, failure.reason, passing=failure.retryable)
            return None
        if page.not_modified and state is not None:
            run.counts["pages_unchanged"] += 1
            return replace(state, listed_at=listed, fetched_at=self._now())
        run.counts["fetched"] += 1
        try:
            article = article_from_page(entry, page, source.visibility, self._max_article_chars)
        except InvalidInput as problem:
            run.skip(entry.url, problem.message)
            return None
        return article, FetchState(entry.url, page.etag, page.last_modified, listed, article.id, self._now())

    def _store(self, source: SourceRecord, pending: list[tuple[Article, FetchState]], run: _Run) -> None:
        if not pending:
            return
        report = self._store_articles([article for article, _ in pending])
        for status in ("added", "updated", "unchanged"):
            run.counts[status] += len(getattr(report, status))
        for skipped in report.skipped:
            run.skip(skipped.origin, skipped.reason)
        stored = {*report.added, *report.updated, *report.unchanged}
        self._registry.record_fetches(source.id, [state for article, state in pending if article.id in stored])

    def _fetch(self, url: str, state: FetchState | None) -> Fetched:
        if state is None:
            return self._fetcher.fetch(url)
        return self._fetcher.fetch(url, etag=state.etag, last_modified=state.last_modified)

    def _now(self) -> str:
        return iso_text(self._clock().replace(microsecond=0))
