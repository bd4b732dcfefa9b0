"""Request and response bodies of /v1, with the examples shown in the OpenAPI docs."""

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

# What the JSON Schema says here is what the service enforces, so generated clients and fuzzers
# send what it accepts. Limits that are settings (question length, top_k, articles per request)
# are written into the schema by the app that serves it.
IsoMoment = Annotated[str, Field(json_schema_extra={"anyOf": [{"format": "date"}, {"format": "date-time"}]})]
SOME_TEXT = r"^[^\x00]*[^\s\x00][^\x00]*$"  # something besides spaces, and no NUL characters
NO_NUL = r"^[^\x00]*$"
# No surrounding spaces or control characters, and not "." or "..", which a URL path cannot hold.
ARTICLE_ID = r"^(?!\.\.?$)[^\s\x00-\x1f\x7f-\x9f](?:[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f])?$"
StoredText = Annotated[str, Field(json_schema_extra={"pattern": NO_NUL})]
# Where articles come in, dates are ISO 8601 or the RFC 822 of RSS and most CMS exports.
DateText = Annotated[str, Field(
    description="ISO 8601 (2025-06-10, 2025-06-10T08:00:00Z) or RFC 822 (Tue, 10 Jun 2025 08:00:00 GMT).",
    json_schema_extra={"examples": ["2025-06-10T08:00:00Z", "Tue, 10 Jun 2025 08:00:00 GMT"]},
)]
VISIBILITY = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$"
Labels = list[StoredText] | StoredText
ArticleText = Annotated[str, Field(json_schema_extra={"pattern": SOME_TEXT})]
ArticleId = Annotated[str, Field(json_schema_extra={"pattern": ARTICLE_ID, "maxLength": 256})]

SOURCE_EXAMPLE = {
    "article_id": "002_b0a686f71e466dcc",
    "title": "Netanyahu’s Firm Stance in Diplomatic Dialogue with Putin",
    "url": "https://news.example/netanyahu-putin",
    "source": "news.example",
    "published_at": "2023-12-10",
}
QUOTE = (
    "Netanyahu’s gratitude towards Putin for the release of Israeli citizens with dual Russian citizenship "
    "held by Hamas in Gaza is a reminder of the complex, multifaceted nature of international relations."
)
CITATION_EXAMPLE = {**SOURCE_EXAMPLE, "start": 1451, "end": 1652, "quote": QUOTE, "speaker": "Benjamin Netanyahu"}
# "Putin" in QUOTE, which starts at 1451 in its article.
SHORT_ANSWER_EXAMPLE = {"text": "Putin", "article_id": "002_b0a686f71e466dcc", "start": 1451 + QUOTE.index("Putin"),
                        "end": 1451 + QUOTE.index("Putin") + len("Putin")}
SAID_EXAMPLE = {"start": 1451, "end": 1652, "quote": QUOTE, "speaker": "Benjamin Netanyahu", "kind": "indirect"}
PASSAGE_EXAMPLE = {**SOURCE_EXAMPLE, "chunk_id": "b1946ac92492d2347c62", "start": 1182, "end": 1779,
                   "text": "The Israeli Prime Minister also addressed … " + QUOTE, "score": 0.5885,
                   "match_start": 1240, "match_end": 1779,
                   "also_reported_by": [{**SOURCE_EXAMPLE, "article_id": "wire-copy-17", "source": "wire.example"}]}
VERSION_EXAMPLE = "5d41402abc4b2a76b9719d911017c592e7f8a1b2c3d4e5f60718293a4b5c6d7e"
ARTICLE_SUMMARY_EXAMPLE = {
    "id": "002_b0a686f71e466dcc", "title": SOURCE_EXAMPLE["title"], "url": SOURCE_EXAMPLE["url"],
    "source": "news.example", "authors": ["A. Reporter"], "published_at": "2023-12-10",
    "section": "world", "tags": ["Israel", "Russia"], "language": "en", "updated_at": "2023-12-10T18:00:00Z",
    "embargo_until": None, "visibility": "public",
    "story_id": "002_b0a686f71e466dcc", "ingested_at": "2024-01-05T09:30:00Z", "stored_at": "2024-01-05T09:30:00Z",
    "version": VERSION_EXAMPLE, "chunks": 5,
}


