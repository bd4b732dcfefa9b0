"""Questions answered over HTTP while the same articles are pushed again with new text: every answer
comes from one version of each article, never a mix, and every quote is that version's text at its
offsets, as GET /v1/articles/{id} returned it."""

import re
import threading
import time
from collections import defaultdict

import httpx

from api.app import create_app
from tests.conftest import live_server

TOPICS = ("lighthouse", "bridge", "school")
VERSIONS = 30
READERS = 3
# Bounds the test on a slow machine; it is never asserted on.
WRITING_SECONDS = 4.0
EDITION = re.compile(r"edition (\d{4})")


def version_text(topic: str, version: int) -> str:
    """Every sentence names its edition, and every edition has the same length, so a quote from one
    edition sits at offsets that are valid in every other: only the edition number tells them apart."""
    edition = f"edition {version:04d}"
    return (
        f"The harbour council approved the {topic} repairs in {edition} of the report. "
        f"The mayor said the {topic} plan in {edition} costs two million.\n\n"
        f"Fishermen asked about the {topic} in {edition} at the evening meeting."
    )


def push(client: httpx.Client, version: int) -> None:
    articles = [{"id": topic, "title": f"The {topic}", "text": version_text(topic, version)} for topic in TOPICS]
    response = client.post("/v1/articles", json=articles)
    assert response.status_code == 200, response.text


def quoted(item: dict) -> str:
    """A citation's quote or a passage's text: either is its article's text[start:end]."""
    return item["quote"] if "quote" in item else item["text"]


def editions_by_article(body: dict) -> dict[str, set[str]]:
    """The editions each article's quotes and passages come from, in one answer or search."""
    found: dict[str, set[str]] = defaultdict(set)
    for item in body.get("citations", []) + body["passages"]:
        editions = set(EDITION.findall(quoted(item)))
        assert editions, quoted(item)
        found[item["article_id"]] |= editions
    return found


def test_answers_during_updates_come_from_one_whole_version(settings, service) -> None:
    stored: dict[tuple[str, str], str] = {}  # (article id, edition) -> the text GET returned for it
    seen: list[dict] = []
    failures: list[BaseException] = []
    writing = threading.Event()
    writing.set()
    answered = threading.Semaphore(0)

    with live_server(create_app(settings, service)) as url:
        def write() -> None:
            with httpx.Client(base_url=url, timeout=30) as client:
                deadline = time.monotonic() + WRITING_SECONDS
                for version in range(1, VERSIONS + 1):
                    push(client, version)
                    for topic in TOPICS:
                        stored[(topic, f"{version:04d}")] = client.get(f"/v1/articles/{topic}").json()["text"]
                    answered.acquire(timeout=5)  # let at least one answer in between two pushes
                    if time.monotonic() > deadline:
                        break

        def read(reader: int) -> None:
            with httpx.Client(base_url=url, timeout=30) as client:
                asked = 0
                while writing.is_set() or asked < 2:
                    topic = TOPICS[(reader + asked) % len(TOPICS)]
                    question = f"What did the harbour council approve for the {topic}?"
                    if asked % 3 == 2:
                        response = client.get("/v1/search", params={"q": question, "top_k": 5})
                    else:
                        response = client.post("/v1/ask", json={"question": question, "top_k": 5})
                    assert response.status_code == 200, response.text
                    seen.append(response.json())
                    answered.release()
                    asked += 1

        def guarded(work, *args) -> None:
            try:
                work(*args)
            except BaseException as error:  # reported by the test's own thread below
                failures.append(error)

        with httpx.Client(base_url=url, timeout=30) as client:
            push(client, 0)
            for topic in TOPICS:
                stored[(topic, "0000")] = client.get(f"/v1/articles/{topic}").json()["text"]
        readers = [threading.Thread(target=guarded, args=(read, n)) for n in range(READERS)]
        for thread in readers:
            thread.start()
        guarded(write)
        writing.clear()
        for thread in readers:
            thread.join(timeout=60)

    assert not failures, failures
    assert all(not thread.is_alive() for thread in readers)
    for (topic, edition), text in stored.items():
        assert text == version_text(topic, int(edition))
    versions_seen = set()
    for body in seen:
        for article_id, editions in editions_by_article(body).items():
            assert len(editions) == 1, (article_id, editions, body)  # never two versions in one answer
            versions_seen |= editions
        for item in body.get("citations", []) + body["passages"]:
            text = stored[(item["article_id"], EDITION.search(quoted(item)).group(1))]
            assert text[item["start"] : item["end"]] == quoted(item)
    assert sum(bool(body.get("citations")) for body in seen) > 0
    assert len(versions_seen) >= 2  # the answers did span the updates
