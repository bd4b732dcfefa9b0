"""Quotes: what a person said across the articles, on a subject or any; and who speaks in one article."""

from typing import Annotated, Literal

from fastapi import APIRouter, Query as QueryParam
from fastapi.routing import APIRoute
from starlette.routing import Match
from starlette.types import Scope

from api.dependencies import API_PREFIX, AccessDep, ServiceDep, answering, known_parameters
from api.errors import ErrorResponse
from api.parameters import FILTER_PARAMETERS, FilterDep
from api.routes.articles import ArticleId
from api.schemas import SOME_TEXT, ArticleQuotesOut, QuotesOut
from qa.json_shapes import article_quotes_json, quotes_json
from qa.speech.finder import MAX_SPEAKER_CHARS

ERRORS = {status: {"model": ErrorResponse} for status in (400, 401, 403, 409, 413, 415, 422, 429, 503)}
QUOTES_PARAMETERS = ("speaker", "q", "top_k", "sort", *FILTER_PARAMETERS)
ENCODED_SUFFIX = b"%2fquotes"


class SlashesAsSent(APIRoute):
    """Matches only when the slash before "quotes" was sent as a slash: one sent as %2F belongs to the
    article's id, so the article "press/quotes" is still read at /v1/articles/press%2Fquotes."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope.get("raw_path", b"").lower().endswith(ENCODED_SUFFIX):
            return Match.NONE, {}
        return super().matches(scope)


router = APIRouter(prefix=API_PREFIX, tags=["quotes"], route_class=SlashesAsSent)


@router.get("/quotes", response_model=QuotesOut, responses=ERRORS, summary="What a person said, on a subject or any")
async def quotes(
    service: ServiceDep,
    access: AccessDep,
    _: Annotated[None, known_parameters(*QUOTES_PARAMETERS)],
    limits: FilterDep,
    speaker: Annotated[str, QueryParam(
        max_length=MAX_SPEAKER_CHARS, description="Who: a surname or a full name, any case, accents optional.",
        json_schema_extra={"pattern": SOME_TEXT},
    )],
    q: Annotated[str | None, QueryParam(description="The subject; without it, everything the speaker said.")] = None,
    top_k: Annotated[int | None, QueryParam(ge=1, description="Quotes to return.")] = None,
    sort: Annotated[Literal["relevance", "date"], QueryParam(
        description="`relevance`: sentences naming the subject first, then the closest to it (without a subject, "
        "newest first); `date`: newest published first, undated last."
    )] = "relevance",
) -> dict:
    found = await answering(service, service.quotes, speaker, q, limits.filters, limits.as_of, top_k, sort, access)
    return quotes_json(speaker, q, found)


@router.get("/articles/{article_id:path}/quotes", response_model=ArticleQuotesOut,
            responses={404: {"model": ErrorResponse}, **ERRORS},
            summary="Who speaks in an article, sentence by sentence")
def article_quotes(article_id: ArticleId, service: ServiceDep, access: AccessDep) -> dict:
    return article_quotes_json(article_id, service.article_quotes(article_id, access))