def _examples(*examples: object) -> ConfigDict:
    # strict: a JSON `true` or "3" is not quietly taken for the integer 1 or 3.
    return ConfigDict(extra="forbid", strict=True, json_schema_extra={"examples": list(examples)})


class FiltersIn(BaseModel):
    model_config = _examples({"source": "news.example", "published_after": "2023-12-01"},
                             {"article_ids": ["002_b0a686f71e466dcc"], "published_before": "2023-12-31T23:59:59Z"})

    source: str | list[str] | None = Field(
        None, description="Only articles from this source (or these sources).", max_length=1000
    )
    published_after: IsoMoment | None = Field(
        None, description="ISO date or datetime; inclusive. Undated articles are left out."
    )
    published_before: IsoMoment | None = Field(
        None, description="ISO date or datetime; inclusive (a date means its whole day)."
    )
    article_ids: list[str] | None = Field(None, description="Only these articles.", max_length=1000)
    section: str | list[str] | None = Field(None, description="Only articles of this section (or these).",
                                            max_length=1000)
    tags: str | list[str] | None = Field(None, description="Only articles carrying this tag (or any of these).",
                                         max_length=1000)
    language: str | list[str] | None = Field(None, description="Only articles in this language (or these), "
                                             "e.g. en.", max_length=1000)
    visibility: str | list[str] | None = Field(None, description="Only articles of this visibility (or these), "
                                               "within what the API key may read.", max_length=1000)
    updated_after: IsoMoment | None = Field(
        None, description="Only articles the newsroom updated at or after this ISO date or datetime."
    )
    updated_before: IsoMoment | None = Field(
        None, description="Only articles the newsroom last updated at or before this (a date means its whole day)."
    )


class AskIn(BaseModel):
    model_config = _examples(
        {"question": "Why did Netanyahu thank Putin?"},
        {"question": "What did Netanyahu say about Iran?", "top_k": 3,
         "filters": {"source": "news.example"}, "as_of": "2023-12-31"},
    )

    question: str = Field(description="The question, in plain words.", json_schema_extra={"pattern": SOME_TEXT})
    top_k: int | None = Field(None, ge=1, description="Passages to return (default and maximum are settings).")
    filters: FiltersIn | None = None
    as_of: IsoMoment | None = Field(
        None, description="ISO date or datetime the question is asked about; later articles are left out. Default: now."
    )
    history: list[Annotated[str, Field(json_schema_extra={"pattern": SOME_TEXT})]] | None = Field(
        None, description="The conversation's earlier questions, oldest first. A follow-up such as \"And what did "
        "he say about Iran?\" is answered as the standalone question they make of it, returned as "
        "`rewritten_question`.",
        examples=[["What did Netanyahu say about Hamas?"]],
    )


class SourceFields(BaseModel):
    article_id: str
    title: str | None
    url: str | None
    source: str | None
    published_at: str | None


class SourceOut(SourceFields):
    model_config = _examples(SOURCE_EXAMPLE)


class QuotedFields(BaseModel):
    start: int
    end: int
    quote: str = Field(description="Exactly the article's text[start:end].")
    speaker: str | None = Field(description="Who says the sentence, as the article names them; null when no one "
                                "named does (the reporter's own words, or \"officials said\").")


class CitationOut(QuotedFields, SourceFields):
    model_config = _examples(CITATION_EXAMPLE)


class PassageOut(SourceFields):
    model_config = _examples(PASSAGE_EXAMPLE)

    chunk_id: str
    start: int
    end: int
    text: str = Field(description="Exactly the article's text[start:end].")
    score: float = Field(description="Cosine similarity to the question; passages are in the retriever's order.")
    match_start: int = Field(description="Where the part that matched the question starts: the passage is it and "
                             "the whole sentences around it.")
    match_end: int
    also_reported_by: list[SourceOut] = Field(
        description="Other articles telling the same story (reprints), collapsed into this passage."
    )


class ShortAnswerOut(BaseModel):
    model_config = _examples(SHORT_ANSWER_EXAMPLE)

    text: str = Field(description="Exactly the article's text[start:end]: a name, date or amount.")
    article_id: str = Field(description="The article of the cited sentence the short answer lies in.")
    start: int
    end: int


DATES_EXAMPLE = {"as_of": "2022-06-03T23:59:59.999999Z", "published_after": None, "published_before": None,
                 "text": "as of 3 June 2022"}


