"""The browser and the servers the chat page's tests ask: the seeds beside a hostile article, and a
newsroom's dated articles pushed through the API."""

import os
from collections.abc import Iterator

import httpx
import pytest

from api.app import create_app
from api.settings import ServerSettings
from qa.composition import open_service
from tests.api.page.helpers import (
    CHROMIUM, CHROMIUM_FLAGS, DATA_URL, HOSTILE, STRIKE_BEGINS, STRIKE_ENDS, Site, browsing, missing_browser,
)
from tests.conftest import SEEDS, live_server


@pytest.fixture(scope="module")
def browser():
    # Module fixtures are set up before the function fixture that clears QA_* variables, so this sees them.
    if not CHROMIUM.exists():
        missing_browser(f"{CHROMIUM} is not installed (`make test` installs Debian's chromium)", os.environ)
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing_browser("playwright is not installed (`make test` installs it)", os.environ)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def site(real_embedder, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The seed articles and the hostile one."""
    settings = ServerSettings(index_dir=tmp_path_factory.mktemp("page-index"))
    service = open_service(settings, real_embedder)
    service.ingest_paths([SEEDS])
    service.ingest_articles([HOSTILE])
    with live_server(create_app(settings, service)) as base:
        yield Site(base, settings, real_embedder)
    service.close()


@pytest.fixture(scope="module")
def newsroom(real_embedder, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """Dated articles with all their source details, pushed through the API; apart from the seeds, whose
    answers would change with more articles beside them."""
    settings = ServerSettings(index_dir=tmp_path_factory.mktemp("newsroom-index"))
    service = open_service(settings, real_embedder)
    with live_server(create_app(settings, service)) as base:
        added = httpx.post(f"{base}/v1/articles", json=[STRIKE_BEGINS, STRIKE_ENDS, DATA_URL], timeout=60)
        assert added.status_code == 200, added.text
        yield Site(base, settings, real_embedder)
    service.close()


@pytest.fixture
def page(browser, site):
    with browsing(browser, site.base) as page:
        yield page


@pytest.fixture
def newsroom_page(browser, newsroom):
    with browsing(browser, newsroom.base) as page:
        yield page
