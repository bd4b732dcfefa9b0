import gzip
import socket
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from qa.sources.fetching import MAX_BACKOFF_SECONDS, MAX_CRAWL_DELAY_SECONDS, USER_AGENT, FetchFailed, Fetcher, \
    FetchPolicy
from tests.local_site import LocalSite, http_date
from tests.servers import free_port

RSS = b"<?xml version='1.0'?><rss version='2.0'><channel><title>Wire</title></channel></rss>"


class FakeTime:
    """A clock that moves only when slept on; the sleeps asked for are recorded, none is waited."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def site() -> Iterator[LocalSite]:
    with LocalSite() as site:
        yield site


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def make_fetcher(site: LocalSite, fake_time: FakeTime) -> Iterator[Callable[..., Fetcher]]:
    """Fetchers on the fake clock. Unless a test says otherwise they skip robots.txt and pacing, so that
    what a test counts is what it is about."""
    fetchers: list[Fetcher] = []

    def make(**policy: object) -> Fetcher:
        settings: dict[str, object] = {"respect_robots": False, "politeness_seconds": 0.0, **policy}
        fetcher = Fetcher(FetchPolicy(**settings), sleep=fake_time.sleep, clock=fake_time.clock)  # type: ignore[arg-type]
        fetchers.append(fetcher)
        return fetcher

    yield make
    for fetcher in fetchers:
        fetcher.close()


# What is fetched


def test_a_page_comes_with_its_validators_and_media_type(site: LocalSite, make_fetcher) -> None:
    modified = http_date(1_700_000_000)
    site.page("/feed.xml", RSS, content_type="application/RSS+xml; charset=UTF-8", etag='"v1"',
              last_modified=modified)
    fetched = make_fetcher().fetch(site.url("/feed.xml"))
    assert (fetched.url, fetched.status, fetched.not_modified, fetched.body) == (site.url("/feed.xml"), 200, False, RSS)
    assert (fetched.etag, fetched.last_modified) == ('"v1"', modified)
    assert (fetched.content_type, fetched.charset) == ("application/rss+xml", "utf-8")


def test_a_page_without_validators_or_content_type_gives_none(site: LocalSite, make_fetcher) -> None:
    site.page("/plain", "x", content_type="text/plain")
    fetched = make_fetcher().fetch(site.url("/plain"))
    assert (fetched.etag, fetched.last_modified, fetched.content_type, fetched.charset) == (None, None, "text/plain",
                                                                                            None)
    assert "if-none-match" not in site.requests_to("/plain")[0].headers


@pytest.mark.parametrize("condition", ["etag", "last_modified"])
def test_an_unchanged_page_is_answered_304(site: LocalSite, make_fetcher, condition: str) -> None:
    modified = http_date(1_700_000_000)
    site.page("/feed.xml", RSS, etag='"v1"', last_modified=modified)
    fetcher = make_fetcher()
    first = fetcher.fetch(site.url("/feed.xml"))
    again = fetcher.fetch(site.url("/feed.xml"), **{condition: getattr(first, condition)})
    assert (again.status, again.not_modified, again.body) == (304, True, b"")
    assert (again.etag, again.last_modified) == ('"v1"', modified)
    assert site.statuses("/feed.xml") == [200, 304]
    sent = site.requests_to("/feed.xml")[1].headers
    assert sent.get("if-none-match" if condition == "etag" else "if-modified-since") == getattr(first, condition)


def test_a_changed_page_is_fetched_again_with_its_new_validator(site: LocalSite, make_fetcher) -> None:
    site.page("/feed.xml", RSS, etag='"v1"')
    fetcher = make_fetcher()
    first = fetcher.fetch(site.url("/feed.xml"))
    site.change("/feed.xml", RSS + b"<!-- new -->", etag='"v2"')
    changed = fetcher.fetch(site.url("/feed.xml"), etag=first.etag)
    assert (changed.status, changed.body.endswith(b"<!-- new -->"), changed.etag) == (200, True, '"v2"')


def test_a_gzip_file_is_returned_as_served_not_unpacked(site: LocalSite, make_fetcher) -> None:
    packed = gzip.compress(b"<urlset></urlset>")
    site.page("/sitemap.xml.gz", packed, content_type="application/gzip")
    fetched = make_fetcher().fetch(site.url("/sitemap.xml.gz"))
    assert (fetched.body, fetched.content_type) == (packed, "application/gzip")


def test_a_gzip_encoded_page_is_decoded(site: LocalSite, make_fetcher) -> None:
    site.page("/feed.xml", RSS, gzip=True)
    assert make_fetcher().fetch(site.url("/feed.xml")).body == RSS
    assert "gzip" in site.requests_to("/feed.xml")[0].headers["accept-encoding"]


def test_the_user_agent_is_sent_with_every_request_robots_txt_included(site: LocalSite, make_fetcher) -> None:
    site.page("/a", "a")
    make_fetcher(respect_robots=True).fetch(site.url("/a"))
    assert [(r.path, r.headers["user-agent"]) for r in site.requests] == [("/robots.txt", USER_AGENT),
                                                                           ("/a", USER_AGENT)]
    assert USER_AGENT.startswith("news-qa/")


# Failures and retries


def test_a_404_fails_at_once_and_is_not_retryable(site: LocalSite, make_fetcher, fake_time: FakeTime) -> None:
    with pytest.raises(FetchFailed) as failed:
        make_fetcher().fetch(site.url("/missing"))
    assert (failed.value.status, failed.value.retryable, failed.value.code) == (404, False, "fetch_failed")
    assert failed.value.message == f"could not fetch {site.url('/missing')}: HTTP 404 Not Found"
    assert failed.value.url == site.url("/missing") and failed.value.details["status"] == 404
    assert site.statuses("/missing") == [404] and fake_time.sleeps == []


def test_503s_are_retried_with_doubling_backoff(site: LocalSite, make_fetcher, fake_time: FakeTime) -> None:
    site.page("/busy", "finally", statuses=[503, 503])
    assert make_fetcher(backoff_seconds=1.5).fetch(site.url("/busy")).body == b"finally"
    assert site.statuses("/busy") == [503, 503, 200]
    assert fake_time.sleeps == [1.5, 3.0]


def test_after_the_last_retry_the_failure_is_retryable(site: LocalSite, make_fetcher, fake_time: FakeTime) -> None:
    site.page("/down", "never", statuses=[502] * 4)
    with pytest.raises(FetchFailed, match="HTTP 502 Bad Gateway") as failed:
        make_fetcher(retries=3).fetch(site.url("/down"))
    assert (failed.value.status, failed.value.retryable) == (502, True)
    assert site.statuses("/down") == [502] * 4 and fake_time.sleeps == [1.0, 2.0, 4.0]


def test_backoff_is_capped(site: LocalSite, make_fetcher, fake_time: FakeTime) -> None:
    site.page("/busy", "ok", statuses=[500, 504, 500])
    make_fetcher(backoff_seconds=40.0).fetch(site.url("/busy"))
    assert fake_time.sleeps == [40.0, MAX_BACKOFF_SECONDS, MAX_BACKOFF_SECONDS]


@pytest.mark.parametrize(("retry_after", "cap", "slept"),
                         [("7", 120.0, 7.0), ("1000", 30.0, 30.0), ("soon", 120.0, 1.0)])
def test_retry_after_in_seconds_is_honoured_up_to_the_cap(site: LocalSite, make_fetcher, fake_time: FakeTime,
                                                          retry_after: str, cap: float, slept: float) -> None:
    site.page("/limited", "ok", statuses=[429], headers={"Retry-After": retry_after})
    make_fetcher(max_retry_after_seconds=cap).fetch(site.url("/limited"))
    assert site.statuses("/limited") == [429, 200] and fake_time.sleeps == [slept]


def test_retry_after_as_an_http_date_is_honoured(site: LocalSite, make_fetcher, fake_time: FakeTime) -> None:
    site.page("/limited", "ok", statuses=[503], headers={"Retry-After": http_date(time.time() + 30)})
    make_fetcher().fetch(site.url("/limited"))
    assert len(fake_time.sleeps) == 1 and 28 < fake_time.sleeps[0] <= 30


def test_a_slow_page_times_out(site: LocalSite, make_fetcher) -> None:
    site.page("/slow", "late", delay=3.0)
    started = time.monotonic()
    with pytest.raises(FetchFailed, match="timed out after 0.5 s") as failed:
        make_fetcher(timeout_seconds=0.5, retries=0).fetch(site.url("/slow"))
    assert failed.value.retryable and failed.value.status is None
    assert time.monotonic() - started < 2


def test_a_page_trickling_in_within_the_timeout_is_given_up_when_its_time_runs_out(make_fetcher) -> None:
    with socket.create_server(("127.0.0.1", 0)) as server:
        def trickle() -> None:
            conn, _ = server.accept()
            with conn:
                conn.recv(65536)
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 100\r\n\r\n")
                for _ in range(40):  # a byte every 0.1 s: never a wait of the 1 s timeout, 4 s in all
                    try:
                        conn.sendall(b"x")
                    except OSError:
                        return
                    time.sleep(0.1)

        sender = threading.Thread(target=trickle)
        sender.start()
        started = time.monotonic()
        with pytest.raises(FetchFailed, match="still arriving when its time ran out") as failed:
            make_fetcher(timeout_seconds=1.0, response_seconds=0.5, retries=0).fetch(
                f"http://127.0.0.1:{server.getsockname()[1]}/slow")
        assert failed.value.retryable and time.monotonic() - started < 2
        sender.join()


def test_a_refused_connection_is_retried_then_fails(make_fetcher, fake_time: FakeTime) -> None:
    with pytest.raises(FetchFailed, match="connection refused") as failed:
        make_fetcher(retries=2).fetch(f"http://127.0.0.1:{free_port()}/a")
    assert failed.value.retryable and fake_time.sleeps == [1.0, 2.0]


@pytest.mark.parametrize("served", ["with a Content-Length", "chunked", "gzip bomb"])
def test_a_body_over_max_bytes_fails(site: LocalSite, make_fetcher, served: str) -> None:
    body = b"\0" * 1_000_000 if served == "gzip bomb" else b"x" * 5_000
    site.page("/big", body, chunked=served == "chunked", gzip=served == "gzip bomb")
    limit = 100_000 if served == "gzip bomb" else 1_000
    assert served != "gzip bomb" or len(gzip.compress(body)) < limit  # only inflating passes the limit
    with pytest.raises(FetchFailed, match=f"larger than {limit:,} bytes") as failed:
        make_fetcher(max_bytes=limit).fetch(site.url("/big"))
    assert not failed.value.retryable and site.statuses("/big") == [200]


def test_a_body_of_exactly_max_bytes_is_fetched(site: LocalSite, make_fetcher) -> None:
    site.page("/exact", b"x" * 1_000, chunked=True)
    assert len(make_fetcher(max_bytes=1_000).fetch(site.url("/exact")).body) == 1_000


@pytest.mark.parametrize("url", ["ftp://example.org/feed", "file:///etc/passwd", "mailto:desk@example.org",
                                 "news.example.org/feed", "http:///no-host"])
def test_only_http_and_https_urls_are_fetched(make_fetcher, url: str) -> None:
    with pytest.raises(FetchFailed, match="not an http or https URL") as failed:
        make_fetcher().fetch(url)
    assert failed.value.url == url and not failed.value.retryable


# Redirects


def test_a_redirect_is_followed_and_the_final_url_reported(site: LocalSite, make_fetcher) -> None:
    site.redirect("/old", "/middle", status=301)
    site.redirect("/middle", site.url("/new"), status=308)
    site.page("/new", "here")
    fetched = make_fetcher().fetch(site.url("/old"))
    assert (fetched.url, fetched.body) == (site.url("/new"), b"here")


def test_too_many_redirects_fail(site: LocalSite, make_fetcher) -> None:
    site.redirect("/a", "/b")
    site.redirect("/b", "/a")
    with pytest.raises(FetchFailed, match="too many redirects"):
        make_fetcher(max_redirects=3).fetch(site.url("/a"))
    assert len(site.requests) == 4


def test_a_redirect_to_another_scheme_is_refused(site: LocalSite, make_fetcher) -> None:
    site.redirect("/feed", "ftp://files.example.org/feed.xml")
    with pytest.raises(FetchFailed, match="redirected to 'ftp://files.example.org/feed.xml', not an http or https"):
        make_fetcher().fetch(site.url("/feed"))


def test_each_hop_of_a_redirect_asks_its_own_host_robots_txt(site: LocalSite, make_fetcher) -> None:
    site.redirect("/moved", site.url("/private/story", host="localhost"))
    site.page("/private/story", "secret")
    site.page("/robots.txt", "User-agent: *\nDisallow: /private/\n", content_type="text/plain")
    with pytest.raises(FetchFailed, match="robots.txt disallows it"):
        make_fetcher(respect_robots=True).fetch(site.url("/moved"))
    robots_hosts = [r.headers["host"].partition(":")[0] for r in site.requests_to("/robots.txt")]
    assert robots_hosts == ["127.0.0.1", "localhost"] and site.requests_to("/private/story") == []


# robots.txt


def test_a_path_robots_txt_disallows_is_never_requested(site: LocalSite, make_fetcher) -> None:
    site.page("/robots.txt", "User-agent: *\nDisallow: /private/\n", content_type="text/plain")
    site.page("/private/story", "secret")
    site.page("/public/story", "news")
    fetcher = make_fetcher(respect_robots=True)
    with pytest.raises(FetchFailed, match="robots.txt disallows it") as failed:
        fetcher.fetch(site.url("/private/story"))
    assert not failed.value.retryable and site.requests_to("/private/story") == []
    assert fetcher.fetch(site.url("/public/story")).body == b"news"
    assert len(site.requests_to("/robots.txt")) == 1  # read once for the host


def test_robots_txt_groups_match_our_product_token(site: LocalSite, make_fetcher) -> None:
    # "github" appears in our User-Agent's contact URL, but is not our name.
    site.page("/robots.txt", "User-agent: github\nDisallow: /\n\nUser-agent: news-qa\nDisallow: /wire/\n",
              content_type="text/plain")
    site.page("/story", "news")
    fetcher = make_fetcher(respect_robots=True)
    assert fetcher.fetch(site.url("/story")).body == b"news"
    with pytest.raises(FetchFailed, match="robots.txt disallows it"):
        fetcher.fetch(site.url("/wire/story"))


def test_without_robots_txt_everything_is_allowed(site: LocalSite, make_fetcher) -> None:
    site.page("/story", "news")
    assert make_fetcher(respect_robots=True).fetch(site.url("/story")).body == b"news"
    assert site.statuses("/robots.txt") == [404]


def test_a_failing_robots_txt_bars_the_host(site: LocalSite, make_fetcher, fake_time: FakeTime) -> None:
    site.page("/robots.txt", "oops", status=500)
    site.page("/story", "news")
    fetcher = make_fetcher(respect_robots=True, retries=1)
    with pytest.raises(FetchFailed, match=r"robots.txt could not be read \(HTTP 500") as failed:
        fetcher.fetch(site.url("/story"))
    assert failed.value.retryable and site.requests_to("/story") == []
    assert site.statuses("/robots.txt") == [500, 500]  # retried like any fetch, then cached as a failure
    with pytest.raises(FetchFailed, match="robots.txt could not be read"):
        fetcher.fetch(site.url("/story"))
    assert len(site.requests_to("/robots.txt")) == 2


def test_an_unreachable_robots_txt_bars_the_host(make_fetcher) -> None:
    with pytest.raises(FetchFailed, match=r"robots.txt could not be read \(connection refused\)"):
        make_fetcher(respect_robots=True, retries=0).fetch(f"http://127.0.0.1:{free_port()}/story")


def test_robots_txt_is_read_again_after_an_hour(site: LocalSite, make_fetcher, fake_time: FakeTime) -> None:
    site.page("/robots.txt", "User-agent: *\nAllow: /\n", content_type="text/plain")
    site.page("/story", "news")
    fetcher = make_fetcher(respect_robots=True)
    fetcher.fetch(site.url("/story"))
    fake_time.now += 1800
    site.page("/robots.txt", "User-agent: *\nDisallow: /\n", content_type="text/plain")
    fetcher.fetch(site.url("/story"))
    fake_time.now += 1801
    with pytest.raises(FetchFailed, match="robots.txt disallows it"):
        fetcher.fetch(site.url("/story"))
    assert len(site.requests_to("/robots.txt")) == 2


def test_robots_txt_is_read_up_to_500_kib(site: LocalSite, make_fetcher) -> None:
    padding = "# " + "x" * 1000 + "\n"
    robots = "User-agent: *\nDisallow: /early\n" + padding * 520 + "Disallow: /late\n"
    site.page("/robots.txt", robots, content_type="text/plain")
    site.page("/early", "e")
    site.page("/late", "l")
    fetcher = make_fetcher(respect_robots=True)
    assert fetcher.fetch(site.url("/late")).body == b"l"
    with pytest.raises(FetchFailed, match="robots.txt disallows it"):
        fetcher.fetch(site.url("/early"))


# Pace


def test_two_requests_to_one_host_are_spaced(site: LocalSite, make_fetcher, fake_time: FakeTime) -> None:
    site.page("/a", "a")
    site.page("/b", "b")
    fetcher = make_fetcher(politeness_seconds=1.0)
    fetcher.fetch(site.url("/a"))
    fake_time.now += 0.25
    fetcher.fetch(site.url("/b"))
    assert fake_time.sleeps == [0.75]


def test_robots_txt_counts_as_a_request_to_its_host(site: LocalSite, make_fetcher, fake_time: FakeTime) -> None:
    site.page("/a", "a")
    make_fetcher(politeness_seconds=1.0, respect_robots=True).fetch(site.url("/a"))
    assert fake_time.sleeps == [1.0]


def test_different_hosts_do_not_wait_for_each_other(site: LocalSite, make_fetcher, fake_time: FakeTime) -> None:
    site.page("/a", "a")
    fetcher = make_fetcher(politeness_seconds=1.0)
    fetcher.fetch(site.url("/a"))
    fetcher.fetch(site.url("/a", host="localhost"))
    assert fake_time.sleeps == []


@pytest.mark.parametrize(("crawl_delay", "spacing"), [("5", 5.0), ("0.2", 1.0), ("86400", MAX_CRAWL_DELAY_SECONDS)])
def test_a_longer_crawl_delay_spaces_requests_more(site: LocalSite, make_fetcher, fake_time: FakeTime,
                                                   crawl_delay: str, spacing: float) -> None:
    site.page("/robots.txt", f"User-agent: *\nCrawl-delay: {crawl_delay}\n", content_type="text/plain")
    site.page("/a", "a")
    fetcher = make_fetcher(politeness_seconds=1.0, respect_robots=True)
    fetcher.fetch(site.url("/a"))
    fetcher.fetch(site.url("/a"))
    assert fake_time.sleeps == [spacing, spacing]


def test_threads_sharing_a_fetcher_keep_the_pace(site: LocalSite) -> None:
    site.page("/a", "a")
    with Fetcher(FetchPolicy(politeness_seconds=0.2, respect_robots=False)) as fetcher:
        threads = [threading.Thread(target=fetcher.fetch, args=(site.url("/a"),)) for _ in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    arrivals = [request.received_at for request in site.requests_to("/a")]
    assert len(arrivals) == 3
    assert all(later - earlier >= 0.2 for earlier, later in zip(arrivals, arrivals[1:]))


# Policy


@pytest.mark.parametrize(
    ("setting", "value", "message"),
    [
        ("timeout_seconds", 0, "timeout_seconds must be greater than 0, got 0"),
        ("timeout_seconds", float("nan"), "timeout_seconds must be a finite number of seconds, got nan"),
        ("politeness_seconds", -0.5, "politeness_seconds must not be negative, got -0.5"),
        ("backoff_seconds", float("inf"), "backoff_seconds must be a finite number of seconds, got inf"),
        ("max_retry_after_seconds", -1, "max_retry_after_seconds must not be negative, got -1"),
        ("max_bytes", 0, "max_bytes must be at least 1, got 0"),
        ("retries", -1, "retries must be at least 0, got -1"),
        ("retries", True, "retries must be a whole number, got True"),
        ("max_redirects", 1.5, "max_redirects must be a whole number, got 1.5"),
        ("user_agent", " ", "user_agent must be a non-empty single-line header value, got ' '"),
        ("user_agent", "bot\r\nX-Evil: 1", "got 'bot\\r\\nX-Evil: 1'"),
    ],
)
def test_a_bad_policy_is_refused_with_the_value(setting: str, value: object, message: str) -> None:
    with pytest.raises(ValueError) as refused:
        FetchPolicy(**{setting: value})  # type: ignore[arg-type]
    assert message in str(refused.value)


def test_the_default_policy_is_polite() -> None:
    policy = FetchPolicy()
    assert (policy.user_agent, policy.timeout_seconds, policy.max_bytes, policy.politeness_seconds) == (
        USER_AGENT, 20.0, 10_000_000, 1.0)
    assert (policy.retries, policy.respect_robots, policy.max_redirects) == (3, True, 5)