class DatesOut(BaseModel):
    model_config = _examples(DATES_EXAMPLE)

    as_of: str | None = Field(description="The answer is the news as it stood at this moment (UTC).")
    published_after: str | None = Field(description="Only articles published from this moment on were read.")
    published_before: str | None = Field(description="Only articles published up to this moment were read.")
    text: str = Field(description='The limits as a reader says them: "as of 3 June 2022", "published between '
                                  '1 May 2022 and 3 June 2022", or both; a day\'s first or last instant is its date.')


class AnswerOut(BaseModel):
    model_config = _examples({
        "question": "Who did Netanyahu thank for the release of Israeli citizens?", "answerable": True,
        "reason": None, "answer": QUOTE, "short_answer": SHORT_ANSWER_EXAMPLE,
        "generated": False, "dates": None, "citations": [CITATION_EXAMPLE], "passages": [PASSAGE_EXAMPLE],
    })

    question: str = Field(description="The question as it was sent.")
    rewritten_question: str | None = Field(
        None, description="The standalone question that was answered, when the question was a follow-up of the "
        "`history` sent (its pronouns and missing subject filled from the earlier questions); null otherwise."
    )
    answerable: bool
    reason: Literal["no_relevant_passages", "low_confidence", "outside_date_range"] | None = Field(
        description="Why there is no answer, when there is none: nothing relevant found; something found but no "
        "sentence answers well enough; or the answer lies outside the dates the question was limited to."
    )
    answer: str | None = Field(
        description="The cited sentences, verbatim, in the order of `citations`; or, when `generated`, a written "
        "answer whose [n] markers number the citations from 1."
    )
    short_answer: ShortAnswerOut | None = Field(
        description="When the question asks for a name, date or amount (who, when, where, how much, which country "
        "…): that span, inside one of the cited sentences and checked against the article like every quote. "
        "Null when the question asks for something else or no cited sentence holds one."
    )
    generated: bool = Field(description="Whether a configured language model wrote the answer from the citations.")
    dates: DatesOut | None = Field(
        description="The dates the question was asked within (`as_of`, `filters.published_after`/`_before`), which "
        "the answer holds for and should be read with; null when none were given."
    )
    citations: list[CitationOut]
    passages: list[PassageOut] = Field(
        description="Every article the answer cites first, in the order of first citation, each with its passages "
        "together (those holding its quotes first, every quote whole inside one, no text shown twice; its other "
        "reports in the first one's `also_reported_by`); then the other passages found, best first. `top_k` of "
        "them, or more when the cited articles' passages need more."
    )


class SearchOut(BaseModel):
    model_config = _examples({"query": "Netanyahu Putin gratitude", "passages": [PASSAGE_EXAMPLE]})

    query: str
    passages: list[PassageOut]


class SaidOut(QuotedFields):
    model_config = _examples(SAID_EXAMPLE)

    kind: str = Field(description="`direct` (a quotation), `indirect` (reported speech) or `mixed` (both).")


class ArticleQuotesOut(BaseModel):
    model_config = _examples({"article_id": SOURCE_EXAMPLE["article_id"], "quotes": [SAID_EXAMPLE]})

    article_id: str
    quotes: list[SaidOut] = Field(description="Every sentence in which someone speaks, in the order of the text.")


class QuoteOut(SaidOut, SourceFields):
    model_config = _examples({**SOURCE_EXAMPLE, **SAID_EXAMPLE, "score": 0.6123})

    score: float | None = Field(description="Cosine similarity of the sentence to the topic `q`; null without one.")


class QuotesOut(BaseModel):
    model_config = _examples({"speaker": "Netanyahu", "topic": "Putin", "quotes": [
        {**SOURCE_EXAMPLE, **SAID_EXAMPLE, "score": 0.6123}]})

    speaker: str
    topic: str | None
    quotes: list[QuoteOut]


class ArticleIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, json_schema_extra={
        "examples": [{
            "id": "wire-2024-0001", "title": "Senate passes the budget", "url": "https://news.example/budget",
            "source": "news.example", "authors": ["A. Reporter"], "published_at": "2024-03-01T10:00:00Z",
            "text": "The senate passed the budget on Tuesday by 51 votes to 49.",
        }],
        "anyOf": [{"required": [field], "properties": {field: {"type": "string"}}} for field in ("text", "body")],
    })

    # Integer ids within what JSON parsers everywhere read exactly.
    id: ArticleId | Annotated[int, Field(ge=-(2**53 - 1), le=2**53 - 1)] = Field(
        description="The newsroom's id; sending it again replaces that article."
    )
    text: ArticleText | None = Field(None, description="The article text, stored exactly as sent (or give `body`).")
    body: ArticleText | None = Field(None, description="Same as `text`, for feeds that call it so.")
    title: StoredText | None = None
    url: StoredText | None = None
    source: StoredText | None = None
    authors: Labels | None = None
    published_at: DateText | None = None
    section: StoredText | None = Field(None, description="The newsroom's section, e.g. politics.")
    tags: Labels | None = Field(None, description="The newsroom's tags or categories.")
    language: Annotated[str, Field(json_schema_extra={"pattern": r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$"})] | None = (
        Field(None, description="A language tag such as en or en-GB.")
    )
    updated_at: DateText | None = Field(
        None, description="When the newsroom last changed the article: a PUT with an older one than stored is "
        "refused (409), so a late update never overwrites a newer one."
    )
    embargo_until: DateText | None = Field(
        None, description="Never answered from, searched or quoted before this moment, whatever `as_of` says."
    )
    visibility: Annotated[str, Field(json_schema_extra={"pattern": VISIBILITY})] | None = Field(
        None, description="Who may read it: `public` (the default) or a word of the newsroom's such as "
        "`internal`; API keys may be limited to some visibilities."
    )


class ArticleResultOut(BaseModel):
    model_config = _examples({"id": "wire-2024-0001", "status": "added", "version": VERSION_EXAMPLE})

    id: str
    status: Literal["added", "updated", "unchanged"]
    version: str = Field(description="The stored version, also sent as the `ETag` of a PUT or GET of the article; "
                         "`If-Match` on it makes a PUT replace only that version.")


class ArticlePutIn(ArticleIn):
    model_config = ConfigDict(extra="forbid", strict=True, json_schema_extra={
        "examples": [{"title": "Senate passes the budget", "source": "news.example",
                      "published_at": "Tue, 10 Jun 2025 08:00:00 GMT", "updated_at": "2025-06-10T09:30:00Z",
                      "section": "politics", "tags": ["budget"], "visibility": "public",
                      "text": "The senate passed the budget on Tuesday by 51 votes to 49."}],
        "anyOf": [{"required": [field], "properties": {field: {"type": "string"}}} for field in ("text", "body")],
    })

    id: ArticleId | Annotated[int, Field(ge=-(2**53 - 1), le=2**53 - 1)] | None = Field(
        None, description="The id in the path; when given here too, it must be the same."
    )


class DeletedManyOut(BaseModel):
    model_config = _examples({"deleted": 2, "ids": ["wire-2024-0001", "wire-2024-0002"]})

    deleted: int = Field(description="How many articles were removed.")
    ids: list[str] = Field(description="Their ids.")


class ArticlesAddedOut(BaseModel):
    model_config = _examples({
        "results": [{"id": "wire-2024-0001", "status": "added"}, {"id": "wire-2024-0002", "status": "unchanged"}],
        "added": 1, "updated": 0, "unchanged": 1,
    })

    results: list[ArticleResultOut]
    added: int
    updated: int
    unchanged: int


class ArticleSummaryOut(BaseModel):
    model_config = _examples(ARTICLE_SUMMARY_EXAMPLE)

    id: str
    title: str | None
    url: str | None
    source: str | None
    authors: list[str]
    published_at: str | None
    section: str | None
    tags: list[str]
    language: str | None
    updated_at: str | None = Field(description="When the newsroom last changed the article, as it said.")
    embargo_until: str | None = Field(description="Not answered from before this moment.")
    visibility: str
    story_id: str | None = Field(description="Articles with the same story_id tell the same story (reprints).")
    ingested_at: str = Field(description="When the service first stored the article.")
    stored_at: str = Field(description="When the service stored this version.")
    version: str = Field(description="The stored version (the `ETag`), which `If-Match` on a PUT names.")
    chunks: int


class ArticleOut(ArticleSummaryOut):
    model_config = _examples({**ARTICLE_SUMMARY_EXAMPLE, "text": "Netanyahu’s Firm Stance … " + QUOTE})

    text: str = Field(description="The article text; every citation's quote is text[start:end].")


class ArticleListOut(BaseModel):
    model_config = _examples({"articles": [ARTICLE_SUMMARY_EXAMPLE], "total": 1, "next_cursor": None})

    articles: list[ArticleSummaryOut]
    total: int
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page.")


class DeletedOut(BaseModel):
    model_config = _examples({"id": "wire-2024-0001", "status": "deleted"})

    id: str
    status: Literal["deleted"]


class HealthOut(BaseModel):
    model_config = _examples({"status": "ok"})

    status: Literal["ok"]


class ReadyOut(BaseModel):
    model_config = _examples({"status": "ready", "model": "sentence-transformers/all-MiniLM-L6-v2",
                              "articles": 2, "chunks": 13, "vectors": 13})

    status: Literal["ready"]
    model: str
    articles: int
    chunks: int
    vectors: int


RUN_EXAMPLE = {
    "started_at": "2025-06-10T08:00:00Z", "finished_at": "2025-06-10T08:00:41Z",
    "counts": {"listed": 30, "entries_unchanged": 27, "fetched": 3, "added": 2, "updated": 0, "unchanged": 0,
               "failed": 1},
    "error": None, "skipped": [{"item": "https://news.example/world/gone", "reason": "HTTP 404 Not Found"}],
}
SOURCE_EXAMPLE_OUT = {
    "id": "3f2a9c01d4e5b6a7", "url": "https://news.example/feed.xml", "every": "15m", "every_seconds": 900,
    "visibility": "public", "added_at": "2025-06-01T09:00:00Z", "next_due_at": "2025-06-10T08:15:00Z",
    "last_run": RUN_EXAMPLE,
}


class FollowedSourceIn(BaseModel):
    model_config = _examples({"url": "https://news.example/feed.xml"},
                             {"url": "https://news.example/sitemap_index.xml", "every": "1h", "visibility": "internal"})

    url: str = Field(description="An RSS or Atom feed, a sitemap or news sitemap, or a sitemap index (http or https).",
                     max_length=2048, json_schema_extra={"pattern": SOME_TEXT})
    every: str | int | None = Field(None, description="How often to sync it: 15m, 1h, 2d or seconds, between a "
                                    "minute and 30 days (default: the QA_SYNC_EVERY setting).")
    visibility: Annotated[str, Field(json_schema_extra={"pattern": VISIBILITY})] | None = Field(
        None, description="The visibility its articles are stored with (default: public)."
    )


class SkippedOut(BaseModel):
    model_config = _examples({"item": "https://news.example/world/gone", "reason": "HTTP 404 Not Found"})

    item: str = Field(description="The entry's URL, or which part of the listing.")
    reason: str


class RunOut(BaseModel):
    model_config = _examples(RUN_EXAMPLE)

    started_at: str
    finished_at: str | None
    counts: dict[str, int] = Field(description="listed, entries_unchanged (not asked: their listing says so), "
                                   "pages_unchanged (answered 304), fetched, added, updated, unchanged, failed, "
                                   "deferred (left for the next run), listings_unchanged, sitemaps_unchanged.")
    error: str | None = Field(description="Why the source as a whole failed this time; its articles stay.")
    skipped: list[SkippedOut] = Field(description="Items skipped, each with why (at most 100).")


class FollowedSourceOut(BaseModel):
    model_config = _examples(SOURCE_EXAMPLE_OUT)

    id: str
    url: str
    every: str
    every_seconds: int
    visibility: str
    added_at: str
    next_due_at: str
    last_run: RunOut | None


class FollowedSourcesOut(BaseModel):
    model_config = _examples({"sources": [SOURCE_EXAMPLE_OUT]})

    sources: list[FollowedSourceOut]


class SyncedOut(BaseModel):
    model_config = _examples({"source": SOURCE_EXAMPLE_OUT, "run": RUN_EXAMPLE})

    source: FollowedSourceOut
    run: RunOut


class FollowedSourceRemovedOut(BaseModel):
    model_config = _examples({"id": "3f2a9c01d4e5b6a7", "status": "removed"})

    id: str
    status: Literal["removed"]
