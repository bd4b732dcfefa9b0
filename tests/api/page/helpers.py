"""What the chat page's browser tests share: the browser and its flags, the articles asked about, and
the steps a reader takes on the page."""

import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple, NoReturn

import pytest

from api.app import create_app
from api.settings import ServerSettings
from qa.articles import Article
from qa.embedding.embedder import Embedder
from qa.answering.generation import AnswerWriter, ChatModel
from qa.composition import open_service
from tests.conftest import live_server

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
# `make test` sets it, so a machine without the browser fails instead of passing with the page untested.
REQUIRE_BROWSER = "QA_REQUIRE_BROWSER"
ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts"
NETANYAHU = "Why did Netanyahu thank Putin?"
WRITTEN = "Netanyahu thanked Putin for the release of Israeli citizens held by Hamas in Gaza [1]."
HOSTILE = Article(
    id="bridge-toll",
    title="<b>Bridge</b> toll <script>window.__pwned = 'title'</script>",
    url="javascript:window.__pwned = 'link'",
    source="<i>City desk</i>",
    text=(
        "Mayor Ana Ruiz announced a new bridge toll of four dollars on Monday. "
        "<script>window.__pwned = 'script'</script> Residents said <img src=x onerror=\"window.__pwned = 'img'\"> "
        "the bridge toll was far too high for daily commuters."
    ),
)
# Pushed through the API: the same story on two dates, with every source detail the page shows.
STRIKE_BEGINS = {
    "id": "ferry-strike-begins", "title": "Ferry workers walk out over pay", "source": "Harbour Gazette",
    "url": "https://harbour-gazette.example/2024/03/ferry-strike-begins", "published_at": "2024-03-05",
    "text": "Ferry workers at the harbour began a strike on Tuesday over pay. The ferry strike stopped every "
            "crossing to the island, and the union said it would last until the operator raised wages.",
}
STRIKE_ENDS = {
    "id": "ferry-strike-ends", "title": "Ferry strike ends with a pay deal", "source": "Island Times",
    "url": "https://island-times.example/ferry-deal", "published_at": "2024-06-20T09:30:00Z",
    "text": "The ferry strike ended on Thursday after ferry workers accepted a pay rise of six percent. "
            "Ferry crossings to the island restart on Monday, the operator said.",
}
DATA_URL = {
    "id": "lighthouse-log", "title": "Lighthouse keepers' log", "source": "Archive desk",
    "url": "data:text/html,<script>window.__pwned = 'data'</script>",
    "text": "The lighthouse keepers wrote the weather in a leather logbook every night for forty years.",
}
STRIKE = "What happened in the ferry strike over pay?"


def missing_browser(reason: str, environ: Mapping[str, str]) -> NoReturn:
    """A developer's ad-hoc run skips the browser tests; a run that requires them fails, saying why."""
    if environ.get(REQUIRE_BROWSER) == "1":
        pytest.fail(f"{reason}, and {REQUIRE_BROWSER}=1 requires the browser tests to run", pytrace=False)
    pytest.skip(reason)


class Site(NamedTuple):
    base: str
    settings: ServerSettings
    embedder: Embedder


@contextmanager
def browsing(browser, base: str, **context_options) -> Iterator:
    """A fresh page on `base`; a script error, a browser dialog (an alert from injected script) or anything
    the Content-Security-Policy blocked fails the test."""
    context = browser.new_context(**{"viewport": {"width": 1280, "height": 900}, **context_options})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: errors.append(message.text)
            if message.type == "error" and "Content Security Policy" in message.text else None)
    page.on("dialog", lambda dialog: (errors.append(f"browser dialog: {dialog.message}"), dialog.dismiss()))
    page.goto(base)
    yield page
    context.close()
    assert errors == []


@contextmanager
def written_by(site: Site, model: ChatModel) -> Iterator[str]:
    """The site's articles served by a second app whose answers `model` writes, as a second worker would."""
    writing = open_service(site.settings, site.embedder, writer=AnswerWriter(model))
    try:
        with live_server(create_app(site.settings, writing)) as base:
            yield base
    finally:
        writing.close()


def ask(page, question: str) -> None:
    send(page, question)
    page.locator(".turn.done").last.wait_for(timeout=30_000)


def send(page, question: str) -> None:
    page.fill("#question", question)
    page.press("#question", "Enter")


def set_filters(page, **values: str) -> None:
    """Fills the filter fields by name, then folds the filters away again, as a reader would."""
    page.click("summary")
    for name, value in values.items():
        page.fill(f"#{name.replace('_', '-')}", value)
    page.click("summary")


def passage_titles(turn) -> list[str]:
    return turn.locator(".passages .link-button").all_inner_texts()


def cited_lines(turn) -> list[str]:
    """Each cited article's line: title, source, date and link."""
    return turn.locator(".cited > li > .meta").all_inner_texts()


def serve_stream(page, *events: tuple[str, dict]) -> None:
    """Answers the page's questions with these events, as the API sends them, to try what it may send."""
    body = "".join(f"event: {name}\ndata: {json.dumps(data)}\n\n" for name, data in events)
    page.route("**/v1/ask/stream", lambda route: route.fulfill(content_type="text/event-stream", body=body))


def passage_of(article: dict) -> dict:
    return {"article_id": article["id"], "title": article["title"], "url": article["url"], "start": 0, "end": 20,
            "source": article["source"], "published_at": article["published_at"], "text": article["text"],
            "score": 0.5, "also_reported_by": []}


def screenshot(page, name: str, **options) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / name, **options)


def focused(page) -> str:
    """The focused element as a selector: its id, the marker class, or its tag."""
    return page.evaluate("""() => {
        const e = document.activeElement;
        if (e.id) return `#${e.id}`;
        return e.classList.contains("marker") ? ".marker" : e.tagName.toLowerCase();
    }""")


def the_original(route) -> None:
    route.fulfill(content_type="text/html", body="<title>the original</title>")


def fits_across(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def in_viewport(page, locator) -> bool:
    box = locator.bounding_box()
    height = page.evaluate("window.innerHeight")
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= height
