"""Writing through the client: add, replace, read back and delete articles, sync and async."""

import asyncio

import pytest

from news_qa_client import AsyncNewsQA, NewsQA, NewsQAError
from news_qa_client.models import ArticleIn
from tests.client.conftest import ARTICLES

PRESS = {"title": "Press note", "source": "wire", "text": "The ministry said the bridge would reopen in May."}


def test_adding_twice_changes_nothing(client: NewsQA) -> None:
    first = client.add_articles(ARTICLES)
    again = client.add_articles([ArticleIn.model_validate(a) for a in ARTICLES])

    assert (first.added, again.unchanged) == (len(ARTICLES), len(ARTICLES))
    assert [r.version for r in first.results] == [r.version for r in again.results]


def test_one_article_may_be_added_alone(client: NewsQA) -> None:
    added = client.add_articles({"id": 7, **PRESS})

    assert [(r.id, r.status) for r in added.results] == [("7", "added")]
    assert client.get_article(7).text == PRESS["text"]


def test_put_replaces_an_article_and_checks_its_version(client: NewsQA) -> None:
    created = client.put_article("press/notes", PRESS)
    changed = {**PRESS, "text": PRESS["text"].replace("May", "June")}
    updated = client.put_article("press/notes", changed, if_match=created.version)

    assert (created.status, updated.status) == ("added", "updated")
    assert client.get_article("press/notes").text == changed["text"]
    with pytest.raises(NewsQAError) as conflict:
        client.put_article("press/notes", PRESS, if_match=created.version)
    assert (conflict.value.status, conflict.value.code) == (409, "version_conflict")


def test_deleted_articles_are_gone(client: NewsQA) -> None:
    client.add_articles(ARTICLES)

    assert client.delete_article("storm").status == "deleted"
    assert sorted(client.delete_articles(source="wire").ids) == ["budget", "netanyahu-putin"]
    assert client.list_articles().total == 0
    with pytest.raises(NewsQAError) as missing:
        client.get_article("storm")
    assert (missing.value.status, missing.value.code) == (404, "article_not_found")


def test_the_async_client_writes_the_same(server: str) -> None:
    async def write() -> list:
        async with AsyncNewsQA(server) as client:
            added = await client.add_articles(ARTICLES[:1])
            put = await client.put_article("press", PRESS)
            article = await client.get_article("press")
            deleted = await client.delete_article("press")
            remaining = await client.list_articles()
            return [added.added, put.status, article.text, deleted.status, [a.id for a in remaining.articles]]

    assert asyncio.run(write()) == [1, "added", PRESS["text"], "deleted", ["budget"]]


def test_sources_are_followed_and_dropped(client: NewsQA) -> None:
    followed = client.add_source("https://news.example/feed.xml", every="1h")

    assert client.get_source(followed.id).every_seconds == 3600
    assert [s.url for s in client.list_sources().sources] == ["https://news.example/feed.xml"]
    assert client.remove_source(followed.id).status == "removed"
    assert client.list_sources().sources == []
