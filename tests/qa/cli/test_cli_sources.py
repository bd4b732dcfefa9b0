"""`qa sync` and `qa sources` against a newsroom site served on loopback."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from qa.cli import main as cli
from tests.fakes import FakeEmbedder
from tests.local_site import LocalSite
from tests.qa.sources.newsroom_site import publish, rss


@pytest.fixture(autouse=True)
def fake_model(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr("qa.composition.embedder_for", lambda settings: FakeEmbedder())
    monkeypatch.setenv("QA_INDEX_DIR", str(tmp_path / "index"))
    monkeypatch.setenv("QA_SYNC_HOST_DELAY_SECONDS", "0")
    monkeypatch.setenv("QA_SYNC_RETRIES", "0")


@pytest.fixture
def site() -> Iterator[LocalSite]:
    with LocalSite() as site:
        publish(site, "/harbour", "Harbour strike ends", "Dock workers ended the harbour strike after a pay deal.")
        site.page("/feed.xml", rss([{"link": "/harbour", "title": "Harbour strike ends"},
                                    {"link": "/gone", "title": "A page since removed"}]),
                  content_type="application/rss+xml")
        yield site


def test_sync_follows_a_feed_reports_what_it_skipped_and_sources_lists_it(
        site: LocalSite, capsys: pytest.CaptureFixture) -> None:
    assert cli.main(["sync", "-q", "--visibility", "internal", site.url("/feed.xml")]) == 3, "an item was skipped"
    out, err = capsys.readouterr()
    assert f"{site.url('/feed.xml')}: " in out and "1 added" in out and "1 failed" in out
    assert f"skipped {site.url('/gone')}: HTTP 404" in err
    assert cli.main(["sources"]) == 0
    listed = capsys.readouterr().out
    assert site.url("/feed.xml") in listed and "every 15m, internal" in listed and "1 added" in listed
    assert cli.main(["ask", "Who ended the harbour strike?"]) == 0
    assert "Dock workers ended the harbour strike" in capsys.readouterr().out


def test_sync_without_urls_syncs_every_source_followed(site: LocalSite, capsys: pytest.CaptureFixture) -> None:
    cli.main(["sync", "-q", site.url("/feed.xml")])
    capsys.readouterr()
    site.clear_requests()
    assert cli.main(["sync", "-q"]) == 3
    assert site.requests_to("/feed.xml") and "listed" in capsys.readouterr().out


def test_sources_remove_stops_following_and_keeps_the_articles(site: LocalSite, capsys) -> None:
    cli.main(["sync", "-q", site.url("/feed.xml")])
    assert cli.main(["sources", "--remove", site.url("/feed.xml")]) == 0
    assert "no longer following" in capsys.readouterr().out
    assert cli.main(["sources"]) == 0 and "no sources are followed" in capsys.readouterr().out
    assert cli.main(["sources", "--remove", site.url("/feed.xml")]) == 1
    assert "no source" in capsys.readouterr().err


@pytest.mark.parametrize(("argv", "message"), [
    (["sync", "ftp://news.example/feed"], "http or https"),
    (["sync", "--every", "5s", "http://news.example/feed"], "between 1m and 30d"),
    (["sync"], "no sources are followed"),
])
def test_sync_refuses_what_it_cannot_follow(argv: list[str], message: str, capsys: pytest.CaptureFixture) -> None:
    assert cli.main(argv) == 1
    assert message in capsys.readouterr().err


def test_a_source_unreachable_as_a_whole_exits_1(capsys: pytest.CaptureFixture) -> None:
    with LocalSite() as site:
        url = site.url("/feed.xml")
    assert cli.main(["sync", "-q", url]) == 1
    assert "error:" in capsys.readouterr().out


def test_sync_every_keeps_syncing_until_interrupted(site: LocalSite, capsys: pytest.CaptureFixture,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    waits = []

    def wait(seconds: float) -> None:  # the first wait passes; the second is the user's Ctrl-C
        waits.append(seconds)
        if len(waits) > 1:
            raise KeyboardInterrupt

    monkeypatch.setattr("qa.cli.sources.time.sleep", wait)
    assert cli.main(["sync", "-q", "--every", "1h", site.url("/feed.xml")]) == 130
    captured = capsys.readouterr()
    assert "1 added" in captured.out and "everything committed before this point is kept" in captured.err
    assert cli.main(["sources"]) == 0 and "every 1h" in capsys.readouterr().out
