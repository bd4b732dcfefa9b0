"""The JSON shapes shared by `qa ask --json` and the HTTP API."""

from typing import Any

from index.records import StoredArticle
from qa.answering.date_limits import said
from qa.models import Answer, Citation, DateLimits, Passage, Quote, ShortAnswer, Source
from qa.text.isodates import iso_text


def answer_json(answer: Answer) -> dict[str, Any]:
    return {
        "question": answer.asked or answer.question,
        "rewritten_question": answer.question if answer.asked else None,
        "answerable": answer.answerable,
        "reason": answer.abstention.value if answer.abstention else None,
        "answer": answer.text,
        "short_answer": short_answer_json(answer.short_answer),
        "generated": answer.generated,
        "dates": dates_json(answer.dates),
        "citations": [citation_json(c) for c in answer.citations],
        "passages": [passage_json(p) for p in answer.passages],
    }


def dates_json(dates: DateLimits | None) -> dict[str, Any] | None:
    if dates is None:
        return None
    moments = {"as_of": dates.as_of, "published_after": dates.published_after,
               "published_before": dates.published_before}
    return {**{name: iso_text(m) if m else None for name, m in moments.items()}, "text": said(dates)}


def short_answer_json(short: ShortAnswer | None) -> dict[str, Any] | None:
    if short is None:
        return None
    return {"text": short.text, "article_id": short.origin.article_id, "start": short.start, "end": short.end}


def citation_json(citation: Citation) -> dict[str, Any]:
    return {**_source_json(citation.origin), "start": citation.start, "end": citation.end, "quote": citation.quote,
            "speaker": citation.speaker}


def quotes_json(speaker: str, topic: str | None, quotes: list[Quote]) -> dict[str, Any]:
    return {"speaker": speaker, "topic": topic, "quotes": [{**_source_json(q.origin), **_said_json(q)} for q in quotes]}


def article_quotes_json(article_id: str, quotes: tuple[Quote, ...]) -> dict[str, Any]:
    return {"article_id": article_id, "quotes": [{k: v for k, v in _said_json(q).items() if k != "score"} for q in quotes]}


def passage_json(passage: Passage) -> dict[str, Any]:
    return {
        **_source_json(passage.origin), "chunk_id": passage.chunk_id, "start": passage.start,
        "end": passage.end, "text": passage.text, "score": passage.score,
        "match_start": passage.matched.start, "match_end": passage.matched.end,
        "also_reported_by": [_source_json(s) for s in passage.also_reported_by],
    }


def article_json(article: StoredArticle) -> dict[str, Any]:
    return {
        "id": article.id, "title": article.title, "url": article.url, "source": article.source,
        "authors": list(article.authors), "published_at": article.published_at,
        "section": article.newsroom.section, "tags": list(article.newsroom.tags), "language": article.newsroom.language,
        "updated_at": article.newsroom.updated_at, "embargo_until": article.newsroom.embargo_until,
        "visibility": article.newsroom.visibility, "story_id": article.cluster_id,
        "ingested_at": article.ingested_at, "stored_at": article.stored_at, "version": article.content_hash,
        "chunks": article.chunks, "text": article.text,
    }


def _said_json(quote: Quote) -> dict[str, Any]:
    return {"start": quote.start, "end": quote.end, "quote": quote.quote, "speaker": quote.speaker, "kind": quote.kind,
            "score": quote.score}


def _source_json(origin: Source) -> dict[str, Any]:
    return {
        "article_id": origin.article_id, "title": origin.title, "url": origin.url,
        "source": origin.source, "published_at": origin.published_at,
    }
