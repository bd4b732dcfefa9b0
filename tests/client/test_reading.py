"""Reading through the client from a real server: answers cited verbatim, passages, articles, quotes."""

import asyncio

from news_qa_client import AsyncNewsQA, NewsQA, StreamEvent
from news_qa_client.models import AnswerOut, ArticleOut, SearchOut
from tests.client.conftest import ARTICLES

QUESTION = "Why did Netanyahu thank Putin?"


def test_ask_cites_the_articles_verbatim(reader: NewsQA) -> None:
    answer = reader.ask(QUESTION)

    assert isinstance(answer, AnswerOut) and answer.answerable and answer.citations
    for citation in answer.citations:
        assert reader.get_article(citation.article_id).text[citation.start:citation.end] == citation.quote
    for passage in answer.passages:
        assert reader.get_article(passage.article_id).text[passage.start:passage.end] == passage.text


def test_ask_takes_filters_as_of_and_top_k(reader: NewsQA) -> None:
    answer = reader.ask(QUESTION, top_k=1, filters={"source": "daily"}, as_of="2024-12-31")

    assert len(answer.passages) == 1
    assert {p.source for p in answer.passages} == {"daily"}


def test_search_finds_passages_within_the_filters(reader: NewsQA) -> None:
    found = reader.search("storm harbour boats", top_k=2, source="daily", published_after="2024-05-01")

    assert isinstance(found, SearchOut) and found.query == "storm harbour boats"
    assert [p.article_id for p in found.passages] == ["storm"]
    assert found.passages[0].url == "https://daily.example/storm"
    assert reader.search("storm harbour boats", source=["wire"], tag="weather").passages == []


def test_an_article_comes_back_as_it_was_sent(reader: NewsQA) -> None:
    article = reader.get_article("storm")

    assert isinstance(article, ArticleOut)
    assert (article.text, article.title, article.source) == (ARTICLES[1]["text"], "Coastal storm", "daily")


def test_articles_are_listed_a_page_at_a_time(reader: NewsQA) -> None:
    first = reader.list_articles(limit=2)
    second = reader.list_articles(limit=2, cursor=first.next_cursor)

    assert first.total == len(ARTICLES) and len(first.articles) == 2 and second.next_cursor is None
    assert {a.id for a in first.articles + second.articles} == {a["id"] for a in ARTICLES}
    assert [a.id for a in reader.list_articles(source="daily").articles] == ["storm"]


def test_quotes_of_an_article_are_cited_verbatim(reader: NewsQA) -> None:
    text = reader.get_article("netanyahu-putin").text
    said = reader.article_quotes("netanyahu-putin")

    assert said.article_id == "netanyahu-putin" and said.quotes
    assert all(text[q.start:q.end] == q.quote for q in said.quotes)
    assert reader.quotes("Netanyahu", "Putin", sort="date", source="wire").speaker == "Netanyahu"


def test_the_stream_tells_the_same_answer_as_ask(reader: NewsQA) -> None:
    events = list(reader.ask_stream(QUESTION))
    answer = reader.ask(QUESTION)

    assert [e.event for e in events] == ["passages", "answer", "citations", "done"]
    told = {name: data for e in events for name, data in e.data.items()}
    assert told["answer"] == answer.answer
    assert told["citations"] == [c.model_dump() for c in answer.citations]


def test_health_and_readiness(reader: NewsQA) -> None:
    assert reader.healthz().status == "ok"
    ready = reader.readyz()
    assert ready.status == "ready" and ready.articles == len(ARTICLES)


def test_the_async_client_reads_the_same(archive: str, reader: NewsQA) -> None:
    async def read() -> tuple:
        async with AsyncNewsQA(archive) as client:
            events = [event async for event in client.ask_stream(QUESTION)]
            return (await client.ask(QUESTION), await client.search("storm", top_k=1),
                    await client.get_article("budget"), await client.list_articles(), events)

    answer, found, article, listed, events = asyncio.run(read())

    assert answer == reader.ask(QUESTION)
    assert found == reader.search("storm", top_k=1)
    assert article.text == ARTICLES[0]["text"]
    assert listed.total == len(ARTICLES)
    assert isinstance(events[0], StreamEvent) and events[-1].event == "done"
