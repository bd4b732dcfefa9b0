"""What the retrievers of both extras return, before each library wraps it: a passage found by
`search`, or a sentence `ask` cited, with where it stands in its article."""

from dataclasses import dataclass
from typing import Any, Literal

from news_qa_client.async_client import AsyncNewsQA
from news_qa_client.filters import query_filters
from news_qa_client.models import AnswerOut, CitationOut, FiltersIn, PassageOut, SearchOut
from news_qa_client.sync_client import NewsQA

Mode = Literal["search", "ask"]


@dataclass(frozen=True)
class Hit:
    id: str
    text: str
    score: float | None
    metadata: dict[str, Any]


def retrieve(client: NewsQA, query: str, mode: Mode, top_k: int | None, filters: FiltersIn | None) -> list[Hit]:
    if mode == "ask":
        return citation_hits(client.ask(query, top_k=top_k, filters=filters))
    return passage_hits(client.search(query, top_k=top_k, **query_filters(filters)))


async def aretrieve(client: NewsQA, async_client: AsyncNewsQA | None, query: str, mode: Mode, top_k: int | None,
                    filters: FiltersIn | None) -> list[Hit]:
    """Through `async_client`, or a short-lived async client to the service `client` talks to."""
    if async_client is None:
        connection = client.connection
        async with AsyncNewsQA(connection.base_url, api_key=connection.api_key, timeout=connection.timeout) as twin:
            return await aretrieve(client, twin, query, mode, top_k, filters)
    if mode == "ask":
        return citation_hits(await async_client.ask(query, top_k=top_k, filters=filters))
    return passage_hits(await async_client.search(query, top_k=top_k, **query_filters(filters)))


def passage_hits(found: SearchOut) -> list[Hit]:
    return [Hit(p.chunk_id, p.text, p.score, {**_source(p), "score": p.score, "chunk_id": p.chunk_id})
            for p in found.passages]


def citation_hits(answer: AnswerOut) -> list[Hit]:
    """The cited sentences (none when the articles do not answer), each scored as the passage that holds it."""
    hits = []
    for citation in answer.citations:
        score = next((p.score for p in answer.passages if _holds(p, citation)), None)
        hits.append(Hit(f"{citation.article_id}:{citation.start}-{citation.end}", citation.quote, score,
                        {**_source(citation), "score": score, "speaker": citation.speaker}))
    return hits


def _source(found: PassageOut | CitationOut) -> dict[str, Any]:
    return {"article_id": found.article_id, "start": found.start, "end": found.end, "title": found.title,
            "source": found.source, "published_at": found.published_at, "url": found.url}


def _holds(passage: PassageOut, citation: CitationOut) -> bool:
    return passage.article_id == citation.article_id and passage.start <= citation.start < citation.end <= passage.end
