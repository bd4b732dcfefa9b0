"""The chat page in real headless Chromium: ask, read the cited answer, open the source with the quote
highlighted; untrusted article text stays text; keyboard only; phone-sized screen."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from api.app import create_app
from qa.articles import Article
from qa.generation import AnswerWriter
from qa.service import QAService, open_service
from qa.settings import Settings
from tests.conftest import SEEDS, live_server

pytestmark = pytest.mark.integration

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
HOSTILE = Article(
    id="bridge-toll",
    title="<b>Bridge</b> toll <script>window.__pwned = 'title'</script>",
    url="javascript:window.__pwned = 'link'",
    source="<i>City desk</i>",
    text=(
        "The mayor announced a new bridge toll of four dollars on Monday. "
        "<script>window.__pwned = 'script'</script> Residents said <img src=x onerror=\"window.__pwned = 'img'\"> "
        "the bridge toll was far too high for daily commuters."
    ),
)


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is not installed (`make test` installs Debian's chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def site(real_embedder, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, QAService]]:
    settings = Settings(index_dir=tmp_path_factory.mktemp("page-index"))
    service = open_service(settings, real_embedder)
    service.ingest_paths([SEEDS])
    service.ingest_articles([HOSTILE])
    with live_server(create_app(settings, service)) as base:
        yield base, service
    service.close()


@pytest.fixture
def page(browser, site):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("dialog", lambda dialog: (errors.append(f"browser dialog: {dialog.message}"), dialog.dismiss()))
    page.goto(site[0])
    yield page
    context.close()
    assert errors == []


def ask(page, question: str) -> None:
    page.fill("#question", question)
    page.press("#question", "Enter")
    page.locator(".turn.done").last.wait_for(timeout=30_000)


def test_ask_see_citation_open_it_and_see_the_quote_highlighted(page, site) -> None:
    ask(page, "Why did Netanyahu thank Putin?")
    turn = page.locator(".turn").last
    first_sentence = turn.locator(".sentence").first.inner_text()
    assert "gratitude towards Putin" in first_sentence
    assert turn.locator(".passages li").count() >= 1
    turn.locator(".marker").first.click()
    dialog = page.locator("#source-view")
    dialog.wait_for(state="visible")
    mark = dialog.locator("mark")
    assert mark.inner_text() == first_sentence
    assert page.locator("#source-title").inner_text() == "Netanyahu’s Firm Stance in Diplomatic Dialogue with Putin"
    assert mark.is_visible() and _in_viewport(page, mark)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / "chat-source-open.png", full_page=True)


def test_hostile_article_text_is_shown_as_text_and_never_runs(page) -> None:
    ask(page, "What did the mayor announce about the bridge toll?")
    answer = page.locator(".turn").last
    assert "bridge toll" in answer.locator(".answer").inner_text()
    answer.locator(".marker").first.click()
    page.locator("#source-view").wait_for(state="visible")
    text = page.locator("#source-text").inner_text()
    assert "<script>window.__pwned = 'script'</script>" in text and "<img src=x onerror=" in text
    assert page.locator("#source-title").inner_text().startswith("<b>Bridge</b> toll <script>")
    assert page.locator("img").count() == 0 and page.locator("body script").count() == 0
    assert page.locator("#source-meta a").count() == 0, "a javascript: URL is never made a link"
    assert page.evaluate("window.__pwned") is None
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / "chat-hostile-article.png", full_page=True)


def test_not_found_is_said_plainly_with_the_nearest_passages(page) -> None:
    ask(page, "What is the boiling point of liquid nitrogen in a vacuum chamber?")
    turn = page.locator(".turn").last
    assert turn.locator(".status").inner_text() == "Not found in the articles."
    assert turn.locator(".passages-title").inner_text() == "Nearest passages"
    assert turn.locator(".passages li").count() >= 1 and turn.locator(".marker").count() == 0


def test_filters_narrow_the_articles(page) -> None:
    page.click("summary")
    page.fill("#source", "no-such-source.example")
    ask(page, "Why did Netanyahu thank Putin?")
    turn = page.locator(".turn").last
    assert turn.locator(".status").inner_text() in {"Not found in the articles.", "No passages match."}
    assert turn.locator(".passages li").count() == 0


def test_everything_works_from_the_keyboard(page) -> None:
    page.keyboard.type("Why did Netanyahu thank Putin?")  # the question box has focus on load
    page.keyboard.press("Enter")
    page.locator(".turn.done").last.wait_for(timeout=30_000)
    marker = page.locator(".marker").first
    for _ in range(40):
        if page.evaluate("document.activeElement.classList.contains('marker')"):
            break
        page.keyboard.press("Shift+Tab")
    assert page.evaluate("document.activeElement.classList.contains('marker')")
    page.keyboard.press("Enter")
    page.locator("#source-view").wait_for(state="visible")
    assert marker.inner_text() == "[1]"
    page.keyboard.press("Escape")
    page.locator("#source-view").wait_for(state="hidden")


def test_readable_on_a_phone_sized_screen(browser, site) -> None:
    context = browser.new_context(viewport={"width": 375, "height": 740}, is_mobile=True)
    page = context.new_page()
    page.goto(site[0])
    ask(page, "Why did Netanyahu thank Putin?")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.locator(".marker").first.click()
    page.locator("#source-view").wait_for(state="visible")
    box = page.locator("#source-view").bounding_box()
    assert box["width"] <= 375
    assert page.locator("#source-close").is_visible() and _in_viewport(page, page.locator("#source-close"))
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / "chat-phone.png")
    context.close()


def test_the_page_uses_nothing_from_other_hosts(browser, site) -> None:
    context = browser.new_context()
    page = context.new_page()
    hosts: set[str] = set()
    page.on("request", lambda request: hosts.add(request.url.split("/")[2]))
    page.goto(site[0])
    page.wait_for_load_state("networkidle")
    assert hosts == {site[0].split("/")[2]}
    context.close()


def _in_viewport(page, locator) -> bool:
    box = locator.bounding_box()
    height = page.evaluate("window.innerHeight")
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= height


def test_a_written_answer_shows_its_markers_as_sources(browser, real_embedder, tmp_path_factory) -> None:
    class Writes:
        def complete(self, messages):
            return "Netanyahu thanked Putin for the release of Israeli citizens held by Hamas in Gaza [1]."

    settings = Settings(index_dir=tmp_path_factory.mktemp("written-index"))
    seeded = open_service(settings, real_embedder)
    seeded.ingest_paths([SEEDS])
    service = QAService(seeded._store, real_embedder, settings, writer=AnswerWriter(Writes()))
    with live_server(create_app(settings, service)) as base:
        context = browser.new_context()
        page = context.new_page()
        page.goto(base)
        ask(page, "Why did Netanyahu thank Putin?")
        written = page.locator(".turn .written")
        assert written.inner_text().startswith("Netanyahu thanked Putin for the release")
        written.locator(".marker").click()
        page.locator("#source-view").wait_for(state="visible")
        assert page.locator("mark").inner_text().startswith("Netanyahu’s gratitude towards Putin")
        context.close()
    seeded.close()
