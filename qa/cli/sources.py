"""`qa sync` and `qa sources`: following a newsroom's feeds and sitemaps from the command line."""

import argparse
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from tqdm import tqdm

from index.records import SourceRecord, SourceRun
from qa.cli.exits import EXIT_DONE, EXIT_ERROR, EXIT_SKIPPED
from qa.composition import open_service
from qa.service import QAService
from qa.settings import Settings
from qa.sources.durations import duration_text, parse_duration

# How often a `qa sync --every` that is waiting looks whether a source has come due.
IDLE_SECONDS = 5.0


def sync(args: argparse.Namespace, settings: Settings) -> int:
    """Follows the URLs given (or every source followed) and syncs each now; with --every, keeps syncing
    each source when it is due again, until interrupted."""
    every = parse_duration(args.every, "--every") if args.every else None
    service = open_service(settings, create=True)
    try:
        wanted = [service.sources.add(url, every, args.visibility) for url in args.urls]
        wanted = wanted or service.sources.followed()
        if not wanted:
            print("qa: no sources are followed; give the URL of a feed or sitemap: qa sync URL", file=sys.stderr)
            return EXIT_ERROR
        status = _sync_each(service, wanted, args.quiet)
        while args.every:
            ids = {s.id for s in wanted}
            due = [s for s in service.sources.due() if s.id in ids]
            if due:
                status = max(status, _sync_each(service, due, args.quiet))
            else:
                time.sleep(IDLE_SECONDS)
        return status
    finally:
        service.close()


def sources(args: argparse.Namespace, settings: Settings) -> int:
    service = open_service(settings, create=True)
    try:
        if args.remove:
            removed = service.sources.remove(args.remove)
            print(f"no longer following {removed.url} (its articles stay)")
            return EXIT_DONE
        followed = service.sources.followed()
        for source in followed:
            print(source_line(source))
        if not followed:
            print("no sources are followed; add one with: qa sync URL")
        return EXIT_DONE
    finally:
        service.close()


def add_parsers(commands, common: argparse.ArgumentParser) -> None:
    p = commands.add_parser("sync", parents=[common], help="follow RSS/Atom feeds and sitemaps and fetch what is new")
    p.add_argument("urls", nargs="*", metavar="URL", help="feeds or sitemaps to follow (default: every one followed)")
    p.add_argument("--every", metavar="DURATION",
                   help="sync each again this often (15m, 1h, 2d), and keep running until interrupted")
    p.add_argument("--visibility", help="visibility of the articles of the URLs given (default: public)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.set_defaults(command=sync)

    p = commands.add_parser("sources", parents=[common], help="list the feeds and sitemaps followed, or stop one")
    p.add_argument("--remove", metavar="ID_OR_URL", help="stop following this source (its articles stay)")
    p.set_defaults(command=sources)


def source_line(source: SourceRecord) -> str:
    run = source.last_run
    last = "never synced" if run is None else f"last synced {run.finished_at}: {run_summary(run)}"
    return f"{source.id}  {source.url}  every {duration_text(source.every_seconds)}, {source.visibility}; {last}"


def run_summary(run: SourceRun) -> str:
    counts = ", ".join(f"{count} {name.replace('_', ' ')}" for name, count in run.counts) or "nothing new"
    return f"{counts}; error: {run.error}" if run.error else counts


def _sync_each(service: QAService, wanted: list[SourceRecord], quiet: bool) -> int:
    status = EXIT_DONE
    for source in wanted:
        with _pages_bar(source.url, quiet) as progress:
            synced = service.sources.sync(source.id, progress)
        print(f"{source.url}: {run_summary(synced.run)}")
        for what, reason in synced.run.skipped:
            print(f"skipped {what}: {reason}", file=sys.stderr)
        if synced.run.error:
            status = EXIT_ERROR
        elif synced.run.skipped:
            status = max(status, EXIT_SKIPPED)
    return status


@contextmanager
def _pages_bar(url: str, quiet: bool) -> Iterator[Callable[[int, int], None]]:
    """A progress bar of the pages a run fetches, on a terminal; its total is known once the listing is read."""
    with tqdm(unit=" pages", desc=url[-40:], disable=True if quiet else None, leave=False) as bar:
        def progress(done: int, total: int) -> None:
            bar.total = total
            bar.update(done - bar.n)

        yield progress
