"""A sync killed in the middle loses nothing it committed: the articles of the batches stored before
the kill stay, the index opens, and the next sync stores the rest without asking again for what it has."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from qa.composition import open_service
from qa.settings import Settings
from tests.fakes import FakeEmbedder
from tests.local_site import LocalSite
from tests.qa.sources.newsroom_site import article_page, rss

ROOT = Path(__file__).resolve().parents[3]
PAGES = 20
SLOW = 18  # the 18th newest: after the first batch of 16 is committed
SYNC = """
import sys
from qa.composition import open_service
from qa.settings import Settings
from tests.fakes import FakeEmbedder
settings = Settings(index_dir=sys.argv[1], chunk_tokens=40, chunk_overlap_tokens=8, sync_host_delay_seconds=0,
                    sync_retries=0, sync_timeout_seconds=60)
service = open_service(settings, FakeEmbedder())
service.sources.sync(service.sources.add(sys.argv[2]).id)
"""


def settings(index: Path) -> Settings:
    return Settings(index_dir=index, chunk_tokens=40, chunk_overlap_tokens=8, sync_host_delay_seconds=0,
                    sync_retries=0)


def test_a_killed_sync_loses_nothing_committed_and_the_next_one_finishes(tmp_path: Path) -> None:
    with LocalSite() as site:
        items = []
        for n in range(1, PAGES + 1):
            path = f"/story/{n}"
            site.page(path, article_page(f"Story {n}", f"Story number {n} tells of the harbour in week {n}."),
                      delay=120.0 if n == SLOW else 0.0, etag=f'"{n}"')
            items.append({"link": path, "title": f"Story {n}", "date": f"Tue, 10 Jun 2025 {24 - n:02d}:00:00 GMT"})
        site.page("/feed.xml", rss(items), content_type="application/rss+xml")
        sync = subprocess.Popen([sys.executable, "-c", SYNC, str(tmp_path / "index"), site.url("/feed.xml")],
                                cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
        deadline = time.monotonic() + 120
        while not site.requests_to(f"/story/{SLOW}") and sync.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert site.requests_to(f"/story/{SLOW}"), "the sync reached the slow page"
        sync.send_signal(signal.SIGKILL)
        sync.wait()

        service = open_service(settings(tmp_path / "index"), FakeEmbedder())
        try:
            stored = {a.id for a in service.list_articles(100).articles}
            assert len(stored) == 16 and site.url("/story/1") in stored, "the first batch was committed"
            site.page(f"/story/{SLOW}", article_page(f"Story {SLOW}", f"Story number {SLOW} came in late."))
            site.clear_requests()
            synced = service.sources.sync(site.url("/feed.xml"))
            assert dict(synced.run.counts)["added"] == PAGES - 16 and synced.run.error is None
            assert all(not site.requests_to(f"/story/{n}") for n in range(1, 17)), "what it had is not asked again"
            assert service.stats().articles == PAGES
        finally:
            service.close()
